// The one place tally includes hiredis (0.14, Debian's libhiredis-dev).
// Only the argv entry points are used, so no variadic wrappers are needed:
// Swift cannot call redisCommand(fmt, ...) directly.
#ifndef TALLY_CHIREDIS_SHIM_H
#define TALLY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif

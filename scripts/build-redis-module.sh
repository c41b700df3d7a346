#!/usr/bin/env bash
# Builds the tally Redis module (redis-module/tally_module.c) into
# .build/redis-module/tally.so when it is missing or older than its source,
# and prints its path. C, with the C compiler the machine has (CC, else cc,
# else the Swift toolchain's clang); warnings are errors.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
source_dir="$repo/redis-module"
out_dir="$repo/.build/redis-module"
out="$out_dir/tally.so"

if [[ -f "$out" && "$out" -nt "$source_dir/tally_module.c" && "$out" -nt "$source_dir/redismodule.h" ]]; then
    echo "$out"
    exit 0
fi
compiler=${CC:-}
if [[ -z "$compiler" ]]; then
    for candidate in cc gcc clang; do
        command -v "$candidate" >/dev/null && compiler=$candidate && break
    done
fi
[[ -n "$compiler" ]] || {
    echo "==> ERROR: no C compiler (cc, gcc or clang) to build the tally Redis module; install gcc, or set TALLY_REDIS_MODULE=0" >&2
    exit 1
}
mkdir -p "$out_dir"
# Built beside the target and moved into place, so a Redis starting
# meanwhile never loads half a file.
"$compiler" -O2 -fPIC -std=gnu11 -Wall -Wextra -Werror -shared \
    -o "$out.tmp" "$source_dir/tally_module.c" >&2
mv -f "$out.tmp" "$out"
echo "==> redis module: built $out with $compiler" >&2
echo "$out"

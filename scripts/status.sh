#!/usr/bin/env bash
# One line per component started by scripts/up.sh: running/stopped + pid.
# Reads only the pidfiles in $TALLY_STATE_DIR (and probes the epmd port).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

print_status

#!/usr/bin/env bash
# make bench-vendor: the vendor poller's pacing at the real limit. The
# simulator enforces 5 requests per rolling 60 s; a driver appends RATE
# (default 4,950) new transactions a minute, evenly, for DURATION (default
# 360) seconds; `tally poll vendor` (default pacing, 1,000 per page)
# publishes them to a private RabbitMQ with confirms and stores its cursor
# in a private Redis. Reports the poller's sustained rate (after WARMUP,
# default 60 s), its lag (p50/p95/max), and the simulator's window
# violations, which must be 0. Not part of make test (it takes 6+ minutes).
#
#   make bench-vendor            RATE=4950 DURATION=360 WARMUP=60
#   TALLY_SKIP_BUILD=1           use the binaries in $TALLY_BIN as they are
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers vendorbench 16480 15774 25774
export TALLY_BIN="${TALLY_BIN:-$repo/.build/debug}"
export WORKERS=0 TALLY_AGGREGATOR=0
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
sim_port="${TALLY_BENCH_VENDOR_SIM_PORT:-$((TALLY_REDIS_PORT + 2100))}"

step() { printf '\n==> %s\n' "$*" >&2; }
pids=()
cleanup() {
    local status=$?
    step "stopping the poller, the simulator and the bench servers"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    "$here/down.sh" || true
    exit "$status"
}
trap cleanup EXIT

if [[ "${TALLY_SKIP_BUILD:-0}" != 1 ]]; then
    step "build (debug)"
    swift build
fi

step "servers (state in $TALLY_STATE_DIR)"
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
"$here/up.sh" servers
"$TALLY_BIN/tally" declare >/dev/null
logs="$TALLY_STATE_DIR/logs"
mkdir -p "$logs"

step "simulator on :$sim_port (5 requests per rolling 60,000 ms)"
"$TALLY_BIN/tally-vendor-simulator" --port "$sim_port" --rate-limit 5 --rate-window-ms 60000 >"$logs/simulator.log" 2>&1 &
pids+=($!)
wait_for 30 "the simulator" "${pids[0]}" curl -sf "http://127.0.0.1:$sim_port/stats"

prefix="bench-vendor-$$"
step "poller (key prefix $prefix) and driver: ${RATE:-4950}/min for ${DURATION:-360} s"
TALLY_REDIS_KEY_PREFIX="$prefix" "$TALLY_BIN/tally" poll vendor --url "http://127.0.0.1:$sim_port/transactions" --unit USD \
    >"$logs/poller.log" 2>&1 &
pids+=($!)
SIM_URL="http://127.0.0.1:$sim_port" CURSOR_KEY="$prefix:adapter:{vendor}:cursor" \
    python3 "$here/bench-vendor.py" | tee "$TALLY_STATE_DIR/bench-vendor.json"
step "poller log: $logs/poller.log"

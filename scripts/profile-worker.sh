#!/usr/bin/env bash
# Cost per record on the worker's hot path, in measures that stay put on a
# loaded, shared machine (unlike a clock):
#   - redis-server instructions per record (the tally Function, MULTI/EXEC,
#     the AOF), counted by valgrind's callgrind;
#   - worker allocations per record (malloc, calloc, realloc, …), counted by
#     an LD_PRELOAD counter (scripts/malloc-count.c);
#   - worker CPU time per record (user + system, /proc), which does move
#     with the machine's load: compare it only within one session.
# valgrind 3.19 (Debian's) cannot load Swift 6.3's lib_FoundationICU.so, so
# the worker itself is not run under callgrind.
#
#   RECORDS=3000 scripts/profile-worker.sh        (BENCHMARKS.md, "Hot path")
#
# Starts private bench servers (TALLY_BENCH_* ports), Redis under callgrind
# and ONE release-built worker ($TALLY_BIN, default .build/release), publishes
# a warm-up of 500 records, zeroes the counters, publishes $RECORDS fresh
# records with `tally-loadtest`, and prints the figures. The callgrind file stays
# in $TALLY_STATE_DIR/profile for callgrind_annotate.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers bench 16380 15674 25674
export TALLY_BIN="${TALLY_BIN:-$repo/.build/release}"
RECORDS="${RECORDS:-3000}"
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }

profile="$TALLY_STATE_DIR/profile"
worker_pid="" redis_pid=""
step() { printf '==> %s\n' "$*" >&2; }
cleanup() {
    if [[ -n "$worker_pid" ]]; then kill "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; fi
    if [[ -n "$redis_pid" ]]; then
        redis-cli -p "$TALLY_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    "$here/down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
mkdir -p "$profile/redis"
gcc -O2 -shared -fPIC -o "$profile/malloc-count.so" "$here/malloc-count.c" -ldl
WORKERS=0 "$here/up.sh" rabbitmq >/dev/null

step "redis-server under callgrind on port $TALLY_REDIS_PORT (AOF always, as up.sh starts it; its rewrites, forked children, are not counted)"
valgrind --tool=callgrind --callgrind-out-file="$profile/callgrind.out.redis" \
    redis-server --bind 127.0.0.1 --port "$TALLY_REDIS_PORT" --dir "$profile/redis" \
    --appendonly yes --appendfsync always --save "" >"$profile/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 300); do redis-cli -p "$TALLY_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done

step "tally-worker ($TALLY_BIN) with the allocation counter"
env TALLY_METRICS_PORT=0 MALLOC_COUNT_FILE="$profile/worker.mallocs" LD_PRELOAD="$profile/malloc-count.so" \
    "$TALLY_BIN/tally-worker" >"$profile/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 600); do grep -q 'consuming' "$profile/worker.log" && break; sleep 0.2; done
grep -q 'consuming' "$profile/worker.log" || { tail "$profile/worker.log" >&2; exit 1; }

step "warm-up: 500 records"
"$TALLY_BIN/tally-loadtest" --records 500 --aggregator none --no-redis --quiet >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$worker_pid/stat"; }
kill -USR2 "$worker_pid"
callgrind_control -z "$redis_pid" >/dev/null
cpu_before=$(cpu_ticks)

step "$RECORDS records, counted"
"$TALLY_BIN/tally-loadtest" --records "$RECORDS" --aggregator none --no-redis --quiet | tail -n 12 | tee "$profile/bench.txt" >&2
cpu_after=$(cpu_ticks)
kill -USR2 "$worker_pid"
callgrind_control -d measured "$redis_pid" >/dev/null
sleep 1

redis_ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$profile"/callgrind.out.redis.*[0-9])
worker_mallocs=$(tail -n 1 "$profile/worker.mallocs")
ticks=$(getconf CLK_TCK)
awk -v n="$RECORDS" -v ir="$redis_ir" -v m="$worker_mallocs" -v c=$((cpu_after - cpu_before)) -v t="$ticks" 'BEGIN {
    printf "records: %d\n", n
    printf "redis-server: %.0f instructions per record (%d in all)\n", ir / n, ir
    printf "worker: %.1f allocations per record (%d in all)\n", m / n, m
    printf "worker: %.1f µs CPU per record (%.2f s in all; moves with the load)\n", 1e6 * c / t / n, c / t
}' | tee "$profile/result.txt"

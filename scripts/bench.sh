#!/usr/bin/env bash
# make bench: end-to-end throughput of ONE release-built worker process with
# the servers on this machine, its peak resident memory, and the Redis bytes
# each remembered recordId costs. Uses private servers like make test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers bench 16380 15674 25674
export TALLY_BIN="$repo/.build/release"
RECORDS="${RECORDS:-50000}"
BENCH_WORKERS="${BENCH_WORKERS:-1}"

step() { printf '\n==> %s\n' "$*" >&2; }
cleanup() { step "stopping the bench servers"; "$here/down.sh" || true; }
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
WORKERS=0 "$here/up.sh" servers >/dev/null

step "broker-only baseline: $RECORDS records relayed (consume, publish with confirms, multiple-ack)"
"$TALLY_BIN/tally" bench --baseline --records 2000 >/dev/null
"$TALLY_BIN/tally" bench --baseline --records "$RECORDS" | tee "$TALLY_STATE_DIR/baseline.txt"

step "warm-up"
# The worker alone: an aggregator indexing the log would share the cores.
TALLY_AGGREGATOR=0 WORKERS="$BENCH_WORKERS" "$here/up.sh" workers >/dev/null
"$TALLY_BIN/tally" bench --records 2000 >/dev/null

redis() { redis-cli -p "$TALLY_REDIS_PORT" "$@"; }
before=$(redis info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
ids_before=$(redis --scan --pattern 'tally:ids:*' | while read -r k; do redis hlen "$k"; done | awk '{s+=$1} END {print s+0}')

cpu_seconds() {  # user + system CPU of the workers, in clock ticks
    local total=0 f
    for f in "$TALLY_STATE_DIR"/workers/worker-*.pid; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$(cat "$f")/stat")))
    done
    echo "$total"
}
step "$RECORDS records through $BENCH_WORKERS worker(s)"
cpu_before=$(cpu_seconds)
"$TALLY_BIN/tally" bench --records "$RECORDS" | tee "$TALLY_STATE_DIR/bench.txt"
cpu_after=$(cpu_seconds)
elapsed=$(awk '{for (i = 1; i < NF; i++) if ($i == "end-to-end:") print $(i + 1)}' "$TALLY_STATE_DIR/bench.txt")
ticks=$(getconf CLK_TCK)
echo "worker CPU: $(awk -v c=$((cpu_after - cpu_before)) -v t="$ticks" -v e="$elapsed" -v n="$RECORDS" 'BEGIN {printf "%.2f s, %.0f%% of one core, %.1f µs per record", c / t, 100 * c / t / e, 1e6 * c / t / n}')"

base_rate=$(awk '{for (i = 1; i < NF; i++) if ($i == "throughput:") print $(i + 1)}' "$TALLY_STATE_DIR/baseline.txt")
tally_rate=$(awk '{for (i = 1; i < NF; i++) if ($i == "throughput:") print $(i + 1)}' "$TALLY_STATE_DIR/bench.txt")
echo "ratio to the broker-only baseline of this run: $(awk -v t="$tally_rate" -v b="$base_rate" 'BEGIN {printf "%.2f", t / b}') ($tally_rate / $base_rate records/s)"

step "memory"
for f in "$TALLY_STATE_DIR"/workers/worker-*.pid; do
    pid=$(cat "$f")
    echo "worker $pid peak resident set: $(awk '/VmHWM/{print $2, $3}' "/proc/$pid/status")"
done
# Bytes per remembered recordId: the dedup hashes alone (the summaries and
# the log are per-record costs of their own, reported separately).
ids_after=$(redis --scan --pattern 'tally:ids:*' | while read -r k; do redis hlen "$k"; done | awk '{s+=$1} END {print s+0}')
ids_bytes=$(redis --scan --pattern 'tally:ids:*' | while read -r k; do redis memory usage "$k" samples 0; done | awk '{s+=$1} END {print s+0}')
after=$(redis info memory | awk -F: '/^used_memory:/{print $2}' | tr -d '\r')
log_bytes=$(redis memory usage tally:log samples 0)
log_len=$(redis xlen tally:log)
echo "remembered recordIds: $ids_after ($((ids_after - ids_before)) new); dedup hashes: $ids_bytes bytes = $((ids_bytes / ids_after)) bytes per recordId"
echo "log stream: $log_len entries, $log_bytes bytes = $((log_bytes / log_len)) bytes per entry"
echo "Redis used_memory grew by $((after - before)) bytes for $RECORDS records = $(((after - before) / RECORDS)) bytes per record in all"

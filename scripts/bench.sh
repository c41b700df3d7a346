#!/usr/bin/env bash
# make bench: the benchmark suite, run with tally-loadtest against
# private bench servers, release-built worker(s) and an aggregator that this
# script starts and stops. Every run is verified (lost or doubled effects
# fail it) and reported as JSON + HTML under .state/bench/reports/, and the
# figures are collected in .state/bench/reports/results.md.
#
#   (1) the expected load, 100,000 records/hour for SEED_SECONDS (60): latency
#   (2) maximum throughput with 1 and 2 workers, RECORDS (200,000) each, with
#       the broker-only baseline measured in the same run (ratio)
#   (3) duplicate-heavy input (DUPLICATES=0.5), 1 worker: ratio to (2)
#   (4) a BACKLOG-record (1,000,000) backlog published first, then drained
#
# Smaller runs: RECORDS=20000 BACKLOG=50000 SEED_SECONDS=10 make bench.
# SCENARIOS="1 2" runs a subset. Ports: TALLY_BENCH_* (scripts/private-servers.sh),
# TALLY_BENCH_HTTP_PORT (aggregator), TALLY_BENCH_METRICS_PORT_BASE (workers).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers bench 16380 15674 25674
export TALLY_BIN="$repo/.build/release"
export TALLY_HTTP_PORT="${TALLY_BENCH_HTTP_PORT:-$((TALLY_REDIS_PORT + 2000))}"
export TALLY_ADMIN_PORT="${TALLY_BENCH_ADMIN_PORT:-$((TALLY_REDIS_PORT + 2001))}"
export TALLY_METRICS_PORT_BASE="${TALLY_BENCH_METRICS_PORT_BASE:-$((TALLY_REDIS_PORT + 1000))}"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"  # wait_for, die_with_log
RECORDS="${RECORDS:-200000}"
BACKLOG="${BACKLOG:-1000000}"
SEED_SECONDS="${SEED_SECONDS:-60}"
DUPLICATES="${DUPLICATES:-0.5}"
SCENARIOS="${SCENARIOS:-1 2 3 4}"
reports="$TALLY_STATE_DIR/reports"
loadtest=("$TALLY_BIN/tally-loadtest" --report-dir "$reports" --aggregator "http://127.0.0.1:$TALLY_HTTP_PORT")

step() { printf '\n==> %s\n' "$*" >&2; }
cleanup() { step "stopping the bench servers"; "$here/down.sh" || true; }
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
WORKERS=0 "$here/up.sh" servers >/dev/null

# Stops the workers this script started (by their pid files), not the aggregator.
stop_workers() {
    local f pid
    for f in "$TALLY_STATE_DIR"/workers/worker-*.pid; do
        [[ -e "$f" ]] || continue
        pid=$(cat "$f")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$f"
    done
}
# Starts n workers (and the aggregator, if missing) and waits until each says /ready.
workers() {
    local n
    stop_workers
    WORKERS="$1" "$here/up.sh" workers >/dev/null
    for n in $(seq 1 "$1"); do
        wait_for 60 "worker $n to be ready" "" curl -sf "http://127.0.0.1:$((TALLY_METRICS_PORT_BASE + n - 1))/ready" ||
            die_with_log "worker $n did not become ready" "$LOG_DIR/worker-$n.log"
    done
}
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }

step "warm-up: aggregator + 1 worker, 2,000 records"
workers 1
"${loadtest[@]}" --records 2000 --name 0-warm-up --quiet >/dev/null

if wanted 1; then
    step "(1) the expected load: 100,000 records/hour for $SEED_SECONDS s, 1 worker"
    "${loadtest[@]}" --rate 100000/h --seconds "$SEED_SECONDS" --name 1-seed-load
fi
if wanted 2; then
    step "(2a) maximum throughput, 1 worker, $RECORDS records, after the same-run baseline (1 relay)"
    workers 1
    "${loadtest[@]}" --records "$RECORDS" --baseline-records "$RECORDS" --relays 1 --name 2a-max-1-worker
    step "(2b) maximum throughput, 2 workers, $RECORDS records, after the same-run baseline (2 relays)"
    workers 2
    "${loadtest[@]}" --records "$RECORDS" --baseline-records "$RECORDS" --relays 2 --name 2b-max-2-workers
fi
if wanted 3; then
    step "(3) duplicate-heavy input: $RECORDS messages, $DUPLICATES producer duplicates, 1 worker"
    workers 1
    reference=()
    [[ -f "$reports/2a-max-1-worker.json" ]] && reference=(--reference "$reports/2a-max-1-worker.json")
    "${loadtest[@]}" --records "$RECORDS" --duplicates "$DUPLICATES" --baseline-records "$RECORDS" "${reference[@]}" --name 3-duplicates
fi
if wanted 4; then
    step "(4) backlog: $BACKLOG records published with no worker running, then drained by 1 worker"
    stop_workers
    "${loadtest[@]}" --records "$BACKLOG" --backlog --after-publish "WORKERS=1 '$here/up.sh' workers >/dev/null" \
        --state-dir "$TALLY_STATE_DIR" --timeout 3600 --aggregator-timeout 1200 --name 4-backlog
fi

step "results ($reports/results.md)"
{
    echo "Command: \`RECORDS=$RECORDS BACKLOG=$BACKLOG SEED_SECONDS=$SEED_SECONDS make bench\`; $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -n), $(nproc) cores, $(awk '{print $1, $2, $3}' /proc/loadavg) load average at the end"
    echo
    "$TALLY_BIN/tally-loadtest" --summarize "$reports"
} | tee "$reports/results.md"
{
    echo '<!doctype html><meta charset="utf-8"><title>tally benchmarks</title><h1>tally benchmarks</h1><ul>'
    for f in "$reports"/*.html; do
        [[ "$(basename "$f")" == index.html ]] || echo "<li><a href=\"$(basename "$f")\">$(basename "$f" .html)</a></li>"
    done
    echo '</ul>'
} >"$reports/index.html"
echo "HTML reports: $reports/index.html" >&2

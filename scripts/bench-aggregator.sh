#!/usr/bin/env bash
# make bench-aggregator: the aggregator's figures (BENCHMARKS.md, "Aggregator") on private servers.
#
#   1. release build of tally-aggregator
#   2. a private Redis ($TALLY_STATE_DIR, default .state/bench-aggregator)
#   3. RECORDS (default 1,000,000) log entries written with redis-cli --pipe
#      (scripts/bench-aggregator-load.py: the worker's canonical JSON)
#   4. a fresh aggregator indexes them: ingest rate, peak RSS
#   5. query latencies (curl, each RUNS times, median and worst), RSS after
#
# Environment: RECORDS, RUNS (default 7), TALLY_BENCH_REDIS_PORT (16392),
# TALLY_BENCH_HTTP_PORT (18484), TALLY_STATE_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
export TALLY_STATE_DIR="${TALLY_STATE_DIR:-$repo/.state/bench-aggregator}"
export TALLY_REDIS_PORT="${TALLY_BENCH_REDIS_PORT:-16392}"
export TALLY_BIN="$repo/.build/release"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
records="${RECORDS:-1000000}"
runs="${RUNS:-7}"
port="${TALLY_BENCH_HTTP_PORT:-18484}"
export TALLY_HTTP_PORT="$port" TALLY_ADMIN_PORT="${TALLY_BENCH_ADMIN_PORT:-18494}"
prefix="bench"
work="$TALLY_STATE_DIR/aggregator"

log "release build"
(cd "$repo" && swift build -c release --product tally-aggregator >&2)

agg_pid=""
cleanup() {
    [[ -n "$agg_pid" ]] && kill "$agg_pid" 2>/dev/null && wait "$agg_pid" 2>/dev/null
    "$here/down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
TALLY_SKIP_DEPS=1 "$here/up.sh" redis >&2
mkdir -p "$work"
redis() { redis-cli -h 127.0.0.1 -p "$TALLY_REDIS_PORT" "$@"; }

log "writing $records records into the log (PER_ENTRY=${PER_ENTRY:-500} per entry)"
t0=$(now_ns)
python3 "$here/bench-aggregator-load.py" "$prefix" "$records" | redis --pipe >&2
log "loaded in $(elapsed "$t0") s; XLEN $(redis XLEN "$prefix:log")"

metric() { admin_curl /metrics | awk -v m="$1" '$1 == m { printf "%d\n", $2 }'; }
rss_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$agg_pid/status"; }

log "indexing with a fresh aggregator"
t0=$(now_ns)
api_token_ensure
TALLY_HTTP_TOKEN_FILE="$TALLY_API_TOKEN_FILE" TALLY_REDIS_KEY_PREFIX="$prefix" TALLY_INDEX_PATH="$work/index.sqlite" \
    TALLY_STREAM_TRIM_INTERVAL_SECONDS=0 "$TALLY_BIN/tally-aggregator" >"$work/aggregator.log" 2>&1 &
agg_pid=$!
indexed() { [[ "$(metric tally_aggregator_ingested_records_total 2>/dev/null || echo 0)" -ge "$records" ]]; }
wait_for 3600 "$records records indexed" "$agg_pid" indexed || die_with_log "indexing failed" "$work/aggregator.log"
ingest_s=$(elapsed "$t0")
ingest_rate=$(awk -v n="$records" -v s="$ingest_s" 'BEGIN { printf "%d", n / s }')
ingest_hwm=$(rss_kib VmHWM)
log "indexed in $ingest_s s ($ingest_rate records/s), peak RSS $((ingest_hwm / 1024)) MiB, index $(du -sh "$work" | cut -f1)"

# time_query NAME URL: RUNS timings (ms), prints "NAME median worst"
time_query() {
    local name=$1 url=$2 times=()
    api_curl "$url" -o /dev/null  # warm
    for ((i = 0; i < runs; i++)); do
        times+=("$(api_curl "$url" -o /dev/null -w '%{time_total}')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '
        { t[NR] = $1 * 1000 } END { printf "%-44s median %7.1f ms   worst %7.1f ms\n", name, t[int((NR + 1) / 2)], t[NR] }'
}

day_start="2026-02-10T00:00:00Z"
day_end="2026-02-11T00:00:00Z"
# The records of a totalsOnly query: the groups' counts over every page.
count_records() {
    local query=$1 cursor="" total=0 page
    while :; do
        page=$(api_curl "/v1/aggregations?totalsOnly=true&limit=1000$query${cursor:+&cursor=$cursor}")
        total=$((total + $(printf '%s' "$page" | python3 -c 'import json,sys; print(sum(g["count"] for g in json.load(sys.stdin)["groups"]))')))
        cursor=$(printf '%s' "$page" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("nextCursor",""))')
        [ -n "$cursor" ] || break
    done
    echo "$total"
}
day_count=$(count_records "&start=$day_start&end=$day_end")
all_count=$(count_records "")
cursor=$(api_curl "/v1/aggregations?limit=1000" | python3 -c 'import json,sys; print(json.load(sys.stdin)["nextCursor"])')
for ((i = 0; i < 200; i++)); do  # 200 pages in: a page in the middle of the data
    cursor=$(api_curl "/v1/aggregations?limit=1000&cursor=$cursor" | python3 -c 'import json,sys; print(json.load(sys.stdin)["nextCursor"])')
done

{
    echo "records indexed: $all_count (index $(du -sh "$work" | cut -f1)); one-day window: $day_count records"
    echo "ingest from the log: $ingest_rate records/s ($records in $ingest_s s), peak RSS while indexing $((ingest_hwm / 1024)) MiB"
    time_query "totals only, first 1,000 groups" "/v1/aggregations?totalsOnly=true&limit=1000"
    time_query "first page of 1,000 records (with totals)" "/v1/aggregations?limit=1000"
    time_query "page 202 of 1,000 records (with totals)" "/v1/aggregations?limit=1000&cursor=$cursor"
    time_query "one-day window, totals only (1,000 groups)" "/v1/aggregations?totalsOnly=true&limit=1000&start=$day_start&end=$day_end"
    time_query "one-day window, page of 1,000 with totals" "/v1/aggregations?limit=1000&start=$day_start&end=$day_end"
    time_query "one destination, totals only" "/v1/aggregations?totalsOnly=true&destinationId=acct-0042"
    echo "RSS after the queries: $(($(rss_kib VmRSS) / 1024)) MiB, peak $(($(rss_kib VmHWM) / 1024)) MiB"
} | tee "$TALLY_STATE_DIR/results.txt"

#!/usr/bin/env bash
# make bench-readings: meter readings at scale (BENCHMARKS.md, "Readings").
#
#   1. release build of tally, tally-worker, tally-aggregator
#   2. private bench servers (TALLY_BENCH_* ports, .state/bench-readings)
#   3. N readings (default 10,000,000: 14 days x 48 x N/672 ICPs) and one
#      matching run over 2 days (for every ICP, or MATCHES rows), its rows
#      stamped over MATCH_SPAN seconds as the algorithm writes them,
#      generated as CSV files
#   4. phase by phase, so each figure is one stage's own:
#      import (tally import readings + matches, workers stopped: the rate a
#      producer reaches with confirms), fleet drain (WORKERS workers empty
#      the queue), aggregator ingest (a fresh aggregator indexes the log)
#   5. the run is whole: every page of the output by key (/v1/matches) read,
#      each row of the one run, MATCHES rows in all (timed)
#   6. latency of the readings and matches views (RUNS times each, median
#      and worst) at that size
#
# Environment: READINGS (default 10000000), MATCHES (default: 96 per ICP),
# MATCH_SPAN (seconds, default 120), WORKERS (default 2), RUNS (7),
# TALLY_SKIP_BUILD=1 (use the existing release binaries),
# TALLY_BENCH_REDIS_PORT, TALLY_BENCH_AMQP_PORT, TALLY_BENCH_DIST_PORT,
# TALLY_BENCH_HTTP_PORT (18485).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"
# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
TALLY_BENCH_STATE_DIR="${TALLY_BENCH_STATE_DIR:-$repo/.state/bench-readings}"
private_servers bench 16380 15674 25674
export TALLY_BIN="$repo/.build/release"
export TALLY_METRICS_PORT_BASE="${TALLY_BENCH_METRICS_PORT_BASE:-19641}"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
readings="${READINGS:-10000000}"
match_rows="${MATCHES:-}"
span="${MATCH_SPAN:-120}"
workers="${WORKERS:-2}"
runs="${RUNS:-7}"
port="${TALLY_BENCH_HTTP_PORT:-18485}"
export TALLY_HTTP_PORT="$port" TALLY_ADMIN_PORT="${TALLY_BENCH_ADMIN_PORT:-18495}"
data="$TALLY_STATE_DIR/data"

if [[ "${TALLY_SKIP_BUILD:-0}" != 1 ]]; then  # TALLY_SKIP_BUILD=1: use the release binaries as they are
    log "release build"
    swift build -c release --product tally >&2
    swift build -c release --product tally-worker >&2
    swift build -c release --product tally-aggregator >&2
fi

cleanup() { log "stopping the bench fleet"; "$here/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
mkdir -p "$data"
WORKERS=0 TALLY_SKIP_DEPS=1 "$here/up.sh" servers >&2
"$TALLY_BIN/tally" declare >/dev/null

log "generating $readings readings"
t0=$(now_ns)
read -r icps match_icps < <(python3 "$here/bench-readings-generate.py" "$data/readings.csv" "$data/matches.csv" "$readings" 14 2 "$match_rows" "$span")
matches=$(($(wc -l <"$data/matches.csv") - 1))
log "generated in $(elapsed "$t0") s: $icps ICPs, $(du -h "$data/readings.csv" | cut -f1) of readings, $matches matches ($match_icps ICPs, stamped over $span s)"

redis() { redis-cli -h 127.0.0.1 -p "$TALLY_REDIS_PORT" "$@"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }'; }

log "import: readings (no workers running)"
t0=$(now_ns)
"$TALLY_BIN/tally" import readings "$data/readings.csv" --rejects "$data/readings.rejects.csv" >"$data/import-readings.txt"
import_s=$(elapsed "$t0")
cat "$data/import-readings.txt" >&2
t0=$(now_ns)
"$TALLY_BIN/tally" import matches "$data/matches.csv" --rejects "$data/matches.rejects.csv" >"$data/import-matches.txt"
import_matches_s=$(elapsed "$t0")
cat "$data/import-matches.txt" >&2
total=$((readings + matches))

log "fleet drain: $workers workers, $total records queued"
t0=$(now_ns)
TALLY_AGGREGATOR=0 WORKERS="$workers" TALLY_SKIP_DEPS=1 "$here/up.sh" workers >&2
# Records in the log, counted from the last entry seen on: an entry is one
# record (`record`) or, with a batched log, one worker batch (`records`,
# newline-joined).
log_records=0 log_last=-
count_log_records() {
    local reply
    mapfile -t reply < <(redis --raw EVAL "
        local n, last = 0, ARGV[1]
        while true do
          local page = redis.call('XRANGE', KEYS[1], last == '-' and '-' or '(' .. last, '+', 'COUNT', 1000)
          if #page == 0 then break end
          for _, entry in ipairs(page) do
            local fields = entry[2]
            for i = 1, #fields, 2 do
              if fields[i] == 'record' then n = n + 1
              elseif fields[i] == 'records' then n = n + select(2, string.gsub(fields[i + 1], '\\n', '')) + 1 end
            end
            last = entry[1]
          end
        end
        return {n, last}" 1 tally:log "$log_last")
    [[ ${#reply[@]} -eq 2 ]] || return 1
    log_records=$((log_records + reply[0])) log_last=${reply[1]}
}
applied() { count_log_records && [[ "$log_records" -ge "$total" ]]; }
wait_for 14400 "$total records applied" "" applied || die "the fleet did not apply $total records"
drain_s=$(elapsed "$t0")
WORKERS=0 TALLY_SKIP_DEPS=1 "$here/up.sh" workers >/dev/null 2>&1 || true

log "aggregator ingest: a fresh aggregator indexes $total log entries"
metric() { admin_curl /metrics | awk -v m="$1" '$1 == m { printf "%d\n", $2 }'; }
t0=$(now_ns)
TALLY_INDEX_PATH="$TALLY_STATE_DIR/aggregator/index.sqlite" TALLY_STREAM_TRIM_INTERVAL_SECONDS=0 \
    TALLY_AGGREGATOR=1 WORKERS=0 TALLY_SKIP_DEPS=1 "$here/up.sh" workers >&2
indexed() { [[ "$(metric tally_aggregator_ingested_records_total 2>/dev/null || echo 0)" -ge "$total" ]]; }
wait_for 14400 "$total records indexed" "" indexed || die_with_log "indexing failed" "$AGG_LOG"
ingest_s=$(elapsed "$t0")
ready() { admin_curl /ready; }
wait_for 600 "the aggregator to be ready" "" ready || die_with_log "the aggregator did not become ready" "$AGG_LOG"

# time_query NAME URL: RUNS timings (ms), prints "NAME median worst"
time_query() {
    local name=$1 url=$2 times=()
    api_curl "$url" -o /dev/null  # warm
    for ((i = 0; i < runs; i++)); do
        times+=("$(api_curl "$url" -o /dev/null -w '%{time_total}')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '
        { t[NR] = $1 * 1000 } END { printf "%-58s median %8.1f ms   worst %8.1f ms\n", name, t[int((NR + 1) / 2)], t[NR] }'
}
icp=$((1000000 + icps / 2))
check=$(api_curl "/v1/readings/$icp?from=2018-06-01&to=2018-06-14" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[[ "$check" == 672 ]] || die "the readings view returned $check readings for ICP $icp, expected 672"

# The run is whole: the import names it once, and the output by key holds
# every one of its rows under that one name, on ICP after ICP, page after page.
run=$(awk '/^run /{sub(/^run /, ""); sub(/: every row.*/, ""); print; exit}' "$data/import-matches.txt")
[[ -n "$run" ]] || die "tally import matches named no run"
micp=$((1000000 + match_icps / 2))  # an ICP with the run's full 2 days
runs_of_icp=$(api_curl "/v1/matches/$micp/runs" | python3 -c 'import json,sys; print(" ".join("%s=%d" % (r["run"], r["count"]) for r in json.load(sys.stdin)["runs"]))')
[[ "$runs_of_icp" == "$run=96" ]] || die "ICP $micp has runs $runs_of_icp, expected $run=96"
log "reading the latest run by key: every page of /v1/matches?from=2018-06-01&to=2018-06-02&limit=1000"
t0=$(now_ns)
whole=$(API_URL="http://127.0.0.1:$TALLY_HTTP_PORT" API_TOKEN="${TALLY_API_TOKEN:-$(head -n1 "$TALLY_API_TOKEN_FILE")}" python3 - <<'PY'
import json, os, urllib.parse, urllib.request
rows, pages, runs, cursor = 0, 0, set(), None
while True:
    url = os.environ["API_URL"] + "/v1/matches?from=2018-06-01&to=2018-06-02&limit=1000"
    if cursor:
        url += "&cursor=" + urllib.parse.quote(cursor)
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + os.environ["API_TOKEN"]})
    page = json.load(urllib.request.urlopen(request, timeout=120))
    pages += 1
    for item in page["icps"]:
        runs.add(item["run"])
        rows += len(item["rows"])
    cursor = page.get("nextCursor")
    if not cursor:
        break
print(rows, pages, " ".join(sorted(runs)))
PY
)
whole_s=$(elapsed "$t0")
read -r whole_rows whole_pages whole_runs <<<"$whole"
[[ "$whole_rows" == "$matches" && "$whole_runs" == "$run" ]] ||
    die "the latest run by key holds $whole_rows rows of runs '$whole_runs'; expected $matches rows of run $run"
log "the run $run is whole: $whole_rows rows in $whole_pages pages ($whole_s s)"

{
    echo "readings: $readings ($icps ICPs x 14 days x 48), matches: $matches (one run, $match_icps ICPs x 2 days, stamped over $span s); workers: $workers; $(nproc) cores, shared"
    echo "import readings (publish with confirms, no consumer): $(rate "$readings" "$import_s") rows/s ($readings in $import_s s)"
    echo "import matches: $(rate "$matches" "$import_matches_s") rows/s ($matches in $import_matches_s s)"
    echo "fleet drain ($workers workers, queue to Redis): $(rate "$total" "$drain_s") records/s ($total in $drain_s s)"
    echo "aggregator ingest (log to index): $(rate "$total" "$ingest_s") records/s ($total in $ingest_s s), index $(du -sh "$TALLY_STATE_DIR/aggregator" | cut -f1)"
    echo "the latest run ($run) by key, every page (limit=1000): $whole_rows of $matches rows, one run, $whole_pages pages in $whole_s s"
    time_query "readings of one ICP, 14 days (672 rows)" "/v1/readings/$icp?from=2018-06-01&to=2018-06-14"
    time_query "readings of one ICP, one day" "/v1/readings/$icp?from=2018-06-05"
    time_query "matches runs of one ICP" "/v1/matches/$icp/runs"
    time_query "matches totals of one ICP, 2 days, buyer, latest run" "/v1/matches/$icp/totals?from=2018-06-01&to=2018-06-02&side=buyer"
    time_query "matches per day of one ICP (paged)" "/v1/matches/$icp"
    time_query "matches by key, one day, first page of 100 ICPs" "/v1/matches?from=2018-06-01"
    time_query "matches by key, one day, page of 1,000 ICPs" "/v1/matches?from=2018-06-01&limit=1000"
    echo "Redis used_memory: $(redis info memory | awk -F: '/^used_memory_human:/{print $2}' | tr -d '\r')"
} | tee "$TALLY_STATE_DIR/results.txt"

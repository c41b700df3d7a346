#!/usr/bin/env bash
# make bench-transactions: a transactions file end to end, as its users meet
# it (BENCHMARKS.md, "Transactions files"):
#
#   1. ROWS rows (default 500,000) over ACCOUNTS accounts (default 1,000),
#      dated inside the fleet's dedup window, written by
#      `tally generate transactions` (timed);
#   2. private bench servers, WORKERS release workers (default 2) and an
#      aggregator;
#   3. `tally import transactions FILE --aggregator …`: the import with
#      confirms, then the wait until the aggregator has indexed every row,
#      then one report per account published to the reports exchange — the
#      whole command timed, its phases from its output;
#   4. checks: every account's report on a queue bound to the reports
#      exchange, and the reports' transaction counts adding up to ROWS.
#
# Environment: ROWS, ACCOUNTS, WORKERS, TALLY_SKIP_BUILD=1 (use the release
# binaries as they are), TALLY_BENCH_* ports (scripts/private-servers.sh),
# TALLY_BENCH_HTTP_PORT (18585).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"
# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
TALLY_BENCH_STATE_DIR="${TALLY_BENCH_STATE_DIR:-$repo/.state/bench-transactions}"
private_servers bench 16380 15674 25674
export TALLY_BIN="$repo/.build/release"
export TALLY_METRICS_PORT_BASE="${TALLY_BENCH_METRICS_PORT_BASE:-19741}"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
rows="${ROWS:-500000}"
accounts="${ACCOUNTS:-1000}"
workers="${WORKERS:-2}"
port="${TALLY_BENCH_HTTP_PORT:-18585}"
export TALLY_HTTP_PORT="$port" TALLY_ADMIN_PORT="${TALLY_BENCH_ADMIN_PORT:-18595}"
data="$TALLY_STATE_DIR/data"

if [[ "${TALLY_SKIP_BUILD:-0}" != 1 ]]; then
    log "release build"
    for product in tally tally-worker tally-aggregator; do swift build -c release --product "$product" >&2; done
fi

cleanup() { log "stopping the bench fleet"; "$here/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
mkdir -p "$data"
WORKERS="$workers" TALLY_SKIP_DEPS=1 "$here/up.sh" all >&2
tally="$TALLY_BIN/tally"
"$tally" tap reports tally.bench.reports --purge >/dev/null

seconds() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

log "generating $rows rows over $accounts accounts"
t0=$(seconds)
"$tally" generate transactions --rows "$rows" --accounts "$accounts" --first-date "$(date -u -d '3 days ago' +%F)" --days 3 \
    --output "$data/transactions.csv" >&2
t1=$(seconds)
log "importing, waiting for the index, publishing the reports"
"$tally" import transactions "$data/transactions.csv" --aggregator "http://127.0.0.1:$port" --report-timeout 3600 \
    >"$data/import.out" 2>"$data/import.err" || { tail -5 "$data/import.err" >&2; die "the import failed ($data/import.err)"; }
t2=$(seconds)
cat "$data/import.out" >&2

log "checking the reports"
"$tally" drain tally.bench.reports --expect "$accounts" --timeout 120 >"$data/reports.ndjson"
covered=$(python3 - "$data/reports.ndjson" <<'PY'
import json, sys
total = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        total += json.loads(line)["report"]["transactionCount"]
print(total)
PY
)
[[ "$covered" == "$rows" ]] || die "the reports cover $covered transactions, not $rows"

generate=$(elapsed "$t0" "$t1")
whole=$(elapsed "$t1" "$t2")
cat <<TABLE

Command: \`ROWS=$rows ACCOUNTS=$accounts WORKERS=$workers make bench-transactions\`; $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, load average $(awk '{print $1, $2, $3}' /proc/loadavg) at the end

| stage | figure |
|---|---|
| \`tally generate transactions\`, $rows rows | $generate s |
| \`tally import transactions --aggregator\`: import with confirms, wait until indexed, $accounts reports published | $whole s ($(python3 -c "print(f'{$rows / $whole:,.0f}')") rows/s end to end) |
| reports received on the reports exchange | $accounts, covering $covered transactions |
TABLE

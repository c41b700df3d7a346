#!/usr/bin/env bash
# make run: the fleet on this machine with sample data, and what came out.
# Expects `make up` to have run (the Makefile does it first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"
tally="${TALLY_BIN:-$repo/.build/debug}/tally"
sample="${SAMPLE:-samples/records.ndjson}"
resend="${RESEND:-samples/resend.ndjson}"

# Each run gets its own recordIds and destinations, so running the demo again
# shows fresh results instead of duplicates of the last run.
run="demo$(date +%s)"
demo_dir="${TALLY_STATE_DIR:-$repo/.state}/demo"
mkdir -p "$demo_dir"
suffix() { sed -E "s/\"(recordId|destinationId)\":\"([^\"]*)\"/\"\1\":\"\2.$run\"/g" "$1"; }
suffix "$sample" >"$demo_dir/records.ndjson"
suffix "$resend" >"$demo_dir/resend.ndjson"
dead_before=$("$tally" dead count)

heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

heading "Binding demo queues to the output exchanges (as downstream services do)"
"$tally" tap notifications tally.demo.notifications --purge
"$tally" tap alerts tally.demo.alerts --purge

heading "Publishing $sample with publisher confirms (ids suffixed .$run)"
echo "7 valid records (one above the 10000 alert threshold) and 3 invalid lines"
"$tally" publish "$demo_dir/records.ndjson"

heading "Notifications (one per processed record; 'previous' = earlier records of the same destination and reference)"
"$tally" drain tally.demo.notifications --expect 7 --timeout 60

heading "Alerts (value strictly above the threshold)"
"$tally" drain tally.demo.alerts --expect 1 --timeout 30

heading "A producer re-sends: $resend"
echo "r-1 again (value written 12.5 instead of 12.50: same meaning), r-3 byte for byte, r-2 with another value"
"$tally" publish "$demo_dir/resend.ndjson"

heading "Dead letters, with the reason each was refused (the 3 invalid lines and the r-2 conflict)"
"$tally" dead list --expect $((dead_before + 4)) --limit $((dead_before + 4))

heading "Notifications after the re-send (duplicates re-publish nothing)"
"$tally" drain tally.demo.notifications
echo "(none)"

heading "Live summaries in Redis"
"$tally" summary "acct-42.$run"
"$tally" summary "acct-7.$run"

aggregator_port="${TALLY_HTTP_PORT:-8080}"
if [[ -x "${TALLY_BIN:-$repo/.build/debug}/tally-aggregator" ]]; then
    heading "The aggregator's answer: GET /v1/aggregations?destinationId=acct-42.$run (from its own index of the log)"
    url="http://127.0.0.1:$aggregator_port/v1/aggregations?destinationId=acct-42.$run"
    indexed=""
    for _ in $(seq 1 150); do  # until the index has the 5 records, at most ~15 s
        if curl -fsS "$url&totalsOnly=true" 2>/dev/null | grep -q '"count":5'; then indexed=yes; break; fi
        sleep 0.1
    done
    if [[ -n "$indexed" ]]; then
        curl -fsS "$url&limit=3" | python3 -m json.tool
        echo "(3 records per page: the response's nextCursor fetches the next page; totals always cover all 5)"
    else
        echo "the aggregator on port $aggregator_port has not indexed the records yet (see .state/logs/aggregator.log)"
    fi
fi

cat <<'TEXT'

The fleet is still running (make status). Try:
  .build/debug/tally publish samples/records.ndjson   # again: duplicates only, nothing re-published
  .build/debug/tally-loadtest --records 20000         # load test: throughput, latency, verification
  curl 'localhost:8080/v1/aggregations?totalsOnly=true' # the aggregator (docs/contract.md, "HTTP API")
  make down                                           # stop everything make up started
TEXT

#!/usr/bin/env bash
# make run: the fleet on this machine with sample data, and what came out.
# Expects `make up` to have run (the Makefile does it first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
tally="$TALLY_BIN/tally"
sample="${SAMPLE:-samples/records.ndjson}"
resend="${RESEND:-samples/resend.ndjson}"

# Each run gets its own recordIds and destinations, so running the demo again
# shows fresh results instead of duplicates of the last run.
run="demo$(date +%s)"
demo_dir="${TALLY_STATE_DIR:-$repo/.state}/demo"
mkdir -p "$demo_dir"
# The samples are dated 2026-03-01; they are re-dated to yesterday, inside
# the workers' dedup window (records older than it are refused as
# outside-dedup-window, docs/contract.md).
yesterday=$(date -u -d yesterday +%F)
suffix() {
    sed -E -e "s/\"(recordId|destinationId)\":\"([^\"]*)\"/\"\1\":\"\2.$run\"/g" \
        -e "s/\"time\":\"2026-03-01T/\"time\":\"${yesterday}T/g" "$1"
}
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

if [[ -x "$TALLY_BIN/tally-aggregator" ]]; then
    heading "The aggregator's answer: GET /v1/aggregations?destinationId=acct-42.$run (from its own index of the log; token in $TALLY_API_TOKEN_FILE)"
    url="/v1/aggregations?destinationId=acct-42.$run"
    indexed=""
    for _ in $(seq 1 150); do  # until the index has the 5 records, at most ~15 s
        if api_curl "$url&totalsOnly=true" 2>/dev/null | grep -q '"count":5'; then indexed=yes; break; fi
        sleep 0.1
    done
    if [[ -n "$indexed" ]]; then
        api_curl "$url&limit=3" | python3 -m json.tool
        echo "(3 records per page: the response's nextCursor fetches the next page; totals always cover all 5)"
    else
        echo "the aggregator on port $TALLY_HTTP_PORT has not indexed the records yet (see .state/logs/aggregator.log)"
    fi
fi

cat <<'TEXT'

The fleet is still running (make status). Try:
  .build/debug/tally publish .state/demo/records.ndjson   # again: duplicates only, nothing re-published
  .build/debug/tally-loadtest --records 20000         # load test: throughput, latency, verification
  curl -H "Authorization: Bearer $(cat .state/api-token)" 'localhost:8080/v1/aggregations?totalsOnly=true'
                                                      # the aggregator's API (docs/contract.md, "HTTP API")
  curl localhost:8081/ready                           # its admin listener: /health /ready /metrics
  xdg-open http://localhost:8081/                     # the aggregator's operator page (or: curl it > page.html)
  make down                                           # stop everything make up started
TEXT

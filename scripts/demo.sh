#!/usr/bin/env bash
# make run: the fleet on this machine with sample data, and what came out.
# Expects `make up` to have run (the Makefile does it first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"
tally="${TALLY_BIN:-$repo/.build/debug}/tally"
sample="${SAMPLE:-samples/records.ndjson}"

heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

heading "Binding demo queues to the output exchanges (as downstream services do)"
"$tally" tap notifications tally.demo.notifications --purge
"$tally" tap alerts tally.demo.alerts --purge

heading "Publishing $sample with publisher confirms"
echo "7 valid records (one above the 10000 alert threshold), 2 producer duplicates, 1 conflict, 3 invalid lines"
"$tally" publish "$sample"

heading "Notifications (one per processed record; 'previous' = earlier records of the same destination and reference)"
"$tally" drain tally.demo.notifications --expect 7 --timeout 60

heading "Alerts (value strictly above the threshold)"
"$tally" drain tally.demo.alerts --expect 1 --timeout 30

heading "Dead letters, with the reason each was refused"
"$tally" dead list --limit 50

heading "Live summaries in Redis"
"$tally" summary acct-42
"$tally" summary acct-7

cat <<'TEXT'

The fleet is still running (make status). Try:
  .build/debug/tally publish samples/records.ndjson   # again: duplicates only, nothing re-published
  .build/debug/tally bench --records 20000            # end-to-end throughput
  make down                                           # stop everything make up started
TEXT

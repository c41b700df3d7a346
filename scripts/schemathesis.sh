#!/usr/bin/env bash
# Runs schemathesis (from PyPI, in a venv under .state/) against a real
# tally-aggregator built in $TALLY_BIN, on the Redis of $TALLY_REDIS_PORT,
# with a private key prefix, index and port, and a few records in its log.
# Fails on any finding. Settings for the checks: schemathesis.toml.
#
#   scripts/schemathesis.sh        (the servers must be up: scripts/up.sh servers)
#
# Environment: TALLY_BIN, TALLY_REDIS_PORT, TALLY_STATE_DIR (scripts/lib.sh),
# TALLY_SCHEMATHESIS_PORT (default 18181), SCHEMATHESIS_MAX_EXAMPLES (default 100).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

venv="$repo/.state/schemathesis-venv"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    log "schemathesis: installing into $venv (PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi

port="${TALLY_SCHEMATHESIS_PORT:-18181}"
export TALLY_HTTP_PORT="$port" TALLY_ADMIN_PORT="${TALLY_SCHEMATHESIS_ADMIN_PORT:-$((port + 1))}"
prefix="schemathesis-$$"
work="$TALLY_STATE_DIR/schemathesis"
rm -rf "$work"
mkdir -p "$work"

redis() { redis-cli -h 127.0.0.1 -p "$TALLY_REDIS_PORT" "$@"; }
for i in 1 2 3 4 5 6; do
    redis XADD "$prefix:log" '*' record \
        "{\"recordId\":\"st-$i\",\"time\":\"2026-03-0${i}T12:00:00Z\",\"sourceId\":\"billing\",\"destinationId\":\"acct-$((i % 2))\",\"type\":\"$([[ $((i % 3)) == 0 ]] && echo negative || echo positive)\",\"value\":\"1$i.5\",\"unit\":\"EUR\",\"reference\":\"inv-$i\"}" >/dev/null
done
# A reading and a match (meter readings, algorithm runs), so the readings views answer with data.
redis XADD "$prefix:log" '*' record \
    '{"recordId":"rd:33:2018-06-13T12:30:00Z:X","time":"2018-06-14T00:30:00+12:00","sourceId":"readings","destinationId":"icp:33","type":"positive","value":"1.343","unit":"kWh","reference":"2018-06-14"}' >/dev/null
redis XADD "$prefix:log" '*' record \
    '{"recordId":"mt:2018-06-27T16:39:36+12:00:33:2018-06-14T00:30:00:buyer","time":"2018-06-14T00:30:00+12:00","sourceId":"matching","destinationId":"icp:33","type":"positive","value":"0.0040","unit":"kWh","reference":"2018-06-27T16:39:36+12:00|buyer|2018-06-14"}' >/dev/null

# Account 42 of the transactions adapter, so the account report routes
# answer 200 for the example account and 404 for the others.
for i in 1 2 3; do
    redis XADD "$prefix:log" '*' record \
        "{\"recordId\":\"txn:42:$i\",\"time\":\"2026-07-1${i}T00:00:00Z\",\"sourceId\":\"transactions\",\"destinationId\":\"account:42\",\"type\":\"$([[ $i == 2 ]] && echo negative || echo positive)\",\"value\":\"1$i.25\",\"unit\":\"USD\",\"reference\":\"2026-07\"}" >/dev/null
done

# A vendor user, so the vendor views (whose userId example is 074092) answer 200 too.
redis XADD "$prefix:log" '*' record \
    '{"recordId":"vendor:st-1","time":"2026-03-01T12:00:00Z","sourceId":"vendor","destinationId":"user:074092","type":"positive","value":"150","unit":"USD","reference":"earned"}' >/dev/null
# … with a payout request, so the payouts lists (/aggregatedData/payouts) have an entry.
redis XADD "$prefix:log" '*' record \
    '{"recordId":"vendor:st-2","time":"2026-03-02T12:00:00Z","sourceId":"vendor","destinationId":"user:074092","type":"negative","value":"30","unit":"USD","reference":"payout"}' >/dev/null

api_token_ensure
TALLY_HTTP_TOKEN_FILE="$TALLY_API_TOKEN_FILE" TALLY_REDIS_KEY_PREFIX="$prefix" TALLY_INDEX_PATH="$work/index.sqlite" \
    "$TALLY_BIN/tally-aggregator" >"$work/aggregator.log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    redis DEL "$prefix:log" >/dev/null || true
}
trap cleanup EXIT

ready() { admin_curl /ready >/dev/null 2>&1; }
wait_for 30 "the aggregator on port $port to be ready" "$pid" ready ||
    die_with_log "the aggregator did not become ready" "$work/aggregator.log"

cd "$repo"  # schemathesis.toml
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" \
    --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer $(head -n1 "$TALLY_API_TOKEN_FILE")" \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --seed 1 \
    --no-color

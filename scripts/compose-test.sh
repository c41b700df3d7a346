#!/usr/bin/env bash
# make compose-test: deploy/compose.yaml brought up with podman-compose, as an
# operator would, and checked from outside the containers:
#
#   1. the project's image (make image, if tally:<version> is missing) and
#      RabbitMQ / Redis images from Debian's packages (deploy/local/), since
#      no registry can be reached here;
#   2. podman-compose up of rabbitmq, redis, the workers and the aggregator
#      (compose.yaml + compose.local.yaml), on loopback ports of its own;
#   3. the sample records published from the host with confirms: the
#      notifications and the alert drained from queues bound to the output
#      exchanges, the invalid lines in the dead-letter queue, the live
#      summary from Redis, and the aggregator's totals over its HTTP API
#      (with the bearer token) equal to the samples';
#   4. everything torn down, volumes included (also on failure).
#
# Not part of make test (minutes); make test checks the build context in
# seconds (scripts/validate-deploy.sh).
#
#   KEEP=1 make compose-test     leave the project running for a look
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/TallyCore/Build/BuildInfo.swift)
image="tally:$version"
base=localhost/tally-base:bookworm
state="$repo/.state/compose-test"
mkdir -p "$state"

# Loopback ports of the test's own, so that a fleet of make up (5672, 6379,
# 8080, 8081) keeps running beside it.
export PUBLISH_AMQP_PORT="${PUBLISH_AMQP_PORT:-25682}"
export PUBLISH_REDIS_PORT="${PUBLISH_REDIS_PORT:-26399}"
export PUBLISH_ADMIN_PORT="${PUBLISH_ADMIN_PORT:-28081}"
export PUBLISH_API_PORT="${PUBLISH_API_PORT:-28080}"
export PUBLISH_RABBITMQ_UI_PORT="${PUBLISH_RABBITMQ_UI_PORT:-25692}"
for port in "$PUBLISH_AMQP_PORT" "$PUBLISH_REDIS_PORT" "$PUBLISH_ADMIN_PORT" "$PUBLISH_API_PORT" "$PUBLISH_RABBITMQ_UI_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is taken; set PUBLISH_*_PORT to free ones"
    fi
done

# Secrets of this run only, as an operator passes them to compose.
export TALLY_AMQP_USER=tally
TALLY_AMQP_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
TALLY_REDIS_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
TALLY_API_TOKEN=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export TALLY_AMQP_PASSWORD TALLY_REDIS_PASSWORD TALLY_API_TOKEN
# A small Redis on a laptop-sized machine.
export REDIS_MAXMEMORY=256mb

# --- tools ---------------------------------------------------------------
# shellcheck source=scripts/podman-settings.sh
source "$here/podman-settings.sh"
podman_ready
venv="$repo/.state/compose-venv"
if [[ ! -x "$venv/bin/podman-compose" ]]; then
    log "podman-compose: installing into $venv (PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'podman-compose>=1.6,<2'
fi
# --- images --------------------------------------------------------------
if ! podman image exists "$image"; then
    log "$image is missing: make image"
    "$here/image.sh"
fi
for service in rabbitmq redis; do
    case $service in
        rabbitmq) local_image=localhost/tally-rabbitmq:3.10-debian ;;
        redis) local_image=localhost/tally-redis:7.0-debian ;;
    esac
    if [[ "${REBUILD_LOCAL:-0}" == 1 ]] || ! podman image exists "$local_image"; then
        log "$local_image from Debian's package (deploy/local/$service.Containerfile)"
        started=$SECONDS
        podman build "${podman_limits[@]}" --build-arg BASE_IMAGE="$base" \
            -f "deploy/local/$service.Containerfile" -t "$local_image" deploy/local >"$state/build-$service.log" 2>&1 \
            || { tail -20 "$state/build-$service.log" >&2; die "building $local_image failed ($state/build-$service.log)"; }
        log "$local_image: $((SECONDS - started)) s"
    fi
done

# --- up ------------------------------------------------------------------
compose=("$venv/bin/podman-compose" -f deploy/compose.yaml -f deploy/compose.local.yaml)
services=(rabbitmq redis worker aggregator)
down() {
    if [[ "${KEEP:-0}" == 1 ]]; then
        log "KEEP=1: still running; stop with: ${compose[*]} down -v"
        return
    fi
    log "down (volumes included)"
    "${compose[@]}" logs >"$state/compose.log" 2>&1 || true
    "${compose[@]}" down -v >"$state/down.log" 2>&1 || true
}
trap down EXIT
log "podman-compose up: ${services[*]} (logs: $state/)"
started=$SECONDS
"${compose[@]}" down -v >"$state/down.log" 2>&1 || true
"${compose[@]}" up -d "${services[@]}" >"$state/up.log" 2>&1 \
    || { tail -30 "$state/up.log" >&2; die "podman-compose up failed ($state/up.log)"; }

# --- checks from the host ------------------------------------------------
# The host's tally CLI against the containers' published ports.
tally="$repo/.build/debug/tally"
[[ -x "$tally" ]] || die "no $tally (make build)"
export TALLY_AMQP_HOST=127.0.0.1 TALLY_AMQP_PORT="$PUBLISH_AMQP_PORT"
export TALLY_REDIS_HOST=127.0.0.1 TALLY_REDIS_PORT="$PUBLISH_REDIS_PORT"

# wait_for WHAT SECONDS COMMAND…: until COMMAND succeeds, at most SECONDS.
wait_for() {
    local what=$1 deadline=$((SECONDS + $2))
    shift 2
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { "${compose[@]}" ps >&2 || true; die "$what: not within the limit"; }
        sleep 1
    done
    log "$what ($((SECONDS - started)) s after up)"
}
ready() { curl -fsS "http://127.0.0.1:$1/ready"; }
wait_for "the aggregator is ready" 180 ready "$PUBLISH_ADMIN_PORT"
worker_containers() {
    podman ps --filter label=io.podman.compose.project=tally --filter label=com.docker.compose.service=worker --format '{{.Names}}'
}
workers_ready() {
    local names
    names=$(worker_containers)
    (($(wc -w <<<"$names") == 3)) || return 1
    # Each worker's /ready from inside its container (9100 is not published).
    for name in $names; do
        podman exec "$name" bash -c "exec 3<>/dev/tcp/127.0.0.1/9100 && printf 'GET /ready HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 '" || return 1
    done
}
wait_for "3 workers are ready" 180 workers_ready

run="compose$(date +%s)"
yesterday=$(date -u -d yesterday +%F)
sed -E -e "s/\"(recordId|destinationId)\":\"([^\"]*)\"/\"\1\":\"\2.$run\"/g" \
    -e "s/\"time\":\"2026-03-01T/\"time\":\"${yesterday}T/g" samples/records.ndjson >"$state/records.ndjson"

"$tally" tap notifications tally.compose.notifications --purge >/dev/null
"$tally" tap alerts tally.compose.alerts --purge >/dev/null
dead_before=$("$tally" dead count)
log "publishing samples/records.ndjson (7 valid records, 3 invalid lines) to the broker in the container"
"$tally" publish "$state/records.ndjson" >"$state/publish.log"
"$tally" drain tally.compose.notifications --expect 7 --timeout 60 >"$state/notifications.ndjson" \
    || die "fewer than 7 notifications ($state/notifications.ndjson)"
log "7 notifications"
"$tally" drain tally.compose.alerts --expect 1 --timeout 30 >"$state/alerts.ndjson" \
    || die "no alert ($state/alerts.ndjson)"
log "1 alert"
dead_after=$("$tally" dead count)
((dead_after - dead_before == 3)) || die "dead letters went from $dead_before to $dead_after, not +3"
log "3 dead letters"
"$tally" summary "acct-42.$run" --format json >"$state/summary.json"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["overall"]["count"] != 5)' "$state/summary.json" || die "the live summary of acct-42.$run has not 5 records ($state/summary.json)"
log "the live summary in Redis: 5 records for acct-42.$run"

# The aggregator's answer over its API, equal to the samples' totals
# (computed here from the published file, not written down).
expected=$(python3 - "$state/records.ndjson" "acct-42.$run" <<'PY'
import json, sys
from decimal import Decimal
totals = {}
for line in open(sys.argv[1]):
    try:
        record = json.loads(line, parse_float=Decimal)
    except ValueError:
        continue
    if not isinstance(record, dict) or record.get("destinationId") != sys.argv[2]:
        continue
    sign = 1 if record["type"] == "positive" else -1
    totals[record["unit"]] = totals.get(record["unit"], Decimal(0)) + sign * Decimal(str(record["value"]))
print(" ".join(f"{unit}={total}" for unit, total in sorted(totals.items())))
PY
)
aggregation() {
    curl -fsS -H "Authorization: Bearer $TALLY_API_TOKEN" \
        "http://127.0.0.1:$PUBLISH_API_PORT/v1/aggregations?destinationId=acct-42.$run&totalsOnly=true" >"$state/aggregation.json"
    grep -q '"count" *: *5' "$state/aggregation.json"
}
wait_for "the aggregator has indexed acct-42.$run" 60 aggregation
answered=$(python3 - "$state/aggregation.json" <<'PY'
import json, sys
from decimal import Decimal
body = json.load(open(sys.argv[1]), parse_float=Decimal)
nets = {}
def walk(node):
    if isinstance(node, dict):
        if "unit" in node and "net" in node:
            nets[node["unit"]] = Decimal(str(node["net"]))
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(body)
print(" ".join(f"{unit}={total}" for unit, total in sorted(nets.items())))
PY
)
[[ -n "$expected" && "$answered" == "$expected" ]] \
    || die "the aggregator's net totals ($answered) differ from the samples' ($expected): $state/aggregation.json"
log "the aggregator's totals over the API equal the samples': $answered"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PUBLISH_API_PORT/v1/aggregations?totalsOnly=true")
[[ "$status" == 401 ]] || die "the API answered $status without a token, not 401"
log "without a token: 401"
log "compose-test passed in $((SECONDS - started)) s after up"

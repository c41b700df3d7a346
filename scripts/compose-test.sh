#!/usr/bin/env bash
# make compose-test: deploy/compose.yaml brought up with podman-compose, as an
# operator would, and checked from outside the containers:
#
#   1. the project's image (make image, if tally:<version> is missing) and
#      RabbitMQ / Redis images from Debian's packages (deploy/local/), since
#      no registry can be reached here;
#   2. podman-compose up (compose.yaml + compose.local.yaml), on loopback
#      ports of its own: first the three RabbitMQ nodes, the Redis primary
#      and replica and the three Sentinels, until the broker nodes form one
#      cluster, the replica is in sync and every Sentinel names the primary;
#      then the workers and the aggregator;
#   3. the cluster shape checked: 3 running broker nodes, records.work a
#      quorum queue with its 3 members online, every Sentinel naming
#      redis-1 with one replica and two other Sentinels, the workers
#      configured with the Sentinels, the failover hosts and waitReplicas 1;
#   4. the sample records published from the host with confirms: the
#      notifications and the alert drained from queues bound to the output
#      exchanges, the invalid lines in the dead-letter queue, the live
#      summary from Redis, and the aggregator's totals over its HTTP API
#      (with the bearer token) equal to the samples'; then the replica
#      holding everything the primary has (equal replication offsets);
#   5. a Sentinel failover (SENTINEL FAILOVER: redis-2 promoted, redis-1
#      its replica), then the samples again under a new run id: the same
#      notifications, alert, dead letters and totals;
#   6. everything torn down, volumes included (also on failure).
#
# Not part of make test (minutes); make test checks the build context in
# seconds (scripts/validate-deploy.sh).
#
#   KEEP=1 make compose-test     leave the project running for a look
#   COMPOSE_TEST_IMAGE=name:tag scripts/compose-test.sh
#                                the workers and the aggregator from another
#                                image than tally:<version>
#   TALLY_BIN=dir                the host's tally CLI from dir (default
#                                .build/debug)
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
RABBITMQ_ERLANG_COOKIE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export RABBITMQ_ERLANG_COOKIE
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
tally_image="${COMPOSE_TEST_IMAGE:-$image}"
# compose.yaml configures Redis through the Sentinels only: an image older
# than redis.sentinels would ignore them and find no Redis.
image_config=$(podman run --rm "$tally_image" tally config print 2>/dev/null || true)
grep -q '^redis\.sentinels ' <<<"$image_config" \
    || die "$tally_image predates redis.sentinels (its tally config print lacks the key): rebuild it (make image)"
for service in rabbitmq redis; do
    case $service in
        rabbitmq) local_image=localhost/tally-rabbitmq:3.10-debian ;;
        redis) local_image=localhost/tally-redis:7.0-debian ;;
    esac
    # Rebuilt when its Containerfile or deploy/local's scripts changed.
    sources=$(cat "deploy/local/$service.Containerfile" deploy/local/*.sh | sha256sum | cut -c1-16)
    built=$(podman image inspect --format '{{index .Labels "tally.local-sources"}}' "$local_image" 2>/dev/null || true)
    if [[ "${REBUILD_LOCAL:-0}" == 1 || "$built" != "$sources" ]]; then
        log "$local_image from Debian's package (deploy/local/$service.Containerfile)"
        started=$SECONDS
        podman build "${podman_limits[@]}" --build-arg BASE_IMAGE="$base" --label "tally.local-sources=$sources" \
            -f "deploy/local/$service.Containerfile" -t "$local_image" deploy/local >"$state/build-$service.log" 2>&1 \
            || { tail -20 "$state/build-$service.log" >&2; die "building $local_image failed ($state/build-$service.log)"; }
        log "$local_image: $((SECONDS - started)) s"
    fi
done

# --- up ------------------------------------------------------------------
compose=("$venv/bin/podman-compose" -f deploy/compose.yaml -f deploy/compose.local.yaml)
if [[ "$tally_image" != "$image" ]]; then
    printf 'services:\n  worker: {image: %s}\n  aggregator: {image: %s}\n' "$tally_image" "$tally_image" >"$state/image.yaml"
    compose+=(-f "$state/image.yaml")
fi
servers=(rabbitmq-1 rabbitmq-2 rabbitmq-3 redis-1 redis-2 redis-sentinel-1 redis-sentinel-2 redis-sentinel-3)
services=(worker aggregator)
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
# The host's tally CLI, later against the containers' published ports.
tally="${TALLY_BIN:-$repo/.build/debug}/tally"
[[ -x "$tally" ]] || die "no $tally (make build)"

log "podman-compose up: ${servers[*]} (logs: $state/)"
started=$SECONDS
"${compose[@]}" down -v >"$state/down.log" 2>&1 || true
"${compose[@]}" up -d "${servers[@]}" >"$state/up.log" 2>&1 \
    || { tail -30 "$state/up.log" >&2; die "podman-compose up failed ($state/up.log)"; }

# --- checks --------------------------------------------------------------
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
# podman-compose does not wait for service_healthy: the test waits for
# what the tally services need before it starts them.
container() {
    podman ps --filter label=io.podman.compose.project=tally --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}
in_service() {
    local service=$1
    shift
    podman exec "$(container "$service")" "$@"
}
# rabbitmqctl on node 1, as JSON.
rabbitmq_json() { in_service rabbitmq-1 "$@" --formatter json -q 2>/dev/null; }
cluster_formed() {
    rabbitmq_json rabbitmqctl cluster_status >"$state/cluster-status.json" || return 1
    python3 -c '
import json, sys
running = set(json.load(open(sys.argv[1])).get("running_nodes", []))
sys.exit(running != {"rabbit@rabbitmq-1", "rabbit@rabbitmq-2", "rabbit@rabbitmq-3"})
' "$state/cluster-status.json"
}
wait_for "the 3 RabbitMQ nodes run as one cluster" 300 cluster_formed
replication() { in_service "$1" redis-cli -a "$TALLY_REDIS_PASSWORD" --no-auth-warning info replication | tr -d '\r'; }
replica_linked() {
    replication redis-2 | grep -qx 'role:slave' && replication redis-2 | grep -qx 'master_link_status:up' \
        && replication redis-1 | grep -q '^slave0:ip=redis-2,port=6379,state=online,'
}
wait_for "redis-2 replicates redis-1" 120 replica_linked
sentinel() { in_service "$1" redis-cli -p 26379 --raw sentinel "${@:2}" | tr -d '\r'; }
sentinels_agree() {
    local n
    for n in 1 2 3; do
        [[ "$(sentinel "redis-sentinel-$n" get-master-addr-by-name tally | paste -sd:)" == redis-1:6379 ]] || return 1
        # Each Sentinel knows the replica and the two other Sentinels.
        sentinel "redis-sentinel-$n" master tally | paste - - | grep -qx $'num-slaves\t1' || return 1
        sentinel "redis-sentinel-$n" master tally | paste - - | grep -qx $'num-other-sentinels\t2' || return 1
    done
}
wait_for "3 Sentinels name redis-1:6379 the primary of tally, each with 1 replica and 2 other Sentinels" 120 sentinels_agree

log "podman-compose up: ${services[*]}"
"${compose[@]}" up -d "${services[@]}" >>"$state/up.log" 2>&1 \
    || { tail -30 "$state/up.log" >&2; die "podman-compose up failed ($state/up.log)"; }

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

# What the tally processes run with: the failover hosts, the Sentinels and
# a replica's acknowledgement (the effective configuration, printed by the
# CLI in a worker's container, with the worker's environment).
in_service worker tally config print >"$state/worker-config.txt" 2>&1 || true
for line in \
    'amqp.host = rabbitmq-1' \
    'amqp.failoverHosts = rabbitmq-2:5672,rabbitmq-3:5672' \
    'redis.sentinels = redis-sentinel-1:26379,redis-sentinel-2:26379,redis-sentinel-3:26379' \
    'redis.masterName = tally' \
    'redis.waitReplicas = 1'; do
    grep -qF "$line " "$state/worker-config.txt" || die "the workers do not run with $line ($state/worker-config.txt)"
done
log "the workers run with the failover hosts, the 3 Sentinels and waitReplicas 1"
# records.work, declared by the first worker: a quorum queue with a member
# on each node.
work_queue() {
    rabbitmq_json rabbitmqctl list_queues name type members online >"$state/queues.json" || return 1
    python3 -c '
import json, sys
nodes = {"rabbit@rabbitmq-1", "rabbit@rabbitmq-2", "rabbit@rabbitmq-3"}
work = {q["name"]: q for q in json.load(open(sys.argv[1]))}.get("records.work")
sys.exit(not work or work["type"] != "quorum" or set(work["members"]) != nodes or set(work["online"]) != nodes)
' "$state/queues.json"
}
wait_for "records.work is a quorum queue with its 3 members online" 60 work_queue

# From here on the host's CLI, through the published ports of the broker's
# node 1 and the Redis primary.
export TALLY_AMQP_HOST=127.0.0.1 TALLY_AMQP_PORT="$PUBLISH_AMQP_PORT"
export TALLY_REDIS_HOST=127.0.0.1 TALLY_REDIS_PORT="$PUBLISH_REDIS_PORT"

# One round of the samples, under a run id of its own: published from the
# host, then 7 notifications, 1 alert, 3 dead letters and the aggregator's
# totals equal to the samples'.
samples_round() {
    run="compose$(date +%s)$1"
    yesterday=$(date -u -d yesterday +%F)
    sed -E -e "s/\"(recordId|destinationId)\":\"([^\"]*)\"/\"\1\":\"\2.$run\"/g" \
        -e "s/\"time\":\"2026-03-01T/\"time\":\"${yesterday}T/g" samples/records.ndjson >"$state/records.ndjson"

    "$tally" tap notifications tally.compose.notifications --purge >/dev/null
    "$tally" tap alerts tally.compose.alerts --purge >/dev/null
    dead_before=$("$tally" dead count)
    log "$1 round: publishing samples/records.ndjson (7 valid records, 3 invalid lines) to the broker in the container"
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
    # The live summary from the Redis server published on the host, while
    # it is the primary.
    if [[ "$1" == first ]]; then
        "$tally" summary "acct-42.$run" --format json >"$state/summary.json"
        python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["overall"]["count"] != 5)' "$state/summary.json" || die "the live summary of acct-42.$run has not 5 records ($state/summary.json)"
        log "the live summary in Redis: 5 records for acct-42.$run"
    fi

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
}
samples_round first
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PUBLISH_API_PORT/v1/aggregations?totalsOnly=true")
[[ "$status" == 401 ]] || die "the API answered $status without a token, not 401"
log "without a token: 401"
# The replica holds everything the primary has (the workers waited for it
# batch by batch; here the offsets, once equal).
offsets_equal() {
    local primary replica
    primary=$(replication redis-1 | sed -n 's/^master_repl_offset://p')
    replica=$(replication redis-2 | sed -n 's/^slave_repl_offset://p')
    [[ -n "$primary" && "$primary" == "$replica" ]]
}
wait_for "redis-2 holds all of redis-1's writes (equal replication offsets)" 30 offsets_equal

# A Redis failover under the running fleet: the Sentinels promote redis-2
# and turn redis-1 into its replica; the workers and the aggregator find the
# new primary through them, without a restart, and the replica still
# acknowledges each batch (waitReplicas 1), or nothing would be published.
log "SENTINEL FAILOVER tally"
sentinel redis-sentinel-1 failover tally >/dev/null
failed_over() {
    local n
    for n in 1 2 3; do
        [[ "$(sentinel "redis-sentinel-$n" get-master-addr-by-name tally | paste -sd:)" == redis-2:6379 ]] || return 1
    done
    replication redis-2 | grep -qx 'role:master' && replication redis-1 | grep -qx 'master_link_status:up'
}
wait_for "3 Sentinels name redis-2 the primary; redis-1 replicates it" 120 failed_over
samples_round second
log "compose-test passed in $((SECONDS - started)) s after up"

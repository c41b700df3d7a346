#!/usr/bin/env bash
# make bench-cluster: what cluster mode costs, measured in one run. Two
# fleets of private servers side by side, each with one worker (release
# build, no aggregator):
#   single   one RabbitMQ node, one Redis (make up);
#   cluster  three RabbitMQ nodes with the work queue a quorum queue on all
#            three, a Redis primary, its replica and three Sentinels, the
#            worker finding the primary through them and waiting for the
#            replica on every batch (make up CLUSTER=1: redis.waitReplicas 1).
# tally-loadtest sends RECORDS (default 50,000) through each in turn, ROUNDS
# (default 2) times, after a warm-up; printed: records/s per run and the
# ratio cluster / single of each round.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
export TALLY_BIN="$repo/.build/release"
export TALLY_AGGREGATOR=0
RECORDS="${RECORDS:-50000}"
ROUNDS="${ROUNDS:-2}"
reports="$repo/.state/benchcluster-reports"
[[ -x "$TALLY_BIN/tally-worker" && -x "$TALLY_BIN/tally-loadtest" ]] ||
    { echo "no release build in $TALLY_BIN (make build-release)" >&2; exit 1; }

step() { printf '\n==> %s\n' "$*" >&2; }

# fleet NAME: the environment of that fleet's servers (in the caller's shell).
fleet() {
    case $1 in
        single)
            private_servers benchsingle 16391 15691 25691
            unset TALLY_CLUSTER
            export TALLY_METRICS_PORT_BASE=17391
            ;;
        cluster)
            private_servers benchcluster 16393 15693 25693
            export TALLY_CLUSTER=1 TALLY_SENTINEL_PORT=26493 TALLY_METRICS_PORT_BASE=17393
            ;;
    esac
}

stop_all() {
    step "stopping both fleets"
    (fleet single && "$here/down.sh" >/dev/null 2>&1) || true
    (fleet cluster && "$here/down.sh" >/dev/null 2>&1) || true
}
trap stop_all EXIT

step "the single fleet: one RabbitMQ node, one Redis, one worker"
(
    fleet single
    "$here/down.sh" >/dev/null 2>&1 || true
    rm -rf "$TALLY_STATE_DIR"
    WORKERS=1 "$here/up.sh" all >/dev/null
)
step "the cluster fleet: three RabbitMQ nodes, Redis primary, replica and three Sentinels, one worker waiting for the replica"
(
    fleet cluster
    start_cluster_servers benchcluster 16393 15693 25693 26493 >/dev/null
    WORKERS=1 "$here/up.sh" workers >/dev/null
)
for kind in single cluster; do
    (
        fleet "$kind"
        # shellcheck source=scripts/lib.sh
        source "$here/lib.sh"
        wait_for 60 "the $kind worker to be ready" "" curl -sf "http://127.0.0.1:$TALLY_METRICS_PORT_BASE/ready" ||
            die_with_log "the $kind worker did not become ready" "$LOG_DIR/worker-1.log"
    )
done
rm -rf "$reports"
mkdir -p "$reports"

# run KIND RECORDS NAME: tally-loadtest through that fleet; prints its records/s.
run() {
    (
        fleet "$1"
        "$TALLY_BIN/tally-loadtest" --records "$2" --aggregator none --quiet --no-redis \
            --report-dir "$reports" --name "$3" >"$reports/$3.out"
    )
    python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["throughput"]["recordsPerSecond"]))' "$reports/$3.json"
}

step "warm-up: 5,000 records through each"
run single 5000 warm-single >/dev/null
run cluster 5000 warm-cluster >/dev/null
rows=()
for round in $(seq 1 "$ROUNDS"); do
    for kind in single cluster; do
        step "round $round: $kind, $RECORDS records"
        rate=$(run "$kind" "$RECORDS" "$kind-$round")
        echo "$kind: $rate records/s" >&2
        rows+=("$round $kind $rate")
    done
done

printf '%s\n' "${rows[@]}" | python3 -c '
import sys
rows = [line.split() for line in sys.stdin if line.strip()]
records = int(sys.argv[1])
print(f"Records/s through one worker, {records:,} records per run, release build, no aggregator")
print()
print("| round | single node | cluster (3 RabbitMQ nodes, Redis + replica + Sentinels, waitReplicas 1) | cluster / single |")
print("|---|---|---|---|")
by_round = {}
for round_, kind, rate in rows:
    by_round.setdefault(round_, {})[kind] = int(rate)
for round_, rates in sorted(by_round.items()):
    single, cluster = rates["single"], rates["cluster"]
    print(f"| {round_} | {single:,} | {cluster:,} | {cluster / single:.2f} |")
' "$RECORDS" | tee "$reports/cluster.md"
echo "per-run reports: $reports" >&2

#!/usr/bin/env bash
# make test: install what is missing, build, start private servers, run the
# unit and the integration tests against them, run schemathesis against a
# real aggregator, stop everything, fail loudly.
#
# The servers of a test run are its own (state dir, ports, node name), so a
# fleet started by `make up` or `make run` on the same machine is untouched.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
# The fifth port is an amqps listener (throwaway CA in $TALLY_STATE_DIR/tls)
# for the TLS tests; TALLY_TEST_AMQP_TLS_PORT overrides it.
private_servers test 16379 15673 25673 15671
export TALLY_BIN="$repo/.build/debug"
export WORKERS=0

step() { printf '\n==> %s\n' "$*" >&2; }

step "dependencies"
"$here/install-deps.sh"

step "deploy/ files, offline (Kubernetes schemas, CRD subsets, Compose spec, metric names)"
"$here/validate-deploy.sh"

step "build (debug, with tests)"
cd "$repo"
swift build --build-tests

if [[ "${TALLY_REDIS_MODULE:-1}" == 1 ]]; then
    step "the tally Redis module against the Function it stands in for (same replies, keys, replicas and AOF reload)"
    python3 "$here/redis-module-diff.py" --quick --seed "${TALLY_TEST_MODULE_DIFF_SEED:-1}" \
        --port "${TALLY_TEST_MODULE_DIFF_PORT:-17950}" \
        --module "$("$here/build-redis-module.sh")" --lua "$repo/Sources/TallyStore/Resources/tally_v4.lua"
fi

step "servers for the tests (state in $TALLY_STATE_DIR)"
cleanup() {
    local status=$?
    step "stopping the test servers"
    "$here/down.sh" || true
    if ((status != 0)); then
        echo "FAILED (exit $status). Logs: $TALLY_STATE_DIR/logs and $TALLY_STATE_DIR/test-logs" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
"$here/up.sh" servers

step "unit tests (pure core and batch protocol, Redis key bytes, adapters, aggregator query logic, load-test plan and verification)"
swift test --skip-build --filter 'TallyCoreTests|TallyStoreTests|TallyAggregatorTests|TallyAdaptersTests|TallyLoadTestTests'

step "integration tests (real RabbitMQ and Redis, real worker and aggregator processes)"
swift test --skip-build --no-parallel --filter TallyIntegrationTests

step "schemathesis against a running aggregator (openapi/aggregator.yaml)"
TALLY_SCHEMATHESIS_PORT="${TALLY_TEST_SCHEMATHESIS_PORT:-18181}" "$here/schemathesis.sh"

step "the loss of a node: a cluster of three RabbitMQ nodes, a Redis primary and replica, three Sentinels"
"$here/down.sh"
start_cluster_servers cluster 16479 15773 25773 26479
swift test --skip-build --no-parallel --filter ClusterFaultTests

step "all tests passed"

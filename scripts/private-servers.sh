# shellcheck shell=bash
# Sourced by test.sh, chaos.sh and bench.sh: give the run servers of its own
# (state dir, ports, Erlang node name), so it never touches a fleet started
# by `make up` on the same machine, nor another kind of run.
#
#   private_servers NAME REDIS_PORT AMQP_PORT DIST_PORT [AMQP_TLS_PORT]
#
# Each setting can be overridden with TALLY_<NAME>_STATE_DIR, _REDIS_PORT,
# _AMQP_PORT, _DIST_PORT, _NODENAME, _AMQP_TLS_PORT (e.g.
# TALLY_TEST_REDIS_PORT=16390). Without AMQP_TLS_PORT the servers have no
# TLS listener.
private_servers() {
    local name=$1 upper
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$name")
    local state="TALLY_${upper}_STATE_DIR" redis="TALLY_${upper}_REDIS_PORT" amqp="TALLY_${upper}_AMQP_PORT"
    local dist="TALLY_${upper}_DIST_PORT" node="TALLY_${upper}_NODENAME" tls="TALLY_${upper}_AMQP_TLS_PORT"
    export TALLY_STATE_DIR="${!state:-$repo/.state/$name}"
    export TALLY_REDIS_PORT="${!redis:-$2}"
    export TALLY_AMQP_PORT="${!amqp:-$3}"
    export TALLY_RABBITMQ_DIST_PORT="${!dist:-$4}"
    export TALLY_RABBITMQ_NODENAME="${!node:-tally-$name@localhost}"
    # The fixtures (tests, load plans, readings) carry fixed 2026 dates; the
    # workers of these runs accept 30 years (10-year buckets, 4 of them)
    # instead of the default 7 days, so the fixtures never age out.
    export TALLY_DEDUP_BUCKET_SECONDS="${TALLY_DEDUP_BUCKET_SECONDS:-315360000}"
    export TALLY_DEDUP_BUCKETS="${TALLY_DEDUP_BUCKETS:-4}"
    if [[ -n "${5:-}" ]]; then
        export TALLY_AMQP_TLS_PORT="${!tls:-$5}"
    else
        export TALLY_AMQP_TLS_PORT=""
    fi
}

# start_cluster_servers NAME REDIS_PORT AMQP_PORT DIST_PORT SENTINEL_PORT:
# private servers in cluster mode (scripts/lib.sh: AMQP_PORT and the next
# two, the Redis replica on REDIS_PORT+1, three Sentinels from
# SENTINEL_PORT), started afresh; for ClusterFaultTests. Sentinels call a
# primary down after 1 s here (2 s by default).
start_cluster_servers() {
    local name=$1 upper
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$name")
    local sentinel="TALLY_${upper}_SENTINEL_PORT"
    private_servers "$1" "$2" "$3" "$4"
    export TALLY_CLUSTER=1
    export TALLY_SENTINEL_PORT="${!sentinel:-$5}"
    export TALLY_SENTINEL_DOWN_AFTER_MS="${TALLY_SENTINEL_DOWN_AFTER_MS:-1000}"
    "$repo/scripts/down.sh" >/dev/null 2>&1 || true
    rm -rf "$TALLY_STATE_DIR"
    "$repo/scripts/up.sh" servers
}

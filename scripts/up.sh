#!/usr/bin/env bash
# Start tally's local servers and processes; idempotent (starts only what is
# missing). State, logs and pidfiles live in $TALLY_STATE_DIR (default .state).
#
#   scripts/up.sh [all|servers|redis|rabbitmq|workers]      (default: all)
#
#   servers  = redis + rabbitmq (+ epmd, which RabbitMQ needs)
#   workers  = the aggregator (if $TALLY_BIN/tally-aggregator exists) and
#              $WORKERS (default 2, 0 allowed) tally-worker processes
#   all      = servers + workers
#
# Cluster mode (CLUSTER=1 or TALLY_CLUSTER=1, kept by the state dir):
# rabbitmq = three clustered nodes (AMQP 5672, 5673, 5674), redis = a
# primary (6379), a replica (6380) and three Sentinels (26379-26381) watching
# the master name `tally`; the workers and the aggregator get every node,
# the Sentinels, and workers wait for a replica (redis.waitReplicas 1).
#
# Environment: see scripts/lib.sh (TALLY_*), plus WORKERS, and
# TALLY_SKIP_DEPS=1 to skip the scripts/install-deps.sh check.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

target=${1:-all}
case $target in
    all | servers | redis | rabbitmq | workers) ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
(($# <= 1)) || {
    usage >&2
    exit 2
}

WORKERS=${WORKERS:-2}
[[ "$WORKERS" =~ ^[0-9]+$ ]] || die "WORKERS must be a non-negative integer (got '$WORKERS')"

TIMINGS=()

# ---------------------------------------------------------------- redis

redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

# start_redis_instance NAME PORT DIR PIDFILE LOG [redis-server args...]
start_redis_instance() {
    local name=$1 port=$2 dir=$3 pidfile=$4 logfile=$5 pid t0 module
    shift 5
    if pid=$(pidfile_alive "$pidfile" redis-server); then
        if redis_ping "$port"; then
            log "$name: already running (pid $pid, port $port)"
            return 0
        fi
        log "$name: pid $pid is up but not answering PONG yet; waiting"
        wait_for "$TALLY_START_TIMEOUT" "$name PONG" "$pid" redis_ping "$port" ||
            die_with_log "$name (pid $pid) does not answer on port $port" "$logfile"
        return 0
    fi
    rm -f "$pidfile"
    if port_open "$port"; then
        die "port $port is already in use by a process up.sh did not start (set TALLY_REDIS_PORT, or stop it)"
    fi

    # The tally module, on every instance (a replica promoted by a failover
    # serves the workers too); without it they apply through the Function.
    module=$(redis_module_path) || die "the tally Redis module did not build (TALLY_REDIS_MODULE=0 starts Redis without it)"
    [[ -z "$module" ]] || set -- --loadmodule "$module" "$@"

    # DEBUG is allowed from local connections so the fault tests can make
    # Redis slow on purpose (DEBUG SLEEP), and MODULE so that an operator
    # (or a test) can unload the tally module from a running Redis; it
    # listens on loopback only anyway. The AOF is rewritten when it has
    # grown by TALLY_REDIS_AOF_REWRITE_PERCENTAGE (400) % of its size after
    # the last rewrite, not Redis's 100 %: each record adds ~1 KB to it, and
    # at 100 % the forked rewrites cost as much CPU as the applies
    # themselves (docs/operations.md, "Durability trade-offs").
    log "$name: starting on 127.0.0.1:$port (dir $dir, AOF appendfsync always)${*:+, $*}"
    mkdir -p "$dir"
    t0=$(now_ns)
    spawn "$logfile" redis-server \
        --bind 127.0.0.1 \
        --port "$port" \
        --protected-mode yes \
        --daemonize no \
        --dir "$dir" \
        --appendonly yes \
        --appendfsync always \
        --auto-aof-rewrite-percentage "$TALLY_REDIS_AOF_REWRITE_PERCENTAGE" \
        --save "" \
        --enable-debug-command local \
        --enable-module-command local \
        --pidfile "$pidfile" \
        --logfile "$logfile" \
        "$@"
    pid=$SPAWNED_PID
    echo "$pid" >"$pidfile"
    wait_for "$TALLY_START_TIMEOUT" "$name PONG on port $port" "$pid" redis_ping "$port" ||
        die_with_log "$name did not come up on 127.0.0.1:$port" "$logfile"
    TIMINGS+=("$name cold start: $(elapsed "$t0") s")
    log "$name: up (pid $pid) in $(elapsed "$t0") s"
}

# start_redis : the one Redis; in cluster mode the primary and the replica,
# the current primary first. An instance that is not the current primary
# starts as its replica: an old primary back after a failover never takes
# writes of its own, and syncs from the one the Sentinels promoted.
start_redis() {
    if ! cluster_mode; then
        start_redis_instance redis "$TALLY_REDIS_PORT" "$REDIS_DIR" "$REDIS_PIDFILE" "$REDIS_LOG"
        return 0
    fi
    local primary
    # Which instance is the primary is the Sentinels' to say, and only once
    # they agree: see sentinels_settled.
    if any_sentinel_running; then
        wait_for "$TALLY_START_TIMEOUT" "the Sentinels to agree on the Redis primary (no failover in progress)" "" sentinels_settled ||
            die_with_log "the Sentinels did not settle on one Redis primary; starting Redis now could give two primaries" "$(sentinel_log 1)"
    fi
    primary=$(redis_primary_port)
    # start_slot NAME PORT DIR PIDFILE LOG: as the primary, or as its replica.
    start_slot() {
        if [[ "$2" == "$primary" ]]; then
            start_redis_instance "$@"
        else
            start_redis_instance "$@" --replicaof 127.0.0.1 "$primary"
        fi
    }
    # The current primary first (starting a running one again only says so).
    if [[ "$primary" == "$TALLY_REDIS_REPLICA_PORT" ]]; then
        start_slot redis-replica "$TALLY_REDIS_REPLICA_PORT" "$REDIS_REPLICA_DIR" "$REDIS_REPLICA_PIDFILE" "$REDIS_REPLICA_LOG"
    fi
    start_slot redis "$TALLY_REDIS_PORT" "$REDIS_DIR" "$REDIS_PIDFILE" "$REDIS_LOG"
    start_slot redis-replica "$TALLY_REDIS_REPLICA_PORT" "$REDIS_REPLICA_DIR" "$REDIS_REPLICA_PIDFILE" "$REDIS_REPLICA_LOG"
}

sentinel_ping() { redis_ping "$(sentinel_port "$1")"; }

sentinels_ready() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$(sentinel_port 1)" SENTINEL ckquorum "$TALLY_REDIS_MASTER_NAME" 2>/dev/null)" == "OK 3 usable"* ]] &&
        [[ -n "$(redis-cli -h 127.0.0.1 -p "$(sentinel_port 1)" SENTINEL replicas "$TALLY_REDIS_MASTER_NAME" 2>/dev/null)" ]]
}

# start_sentinels : three Sentinels watching the primary as
# TALLY_REDIS_MASTER_NAME (quorum 2). Each rewrites its own configuration
# file as it learns; the file is made afresh only when none of them runs
# (else a restarted one keeps what it knew).
start_sentinels() {
    local i pid port dir conf pidfile logfile any_alive=0 primary t0
    any_sentinel_running && any_alive=1
    primary=$(redis_primary_port)
    t0=$(now_ns)
    for i in 1 2 3; do
        port=$(sentinel_port "$i") dir=$(sentinel_dir "$i") pidfile=$(sentinel_pidfile "$i") logfile=$(sentinel_log "$i")
        if pid=$(pidfile_alive "$pidfile" redis-server); then
            log "sentinel-$i: already running (pid $pid, port $port)"
            continue
        fi
        rm -f "$pidfile"
        if port_open "$port"; then
            die "port $port is already in use by a process up.sh did not start (set TALLY_SENTINEL_PORT, or stop it)"
        fi
        mkdir -p "$dir"
        conf="$dir/sentinel.conf"
        if ((any_alive == 0)) || [[ ! -s "$conf" ]]; then
            cat >"$conf" <<EOF
# Generated by scripts/up.sh when no Sentinel runs; the Sentinel rewrites it.
port $port
bind 127.0.0.1
dir $dir
sentinel monitor $TALLY_REDIS_MASTER_NAME 127.0.0.1 $primary 2
sentinel down-after-milliseconds $TALLY_REDIS_MASTER_NAME $TALLY_SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $TALLY_REDIS_MASTER_NAME 10000
sentinel parallel-syncs $TALLY_REDIS_MASTER_NAME 1
EOF
        fi
        log "sentinel-$i: starting on 127.0.0.1:$port (watching $TALLY_REDIS_MASTER_NAME, primary now on $primary)"
        spawn "$logfile" redis-server "$conf" --sentinel --daemonize no --pidfile "$pidfile" --logfile "$logfile"
        pid=$SPAWNED_PID
        echo "$pid" >"$pidfile"
        wait_for "$TALLY_START_TIMEOUT" "sentinel-$i PONG on port $port" "$pid" sentinel_ping "$i" ||
            die_with_log "sentinel-$i did not come up on 127.0.0.1:$port" "$logfile"
    done
    # A failover needs the Sentinels to know each other and the replica
    # (they learn it through the primary, every 2 s): wait, or a kill right
    # after `up` would find nobody to promote.
    wait_for "$TALLY_START_TIMEOUT" "3 Sentinels to agree on $TALLY_REDIS_MASTER_NAME and see its replica" "" sentinels_ready ||
        die_with_log "the Sentinels did not reach a quorum over $TALLY_REDIS_MASTER_NAME" "$(sentinel_log 1)"
    TIMINGS+=("sentinels ready: $(elapsed "$t0") s")
    log "sentinels: 3 on $(sentinel_addresses), quorum 2, primary on 127.0.0.1:$(redis_primary_port)"
}

# ---------------------------------------------------------------- epmd

epmd_up() { epmd -names >/dev/null 2>&1; }

# Make sure an epmd runs; start (and record) our own only if none does, so
# that down.sh never stops an epmd somebody else started.
ensure_epmd() {
    local pid
    if epmd_up; then
        if pid=$(pidfile_alive "$EPMD_PIDFILE" epmd); then
            log "epmd: already running (pid $pid, started by up.sh)"
        else
            rm -f "$EPMD_PIDFILE"
            log "epmd: using the epmd already running on port $EPMD_PORT (not ours; down.sh leaves it)"
        fi
        return 0
    fi
    rm -f "$EPMD_PIDFILE"
    log "epmd: starting on 127.0.0.1:$EPMD_PORT"
    spawn "$EPMD_LOG" epmd -address 127.0.0.1 -port "$EPMD_PORT"
    pid=$SPAWNED_PID
    echo "$pid" >"$EPMD_PIDFILE"
    wait_for 15 "epmd on port $EPMD_PORT" "$pid" epmd_up ||
        die_with_log "epmd did not come up" "$EPMD_LOG"
}

# ---------------------------------------------------------------- rabbitmq

rmq_write_config() {
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/up.sh on every start: edits are overwritten.
listeners.tcp.default = 127.0.0.1:$RMQ_AMQP_PORT
loopback_users.guest = true
log.console = false
log.file.level = info
# The largest body accepted, equal to the workers' amqp.maxMessageBytes: a
# producer's oversized body is refused at the door instead of being
# downloaded by a worker with a prefetch of 1,000 (docs/contract.md, "Limits").
max_message_size = 1048576
EOF
    if cluster_mode; then
        cat >>"$RMQ_DIR/rabbitmq.conf" <<EOF
# Cluster mode: a node cut off from the majority pauses rather than
# serving clients alone.
cluster_partition_handling = pause_minority
EOF
    fi
    if [[ -n "$RMQ_TLS_PORT" ]]; then
        tls_ensure_certs
        cat >>"$RMQ_DIR/rabbitmq.conf" <<EOF
# TALLY_AMQP_TLS_PORT: amqps with the throwaway CA of $TLS_DIR. Client
# certificates are checked when offered, not required.
listeners.ssl.default = 127.0.0.1:$RMQ_TLS_PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
EOF
    fi
    # No plugins (no management UI). Kept if it exists, so that plugins
    # enabled with `scripts/rabbitmqctl.sh rabbitmq-plugins enable ...` stick.
    [[ -f "$RMQ_DIR/enabled_plugins" ]] || echo '[].' >"$RMQ_DIR/enabled_plugins"
}

rmq_port_ok() { port_open "$RMQ_AMQP_PORT"; }

rmq_ensure_feature_flags() {
    local disabled
    disabled=$(rmqctl -q list_feature_flags name state --no-table-headers |
        awk -F'\t' '$2 != "enabled" { print $1 }') ||
        die_with_log "rabbitmqctl list_feature_flags failed" "$RMQ_NODE_LOG"
    [[ -z "$disabled" ]] && return 0
    log "rabbitmq: enabling feature flags: $(echo "$disabled" | tr '\n' ' ')"
    rmqctl -q enable_feature_flag all >&2 ||
        die_with_log "rabbitmqctl enable_feature_flag all failed" "$RMQ_NODE_LOG"
    disabled=$(rmqctl -q list_feature_flags name state --no-table-headers |
        awk -F'\t' '$2 != "enabled" { print $1 }')
    [[ -z "$disabled" ]] || die "feature flags still disabled: $disabled"
}

# rmq_spawn_node : start the selected node's server unless it runs; returns
# at once (rmq_await_node waits for its boot), so a cluster's nodes boot
# side by side — a clustered node that was not the last to stop waits for
# its peers before it finishes booting.
rmq_spawn_node() {
    local pid wrapper
    if pid=$(rmq_pid); then
        log "rabbitmq: node $RMQ_NODENAME already running (pid $pid, port $RMQ_AMQP_PORT)"
        if ! epmd -names 2>/dev/null | grep -q "^name ${RMQ_NODENAME%@*} "; then
            warn "rabbitmq node $RMQ_NODENAME is not registered with epmd (was epmd killed?): rabbitmqctl cannot reach it; run scripts/down.sh && scripts/up.sh"
        fi
        return 0
    fi
    # A leftover wrapper without a node (should not happen): clear it.
    if wrapper=$(pidfile_alive "$RMQ_WRAPPER_PIDFILE" rabbitmq-server); then
        stop_pid "$wrapper" "stale rabbitmq-server wrapper" 15
    fi
    rm -f "$RMQ_PIDFILE" "$RMQ_WRAPPER_PIDFILE"
    if port_open "$RMQ_AMQP_PORT"; then
        die "port $RMQ_AMQP_PORT is already in use by a process up.sh did not start (set TALLY_AMQP_PORT, or stop it)"
    fi
    if port_open "$RMQ_DIST_PORT"; then
        die "Erlang distribution port $RMQ_DIST_PORT is already in use (set TALLY_RABBITMQ_DIST_PORT)"
    fi

    mkdir -p "$RMQ_DIR" "$RMQ_LOG_BASE"
    ensure_epmd
    rmq_write_config
    rmq_ensure_cookie

    log "rabbitmq: starting node $RMQ_NODENAME on 127.0.0.1:$RMQ_AMQP_PORT (state $RMQ_DIR)"
    RMQ_STARTED_AT[$RMQ_NODE]=$(now_ns)
    # Run the Debian package's real start script directly, as the current
    # user (root): /usr/sbin/rabbitmq-server would `su rabbitmq` and use
    # /var/lib/rabbitmq. The sh wrapper runs beam.smp as its child and turns
    # SIGTERM into a clean shutdown; the node writes its own pid to
    # $RABBITMQ_PID_FILE.
    (
        cd "$RMQ_DIR"
        rmq_env
        spawn "$RMQ_CONSOLE_LOG" "$RMQ_SBIN/rabbitmq-server"
        echo "$SPAWNED_PID" >"$RMQ_WRAPPER_PIDFILE"
    )
}

# rmq_await_node : wait until the selected node has booted and listens.
rmq_await_node() {
    local pid wrapper t0=${RMQ_STARTED_AT[$RMQ_NODE]:-}
    if [[ -z "$t0" ]]; then
        pid=$(rmq_pid) || die "rabbitmq node $RMQ_NODENAME is gone"
        if ! rmq_port_ok; then
            log "rabbitmq: pid $pid is up but port $RMQ_AMQP_PORT is not open yet; waiting"
            wait_for "$TALLY_START_TIMEOUT" "AMQP port $RMQ_AMQP_PORT" "$pid" rmq_port_ok ||
                die_with_log "rabbitmq (pid $pid) does not listen on $RMQ_AMQP_PORT" "$RMQ_NODE_LOG" "$RMQ_CONSOLE_LOG"
        fi
        return 0
    fi
    wrapper=$(read_pid "$RMQ_WRAPPER_PIDFILE")
    wait_for "$TALLY_START_TIMEOUT" "the rabbitmq pid file" "$wrapper" rmq_pid ||
        die_with_log "rabbitmq did not start (no pid file $RMQ_PIDFILE)" "$RMQ_CONSOLE_LOG" "$RMQ_NODE_LOG"
    pid=$(read_pid "$RMQ_PIDFILE")
    # Waits for distribution, then for the rabbit app; fails if $pid exits.
    if ! TALLY_RABBITMQ_NODE=$RMQ_NODE timeout $((TALLY_START_TIMEOUT + 10)) \
        "$TALLY_SCRIPTS_DIR/rabbitmqctl.sh" -q wait --pid "$pid" --timeout "$TALLY_START_TIMEOUT" >&2; then
        die_with_log "rabbitmq node $RMQ_NODENAME did not finish booting" "$RMQ_NODE_LOG" "$RMQ_CONSOLE_LOG"
    fi
    wait_for 30 "AMQP port $RMQ_AMQP_PORT" "$pid" rmq_port_ok ||
        die_with_log "rabbitmq booted but does not listen on 127.0.0.1:$RMQ_AMQP_PORT" "$RMQ_NODE_LOG"
    if [[ -n "$RMQ_TLS_PORT" ]]; then
        wait_for 30 "AMQPS port $RMQ_TLS_PORT" "$pid" port_open "$RMQ_TLS_PORT" ||
            die_with_log "rabbitmq booted but does not listen for TLS on 127.0.0.1:$RMQ_TLS_PORT" "$RMQ_NODE_LOG"
        log "rabbitmq: amqps on 127.0.0.1:$RMQ_TLS_PORT (CA $TLS_DIR/ca.pem)"
    fi
    TIMINGS+=("rabbitmq $RMQ_NODENAME cold start: $(elapsed "$t0") s")
    log "rabbitmq: $RMQ_NODENAME booted (pid $pid) in $(elapsed "$t0") s"
    rmq_diag -q check_port_connectivity >&2 ||
        die_with_log "rabbitmq-diagnostics check_port_connectivity failed" "$RMQ_NODE_LOG"
    rmq_ensure_feature_flags
    log "rabbitmq: $RMQ_NODENAME ready (all feature flags enabled)"
}

# rmq_join_cluster : the selected node (not node 1) joins node 1's cluster
# unless it already belongs to it, and takes its share of every quorum
# queue declared before it joined (`rabbitmq-queues grow`).
rmq_join_cluster() {
    local seed status
    seed=$(rmq_node_name 1)
    # Only a node that says it is not in node 1's cluster is reset: a
    # failed question must never reset a member (its quorum replicas).
    status=$(rmqctl -q cluster_status --formatter json 2>&1) ||
        die_with_log "rabbitmqctl cluster_status on $RMQ_NODENAME failed: $status" "$RMQ_NODE_LOG"
    if [[ "$status" == *"\"$seed\""* ]]; then
        return 0
    fi
    log "rabbitmq: $RMQ_NODENAME joins the cluster of $seed"
    {
        rmqctl -q stop_app && rmqctl -q reset && rmqctl -q join_cluster "$seed" && rmqctl -q start_app
    } >&2 || die_with_log "rabbitmq node $RMQ_NODENAME could not join $seed" "$RMQ_NODE_LOG"
    (rmq_env && "$RMQ_SBIN/rabbitmq-queues" -q grow "$RMQ_NODENAME" all >&2) ||
        warn "rabbitmq-queues grow $RMQ_NODENAME all failed; quorum queues declared earlier may lack a member there"
}

# start_rabbitmq : the one node, or the cluster's three: all spawned, then
# each awaited, then nodes 2 and 3 joined to node 1.
declare -A RMQ_STARTED_AT=()
start_rabbitmq() {
    local i count
    count=$(rmq_node_count)
    for ((i = 1; i <= count; i++)); do
        rmq_select_node "$i"
        rmq_spawn_node
    done
    for ((i = 1; i <= count; i++)); do
        rmq_select_node "$i"
        rmq_await_node
    done
    for ((i = 2; i <= count; i++)); do
        rmq_select_node "$i"
        rmq_join_cluster
    done
    rmq_select_node 1
    if ((count > 1)); then
        log "rabbitmq: cluster of $count nodes, AMQP on 127.0.0.1:$(rmq_node_amqp_port 1)..$(rmq_node_amqp_port "$count")"
    fi
}

# ---------------------------------------------------------------- processes

# start_proc NAME PIDFILE LOG PATTERN COMMAND [ARGS...] : start unless alive.
# Sets STARTED_PID when it started something.
STARTED_PID=""
start_proc() {
    local name=$1 pidfile=$2 logfile=$3 pattern=$4 pid
    shift 4
    STARTED_PID=""
    if pid=$(pidfile_alive "$pidfile" "$pattern"); then
        log "$name: already running (pid $pid)"
        return 0
    fi
    [[ -e "$pidfile" ]] && log "$name: pid $(read_pid "$pidfile") is gone; restarting"
    printf '==== %s: %s started by scripts/up.sh\n' "$(date -Is)" "$name" >>"$logfile"
    spawn "$logfile" "$@"
    STARTED_PID=$SPAWNED_PID
    echo "$STARTED_PID" >"$pidfile"
    log "$name: started (pid $STARTED_PID, log $logfile)"
}

# Processes started by this run; checked once more after a short grace
# period so that one crashing at startup fails loudly here.
NEW_PIDS=()
NEW_NAMES=()
NEW_LOGS=()

remember_started() {
    [[ -n "$STARTED_PID" ]] || return 0
    NEW_PIDS+=("$STARTED_PID")
    NEW_NAMES+=("$1")
    NEW_LOGS+=("$2")
}

any_new_died() {
    local p
    for p in "${NEW_PIDS[@]}"; do
        pid_alive "$p" || return 0
    done
    return 1
}

check_new_survive() {
    local i
    ((${#NEW_PIDS[@]} > 0)) || return 0
    # Polls for ${TALLY_PROC_GRACE:-2}s: returns as soon as one dies.
    wait_for "${TALLY_PROC_GRACE:-2}" "a new process to die" "" any_new_died 2>/dev/null || return 0
    for i in "${!NEW_PIDS[@]}"; do
        if ! pid_alive "${NEW_PIDS[$i]}"; then
            die_with_log "${NEW_NAMES[$i]} (pid ${NEW_PIDS[$i]}) exited right after start" "${NEW_LOGS[$i]}"
        fi
    done
}

start_aggregator() {
    local bin="$TALLY_BIN/tally-aggregator"
    [[ -x "$bin" ]] || return 0
    [[ "${TALLY_AGGREGATOR:-1}" == 1 ]] || return 0  # TALLY_AGGREGATOR=0: workers only
    # Its index lives with the rest of the state; its API is on
    # TALLY_HTTP_PORT (default 8080) behind the token in
    # $TALLY_API_TOKEN_FILE (made here), /health /ready /metrics on
    # TALLY_ADMIN_PORT (8081); its Redis is the one above (TALLY_REDIS_PORT).
    # In cluster mode it finds the Redis primary through the Sentinels.
    api_token_ensure
    local -a cluster=()
    mapfile -t cluster < <(cluster_client_settings)
    TALLY_INDEX_PATH="${TALLY_INDEX_PATH:-$TALLY_STATE_DIR/aggregator/index.sqlite}" \
        TALLY_HTTP_TOKEN_FILE="$TALLY_API_TOKEN_FILE" \
        start_proc aggregator "$AGG_PIDFILE" "$AGG_LOG" tally-aggregator env "${cluster[@]}" "$bin"
    remember_started aggregator "$AGG_LOG"
}

start_workers() {
    local bin="$TALLY_BIN/tally-worker" n f pidfile logfile
    local -a extra=()
    # Stop workers numbered above $WORKERS (whether or not the binary exists).
    while IFS= read -r f; do
        n=${f##*/worker-}
        n=${n%.pid}
        if ((n > WORKERS)); then
            extra+=("worker-$n" "$f" tally-worker)
        fi
    done < <(list_worker_pidfiles)
    if ((${#extra[@]} > 0)); then
        stop_pidfiles 15 "${extra[@]}"
    fi

    ((WORKERS > 0)) || {
        log "workers: WORKERS=0, none wanted"
        return 0
    }
    if [[ ! -x "$bin" ]]; then
        log "workers: skipped, $bin does not exist (build it first: swift build)"
        return 0
    fi
    # In cluster mode: every RabbitMQ node, the Sentinels, and a replica's
    # acknowledgement of each batch before it is published and acked.
    local -a cluster=()
    mapfile -t cluster < <(cluster_client_settings)
    if cluster_mode; then
        cluster+=("TALLY_REDIS_WAIT_REPLICAS=${TALLY_REDIS_WAIT_REPLICAS:-1}")
    fi
    for ((n = 1; n <= WORKERS; n++)); do
        pidfile="$WORKERS_DIR/worker-$n.pid"
        logfile="$LOG_DIR/worker-$n.log"
        # Worker n serves /metrics, /health, /ready on TALLY_METRICS_PORT_BASE + n - 1.
        start_proc "worker-$n" "$pidfile" "$logfile" tally-worker \
            env "${cluster[@]}" TALLY_WORKER_INDEX="$n" TALLY_METRICS_PORT="$((${TALLY_METRICS_PORT_BASE:-9100} + n - 1))" "$bin"
        remember_started "worker-$n" "$logfile"
    done
}

# ---------------------------------------------------------------- main

if [[ "$TALLY_CLUSTER" == 1 && "$target" != workers ]]; then
    mkdir -p "$STATE"
    touch "$CLUSTER_MARKER"
fi
ensure_state_dirs
lock_state

want_servers=0
want_redis=0
want_rmq=0
want_workers=0
case $target in
    all) want_redis=1 want_rmq=1 want_workers=1 ;;
    servers) want_redis=1 want_rmq=1 ;;
    redis) want_redis=1 ;;
    rabbitmq) want_rmq=1 ;;
    workers) want_workers=1 ;;
esac
if ((want_redis || want_rmq)); then
    want_servers=1
fi

if ((want_servers)) && [[ "${TALLY_SKIP_DEPS:-0}" != 1 ]]; then
    "$TALLY_SCRIPTS_DIR/install-deps.sh" >&2
fi

if ((want_redis)); then
    start_redis
    if cluster_mode; then
        start_sentinels
    fi
fi
if ((want_rmq)); then
    start_rabbitmq
fi
if ((want_workers)); then
    start_aggregator
    start_workers
    check_new_survive
fi

for t in "${TIMINGS[@]}"; do
    log "$t"
done
log "up ($target) done; state in $STATE"
print_status

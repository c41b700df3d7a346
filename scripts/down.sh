#!/usr/bin/env bash
# Stop exactly what scripts/up.sh started, by the pids recorded in the state
# dir (never by process name). Idempotent. Keeps the data unless --purge.
#
#   scripts/down.sh            stop workers, aggregator, rabbitmq, redis, epmd*
#                              (in cluster mode also the Sentinels, the other
#                              RabbitMQ nodes and the Redis replica)
#   scripts/down.sh --purge    same, then delete $TALLY_STATE_DIR entirely
#                              (the way back from cluster mode to one node)
#
#   * epmd only if up.sh started it (and no other Erlang node uses it).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
for arg in "$@"; do
    case $arg in
        --purge) purge=1 ;;
        -h | --help)
            sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument '$arg' (usage: down.sh [--purge])" ;;
    esac
done

# Workers and the aggregator get SIGTERM together and share one 15 s grace.
stop_processes() {
    local f n
    local -a procs=(aggregator "$AGG_PIDFILE" tally-aggregator)
    while IFS= read -r f; do
        n=${f##*/worker-}
        n=${n%.pid}
        procs+=("worker-$n" "$f" tally-worker)
    done < <(list_worker_pidfiles)
    stop_pidfiles 15 "${procs[@]}"
}

stop_rabbitmq() {
    local pid wrapper
    wrapper=$(read_pid "$RMQ_WRAPPER_PIDFILE")
    if pid=$(rmq_pid); then
        log "rabbitmq: stopping node $RMQ_NODENAME (pid $pid) with rabbitmqctl stop"
        # `stop <pidfile>` returns once that OS process has exited.
        if ! TALLY_RABBITMQ_NODE=$RMQ_NODE timeout 120 "$TALLY_SCRIPTS_DIR/rabbitmqctl.sh" -q stop "$RMQ_PIDFILE" >&2; then
            warn "rabbitmqctl stop failed; falling back to SIGTERM"
        fi
        # SIGTERM makes the node shut down cleanly too; SIGKILL only as a last resort.
        stop_pid "$pid" "rabbitmq (beam)" 60
    elif [[ -e "$RMQ_PIDFILE" ]]; then
        log "rabbitmq: not running (removing stale pidfile)"
    fi
    # The sh wrapper exits with the node; make sure it did.
    if pid_alive "$wrapper" rabbitmq-server; then
        wait_for 10 "rabbitmq-server wrapper to exit" "" pid_gone "$wrapper" ||
            stop_pid "$wrapper" "rabbitmq-server wrapper" 10
    fi
    rm -f "$RMQ_PIDFILE" "$RMQ_WRAPPER_PIDFILE"
}

# The cluster's nodes one by one, node 1 last: the last node to stop is
# the one that boots without waiting for its peers.
stop_rabbitmq_nodes() {
    local i
    for ((i = $(rmq_node_count); i >= 1; i--)); do
        rmq_select_node "$i"
        stop_rabbitmq
    done
    rmq_select_node 1
}

# Sentinels first, so that none promotes the replica while Redis stops.
stop_sentinels() {
    local i
    cluster_mode || return 0
    local -a procs=()
    for i in 1 2 3; do
        procs+=("sentinel-$i" "$(sentinel_pidfile "$i")" redis-server)
    done
    stop_pidfiles 15 "${procs[@]}"
}

stop_epmd() {
    local pid others
    if pid=$(pidfile_alive "$EPMD_PIDFILE" epmd); then
        others=$(epmd -names 2>/dev/null | awk '$1 == "name" { print $2 }' || true)
        if [[ -n "$others" ]]; then
            warn "epmd (pid $pid) still has Erlang nodes registered ($(echo "$others" | tr '\n' ' ')); leaving it running"
            return 0
        fi
        stop_pid "$pid" epmd 10
    fi
    rm -f "$EPMD_PIDFILE"
}

if [[ ! -d "$STATE" ]]; then
    log "nothing to stop: no state dir $STATE"
    exit 0
fi

lock_state
stop_processes
stop_sentinels
stop_rabbitmq_nodes
# SIGTERM = SHUTDOWN for redis: it fsyncs the AOF and exits (a primary
# first lets its replica catch up).
stop_pidfile "$REDIS_PIDFILE" redis redis-server 60
if cluster_mode; then
    stop_pidfile "$REDIS_REPLICA_PIDFILE" redis-replica redis-server 60
fi
stop_epmd
log "down: everything started by up.sh is stopped"

if ((purge)); then
    case $STATE in
        / | "$REPO" | "$HOME" | /tmp | /var | /usr | /root | /work)
            die "refusing to delete TALLY_STATE_DIR=$STATE"
            ;;
    esac
    log "purging $STATE"
    rm -rf -- "$STATE"
fi

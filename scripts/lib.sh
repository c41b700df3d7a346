# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts sourcing this
# Shared settings and helpers for tally's local-server scripts.
# Sourced by scripts/*.sh; never executed directly.
#
# Everything below can be overridden from the environment:
#   TALLY_STATE_DIR          state (data, logs, pidfiles)   default: $REPO/.state
#   TALLY_BIN                where tally-worker etc. live     default: $REPO/.build/debug
#   TALLY_REDIS_PORT         Redis port (127.0.0.1)           default: 6379
#   TALLY_AMQP_PORT          AMQP port (127.0.0.1)            default: 5672
#   TALLY_RABBITMQ_NODENAME  Erlang node name                 default: tally@localhost
#   TALLY_RABBITMQ_DIST_PORT Erlang distribution port         default: 25672
#   TALLY_AMQP_TLS_PORT      opt-in: also an amqps listener   default: none
#                            (127.0.0.1) with a throwaway CA and certificates
#                            in $TALLY_STATE_DIR/tls (see tls_ensure_certs)
#   TALLY_START_TIMEOUT      seconds to wait for a server     default: 120
#   WORKERS                  number of tally-worker processes default: 2 (used by up.sh)
#   TALLY_AGGREGATOR         0: up.sh starts no aggregator    default: 1
#   TALLY_HTTP_PORT          the aggregator's API             default: 8080
#   TALLY_ADMIN_PORT         its /health /ready /metrics      default: 8081
#   TALLY_API_TOKEN_FILE     the API token (made if missing)  default: $TALLY_STATE_DIR/api-token
#   TALLY_REDIS_MODULE       1: Redis loads the tally module  default: 1
#                            (redis-module/, built into .build/redis-module;
#                            0: the workers apply through the Function alone)
#   TALLY_REDIS_AOF_REWRITE_PERCENTAGE  AOF growth (in % of its  default: 400
#                            size after the last rewrite) that makes Redis
#                            rewrite it (Redis's own default: 100)
#
# Cluster mode (TALLY_CLUSTER=1, or CLUSTER=1 as in `make up CLUSTER=1`; a
# state dir once started so stays so, marked by $TALLY_STATE_DIR/cluster):
#   RabbitMQ node i of 3     AMQP TALLY_AMQP_PORT+i-1, distribution
#                            TALLY_RABBITMQ_DIST_PORT+(i-1)*100, name
#                            <name>-i@<host> (node 1 keeps TALLY_RABBITMQ_NODENAME)
#   TALLY_REDIS_REPLICA_PORT the Redis replica                default: TALLY_REDIS_PORT+1
#   TALLY_SENTINEL_PORT      the first of 3 Sentinels         default: 26379 (then +1, +2)
#   TALLY_REDIS_MASTER_NAME  the name they monitor            default: tally
#   TALLY_SENTINEL_DOWN_AFTER_MS  unanswered this long: down  default: 2000

if [[ -n "${_TALLY_LIB_LOADED:-}" ]]; then
    return 0
fi
_TALLY_LIB_LOADED=1

TALLY_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$TALLY_SCRIPTS_DIR/.." && pwd -P)"

: "${TALLY_STATE_DIR:=$REPO/.state}"
: "${TALLY_BIN:=$REPO/.build/debug}"
: "${TALLY_REDIS_PORT:=6379}"
: "${TALLY_AMQP_PORT:=5672}"
: "${TALLY_RABBITMQ_NODENAME:=tally@localhost}"
: "${TALLY_RABBITMQ_DIST_PORT:=25672}"
: "${TALLY_START_TIMEOUT:=120}"
: "${TALLY_AMQP_TLS_PORT:=}"
: "${TALLY_HTTP_PORT:=8080}"
: "${TALLY_ADMIN_PORT:=8081}"
: "${TALLY_CLUSTER:=${CLUSTER:-0}}"
: "${TALLY_REDIS_REPLICA_PORT:=$((TALLY_REDIS_PORT + 1))}"
: "${TALLY_SENTINEL_PORT:=26379}"
: "${TALLY_REDIS_MASTER_NAME:=tally}"
: "${TALLY_SENTINEL_DOWN_AFTER_MS:=2000}"
: "${TALLY_REDIS_MODULE:=1}"
: "${TALLY_REDIS_AOF_REWRITE_PERCENTAGE:=400}"

# Relative paths are taken relative to the caller's working directory.
[[ "$TALLY_STATE_DIR" == /* ]] || TALLY_STATE_DIR="$PWD/$TALLY_STATE_DIR"
[[ "$TALLY_BIN" == /* ]] || TALLY_BIN="$PWD/$TALLY_BIN"

# Exported so that workers / tests started from these scripts see them.
export TALLY_STATE_DIR TALLY_BIN TALLY_REDIS_PORT TALLY_AMQP_PORT \
    TALLY_RABBITMQ_NODENAME TALLY_RABBITMQ_DIST_PORT TALLY_AMQP_TLS_PORT \
    TALLY_HTTP_PORT TALLY_ADMIN_PORT TALLY_CLUSTER TALLY_REDIS_REPLICA_PORT TALLY_SENTINEL_PORT \
    TALLY_REDIS_MASTER_NAME TALLY_SENTINEL_DOWN_AFTER_MS TALLY_REDIS_MODULE TALLY_REDIS_AOF_REWRITE_PERCENTAGE
: "${TALLY_API_TOKEN_FILE:=$TALLY_STATE_DIR/api-token}"
export TALLY_API_TOKEN_FILE

# api_token_ensure: the aggregator's API token, made once (32 random bytes
# as hex) into $TALLY_API_TOKEN_FILE, readable by its owner only. The CLI
# and these scripts read it from there (or from TALLY_API_TOKEN).
api_token_ensure() {
    [[ -s "$TALLY_API_TOKEN_FILE" ]] && return 0
    mkdir -p "$(dirname "$TALLY_API_TOKEN_FILE")"
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$TALLY_API_TOKEN_FILE" && echo >>"$TALLY_API_TOKEN_FILE")
}

# api_curl PATH_AND_QUERY [curl options…]: GET from the aggregator's API
# with the token.
api_curl() {
    local path=$1
    shift
    curl -fsS -H "Authorization: Bearer ${TALLY_API_TOKEN:-$(head -n1 "$TALLY_API_TOKEN_FILE")}" "$@" \
        "http://127.0.0.1:$TALLY_HTTP_PORT$path"
}

# admin_curl PATH: GET /health, /ready or /metrics from the aggregator's admin listener.
admin_curl() { curl -fsS "http://127.0.0.1:$TALLY_ADMIN_PORT$1"; }

STATE="$TALLY_STATE_DIR"
LOG_DIR="$STATE/logs"
RUN_DIR="$STATE/run"

REDIS_DIR="$STATE/redis"
REDIS_PIDFILE="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"
# Cluster mode: the replica and the Sentinels.
REDIS_REPLICA_DIR="$STATE/redis-replica"
REDIS_REPLICA_PIDFILE="$RUN_DIR/redis-replica.pid"
REDIS_REPLICA_LOG="$LOG_DIR/redis-replica.log"
CLUSTER_MARKER="$STATE/cluster"

# HOME of every node and CLI: holds the .erlang.cookie the nodes of a
# cluster share.
RMQ_HOME="$STATE/rabbitmq/home"
# The first node's settings; rmq_select_node (below) points RMQ_DIR,
# RMQ_PIDFILE (written by the node itself: the beam.smp pid),
# RMQ_WRAPPER_PIDFILE (the rabbitmq-server sh wrapper), the logs, the node
# name and the ports at another node of a cluster.
RMQ_BASE_NODENAME=$TALLY_RABBITMQ_NODENAME
RMQ_BASE_AMQP_PORT=$TALLY_AMQP_PORT
RMQ_BASE_DIST_PORT=$TALLY_RABBITMQ_DIST_PORT
RMQ_BASE_TLS_PORT=$TALLY_AMQP_TLS_PORT
# The Debian package's real scripts (the /usr/sbin ones are `su rabbitmq` wrappers).
RMQ_SBIN="${TALLY_RABBITMQ_SBIN:-/usr/lib/rabbitmq/bin}"

EPMD_PIDFILE="$RUN_DIR/epmd.pid"          # exists only if up.sh started epmd
EPMD_LOG="$LOG_DIR/epmd.log"
EPMD_PORT="${ERL_EPMD_PORT:-4369}"

TLS_DIR="$STATE/tls"                      # throwaway CA + certificates (TALLY_AMQP_TLS_PORT)

AGG_PIDFILE="$RUN_DIR/aggregator.pid"
AGG_LOG="$LOG_DIR/aggregator.log"
WORKERS_DIR="$STATE/workers"

# ---------------------------------------------------------------- messages

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() {
    printf '==> ERROR: %s\n' "$*" >&2
    exit 1
}

# die_with_log MESSAGE LOGFILE... : fail loudly, showing the tail of each log.
die_with_log() {
    local msg=$1 f
    shift
    printf '==> ERROR: %s\n' "$msg" >&2
    for f in "$@"; do
        if [[ -s "$f" ]]; then
            printf -- '---- last 40 lines of %s ----\n' "$f" >&2
            tail -n 40 "$f" >&2
            printf -- '---- end of %s ----\n' "$f" >&2
        else
            printf -- '---- %s: missing or empty ----\n' "$f" >&2
        fi
    done
    exit 1
}

# ---------------------------------------------------------------- time

now_ns() { date +%s%N; }

# elapsed START_NS : seconds since START_NS, two decimals ("12.34").
elapsed() {
    local d=$(($(now_ns) - $1))
    printf '%d.%02d' $((d / 1000000000)) $((d % 1000000000 / 10000000))
}

# ---------------------------------------------------------------- processes

# pid_alive PID [PATTERN] : PID exists, is not a zombie, and (if given) its
# command line contains PATTERN (guards against pid reuse after a reboot or
# a long-dead pidfile).
pid_alive() {
    local pid=${1:-} pattern=${2:-} stat cmdline
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]] || return 1
    if [[ -n "$pattern" ]]; then
        cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
        [[ "$cmdline" == *"$pattern"* ]] || return 1
    fi
    return 0
}

pid_gone() { ! pid_alive "$1"; }

# read_pid PIDFILE : print the pid stored in PIDFILE (nothing if absent/garbage).
read_pid() {
    local pid=""
    if [[ -f "$1" ]]; then
        read -r pid <"$1" 2>/dev/null || true
    fi
    [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid"
    return 0
}

# pidfile_alive PIDFILE [PATTERN] : print the pid and succeed if it runs.
pidfile_alive() {
    local pid
    pid=$(read_pid "$1")
    pid_alive "$pid" "${2:-}" || return 1
    printf '%s' "$pid"
}

# wait_for TIMEOUT_S DESCRIPTION GUARD_PID COMMAND [ARGS...]
# Polls COMMAND (backing off from 0.1 s to 1 s) until it succeeds.
# Returns 0 on success, 1 on timeout, 2 if GUARD_PID (when non-empty) died.
wait_for() {
    local timeout=$1 desc=$2 guard=$3 delay=0.1 deadline
    shift 3
    deadline=$(($(now_ns) + timeout * 1000000000))
    while :; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [[ -n "$guard" ]] && ! pid_alive "$guard"; then
            warn "process $guard exited while waiting for $desc"
            return 2
        fi
        if (($(now_ns) >= deadline)); then
            warn "timed out after ${timeout}s waiting for $desc"
            return 1
        fi
        sleep "$delay"
        case $delay in
            0.1) delay=0.2 ;;
            0.2) delay=0.5 ;;
            *) delay=1 ;;
        esac
    done
}

# spawn LOGFILE COMMAND [ARGS...] : start COMMAND detached (own session, stdin
# from /dev/null, output appended to LOGFILE, lock fd closed) and set
# SPAWNED_PID to its pid. nohup and setsid both exec, so $! is the pid of
# COMMAND itself (a background child of a non-interactive shell is never a
# process-group leader, so setsid does not fork).
SPAWNED_PID=""
spawn() {
    local logfile=$1
    shift
    nohup setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
    SPAWNED_PID=$!
}

# stop_pid PID NAME [TIMEOUT_S] : SIGTERM, wait up to TIMEOUT_S, then SIGKILL
# (the whole process group when PID leads one, i.e. was started by spawn).
stop_pid() {
    local pid=$1 name=$2 timeout=${3:-15} pgid=""
    pid_alive "$pid" || return 0
    log "stopping $name (pid $pid): SIGTERM, waiting up to ${timeout}s"
    kill -TERM "$pid" 2>/dev/null || true
    if wait_for "$timeout" "$name (pid $pid) to exit" "" pid_gone "$pid"; then
        return 0
    fi
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || true
    if [[ "$pgid" == "$pid" ]]; then
        warn "$name (pid $pid) still running: SIGKILL to its process group"
        kill -KILL -- "-$pid" 2>/dev/null || true
    else
        warn "$name (pid $pid) still running: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait_for 10 "$name (pid $pid) to die" "" pid_gone "$pid" ||
        die "$name (pid $pid) survived SIGKILL"
}

# any_alive PID... : at least one of the PIDs is alive.
any_alive() {
    local p
    for p in "$@"; do
        pid_alive "$p" && return 0
    done
    return 1
}

none_alive() { ! any_alive "$@"; }

# stop_pidfiles TIMEOUT_S NAME PIDFILE PATTERN [NAME PIDFILE PATTERN]...
# Like stop_pidfile for several processes at once: SIGTERM to all, one shared
# TIMEOUT_S wait, then SIGKILL (process group if led) to the survivors.
stop_pidfiles() {
    local timeout=$1 name pidfile pattern pid i pgid
    local -a pids=() names=() files=()
    shift
    while (($# >= 3)); do
        name=$1 pidfile=$2 pattern=$3
        shift 3
        files+=("$pidfile")
        if pid=$(pidfile_alive "$pidfile" "$pattern"); then
            log "stopping $name (pid $pid): SIGTERM"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$name")
        elif [[ -e "$pidfile" ]]; then
            log "$name: not running (removing stale pidfile)"
        fi
    done
    if ((${#pids[@]} > 0)) &&
        ! wait_for "$timeout" "${#pids[@]} process(es) to exit" "" none_alive "${pids[@]}"; then
        for i in "${!pids[@]}"; do
            pid=${pids[$i]}
            pid_alive "$pid" || continue
            pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || true
            warn "${names[$i]} (pid $pid) ignored SIGTERM for ${timeout}s: SIGKILL"
            if [[ "$pgid" == "$pid" ]]; then
                kill -KILL -- "-$pid" 2>/dev/null || true
            else
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done
        wait_for 10 "killed processes to die" "" none_alive "${pids[@]}" ||
            die "processes survived SIGKILL: ${pids[*]}"
    fi
    if ((${#files[@]} > 0)); then
        rm -f "${files[@]}"
    fi
}

# stop_pidfile PIDFILE NAME PATTERN [TIMEOUT_S] : stop_pid + remove pidfile.
stop_pidfile() {
    local pidfile=$1 name=$2 pattern=$3 timeout=${4:-15} pid
    if pid=$(pidfile_alive "$pidfile" "$pattern"); then
        stop_pid "$pid" "$name" "$timeout"
    elif [[ -e "$pidfile" ]]; then
        log "$name: not running (removing stale pidfile)"
    fi
    rm -f "$pidfile"
}

# ---------------------------------------------------------------- network

# port_open PORT [HOST] : something accepts TCP connections there.
port_open() {
    (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# ---------------------------------------------------------------- state

ensure_state_dirs() {
    mkdir -p "$STATE" "$LOG_DIR" "$RUN_DIR" "$REDIS_DIR" "$RMQ_DIR" \
        "$RMQ_LOG_BASE" "$WORKERS_DIR" "$RMQ_HOME"
    if cluster_mode; then
        mkdir -p "$REDIS_REPLICA_DIR"
    fi
    chmod 700 "$RMQ_HOME"
}

# lock_state : serialise up/down runs (fd 9; spawn closes it in children).
lock_state() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock -w 300 9 || die "another up/down holds $STATE/.lock"
}

# ---------------------------------------------------------------- tls

# tls_ensure_certs : a throwaway CA and, signed by it, a server certificate
# for DNS name `localhost` (no IP address: clients that check hostnames must
# connect by name) and a client certificate; plus a second, unrelated CA
# that tests use to see verification fail. Kept if present. Test-only
# material: 2-day validity, unencrypted keys, in $TLS_DIR (mode 700).
tls_ensure_certs() {
    [[ -s "$TLS_DIR/server.pem" && -s "$TLS_DIR/client.pem" && -s "$TLS_DIR/untrusted-ca.pem" ]] && return 0
    command -v openssl >/dev/null || die "openssl is needed for TALLY_AMQP_TLS_PORT (scripts/install-deps.sh installs it)"
    log "tls: generating a throwaway CA and certificates in $TLS_DIR"
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    (
        set -e
        cd "$TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tally throwaway test CA" \
            -keyout ca.key -out ca.pem 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tally untrusted CA" \
            -keyout untrusted-ca.key -out untrusted-ca.pem 2>/dev/null
        for name in server client; do
            if [[ $name == server ]]; then
                ext=$'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth'
            else
                ext=$'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth'
            fi
            openssl req -newkey rsa:2048 -nodes -subj "/CN=tally-$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
            openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile <(printf '%s\n' "$ext") -out "$name.pem" 2>/dev/null
        done
        rm -f ./*.csr ca.srl
    ) || die "openssl could not generate the test certificates in $TLS_DIR"
}

# ---------------------------------------------------------------- rabbitmq

# rmq_env : export the environment shared by the node and its CLI tools.
# All state lives under $RMQ_DIR; /etc/rabbitmq and /var/lib/rabbitmq are
# never read or written.
rmq_env() {
    export HOME="$RMQ_HOME"   # Erlang reads $HOME/.erlang.cookie (node and CLI)
    export RABBITMQ_NODENAME="$RMQ_NODENAME"
    export RABBITMQ_USE_LONGNAME=false
    export RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
    export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
    export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    export RABBITMQ_PLUGINS_EXPAND_DIR="$RMQ_DIR/plugins-expand"
    export RABBITMQ_LOG_BASE="$RMQ_LOG_BASE"
    export RABBITMQ_PID_FILE="$RMQ_PIDFILE"
    # Erlang distribution of the node only on loopback.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_CRASH_DUMP="$RMQ_DIR/erl_crash.dump"
}

# rmq_ensure_cookie : create $RMQ_HOME/.erlang.cookie (0400) if missing.
rmq_ensure_cookie() {
    local cookie="$RMQ_HOME/.erlang.cookie"
    mkdir -p "$RMQ_HOME"
    chmod 700 "$RMQ_HOME"
    if [[ ! -s "$cookie" ]]; then
        (
            umask 077
            od -An -N20 -tx1 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F' >"$cookie"
        )
        chmod 400 "$cookie"
    fi
}

# rmqctl ARGS... : rabbitmqctl with our environment (in a subshell).
rmqctl() { (rmq_env && "$RMQ_SBIN/rabbitmqctl" "$@"); }
rmq_diag() { (rmq_env && "$RMQ_SBIN/rabbitmq-diagnostics" "$@"); }

rmq_pid() { pidfile_alive "$RMQ_PIDFILE" beam; }

# ---------------------------------------------------------------- cluster mode

# cluster_mode : this state dir runs three RabbitMQ nodes, a Redis replica
# and three Sentinels (TALLY_CLUSTER=1 now, or at an earlier start).
cluster_mode() { [[ "$TALLY_CLUSTER" == 1 || -e "$CLUSTER_MARKER" ]]; }

# rmq_node_count : 3 in cluster mode, else 1.
rmq_node_count() {
    if cluster_mode; then echo 3; else echo 1; fi
}

# rmq_node_name I : node 1 is TALLY_RABBITMQ_NODENAME, node I <name>-I@<host>.
rmq_node_name() {
    if (($1 == 1)); then
        echo "$RMQ_BASE_NODENAME"
    else
        echo "${RMQ_BASE_NODENAME%@*}-$1@${RMQ_BASE_NODENAME#*@}"
    fi
}

rmq_node_amqp_port() { echo $((RMQ_BASE_AMQP_PORT + $1 - 1)); }

# rmq_node_of NAME : the index of the node called NAME (nothing if none).
rmq_node_of() {
    local i
    for ((i = 1; i <= $(rmq_node_count); i++)); do
        [[ "$(rmq_node_name "$i")" == "$1" ]] && echo "$i" && return 0
    done
    return 1
}

# rmq_select_node I : point the RabbitMQ settings (RMQ_NODENAME, RMQ_AMQP_PORT,
# RMQ_DIST_PORT, RMQ_TLS_PORT, state dir, pid files, logs) at node I. Distribution
# ports are 100 apart so that a cluster's never meets the single node of
# another run (make test's is TALLY_RABBITMQ_DIST_PORT+1 of make up's).
# Only node 1 has the TLS listener.
rmq_select_node() {
    local i=$1
    RMQ_NODE=$i
    RMQ_NODENAME=$(rmq_node_name "$i")
    RMQ_AMQP_PORT=$(rmq_node_amqp_port "$i")
    RMQ_DIST_PORT=$((RMQ_BASE_DIST_PORT + (i - 1) * 100))
    if ((i == 1)); then
        RMQ_TLS_PORT=$RMQ_BASE_TLS_PORT
        RMQ_DIR="$STATE/rabbitmq"
    else
        RMQ_TLS_PORT=""
        RMQ_DIR="$STATE/rabbitmq-$i"
    fi
    RMQ_PIDFILE="$RMQ_DIR/rabbitmq.pid"
    RMQ_WRAPPER_PIDFILE="$RMQ_DIR/rabbitmq-server.pid"
    RMQ_LOG_BASE="$RMQ_DIR/log"
    RMQ_CONSOLE_LOG="$RMQ_LOG_BASE/console.log"
    RMQ_NODE_LOG="$RMQ_LOG_BASE/$RMQ_NODENAME.log"
}
rmq_select_node 1

# The other nodes' AMQP addresses, as amqp.failoverHosts takes them.
rmq_failover_hosts() {
    local i hosts=""
    for ((i = 2; i <= $(rmq_node_count); i++)); do
        hosts+="${hosts:+,}127.0.0.1:$(rmq_node_amqp_port "$i")"
    done
    echo "$hosts"
}

sentinel_port() { echo $((TALLY_SENTINEL_PORT + $1 - 1)); }
sentinel_dir() { echo "$STATE/sentinel-$1"; }
sentinel_pidfile() { echo "$RUN_DIR/sentinel-$1.pid"; }
sentinel_log() { echo "$LOG_DIR/sentinel-$1.log"; }

# The Sentinels' addresses, as redis.sentinels takes them.
sentinel_addresses() {
    echo "127.0.0.1:$(sentinel_port 1),127.0.0.1:$(sentinel_port 2),127.0.0.1:$(sentinel_port 3)"
}

# redis_module_path : the tally Redis module, built from redis-module/ if
# it is missing or older than its source (scripts/build-redis-module.sh).
# Prints nothing when TALLY_REDIS_MODULE is 0.
redis_module_path() {
    [[ "$TALLY_REDIS_MODULE" == 1 ]] || return 0
    "$TALLY_SCRIPTS_DIR/build-redis-module.sh"
}

# redis_role PORT : master or slave (nothing if it does not answer).
redis_role() { redis-cli -h 127.0.0.1 -p "$1" ROLE 2>/dev/null | head -n1; }

# sentinel_master_flags I : the flags Sentinel I keeps for the primary
# (`master`, `s_down`, `o_down`, `failover_in_progress`, ...), comma-joined.
sentinel_master_flags() {
    redis-cli -h 127.0.0.1 -p "$(sentinel_port "$1")" SENTINEL master "$TALLY_REDIS_MASTER_NAME" 2>/dev/null |
        awk 'previous == "flags" { print; exit } { previous = $0 }'
}

# sentinels_settled : true when a Sentinel answers, every one that answers
# names the same primary, and none is in the middle of a failover. As a
# failover ends, its leader names the promoted replica while the others
# still name the old primary, until the leader's hello messages reach them;
# under load two Sentinels may both be failing over. A Redis started then
# may be told the old primary is current, come back as a primary of its
# own, and the Sentinels that still believe in it turn the promoted replica
# back into its replica.
sentinels_settled() {
    local i answer port named=""
    local -i answering=0
    for i in 1 2 3; do
        answer=$(redis-cli -h 127.0.0.1 -p "$(sentinel_port "$i")" SENTINEL get-master-addr-by-name "$TALLY_REDIS_MASTER_NAME" 2>/dev/null) || continue
        port=$(sed -n 2p <<<"$answer")
        [[ "$port" =~ ^[0-9]+$ ]] || continue
        [[ -z "$named" || "$named" == "$port" ]] || return 1
        [[ "$(sentinel_master_flags "$i")" != *failover_in_progress* ]] || return 1
        named=$port
        answering+=1
    done
    ((answering >= 1))
}

# any_sentinel_running : a Sentinel up.sh started is alive.
any_sentinel_running() {
    local i
    for i in 1 2 3; do
        pidfile_alive "$(sentinel_pidfile "$i")" redis-server >/dev/null && return 0
    done
    return 1
}

# redis_primary_port : the current primary's port — as a running Sentinel
# names it, else the instance that says it is a master, else TALLY_REDIS_PORT.
redis_primary_port() {
    local i answer port
    for i in 1 2 3; do
        answer=$(redis-cli -h 127.0.0.1 -p "$(sentinel_port "$i")" SENTINEL get-master-addr-by-name "$TALLY_REDIS_MASTER_NAME" 2>/dev/null) || continue
        port=$(sed -n 2p <<<"$answer")
        [[ "$port" =~ ^[0-9]+$ ]] && echo "$port" && return 0
    done
    for port in "$TALLY_REDIS_PORT" "$TALLY_REDIS_REPLICA_PORT"; do
        [[ "$(redis_role "$port")" == master ]] && echo "$port" && return 0
    done
    echo "$TALLY_REDIS_PORT"
}

# cluster_client_settings : in cluster mode, the settings (VAR=value, one a
# line) every tally process gets: the other RabbitMQ nodes and the
# Sentinels. Nothing otherwise.
cluster_client_settings() {
    cluster_mode || return 0
    echo "TALLY_AMQP_FAILOVER_HOSTS=$(rmq_failover_hosts)"
    echo "TALLY_REDIS_SENTINELS=$(sentinel_addresses)"
    echo "TALLY_REDIS_MASTER_NAME=$TALLY_REDIS_MASTER_NAME"
}

# ---------------------------------------------------------------- status

# _status_line NAME STATE PID DETAIL
_status_line() {
    printf '%-14s %-8s %-8s %s\n' "$1" "$2" "${3:--}" "${4:-}"
}

# _status_redis_role NAME PIDFILE PORT DIR : a cluster's Redis, with its role now.
_status_redis_role() {
    local pid
    if pid=$(pidfile_alive "$2" redis-server); then
        _status_line "$1" running "$pid" "127.0.0.1:$3  $(redis_role "$3" || true)  dir $4"
    else
        _status_line "$1" stopped "" "127.0.0.1:$3"
    fi
}

print_status() {
    local pid f n detail
    if cluster_mode; then
        _status_redis_role redis "$REDIS_PIDFILE" "$TALLY_REDIS_PORT" "$REDIS_DIR"
    elif pid=$(pidfile_alive "$REDIS_PIDFILE" redis-server); then
        _status_line redis running "$pid" "127.0.0.1:$TALLY_REDIS_PORT  dir $REDIS_DIR"
    else
        _status_line redis stopped "" "127.0.0.1:$TALLY_REDIS_PORT"
    fi
    if cluster_mode; then
        _status_redis_role redis-replica "$REDIS_REPLICA_PIDFILE" "$TALLY_REDIS_REPLICA_PORT" "$REDIS_REPLICA_DIR"
        for i in 1 2 3; do
            if pid=$(pidfile_alive "$(sentinel_pidfile "$i")" redis-server); then
                _status_line "sentinel-$i" running "$pid" "127.0.0.1:$(sentinel_port "$i")  master $TALLY_REDIS_MASTER_NAME"
            else
                _status_line "sentinel-$i" stopped "" "127.0.0.1:$(sentinel_port "$i")"
            fi
        done
    fi
    local i name
    for ((i = 1; i <= $(rmq_node_count); i++)); do
        rmq_select_node "$i"
        name=rabbitmq
        ((i == 1)) && ! cluster_mode || name="rabbitmq-$i"
        if pid=$(rmq_pid); then
            _status_line "$name" running "$pid" "127.0.0.1:$RMQ_AMQP_PORT  node $RMQ_NODENAME  dist $RMQ_DIST_PORT"
        else
            _status_line "$name" stopped "" "127.0.0.1:$RMQ_AMQP_PORT  node $RMQ_NODENAME"
        fi
    done
    rmq_select_node 1
    if pid=$(pidfile_alive "$EPMD_PIDFILE" epmd); then
        _status_line epmd running "$pid" "127.0.0.1:$EPMD_PORT  (started by up.sh)"
    elif port_open "$EPMD_PORT"; then
        _status_line epmd external "" "127.0.0.1:$EPMD_PORT  (not ours; left alone)"
    else
        _status_line epmd stopped "" "127.0.0.1:$EPMD_PORT"
    fi
    if pid=$(pidfile_alive "$AGG_PIDFILE" tally-aggregator); then
        _status_line aggregator running "$pid" "log $AGG_LOG"
    elif [[ -x "$TALLY_BIN/tally-aggregator" ]]; then
        _status_line aggregator stopped "" "$TALLY_BIN/tally-aggregator"
    else
        _status_line aggregator absent "" "no $TALLY_BIN/tally-aggregator"
    fi
    local any=0
    while IFS= read -r f; do
        any=1
        n=${f##*/worker-}
        n=${n%.pid}
        detail="log $LOG_DIR/worker-$n.log"
        if pid=$(pidfile_alive "$f" tally-worker); then
            _status_line "worker-$n" running "$pid" "$detail"
        else
            _status_line "worker-$n" stopped "" "$detail"
        fi
    done < <(list_worker_pidfiles)
    if ((any == 0)); then
        _status_line workers none "" "no worker pidfiles in $WORKERS_DIR"
    fi
}

# list_worker_pidfiles : worker pidfiles, numerically sorted.
list_worker_pidfiles() {
    local f
    [[ -d "$WORKERS_DIR" ]] || return 0
    for f in "$WORKERS_DIR"/worker-*.pid; do
        [[ -e "$f" ]] || continue
        [[ "$f" =~ /worker-([0-9]+)\.pid$ ]] || continue
        printf '%s %s\n' "${BASH_REMATCH[1]}" "$f"
    done | sort -n | cut -d' ' -f2-
}

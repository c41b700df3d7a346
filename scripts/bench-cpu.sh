#!/usr/bin/env bash
# make bench-cpu: CPU time per record of every process on the record path,
# for the broker-only relay and for tally, in the same run on the same
# private servers (release build, one worker, no aggregator):
#
#   redis-server, RabbitMQ (beam.smp), the worker, and tally-loadtest (the
#   publisher and the collector; in the relay run also the relay itself),
#
# from /proc/<pid>/stat (user + system ticks) before and after each run
# (Redis's forked AOF rewrites apart, in their own column),
# plus Redis's own account (INFO commandstats, reset before the tally run):
# calls and µs per call of each command, per record. CPU time, unlike
# throughput, is what a process spent whatever else ran on the machine, so
# the figures hold on a shared machine (AGGREGATOR=1 adds the aggregator,
# indexing the log as it runs, and its CPU); the throughput ratio is printed too
# but is as noisy as the machine. RECORDS (100000) per run; ROUNDS (2)
# alternating relay/tally pairs. REPLICA=1 adds a Redis replica (no
# persistence, its CPU not counted) and a third run per round, tally-wait:
# the worker with redis.waitReplicas=1, so the cost of waiting for a replica
# to hold each batch is measured in the same run. LAYOUT3=1 (the default)
# adds tally-layout3: the same worker on a Redis still on layout 3 (its own
# key prefix, seeded so that it is), where it applies as version 3 did, one
# tally_apply_v3 per record — the before of layout 4, in the same run.
# With the tally Redis module (TALLY_REDIS_MODULE=1, the default) tally
# applies through it, and tally-function is the same worker with the module
# unloaded, applying through the Function (tally_apply_v4): the module
# against what it stands in for, in the same run. relay-sized is the relay
# again with every body padded to the mean size of the notifications of
# that round's tally run (they carry the record plus its summary, ~2.5×
# the record): the broker's cost of tally's larger messages, so that
# tally / relay-sized is what tally's own work (Redis, the worker)
# costs in throughput. Each run's row also sums every process ("all",
# idle ones included) and says about how many cores they kept busy on
# average (all × records/s; the processes' CPU covers the load
# generator's whole run, its rate a slightly shorter window). CPU per
# record is not a fixed cost: it falls as the rate rises and every
# process batches more (BENCHMARKS.md), so runs at different rates
# compare by throughput, not by their sums.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
cd "$repo"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers benchcpu 16381 15675 25675
export TALLY_BIN="$repo/.build/release"
# AGGREGATOR=1: the aggregator runs and indexes the log during every run,
# and its CPU is counted (the issue's "with the aggregator indexing").
AGGREGATOR="${AGGREGATOR:-0}"
export TALLY_AGGREGATOR="$AGGREGATOR"
export TALLY_METRICS_PORT_BASE="${TALLY_BENCH_METRICS_PORT_BASE:-$((TALLY_REDIS_PORT + 1000))}"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
RECORDS="${RECORDS:-100000}"
ROUNDS="${ROUNDS:-2}"
REPLICA="${REPLICA:-0}"
# With the aggregator on, tally-layout3 would not be indexed (the aggregator
# follows the tally prefix), so it is off unless asked for.
if [[ "$AGGREGATOR" == 1 ]]; then LAYOUT3="${LAYOUT3:-0}"; else LAYOUT3="${LAYOUT3:-1}"; fi
reports="$TALLY_STATE_DIR/reports"
results="$reports/cpu.md"
[[ -x "$TALLY_BIN/tally-worker" && -x "$TALLY_BIN/tally-loadtest" ]] || die "no release build in $TALLY_BIN (make build-release)"

step() { printf '\n==> %s\n' "$*" >&2; }
cleanup() { step "stopping the bench servers"; "$here/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
WORKERS=1 "$here/up.sh" all >/dev/null
wait_for 60 "the worker to be ready" "" curl -sf "http://127.0.0.1:$TALLY_METRICS_PORT_BASE/ready" ||
    die_with_log "the worker did not become ready" "$LOG_DIR/worker-1.log"
mkdir -p "$reports"

redis_pid=$(cat "$REDIS_PIDFILE")
rabbit_pid=$(cat "$RMQ_PIDFILE")
worker_pid=$(cat "$TALLY_STATE_DIR"/workers/worker-1.pid)
aggregator_pid=""
if [[ "$AGGREGATOR" == 1 ]]; then aggregator_pid=$(cat "$AGG_PIDFILE"); fi
kinds=(relay tally relay-sized)
if [[ "$LAYOUT3" == 1 ]]; then
    # A log entry and no layout hash: what version 3 left behind.
    redis-cli -p "$TALLY_REDIS_PORT" XADD tally3:log '*' seeded by-bench-cpu >/dev/null
    kinds+=(tally-layout3)
fi
module_path=$(redis_module_path)
if [[ -n "$module_path" ]]; then kinds+=(tally-function); fi
if [[ "$REPLICA" == 1 ]]; then
    replica_port=$((TALLY_REDIS_PORT + 1))
    redis-server --port "$replica_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$TALLY_STATE_DIR" --pidfile "$TALLY_STATE_DIR/replica.pid" --logfile "$LOG_DIR/replica.log" \
        --replicaof 127.0.0.1 "$TALLY_REDIS_PORT"
    stop_replica() { kill "$(cat "$TALLY_STATE_DIR/replica.pid")" 2>/dev/null || true; }
    trap 'stop_replica; cleanup' EXIT
    wait_for 60 "the replica in sync" "" bash -c "redis-cli -p $replica_port INFO replication | grep -q master_link_status:up"
    kinds+=(tally-wait)
fi
# restart_worker [VAR=VALUE…]: the worker again, with these settings.
restart_worker() {
    kill -TERM "$worker_pid"
    while kill -0 "$worker_pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$TALLY_STATE_DIR"/workers/worker-1.pid
    env "$@" WORKERS=1 "$here/up.sh" workers >/dev/null
    wait_for 60 "the worker to be ready" "" curl -sf "http://127.0.0.1:$TALLY_METRICS_PORT_BASE/ready" ||
        die_with_log "the worker did not become ready" "$LOG_DIR/worker-1.log"
    worker_pid=$(cat "$TALLY_STATE_DIR"/workers/worker-1.pid)
}
redis() { redis-cli -p "$TALLY_REDIS_PORT" "$@"; }
# ticks PID: user + system CPU time of a process, in clock ticks (0 for no PID).
ticks() { if [[ -n "$1" ]]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi; }
# child_ticks PID: the same for its children it has reaped; for Redis, the
# forked AOF rewrites (each counted in the run during which it ended).
child_ticks() { awk '{print $16 + $17}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run KIND: one tally-loadtest run of RECORDS records; prints
# "KIND redis_us rabbit_us worker_us loadtest_us records_per_s aggregator_us
# rewrites_us" (µs per record; rewrites_us: Redis's reaped AOF-rewrite children).
run() {
    local kind=$1 args=() r0 q0 w0 r1 q1 w1
    if [[ $kind == relay ]]; then args=(--baseline --relays 1); fi
    if [[ $kind == relay-sized ]]; then
        args=(--baseline --relays 1 --relay-body-bytes "$(python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["throughput"]["meanNotificationBytes"]))' "$reports/cpu-tally-$round.json")")
    fi
    # The worker waits for the replica only in tally-wait runs, and uses
    # the layout 3 prefix only in tally-layout3 runs.
    if [[ $kind != relay* && $kind != "${worker_mode:-tally}" ]]; then
        # The worker chooses its route when it starts: the module is
        # unloaded (or loaded again) first.
        if [[ $kind == tally-function ]]; then
            redis MODULE UNLOAD tally >/dev/null
        elif [[ -n "$module_path" ]] && ! redis MODULE LIST | grep -qx tally; then
            redis MODULE LOAD "$module_path" >/dev/null
        fi
        case $kind in
            tally-wait) restart_worker TALLY_REDIS_WAIT_REPLICAS=1 ;;
            tally-layout3) restart_worker TALLY_REDIS_KEY_PREFIX=tally3 ;;
            *) restart_worker ;;
        esac
        worker_mode=$kind
    fi
    [[ $kind != relay* ]] && redis CONFIG RESETSTAT >/dev/null
    c0=$(child_ticks "$redis_pid"); r0=$(ticks "$redis_pid"); q0=$(ticks "$rabbit_pid"); w0=$(ticks "$worker_pid"); a0=$(ticks "$aggregator_pid")
    # tally-loadtest's own CPU: the rusage of a child of its own wrapper.
    python3 - "$reports/cpu-$kind-$round.loadtest" "$TALLY_BIN/tally-loadtest" --records "$RECORDS" --aggregator none --quiet --no-redis \
        --report-dir "$reports" --name "cpu-$kind-$round" "${args[@]}" >"$reports/cpu-$kind-$round.out" <<'PY'
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime + r.ru_stime}\n")
sys.exit(status)
PY
    c1=$(child_ticks "$redis_pid"); r1=$(ticks "$redis_pid"); q1=$(ticks "$rabbit_pid"); w1=$(ticks "$worker_pid"); a1=$(ticks "$aggregator_pid")
    [[ $kind != relay* ]] && redis INFO commandstats >"$reports/cpu-commandstats-$kind-$round.txt"
    python3 - "$kind" "$RECORDS" "$hz" "$((r1 - r0))" "$((q1 - q0))" "$((w1 - w0))" "$((a1 - a0))" "$reports/cpu-$kind-$round" "$((c1 - c0))" <<'PY'
import json, sys
kind, records, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
redis, rabbit, worker, aggregator = (int(x) for x in sys.argv[4:8])
report = json.load(open(sys.argv[8] + ".json"))
loadtest = float(open(sys.argv[8] + ".loadtest").read())
rewrites = int(sys.argv[9])
per = lambda t: 1e6 * t / hz / records
print(kind, f"{per(redis):.1f}", f"{per(rabbit):.1f}", f"{per(worker):.1f}", f"{1e6 * loadtest / records:.1f}",
      f"{report['throughput']['recordsPerSecond']:.0f}", f"{per(aggregator):.1f}", f"{per(rewrites):.1f}")
PY
}

: >"$reports/cpu-rows.txt"
step "warm-up: 5,000 records through each"
RECORDS_SAVED=$RECORDS; RECORDS=5000; round=0
for kind in "${kinds[@]}"; do run "$kind" >/dev/null 2>&1; done
RECORDS=$RECORDS_SAVED
for round in $(seq 1 "$ROUNDS"); do
    for kind in "${kinds[@]}"; do
        step "round $round: $kind, $RECORDS records"
        run "$kind" >>"$reports/cpu-rows.txt"  # not in a pipe: run keeps state (the worker's pid) in this shell
        tail -n 1 "$reports/cpu-rows.txt"
    done
done

python3 - "$reports" "$RECORDS" "$ROUNDS" "$AGGREGATOR" <<'PY' | tee "$results"
import glob, json, os, re, sys
reports, records, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
aggregator = "the aggregator indexing" if sys.argv[4] == "1" else "no aggregator"
rows = [line.split() for line in open(os.path.join(reports, "cpu-rows.txt")) if line.strip()]
print(f"CPU µs per record by process, {records:,} records per run, 1 worker, release build, {aggregator}")
print()
aggregating = any(float(row[6]) > 0 for row in rows)
print("| run | redis-server | its AOF rewrites | RabbitMQ | worker | tally-loadtest |" + (" aggregator |" if aggregating else "")
      + " all | cores busy | records/s |")
print("|---|---|---|---|---|---|---|---|---|" + ("---|" if aggregating else ""))
by_kind = {}
kinds_per_round = len({row[0] for row in rows})
for i, (kind, redis, rabbit, worker, loadtest, rate, aggregator, rewrites) in enumerate(rows):
    by_kind.setdefault(kind, []).append(float(rate))
    # Every process on the record path, and how many of the cores they kept
    # busy on average over the run (all µs per record × records per second).
    total = sum(float(x) for x in (redis, rewrites, rabbit, worker, loadtest, aggregator))
    print(f"| {kind} {i // kinds_per_round + 1} | {redis} | {rewrites} | {rabbit} | {worker} | {loadtest} |"
          + (f" {aggregator} |" if aggregating else "") + f" {total:.1f} | {total * float(rate) / 1e6:.2f} | {rate} |")
relay, tally = by_kind.get("relay", []), by_kind.get("tally", [])
if relay and tally:
    ratios = [t / r for r, t in zip(relay, tally)]
    print()
    print("Throughput ratio tally / relay per round: " + ", ".join(f"{x:.2f}" for x in ratios))
sized = by_kind.get("relay-sized", [])
if sized and tally:
    print("Throughput ratio tally / relay-sized per round (the relay carrying notification-sized bodies): "
          + ", ".join(f"{t / s:.2f}" for t, s in zip(tally, sized)))
    print("Throughput ratio relay-sized / relay per round (the broker's cost of the larger messages): "
          + ", ".join(f"{s / r:.2f}" for r, s in zip(relay, sized)))
    def mean_bytes(kind, r):
        path = os.path.join(reports, f"cpu-{kind}-{r}.json")
        value = json.load(open(path))["throughput"].get("meanNotificationBytes") if os.path.exists(path) else None
        return f"{value:.0f}" if value else "?"
    print("Mean output body per round, bytes (relay / tally's notifications / relay-sized): "
          + ", ".join(f"{mean_bytes('relay', r)} / {mean_bytes('tally', r)} / {mean_bytes('relay-sized', r)}"
                      for r in range(1, len(sized) + 1)))
wait = by_kind.get("tally-wait", [])
if wait and tally:
    print("Throughput ratio tally-wait / tally per round (the cost of redis.waitReplicas=1): "
          + ", ".join(f"{w / t:.2f}" for t, w in zip(tally, wait)))
layout3 = by_kind.get("tally-layout3", [])
if layout3 and tally:
    print("Throughput ratio tally / tally-layout3 per round (layout 4 against layout 3): "
          + ", ".join(f"{t / l:.2f}" for t, l in zip(tally, layout3)))
function = by_kind.get("tally-function", [])
if function and tally:
    print("Throughput ratio tally (the module) / tally-function per round: "
          + ", ".join(f"{t / f:.2f}" for t, f in zip(tally, function)))
for kind in ("tally", "tally-function", "tally-layout3"):
    stats = sorted(glob.glob(os.path.join(reports, f"cpu-commandstats-{kind}-[0-9]*.txt")))
    if not stats:
        continue
    print()
    print(f"Redis INFO commandstats of the last {kind} run, per record ({records:,} records):")
    print()
    print("| command | calls per record | µs per call | µs per record |")
    print("|---|---|---|---|")
    total_calls = 0
    for line in open(stats[-1]):
        m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)", line.strip())
        if not m or m.group(1).startswith("config"):
            continue
        name, calls, usec, per_call = m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4))
        total_calls += calls
        print(f"| {name} | {calls / records:.3f} | {per_call:.2f} | {usec / records:.2f} |")
    print()
    print(f"{total_calls / records:.1f} commands per record (those a Function calls included)")
PY
echo "per-run reports: $reports" >&2

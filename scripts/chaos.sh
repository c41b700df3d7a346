#!/usr/bin/env bash
# make chaos: the fault suite at full scale (TALLY_CHAOS_SCALE=10: 50,000
# records and 20 kills, a 10,000 × 10 duplicate flood, 100,000 hostile
# bodies, 30 connection cuts, …) against private servers, then the
# libFuzzer target for a bounded time, then the summary table
# (scenario, records, faults, lost, doubled); between them, the loss of a
# node on a private cluster (ClusterFaultTests). make test runs the same
# scenarios at scale 1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"

# shellcheck source=scripts/private-servers.sh
source "$here/private-servers.sh"
private_servers chaos 16381 15675 25675
export TALLY_BIN="$repo/.build/debug"  # debug builds carry the fault hooks
export TALLY_CHAOS_SCALE="${TALLY_CHAOS_SCALE:-10}"
export WORKERS=0
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

step() { printf '\n==> %s\n' "$*" >&2; }
cleanup() {
    local status=$?
    step "stopping the chaos servers"
    "$here/down.sh" || true
    exit "$status"
}
trap cleanup EXIT

"$here/install-deps.sh"
cd "$repo"
step "build (debug, with the fault hooks and tests)"
swift build --build-tests
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$TALLY_STATE_DIR"
"$here/up.sh" servers

step "fault suite at scale $TALLY_CHAOS_SCALE"
swift test --skip-build --no-parallel \
    --filter 'FaultTests|CrashRecoveryTests|GracefulStopTests|DeadLetterTests'

step "the loss of a node at scale $TALLY_CHAOS_SCALE (a cluster: three RabbitMQ nodes, Redis primary, replica, three Sentinels)"
single_report="$TALLY_STATE_DIR/fault-report.tsv"
"$here/down.sh"
start_cluster_servers chaoscluster 16483 15777 25777 26483
swift test --skip-build --no-parallel --filter ClusterFaultTests
cat "$TALLY_STATE_DIR/fault-report.tsv" >>"$single_report"
"$here/down.sh"
private_servers chaos 16381 15675 25675
unset TALLY_CLUSTER

step "fuzzing the record parser and validator for $FUZZ_SECONDS s"
"$here/fuzz.sh" "$FUZZ_SECONDS"

step "summary"
{
    printf '| scenario | records | faults | lost | doubled |\n|---|---|---|---|---|\n'
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$TALLY_STATE_DIR/fault-report.tsv"
} | tee "$TALLY_STATE_DIR/fault-report.md"
if awk -F'\t' '$4 != 0 || $5 != 0 {bad = 1} END {exit !bad}' "$TALLY_STATE_DIR/fault-report.tsv"; then
    echo "FAILED: a scenario lost or doubled records" >&2
    exit 1
fi
echo "chaos: every scenario at zero lost, zero doubled" >&2

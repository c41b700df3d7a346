#!/usr/bin/env bash
# make bench-micro: the micro-benchmarks of the worker's per-record Swift
# work (Benchmarks/, ordo-one's package-benchmark), checked against the
# thresholds in Benchmarks/Thresholds/ (malloc counts per operation: exact
# and repeatable on a shared machine; wall time is printed, not checked).
#
#   scripts/bench-micro.sh            run, print, check the thresholds
#   scripts/bench-micro.sh update     run and write new thresholds (after an
#                                     intended change; commit Thresholds/)
#
# Exit status: 0 when every benchmark is within its thresholds (or better),
# non-zero on a regression. A release build of Benchmarks/ comes first
# (a few minutes the first time; it is not part of make test).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$here/../Benchmarks"

case "${1:-check}" in
    update)
        swift package --allow-writing-to-package-directory benchmark thresholds update \
            --path Thresholds --no-progress
        ;;
    check)
        swift package benchmark --no-progress --time-units nanoseconds
        set +e
        swift package benchmark thresholds check --path Thresholds --no-progress
        status=$?
        set -e
        case $status in
            0) echo "bench-micro: every benchmark within its thresholds" ;;
            4) echo "bench-micro: better than the thresholds; record it with: scripts/bench-micro.sh update" ;;
            *)
                echo "bench-micro: REGRESSION against Benchmarks/Thresholds (exit $status)" >&2
                exit "$status"
                ;;
        esac
        ;;
    *)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac

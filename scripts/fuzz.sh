#!/usr/bin/env bash
# Fuzz the record parser and validator with libFuzzer for a bounded time.
#   scripts/fuzz.sh [SECONDS]   (default 60; make chaos runs it)
# The corpus (starting inputs: samples/*.ndjson lines) and any crash reproducer live in
# .state/fuzz/. A finding fails the script with libFuzzer's report.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
seconds="${1:-60}"
work="${TALLY_STATE_DIR:-$repo/.state}/fuzz"
mkdir -p "$work/corpus" "$work/findings"

echo "==> building the fuzzer (TallyCore + Fuzz/RecordValidatorFuzzer.swift, -sanitize=fuzzer,address)" >&2
mapfile -t sources < <(find "$repo/Sources/TallyCore" -name '*.swift' | sort)
swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name TallyCoreFuzz \
    "${sources[@]}" "$repo/Fuzz/RecordValidatorFuzzer.swift" -o "$work/record-validator-fuzzer"

n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"$work/corpus/seed-$n"
done < <(cat "$repo"/samples/*.ndjson)

echo "==> fuzzing for $seconds s (corpus $work/corpus)" >&2
cd "$work/findings"
"$work/record-validator-fuzzer" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work/corpus" 2>&1 | tail -25
echo "==> fuzzing: no finding in $seconds s" >&2

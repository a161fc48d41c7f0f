#!/usr/bin/env bash
# Run each cargo-fuzz target for a fixed time and stop at the first crash.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [--update-seeds]
#   SECONDS_PER_TARGET  default 300
#   --update-seeds      merge the new inputs that add coverage into fuzz/seeds/ (the small
#                       corpus kept in the repository); the working corpus in
#                       fuzz/corpus/ is not committed
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler for libFuzzer. The
# targets parse in memory and send nothing over the network.
set -euo pipefail

REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd -- "$REPO/fuzz"

BUDGET="${1:-300}"
UPDATE_SEEDS=false
if [ "${2:-}" = "--update-seeds" ]; then
    UPDATE_SEEDS=true
fi
TARGETS=(responder_path token redirect_location)

if ! command -v cargo-fuzz >/dev/null; then
    echo "fuzz: cargo-fuzz is missing; install it with: cargo install cargo-fuzz" >&2
    exit 1
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); RUSTC_BOOTSTRAP lets a
# stable compiler accept them.
export RUSTC_BOOTSTRAP=1

echo "fuzz: building ${TARGETS[*]}"
cargo fuzz build

for target in "${TARGETS[@]}"; do
    mkdir -p "corpus/$target"
    echo "fuzz: $target for $BUDGET s"
    started=$(date +%s)
    # The first folder receives new inputs; the seeds are read only.
    cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$BUDGET" -print_final_stats=1 2>&1 |
        grep -E "^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked|SUMMARY" || true
    status=${PIPESTATUS[0]}
    elapsed=$(( $(date +%s) - started ))
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target FAILED after $elapsed s; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    echo "fuzz: $target ran $elapsed s with no crash"

    if [ "$UPDATE_SEEDS" = true ]; then
        cargo fuzz run "$target" "seeds/$target" "corpus/$target" -- -merge=1 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
    fi
done

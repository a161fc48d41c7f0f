#!/usr/bin/env bash
# Run the interruption harness: SIGINT and SIGTERM sent to checks at random moments,
# with the webroot compared byte for byte before and after each trial.
#
# Usage: scripts/interrupt-harness.sh [TRIALS]   (default 200; the test suite runs 20)
# ACME_PREFLIGHT_SEED repeats a run. The servers listen on 127.0.0.1 only; as root the
# trials run inside a private network namespace, as the test command does.
set -euo pipefail

REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd -- "$REPO"

export ACME_PREFLIGHT_TRIALS="${1:-200}"

echo "build: cargo test --test interrupt --no-run"
cargo test --test interrupt --no-run --quiet

RUN=(cargo test --offline --quiet --test interrupt -- --nocapture)
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
    exec unshare -n -- bash -c 'ip link set lo up && exec "$@"' bash "${RUN[@]}"
fi
exec "${RUN[@]}"

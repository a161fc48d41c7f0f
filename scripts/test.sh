#!/usr/bin/env bash
# Install what the tests need, build, and run the whole suite.
#
# The network tests run inside a private network namespace (`unshare -n`) with only a
# loopback interface, so a wrong redirect or a DNS lookup cannot leave the machine. Builds
# and installs need the network, so they happen first, outside the namespace.
set -euo pipefail

REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd -- "$REPO"

scripts/install-test-deps.sh

echo "build: cargo test --no-run"
cargo test --no-run --quiet

if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
    echo "test: cargo test inside a private network namespace"
    exec unshare -n -- bash -c 'ip link set lo up && exec cargo test --offline --no-fail-fast "$@"' bash "$@"
fi

if [ "${CI:-}" = "true" ]; then
    echo "test: CI needs root and unshare -n to keep test traffic off the network" >&2
    exit 1
fi
echo "test: not root, so running without a private network namespace (loopback only)" >&2
exec cargo test --offline --no-fail-fast "$@"

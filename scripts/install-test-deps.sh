#!/usr/bin/env bash
# Install what the integration tests need on Debian 12, as root: the web servers
# and tools from Debian's packages, a Python venv with Dash, Flask, Django and
# gunicorn, and Express 4 for Node.js. Each step is skipped when its result is
# already there, so a run on a ready machine makes no network call.
#
# Prints one line per step. A failing command's output is printed in full.
set -euo pipefail

REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
TEST_ENV="$REPO/.test-env"
VENV="$TEST_ENV/venv"
NODE_PREFIX="$TEST_ENV/node"

# The venv is built from Debian's Python 3.11, whose venv module needs the
# python3-venv package to create a venv with pip.
SYSTEM_PYTHON=/usr/bin/python3

# Major versions that install on Python 3.11. Django 6 needs Python 3.12.
PIP_REQUIREMENTS=("dash==4.*" "flask==3.*" "django==5.2.*" "gunicorn==27.*")
PYTHON_MODULES="dash, flask, django, gunicorn"

EXPRESS_SPEC="express@4"

# Debian package and the file whose absence means the package is missing.
DEBIAN_PACKAGES=(
    "nginx-light /usr/sbin/nginx"
    "apache2 /usr/sbin/apache2"
    "lighttpd /usr/sbin/lighttpd"
    "nftables /usr/sbin/nft"
    "iproute2 /usr/sbin/ip"
    "curl /usr/bin/curl"
    "groff-base /usr/bin/groff"
    "openssl /usr/bin/openssl"
    "pebble /usr/bin/pebble"
    "certbot /usr/bin/certbot"
    "dehydrated /usr/bin/dehydrated"
)

LOG="$(mktemp)"
POLICY_RC=/usr/sbin/policy-rc.d
CREATED_POLICY_RC=false

cleanup() {
    rm -f -- "$LOG"
    if [ "$CREATED_POLICY_RC" = true ]; then
        rm -f -- "$POLICY_RC"
    fi
}
trap cleanup EXIT

# Run a command with its output sent to $LOG. On failure, print that output
# and the failed command, then exit with the command's status.
run_quiet() {
    local status=0
    "$@" >"$LOG" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat -- "$LOG" >&2
        echo "install-test-deps: failed with exit code $status: $*" >&2
        exit "$status"
    fi
}

install_debian_packages() {
    local missing=() entry package path
    for entry in "${DEBIAN_PACKAGES[@]}"; do
        read -r package path <<<"$entry"
        if [ ! -x "$path" ]; then
            missing+=("$package")
        fi
    done
    if ! "$SYSTEM_PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    if ! command -v node >/dev/null 2>&1; then
        missing+=(nodejs npm)
    fi

    if [ "${#missing[@]}" -eq 0 ]; then
        echo "debian packages: all present"
        return
    fi

    if [ "$(id -u)" -ne 0 ]; then
        echo "install-test-deps: missing Debian packages: ${missing[*]}; run this script as root to install them" >&2
        exit 1
    fi

    # Installing nginx, apache2 or lighttpd starts its service on port 80 of
    # every address. A policy-rc.d that exits 101 stops Debian's maintainer
    # scripts from starting services. An existing one is left as it is.
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
        chmod 755 "$POLICY_RC"
        CREATED_POLICY_RC=true
    fi

    run_quiet apt-get update
    run_quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
    echo "debian packages: installed ${missing[*]}"
}

install_python_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import $PYTHON_MODULES" >/dev/null 2>&1; then
        echo "python venv: $PYTHON_MODULES already in $VENV"
        return
    fi

    if [ ! -x "$VENV/bin/python" ]; then
        run_quiet "$SYSTEM_PYTHON" -m venv --clear "$VENV"
    fi
    run_quiet "$VENV/bin/python" -m pip install --disable-pip-version-check "${PIP_REQUIREMENTS[@]}"
    echo "python venv: installed ${PIP_REQUIREMENTS[*]} in $VENV"
}

install_express() {
    local package_json="$NODE_PREFIX/node_modules/express/package.json"
    local version=""
    if [ -f "$package_json" ]; then
        version="$(node -p 'require(process.argv[1]).version' "$package_json")"
    fi
    if [[ "$version" == 4.* ]]; then
        echo "express: version $version already in $NODE_PREFIX"
        return
    fi

    if ! command -v npm >/dev/null 2>&1; then
        echo "install-test-deps: npm not found although node is installed; install npm for $(node --version)" >&2
        exit 1
    fi
    mkdir -p -- "$NODE_PREFIX"
    run_quiet npm install --prefix "$NODE_PREFIX" --no-audit --no-fund "$EXPRESS_SPEC"
    version="$(node -p 'require(process.argv[1]).version' "$package_json")"
    echo "express: installed version $version in $NODE_PREFIX"
}

install_debian_packages
install_python_venv
install_express

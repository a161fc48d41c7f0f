#!/usr/bin/env bash
# Throughput, latency and memory of `acme-preflight serve` next to nginx serving the
# same token file, measured the same way in one run: wrk with keep-alive connections
# against each server in turn, ROUNDS rounds interleaved, a fresh server each round,
# medians reported. Each server runs with its request log, as deployed by default, and
# without it.
# Each server is pinned to CPU 0 and wrk to CPU 1, so nginx runs one worker and the
# responder's runtime one thread. On a machine with one CPU, server and wrk share it.
#
# Runs inside a private network namespace on loopback. Needs root, nginx, curl and wrk
# (installed from Debian's packages when missing).
#
# Usage: bench/serve-vs-nginx.sh [ROUNDS] [SECONDS] [CONNECTIONS]   (default 5 10 64)
set -euo pipefail

ROUNDS="${1:-5}"
SECONDS_PER_RUN="${2:-10}"
CONNECTIONS="${3:-64}"
REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/target/release/acme-preflight"

if [ "${INSIDE_NETNS:-}" != 1 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "serve-vs-nginx: run as root: the benchmark needs its own network namespace (unshare -n)" >&2
        exit 1
    fi
    if ! command -v wrk >/dev/null 2>&1; then
        echo "serve-vs-nginx: installing wrk from Debian's packages"
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    fi
    for tool in /usr/sbin/nginx curl taskset; do
        command -v "$tool" >/dev/null 2>&1 || { echo "serve-vs-nginx: $tool is missing; install it from Debian's packages" >&2; exit 1; }
    done
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
    exec unshare -n -- env INSIDE_NETNS=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

SERVER_CPU=0
CLIENT_CPU=$(( $(nproc) > 1 ? 1 : 0 ))
WORK="$(mktemp -d)"
chmod 755 "$WORK"
WEBROOT="$WORK/www"
CHALLENGE_DIR="$WEBROOT/.well-known/acme-challenge"
mkdir -p "$CHALLENGE_DIR"
chmod -R 755 "$WEBROOT"
# A key authorization of the CA's size: a 43-character token, a dot, a 43-character
# thumbprint.
TOKEN=benchtokenbenchtokenbenchtokenbenchtoken123
KEY_AUTHORIZATION="$TOKEN.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
printf '%s' "$KEY_AUTHORIZATION" >"$CHALLENGE_DIR/$TOKEN"
chmod 644 "$CHALLENGE_DIR/$TOKEN"
NGINX_PORT=8081
SERVE_PORT=8082

# nginx.conf logs every request as nginx does by default; nginx_nolog.conf does not.
for variant in nginx nginx_nolog; do
    access_log="access_log $WORK/nginx-access.log;"
    [ "$variant" = nginx_nolog ] && access_log="access_log off;"
    cat >"$WORK/$variant.conf" <<CONF
user www-data;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type text/plain;
    $access_log
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    server { listen 127.0.0.1:$NGINX_PORT; server_name example.test; root $WEBROOT; }
}
CONF
done

SERVER_PIDS=()
stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
trap 'stop_servers; rm -rf -- "$WORK"' EXIT

wait_for() {
    local url="$1" _
    for _ in $(seq 100); do
        if [ "$(curl -s --noproxy '*' "$url")" = "$KEY_AUTHORIZATION" ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "serve-vs-nginx: $url did not serve the token" >&2
    exit 1
}

# Peak resident set size in KiB of a process and its children (nginx's master and
# worker), from VmHWM.
peak_rss_kib() {
    local total=0 pid kib
    for pid in "$1" $(pgrep -P "$1" || true); do
        kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$(( total + ${kib:-0} ))
    done
    echo "$total"
}

# wrk prints latency percentiles with a unit (us, ms, s); convert to milliseconds.
to_ms() {
    awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'
}

# Runs wrk against URL; prints "RPS P50_MS P99_MS".
measure() {
    local url="$1" out rps p50 p99
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s "$url" >/dev/null
    out="$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$url")"
    if echo "$out" | grep -q "Non-2xx"; then
        echo "serve-vs-nginx: $url returned error statuses:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
    p50=$(echo "$out" | awk '$1 == "50%" { print $2 }' | to_ms)
    p99=$(echo "$out" | awk '$1 == "99%" { print $2 }' | to_ms)
    echo "$rps $p50 $p99"
}

# Starts one of the four servers: nginx and serve with their request logs, as deployed by
# default, and each without (nginx `access_log off`, serve with RUST_LOG=warn), which shows
# what the logs cost.
start_server() {
    case "$1" in
        nginx | nginx_nolog)
            taskset -c "$SERVER_CPU" /usr/sbin/nginx -c "$WORK/$1.conf" -g 'daemon off;' &
            SERVER_PIDS+=($!)
            PORT=$NGINX_PORT
            ;;
        serve | serve_nolog)
            local filter=info
            [ "$1" = serve_nolog ] && filter=warn
            RUST_LOG="$filter" taskset -c "$SERVER_CPU" "$BIN" serve --challenge-dir "$CHALLENGE_DIR" \
                --listen "127.0.0.1:$SERVE_PORT" 2>"$WORK/serve.log" &
            SERVER_PIDS+=($!)
            PORT=$SERVE_PORT
            ;;
    esac
    wait_for "http://127.0.0.1:$PORT/.well-known/acme-challenge/$TOKEN"
}

SERVERS=(nginx serve nginx_nolog serve_nolog)
# Other work on the machine skews every server; the load averages show how much there was.
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A RESULTS
for round in $(seq "$ROUNDS"); do
    for server in "${SERVERS[@]}"; do
        start_server "$server"
        result="$(measure "http://127.0.0.1:$PORT/.well-known/acme-challenge/$TOKEN")"
        read -r rps p50 p99 <<<"$result"
        rss=$(peak_rss_kib "${SERVER_PIDS[0]}")
        RESULTS["$server,$round"]="$rps $p50 $p99 $rss"
        echo "round $round $server: $rps req/s, p50 $p50 ms, p99 $p99 ms, peak RSS $rss KiB" >&2
        stop_servers
    done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field_of() { echo "${RESULTS[$1,$2]}" | awk -v f="$3" '{ print $f }'; }
column_median() {
    local round
    for round in $(seq "$ROUNDS"); do field_of "$1" "$round" "$2"; done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Each round measures the servers back to back, so the ratio within a round cancels most
# of the load that other work puts on the machine.
paired_ratio() {
    local round
    for round in $(seq "$ROUNDS"); do
        ratio "$(field_of "$1" "$round" "$3")" "$(field_of "$2" "$round" "$3")"
        echo
    done | median
}

row() {
    local label="$1" server="$2"
    echo "| $label | $(column_median "$server" 1) | $(column_median "$server" 2) | $(column_median "$server" 3) | $(mib "$(column_median "$server" 4)") |"
}
ratio_row() {
    local label="$1" a="$2" b="$3"
    echo "| $label | $(paired_ratio "$a" "$b" 1) | $(paired_ratio "$a" "$b" 2) | $(paired_ratio "$a" "$b" 3) | $(paired_ratio "$a" "$b" 4) |"
}

echo
echo "$ROUNDS rounds of ${SECONDS_PER_RUN} s, $CONNECTIONS connections, interleaved; medians"
echo "$(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr)"
echo "load average (1, 5, 15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(/usr/sbin/nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'), acme-preflight $("$BIN" --version | awk '{ print $2 }')"
echo
echo "| server | requests/s | p50 (ms) | p99 (ms) | peak RSS (MiB) |"
echo "| --- | --- | --- | --- | --- |"
row "nginx, access log on" nginx
row "acme-preflight serve, request log on" serve
ratio_row "serve / nginx, logs on (median of per-round ratios)" serve nginx
row "nginx, access_log off" nginx_nolog
row "acme-preflight serve, RUST_LOG=warn" serve_nolog
ratio_row "serve / nginx, logs off (median of per-round ratios)" serve_nolog nginx_nolog

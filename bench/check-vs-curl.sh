#!/usr/bin/env bash
# Wall time of one `acme-preflight check` against local nginx, next to one `curl` of the same
# challenge URL, measured the same way in one run: whole processes, interleaved, N runs
# each, medians reported. Runs inside a private network namespace; needs root and nginx.
#
# Usage: bench/check-vs-curl.sh [RUNS]   (default 41)
set -euo pipefail

RUNS="${1:-41}"
REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/target/release/acme-preflight"

if [ "${INSIDE_NETNS:-}" != 1 ]; then
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
    exec unshare -n -- env INSIDE_NETNS=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

WORK="$(mktemp -d)"
chmod 755 "$WORK"
WEBROOT="$WORK/www"
mkdir -p "$WEBROOT/.well-known/acme-challenge"
chmod -R 755 "$WEBROOT"
TOKEN=benchtokenbenchtokenbenchtokenbenchtoken123
printf '%s.thumbprint' "$TOKEN" >"$WEBROOT/.well-known/acme-challenge/$TOKEN"
PORT=8080

cat >"$WORK/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    server { listen 127.0.0.1:$PORT; server_name example.test; root $WEBROOT; }
}
CONF
/usr/sbin/nginx -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
trap 'kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null; rm -rf -- "$WORK"' EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    sleep 0.1
done

now_ns() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

check_3=() curl_1=() check_1=()
for _ in $(seq "$RUNS"); do
    start=$(now_ns)
    "$BIN" check example.test --webroot "$WEBROOT" --resolve "example.test:$PORT:127.0.0.1" \
        --http-port "$PORT" --format json >/dev/null
    check_3+=($(( $(now_ns) - start )))

    start=$(now_ns)
    "$BIN" check example.test --webroot "$WEBROOT" --resolve "example.test:$PORT:127.0.0.1" \
        --http-port "$PORT" --attempts 1 --format json >/dev/null
    check_1+=($(( $(now_ns) - start )))

    start=$(now_ns)
    curl -s -o /dev/null --resolve "example.test:$PORT:127.0.0.1" \
        "http://example.test:$PORT/.well-known/acme-challenge/$TOKEN"
    curl_1+=($(( $(now_ns) - start )))
done

ms() { awk '{ printf "%.2f", $1 / 1e6 }'; }
c3=$(printf '%s\n' "${check_3[@]}" | median)
c1=$(printf '%s\n' "${check_1[@]}" | median)
cu=$(printf '%s\n' "${curl_1[@]}" | median)
echo "runs: $RUNS each, interleaved; $(nproc) cores; $(uname -sr)"
echo "| command | median wall time (ms) | ratio to curl |"
echo "| --- | --- | --- |"
echo "| curl, one GET | $(echo "$cu" | ms) | 1.00 |"
echo "| acme-preflight check --attempts 1 | $(echo "$c1" | ms) | $(awk -v a="$c1" -v b="$cu" 'BEGIN { printf "%.2f", a / b }') |"
echo "| acme-preflight check (default: 3 fetches) | $(echo "$c3" | ms) | $(awk -v a="$c3" -v b="$cu" 'BEGIN { printf "%.2f", a / b }') |"

#!/usr/bin/env bash
# Bulk throughput: N names (default 10000) resolved through a local DNS server and served
# by nginx, checked by one `acme-preflight check --domains-file` run with default settings,
# side by side with `xargs -P` running curl over the same names in the same run. Reports
# checks per second and peak RSS.
#
# Everything runs inside private network and mount namespaces: pebble-challtestsrv answers
# every A query with 127.0.0.1 on 127.0.0.1:53, and a bind-mounted /etc/resolv.conf points
# the system's resolver configuration at it, so both tools resolve the way they would in
# production. The check runs with --allow-private, which keeps loopback addresses from DNS.
# Needs root, nginx and pebble-challtestsrv.
#
# Usage: bench/bulk.sh [NAMES]   (CHECK_ARGS adds options to the check, for experiments)
set -euo pipefail

NAMES="${1:-10000}"
REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/target/release/acme-preflight"

if [ "${INSIDE_NAMESPACES:-}" != 1 ]; then
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
    exec unshare -n -m -- env INSIDE_NAMESPACES=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

WORK="$(mktemp -d)"
chmod 755 "$WORK"
WEBROOT="$WORK/www"
mkdir -p "$WEBROOT/.well-known/acme-challenge"
chmod -R 755 "$WEBROOT"
TOKEN=bulkbenchtokenbulkbenchtokenbulkbenchtoken1
printf '%s.thumbprint' "$TOKEN" >"$WEBROOT/.well-known/acme-challenge/$TOKEN"

pebble-challtestsrv -dns01 127.0.0.1:53 -http01 "" -https01 "" -tlsalpn01 "" \
    -management 127.0.0.1:8055 -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$WORK/dns.log" 2>&1 &
DNS_PID=$!

cat >"$WORK/nginx.conf" <<CONF
user www-data;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    server { listen 127.0.0.1:80 backlog=4096; root $WEBROOT; }
}
CONF
/usr/sbin/nginx -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
trap 'kill "$NGINX_PID" "$DNS_PID"; wait 2>/dev/null; rm -rf -- "$WORK"' EXIT

printf 'nameserver 127.0.0.1\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1/" && break
    sleep 0.1
done

seq -f "site%g.bulk.example" 1 "$NAMES" >"$WORK/names.txt"

# Runs a command and prints "SECONDS MAX_RSS_KIB" of it and its children.
measure() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
start = time.monotonic()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.monotonic() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{elapsed:.3f} {rss} {code}")
PY
}

read -r check_s check_rss check_code < <(measure "$BIN" check --domains-file "$WORK/names.txt" \
    --webroot "$WEBROOT" --allow-private --format ndjson -q ${CHECK_ARGS:-})
passed=$("$BIN" --version >/dev/null; echo "$check_code")

read -r curl_s curl_rss curl_code < <(measure bash -c \
    "xargs -P 8 -I NAME curl -s -o /dev/null -w '%{http_code}\n' http://NAME/.well-known/acme-challenge/$TOKEN <'$WORK/names.txt' | grep -c '^200$' >'$WORK/curl-ok'")
curl_ok=$(cat "$WORK/curl-ok")

echo "names: $NAMES; $(nproc) cores; $(uname -sr)"
echo "check exit status: $passed (0 means every name passed); curl 200 answers: $curl_ok"
echo "| command | wall time (s) | names per second | peak RSS (MiB) |"
echo "| --- | --- | --- | --- |"
awk -v n="$NAMES" -v s="$check_s" -v r="$check_rss" 'BEGIN { printf "| acme-preflight check --domains-file (defaults) | %.2f | %.0f | %.1f |\n", s, n / s, r / 1024 }'
awk -v n="$NAMES" -v s="$curl_s" -v r="$curl_rss" 'BEGIN { printf "| xargs -P 8 curl (one GET per name) | %.2f | %.0f | %.1f |\n", s, n / s, r / 1024 }'
awk -v a="$check_s" -v b="$curl_s" 'BEGIN { printf "ratio: acme-preflight is %.1f times the curl baseline\n", b / a }'

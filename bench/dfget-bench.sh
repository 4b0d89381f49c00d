#!/bin/sh
# One client, warm CDN, loopback: dfget (CDN pattern) vs curl from nginx on the same file, with
# wall time and peak RSS of each. Not a test; prints a table for docs/performance.md.
#
# usage: bench/dfget-bench.sh [SIZE] [RUNS]      e.g. bench/dfget-bench.sh 1G 3
#   SIZE: file size for `head -c` (default 1G); RUNS: timed runs of each client (default 3)
#   WORK (env): scratch directory (default /tmp/dfget-bench); it needs about 4x SIZE free. On this
#   project's VM the disk (~150-200 MB/s) limits both clients; WORK=/dev/shm/... measures the network
#   and CPU path instead.
# Needs nginx, curl and GNU time (/usr/bin/time). Ports 18080 (nginx), 18001/18002 (supernode).
set -eu
SIZE=${1:-1G}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/dfget-bench}
NGINX_PORT=18080
SN_PORT=18002
CDN_PORT=18001

[ -f "$ROOT/dfget/target/dfget.jar" ] && [ -f "$ROOT/supernode/target/supernode.jar" ] \
  || (cd "$ROOT" && mvn -q -DskipTests package)

# The generated file is kept between runs of the same SIZE (generating 10G takes minutes).
mkdir -p "$WORK/www"
if [ "$(cat "$WORK/www/size" 2>/dev/null)" != "$SIZE" ]; then
  echo "generating $SIZE of random data..." >&2
  head -c "$SIZE" /dev/urandom > "$WORK/www/file"
  echo "$SIZE" > "$WORK/www/size"
fi
find "$WORK" -mindepth 1 -maxdepth 1 ! -name www -exec rm -rf {} +
mkdir -p "$WORK/nginx" "$WORK/out"
MD5=$(md5sum "$WORK/www/file" | cut -d' ' -f1)

cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"

"$ROOT/bin/supernode" --home "$WORK/sn" --bind 127.0.0.1 --port $SN_PORT --download-port $CDN_PORT \
  > "$WORK/supernode.out" 2>&1 &
SN_PID=$!

cleanup() {
  kill "$SN_PID" 2>/dev/null || true
  kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
  for h in "$WORK"/home-*; do [ -d "$h" ] && "$ROOT/bin/dfget" server --stop --home "$h" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

i=0
until curl -sf "http://127.0.0.1:$SN_PORT/_ping" >/dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.2; i=$((i+1)); done

URL="http://127.0.0.1:$NGINX_PORT/file"
# One home for every run: the warm-up starts its upload server and the timed runs reuse it, as
# later runs on a host do (set FRESH_HOME=1 to give each run a new home and upload server instead).
run_dfget() { # $1 = run name
  rm -f "$WORK/out/dfget"
  home="$WORK/home-client"
  [ "${FRESH_HOME:-0}" = 1 ] && home="$WORK/home-$1"
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.$1" "$ROOT/bin/dfget" -u "$URL" -o "$WORK/out/dfget" \
    -n "127.0.0.1:$SN_PORT" --home "$home" --ip 127.0.0.1 -p cdn --cdnport $CDN_PORT --json > "$WORK/json.$1" 2>/dev/null
  [ "${FRESH_HOME:-0}" = 1 ] && "$ROOT/bin/dfget" server --stop --home "$home" >/dev/null 2>&1 || true
}

echo "warming the CDN..." >&2
run_dfget warm
grep -q "\"md5\":\"$MD5\"" "$WORK/json.warm" || { echo "warm-up download failed: $(cat "$WORK/json.warm")" >&2; exit 1; }

printf "%-6s %-4s %9s %11s %12s %9s\n" client run seconds "MiB/s" "peakRSS(MB)" "CPU(s)"
bytes=$(stat -c %s "$WORK/www/file")
report() { # client run
  set -- "$1" "$2" $(cat "$WORK/time.$1$2")
  printf "%-6s %-4s %9s %11.0f %12.0f %9.2f\n" "$1" "$2" "$3" "$(echo "$bytes / 1048576 / $3" | bc -l)" \
    "$(echo "$4 / 1024" | bc -l)" "$(echo "$5 + $6" | bc -l)"
}
n=1
while [ $n -le "$RUNS" ]; do
  rm -f "$WORK/out/curl"
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.curl$n" curl -sf -o "$WORK/out/curl" "$URL"
  report curl $n
  run_dfget dfget$n
  grep -q "\"md5\":\"$MD5\"" "$WORK/json.dfget$n" || { echo "dfget run $n failed: $(cat "$WORK/json.dfget$n")" >&2; exit 1; }
  report dfget $n
  n=$((n+1))
done
echo "(dfget: -p cdn, warm CDN, one client, upload server already running unless FRESH_HOME=1;"
echo " RSS and CPU are the dfget process's, not its background upload server's)"

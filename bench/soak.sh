#!/bin/sh
# Soak: N small downloads back to back through a real supernode and one dfget home (so one
# long-lived upload server), sampling fds, threads, RSS and the live heap (after a full GC) of the
# supernode and of the upload server every K downloads. Prints a table and whether each figure
# levelled off: its maximum over the second half of the samples is within a tolerance of its
# maximum over the first half (RSS and heap +15%, fds and threads +8). Exits 1 if a download
# failed or a figure kept growing. Not a CI test (SoakIT runs a 50-download version).
#
# usage: bench/soak.sh [N] [K]        e.g. bench/soak.sh 1000 50
#   N: downloads (default 1000); K: sample every K downloads (default N/20, at least 1)
#   WORK (env): scratch directory (default /tmp/small-dragonfly-soak); SIZE (env): file size, default 256K
# Needs nginx, curl and a JDK (jcmd). Ports: 3 free ones above 20000, picked at random.
set -eu
N=${1:-1000}
K=${2:-$(( N / 20 > 0 ? N / 20 : 1 ))}
SIZE=${SIZE:-256K}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/small-dragonfly-soak}
base=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
NGINX_PORT=$base; SN_PORT=$((base + 1)); CDN_PORT=$((base + 2))

[ -f "$ROOT/dfget/target/dfget.jar" ] && [ -f "$ROOT/supernode/target/supernode.jar" ] \
  || (cd "$ROOT" && mvn -q -DskipTests package)

rm -rf "$WORK"; mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/out"
head -c "$SIZE" /dev/urandom > "$WORK/www/file"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
"$ROOT/bin/supernode" --home "$WORK/sn" --bind 127.0.0.1 --advertise-ip 127.0.0.1 --port $SN_PORT \
  --download-port $CDN_PORT > "$WORK/supernode.out" 2>&1 &
SN_PID=$!
HOME_DIR="$WORK/home"
cleanup() {
  kill "$SN_PID" 2>/dev/null || true
  kill "$(cat "$WORK/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  "$ROOT/bin/dfget" server --stop --home "$HOME_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
i=0
until curl -sf "http://127.0.0.1:$SN_PORT/_ping" >/dev/null 2>&1; do
  sleep 0.2; i=$((i + 1)); [ $i -lt 150 ] || { echo "soak: supernode did not start" >&2; cat "$WORK/supernode.out" >&2; exit 1; }
done

# fds threads rss_kib live_heap_kib of a process
sample() {
  pid=$1
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  jcmd "$pid" GC.run >/dev/null 2>&1 || true
  # young + old generation in use right after the full GC: the live heap (Metaspace not counted)
  heap=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/(Gen|generation) .*used/ { for (f = 1; f <= NF; f++) if ($f == "used") { v = $(f + 1); sub(/K.*/, "", v); t += v } } END { print t + 0 }')
  echo "$fds $threads $rss ${heap:-0}"
}

SAMPLES="$WORK/samples"
: > "$SAMPLES"
failures=0
start=$(date +%s)
echo "soak: $N downloads of $SIZE, sampling every $K (supernode pid $SN_PID)" >&2
printf '%6s | %5s %4s %8s %8s | %5s %4s %8s %8s\n' downloads sn_fds thr rss_MiB heap_MiB up_fds thr rss_MiB heap_MiB
n=1
while [ $n -le "$N" ]; do
  if ! "$ROOT/bin/dfget" -u "http://127.0.0.1:$NGINX_PORT/file?n=$n" -o "$WORK/out/f" -n "127.0.0.1:$SN_PORT" \
      --home "$HOME_DIR" --ip 127.0.0.1 --alivetime 30m > "$WORK/last.out" 2>&1; then
    failures=$((failures + 1)); echo "soak: download $n failed: $(tail -1 "$WORK/last.out")" >&2
  fi
  if [ $((n % K)) -eq 0 ]; then
    UP_PID=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$HOME_DIR/uploader.json" 2>/dev/null || true)
    s=$(sample "$SN_PID"); u=$( [ -n "$UP_PID" ] && sample "$UP_PID" || echo "0 0 0 0")
    echo "$n $s $u" >> "$SAMPLES"
    echo "$n $s $u" | awk '{ printf "%6d | %5d %4d %8.1f %8.1f | %5d %4d %8.1f %8.1f\n", $1, $2, $3, $4/1024, $5/1024, $6, $7, $8/1024, $9/1024 }'
  fi
  n=$((n + 1))
done
elapsed=$(( $(date +%s) - start ))

# Levelled off: max over the second half of the samples vs max over the first half.
verdict=$(awk -v failures=$failures '
  { for (c = 2; c <= 9; c++) v[NR, c] = $c; rows = NR }
  END {
    split("sn_fds sn_threads sn_rss sn_heap up_fds up_threads up_rss up_heap", name, " ")
    bad = 0; half = int(rows / 2)
    for (c = 2; c <= 9; c++) {
      a = 0; b = 0
      for (r = 1; r <= half; r++) if (v[r, c] > a) a = v[r, c]
      for (r = half + 1; r <= rows; r++) if (v[r, c] > b) b = v[r, c]
      k = c - 1; count = (k % 4 == 1 || k % 4 == 2)
      ok = count ? (b <= a + 8) : (b <= a * 1.15 + 1024)
      printf "%s %s (first half max %d, second half max %d)\n", name[k], ok ? "level" : "GROWING", a, b
      if (!ok) bad = 1
    }
    if (failures > 0) bad = 1
    printf "RESULT %s\n", bad ? "FAIL" : "OK"
  }' "$SAMPLES")
echo "$verdict"
echo "soak: $N downloads in ${elapsed}s, $failures failed; samples in $SAMPLES"
echo "$verdict" | grep -q '^RESULT OK'

#!/usr/bin/env bash
# The data path, measured for docs/performance.md: one cold client, one client on a warm host,
# and N cold peers at once, each beside curl straight from nginx in the same run; with OLD=<checkout>
# (another build of the project) every case alternates that build and this one.
#
#   bench/datapath.sh [SWARM_SIZE] [WARM_SIZE] [RUNS] [NS]     default 200M 1G 3 "1 2 4 8"
#   OLD=/tmp/df-old bench/datapath.sh                          old build beside this one
#
# Cases (every figure a median of RUNS; whole processes, wall from launch to exit):
#   cold   one dfget, a new home (no peer process yet) and a URL the CDN has never seen (SWARM_SIZE)
#   warm   one dfget -p cdn on a home whose peer process runs, CDN warm (WARM_SIZE); CPU = the dfget
#          process plus what the home's peer/upload process spent during the run
#   swarm  N dfgets at once, new homes, a new URL; against N curls at once
# Work files on tmpfs (WORK, default /dev/shm/datapath): network and CPU only, no disk. The
# supernodes' caches (every case a new URL, so they grow) are on disk: SN_WORK, default /tmp/datapath-sn.
# Needs nginx, curl, GNU time. Random ports. Everything it starts it stops.
set -euo pipefail
SWARM_SIZE=${1:-200M}
WARM_SIZE=${2:-1G}
RUNS=${3:-3}
NS=${4:-"1 2 4 8"}
CASES=${CASES:-"cold warm swarm"}   # which cases to run
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
WORK=${WORK:-/dev/shm/datapath}
OLD=${OLD:-}
SN_WORK=${SN_WORK:-/tmp/datapath-sn}
HZ=$(getconf CLK_TCK)

builds=(new)
declare -A dir=([new]=$ROOT)
if [[ -n $OLD ]]; then builds=(old new); dir[old]=$(cd "$OLD" && pwd); fi
for b in "${builds[@]}"; do
  [[ -f ${dir[$b]}/dfget/target/dfget.jar ]] || { echo "build ${dir[$b]} first (mvn -q -DskipTests package)" >&2; exit 1; }
done

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rm -rf "$WORK" "$SN_WORK"; mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/out" "$SN_WORK"
pids=()
cleanup() {
  for h in "$WORK"/home-*; do
    [[ -d $h ]] || continue
    b=${h##*/home-}; b=${b%%-*}
    "${dir[$b]}/bin/dfget" server --stop --home "$h" >/dev/null 2>&1 || true
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $WORK/nginx/nginx.pid ]] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK" "$SN_WORK"
}
trap cleanup EXIT

echo "generating $SWARM_SIZE and $WARM_SIZE of random data..." >&2
head -c "$SWARM_SIZE" /dev/urandom > "$WORK/www/swarm"
head -c "$WARM_SIZE" /dev/urandom > "$WORK/www/warm"
NGINX_PORT=$(port)
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  log_format bytes '\$uri \$body_bytes_sent';
  access_log $WORK/nginx/access.log bytes;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"

# one supernode per build, each on its own ports and cache
declare -A sn
for b in "${builds[@]}"; do
  api=$(port); cdn=$(port)
  "${dir[$b]}/bin/supernode" --home "$SN_WORK/sn-$b" --bind 127.0.0.1 --port "$api" --download-port "$cdn" \
    > "$WORK/sn-$b.out" 2>&1 &
  pids+=($!)
  sn[$b]=$api
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$api/_ping" >/dev/null && break; sleep 0.2; done
done

# a URL the CDN has not seen: a new hard link to the file
fresh_url() { local id; id=$(date +%s%N); ln "$WORK/www/$1" "$WORK/www/$1-$id"; echo "http://127.0.0.1:$NGINX_PORT/$1-$id"; }
origin_bytes() { awk -v u="/${1##*/}" '$1 == u { s += $2 } END { print s + 0 }' "$WORK/nginx/access.log"; }
now() { date +%s.%N; }
cpu_of() { awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
peer_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$1/uploader.json" 2>/dev/null || echo ""; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# dfget BUILD HOME URL OUT [ARGS...]: runs one dfget under GNU time; prints "wall cpu rss_kb"
dfget_timed() {
  local b=$1 h=$2 u=$3 o=$4; shift 4
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.$$" "${dir[$b]}/bin/dfget" -u "$u" -o "$o" \
    -n "127.0.0.1:${sn[$b]}" --home "$h" --ip 127.0.0.1 --notbs --json "$@" > "$o.json" 2> "$o.err" \
    || { echo "dfget ($b) failed:" >&2; cat "$o.err" >&2; exit 1; }
  awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }' "$WORK/time.$$"
}

if [[ " $CASES " == *" cold "* ]]; then
echo "== cold: one dfget, new home, CDN never saw the URL ($SWARM_SIZE) =="
printf '%-5s %-4s %8s %8s %8s\n' build run curl_s dfget_s ratio
declare -A cold
for r in $(seq "$RUNS"); do
  for b in "${builds[@]}"; do
    u=$(fresh_url swarm)
    t0=$(now); curl -sf -o "$WORK/out/curl" "$u"; t1=$(now)
    read -r wall _ _ < <(dfget_timed "$b" "$WORK/home-$b-cold$r" "$(fresh_url swarm)" "$WORK/out/cold")
    c=$(echo "$t1 - $t0" | bc -l)
    printf '%-5s %-4s %8.2f %8.2f %8.2f\n' "$b" "$r" "$c" "$wall" "$(echo "$c / $wall" | bc -l)"
    cold[$b]+="$wall "
    "${dir[$b]}/bin/dfget" server --stop --home "$WORK/home-$b-cold$r" >/dev/null 2>&1 || true
    rm -f "$WORK"/out/*
  done
done

fi
if [[ " $CASES " == *" warm "* ]]; then
echo "== warm: one dfget -p cdn, the home's peer process running, CDN warm ($WARM_SIZE) =="
printf '%-5s %-4s %8s %8s %8s %10s %8s\n' build run curl_s dfget_s ratio cpu_s/GiB rss_MB
declare -A warmu
for b in "${builds[@]}"; do
  warmu[$b]=$(fresh_url warm)
  dfget_timed "$b" "$WORK/home-$b-warm" "${warmu[$b]}" "$WORK/out/warmup" -p cdn >/dev/null
  rm -f "$WORK"/out/*
done
gib=$(stat -c %s "$WORK/www/warm" | awk '{ print $1 / 1073741824 }')
for r in $(seq "$RUNS"); do
  for b in "${builds[@]}"; do
    h=$WORK/home-$b-warm
    t0=$(now); curl -sf -o "$WORK/out/curl" "${warmu[$b]}"; t1=$(now); rm -f "$WORK/out/curl"
    pp=$(peer_pid "$h"); before=$(cpu_of "$pp")
    read -r wall cpu rss < <(dfget_timed "$b" "$h" "${warmu[$b]}" "$WORK/out/warm" -p cdn)
    after=$(cpu_of "$pp")
    prss=$(awk '/VmHWM/ { print $2 }' "/proc/$pp/status" 2>/dev/null || echo 0)
    total=$(echo "$cpu + $after - $before" | bc -l)
    c=$(echo "$t1 - $t0" | bc -l)
    printf '%-5s %-4s %8.2f %8.2f %8.2f %10.2f %8s\n' "$b" "$r" "$c" "$wall" "$(echo "$c / $wall" | bc -l)" \
      "$(echo "$total / $gib" | bc -l)" "$((rss / 1024))/$((prss / 1024))"
    rm -f "$WORK"/out/*
  done
done
echo "(cpu: dfget process + the home's peer process during the run; rss: dfget process / peer process peak)"

fi
if [[ " $CASES " == *" swarm "* ]]; then
echo "== swarm: N dfgets at once, new homes, a new URL ($SWARM_SIZE); N curls at once =="
printf '%-5s %-3s %-4s %8s %8s %8s %8s\n' build N run curl_s dfget_s ratio origin_x
size=$(stat -c %s "$WORK/www/swarm")
for n in $NS; do
  for r in $(seq "$RUNS"); do
    for b in "${builds[@]}"; do
      cu=$(fresh_url swarm)
      t0=$(now)
      cs=()
      for i in $(seq "$n"); do curl -sf -o "$WORK/out/curl$i" "$cu" & cs+=($!); done
      for p in "${cs[@]}"; do wait "$p"; done
      t1=$(now); rm -f "$WORK"/out/curl*
      u=$(fresh_url swarm)
      t2=$(now)
      ps=()
      for i in $(seq "$n"); do
        "${dir[$b]}/bin/dfget" -u "$u" -o "$WORK/out/p$i" -n "127.0.0.1:${sn[$b]}" --home "$WORK/home-$b-s$n-$r-$i" \
          --ip 127.0.0.1 --notbs --json > "$WORK/out/p$i.json" 2> "$WORK/out/p$i.err" &
        ps+=($!)
      done
      for p in "${ps[@]}"; do wait "$p" || { echo "a swarm dfget failed" >&2; cat "$WORK"/out/*.err >&2; exit 1; }; done
      t3=$(now)
      c=$(echo "$t1 - $t0" | bc -l); d=$(echo "$t3 - $t2" | bc -l)
      printf '%-5s %-3s %-4s %8.2f %8.2f %8.2f %8.2f\n' "$b" "$n" "$r" "$c" "$d" "$(echo "$c / $d" | bc -l)" \
        "$(echo "$(origin_bytes "$u") / $size" | bc -l)"
      for i in $(seq "$n"); do "${dir[$b]}/bin/dfget" server --stop --home "$WORK/home-$b-s$n-$r-$i" >/dev/null 2>&1 || true; done
      rm -f "$WORK"/out/*
    done
  done
done
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# The swarm benchmark (issue 10): N peers, each with its own --home and upload server, download one
# file at once through a supernode, against N concurrent curls from the same nginx origin.
#
#   bench/swarm.sh [SIZE] [NS] [MODES]
#     SIZE   file size for `head -c` (default 200M)
#     NS     peer counts, e.g. "1 2 4 8 16" (the default)
#     MODES  "unlimited capped" (default): unlimited = plain loopback (the CPU-bound regime);
#            capped = a private network namespace whose loopback caps, in aggregate (tc htb), the
#            origin's answers at ORIGIN_CAP and the supernode CDN port's answers at CDN_CAP, with
#            every client (dfget --locallimit, curl --limit-rate) capped at PEER_DOWN.
#   env: ORIGIN_CAP=40 CDN_CAP=40 PEER_DOWN=20 (MiB/s), SN_OPTS (extra supernode flags),
#        OUT=bench/results (CSV and PNG go there), TAG (name of the result files, default swarm),
#        WORK (scratch dir, default /dev/shm/sdf-swarm.$$), REPS=1 (runs per case; all kept),
#        KEEP=DIR keeps each P2P run's logs (supernode, dfget stderr and dfclient.log) there,
#        PRESTART=1 starts every home's peer process (dfget server) before the clock starts (hosts
#        that have used dfget before; its rows say p2p-warm, its curve "peer process running"),
#        APPEND=1 adds the rows to an existing OUT/TAG.csv (and its chart) instead of starting anew,
#        METHODS="curl p2p" (the default; "p2p" alone skips the curls).
#
# Per run (one CSV row): wall time (launch to last exit), p50/p99 of the per-client times, origin
# bytes / file (nginx access log), CDN bytes / file (supernode metrics), the share of bytes that
# came peer to peer (dfget --json), the lower bound max(F/u_s, F/d_min, N*F/(u_s + sum u_i)) and
# the ratio to it (capped mode only: unlimited loopback has no bandwidth bound), md5 of every
# output. The supernode is never told the caps. Needs root for the namespace; gnuplot-nox for the
# chart (installed if missing). Everything started is stopped; the namespace is deleted on any exit.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"

ORIGIN_CAP=${ORIGIN_CAP:-40}
CDN_CAP=${CDN_CAP:-40}
PEER_DOWN=${PEER_DOWN:-20}
OUT=${OUT:-$root/bench/results}
TAG=${TAG:-swarm}
REPS=${REPS:-1}
SN_OPTS=${SN_OPTS:-}
P2P_METHOD=$([[ -n ${PRESTART:-} ]] && echo p2p-warm || echo p2p)   # the CSV's method for P2P rows

log() { echo "[swarm] $*" >&2; }

# ---- one mode, run in the current network namespace -------------------------------------------
# usage: swarm.sh __inner MODE SIZE "NS" WORK CSV ORIGIN_PORT SN_PORT CDN_PORT
inner() {
  local mode=$1 size=$2 ns=$3 csv=$5 oport=$6 snport=$7 cdnport=$8
  # globals: the EXIT trap needs them after this function returns
  work=$4 ngroot="$4/www" pids=()
  mkdir -p "$ngroot"
  inner_cleanup() {
    local p
    for d in "$work"/peer*/; do
      [[ -d $d ]] && bin/dfget server --stop --home "$d" >/dev/null 2>&1 || true
    done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/nginx.sh stop "$ngroot" >/dev/null 2>&1 || true
  }
  trap inner_cleanup EXIT
  ip link set lo up 2>/dev/null || true

  log "$mode: generating a $size file"
  head -c "$size" /dev/urandom > "$ngroot/file"
  local fsize md5 url="http://127.0.0.1:$oport/file"
  fsize=$(stat -c %s "$ngroot/file")
  md5=$(md5sum "$ngroot/file" | cut -d' ' -f1)
  scripts/nginx.sh start "$oport" "$ngroot" >/dev/null
  local alog; alog="$(scripts/nginx.sh statedir "$ngroot")/access.log"

  local limit_dfget=() limit_curl=() bound=""
  if [[ $mode == capped ]]; then
    limit_dfget=(--locallimit "${PEER_DOWN}M")
    limit_curl=(--limit-rate "${PEER_DOWN}M")
  fi

  # %.0f, not %d: mawk's %d stops at 2^31 - 1
  origin_bytes() { awk '{s += $10} END {printf "%.0f", s}' "$alog"; }

  local n rep
  for n in $ns; do
    if [[ $mode == capped ]]; then
      # Peers' uploads are not capped (sum u_i unbounded), so the bound is max(F/u_s, F/d_min);
      # u_s is the CDN's cap (the CDN is the only source the peers use: --notbs).
      bound=$(awk -v f="$fsize" -v us="$CDN_CAP" -v d="$PEER_DOWN" \
        'BEGIN { m = 1048576; a = f / (us * m); b = f / (d * m); printf "%.2f", (a > b ? a : b) }')
    fi
    for rep in $(seq "$REPS"); do
      # -- curl: N at once straight from the origin
      if [[ " ${METHODS:-curl p2p} " == *" curl "* ]]; then
      : > "$alog"
      local t0 i
      t0=$EPOCHREALTIME
      pids_run=()
      for i in $(seq "$n"); do
        ( s=$EPOCHREALTIME
          curl -sf "${limit_curl[@]}" -o "$work/curl$i" "$url" && rc=0 || rc=$?
          echo "$rc $(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b - a}')" > "$work/curl$i.t" ) &
        pids_run+=($!)
      done
      for p in "${pids_run[@]}"; do wait "$p" || true; done
      local wall ok times
      wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
      ok=1; times=()
      for i in $(seq "$n"); do
        read -r rc t < "$work/curl$i.t"; times+=("$t")
        [[ $rc == 0 && $(md5sum "$work/curl$i" | cut -d' ' -f1) == "$md5" ]] || ok=0
        rm -f "$work/curl$i" "$work/curl$i.t"
      done
      sleep 0.3 # nginx writes its access log line when the connection closes
      row "$csv" "$mode" curl "$n" "$fsize" "$wall" "${times[*]}" \
        "$(awk -v o="$(origin_bytes)" -v f="$fsize" 'BEGIN{printf "%.3f", o / f}')" "" "" "$bound" "$ok"
      fi
      [[ " ${METHODS:-curl p2p} " == *" p2p "* ]] || continue

      # -- P2P: N dfgets at once through a fresh supernode (cold CDN)
      : > "$alog"
      rm -rf "$work"/peer* "$work/sn"
      bin/supernode --home "$work/sn" --bind 127.0.0.1 --advertise-ip 127.0.0.1 --port "$snport" \
        --download-port "$cdnport" $SN_OPTS > "$work/sn.log" 2>&1 &
      local snpid=$!
      pids+=("$snpid")
      for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$snport/_ping" >/dev/null 2>&1 && break
        sleep 0.1
      done
      if [[ -n ${PRESTART:-} ]]; then
        # Each host's upload server already runs (a host that has used dfget before): start them
        # before the clock, and wait until each has written its state file.
        for i in $(seq "$n"); do
          mkdir -p "$work/peer$i"
          bin/dfget server --home "$work/peer$i" --ip 127.0.0.1 --alivetime 120s > "$work/peer$i.server.log" 2>&1 &
          pids+=($!)
        done
        for i in $(seq "$n"); do
          for _ in $(seq 600); do [[ -s $work/peer$i/uploader.json ]] && break; sleep 0.1; done
        done
      fi
      t0=$EPOCHREALTIME
      pids_run=()
      for i in $(seq "$n"); do
        mkdir -p "$work/peer$i"
        ( s=$EPOCHREALTIME
          bin/dfget -u "$url" -o "$work/peer$i/out" -n "127.0.0.1:$snport" --home "$work/peer$i" \
            --ip 127.0.0.1 --notbs --json --alivetime 60s "${limit_dfget[@]}" \
            > "$work/peer$i/json" 2> "$work/peer$i/err" && rc=0 || rc=$?
          echo "$rc $(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b - a}')" > "$work/peer$i/t" ) &
        pids_run+=($!)
      done
      for p in "${pids_run[@]}"; do wait "$p" || true; done
      wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
      ok=1; times=()
      local peers=0 total=0
      for i in $(seq "$n"); do
        read -r rc t < "$work/peer$i/t"; times+=("$t")
        if [[ $rc != 0 || $(md5sum "$work/peer$i/out" 2>/dev/null | cut -d' ' -f1) != "$md5" ]]; then
          ok=0; log "peer$i failed (exit $rc): $(tail -2 "$work/peer$i/err" | tr '\n' ' ')"
        fi
        local fp len
        fp=$(grep -o '"fromPeers":[0-9]*' "$work/peer$i/json" | cut -d: -f2 || true)
        len=$(grep -o '"length":[0-9]*' "$work/peer$i/json" | cut -d: -f2 || true)
        peers=$((peers + ${fp:-0})); total=$((total + ${len:-0}))
      done
      local cdn
      cdn=$(curl -sf "http://127.0.0.1:$snport/metrics" | awk '/^supernode_cdn_upload_bytes_total/ {printf "%.0f", $2}')
      for d in "$work"/peer*/; do bin/dfget server --stop --home "$d" >/dev/null 2>&1 || true; done
      kill "$snpid" 2>/dev/null || true
      wait "$snpid" 2>/dev/null || true
      sleep 0.3
      row "$csv" "$mode" "$P2P_METHOD" "$n" "$fsize" "$wall" "${times[*]}" \
        "$(awk -v o="$(origin_bytes)" -v f="$fsize" 'BEGIN{printf "%.3f", o / f}')" \
        "$(awk -v c="${cdn:-0}" -v f="$fsize" 'BEGIN{printf "%.3f", c / f}')" \
        "$(awk -v p="$peers" -v t="$total" 'BEGIN{printf "%.3f", (t > 0 ? p / t : 0)}')" "$bound" "$ok"
      if [[ -n ${KEEP:-} ]]; then
        mkdir -p "$KEEP/$mode-n$n-r$rep"
        cp -r "$work/sn.log" "$work"/sn/logs "$work"/peer* "$KEEP/$mode-n$n-r$rep/" 2>/dev/null || true
        rm -f "$KEEP/$mode-n$n-r$rep"/peer*/out "$KEEP/$mode-n$n-r$rep"/peer*/data/* 2>/dev/null || true
      fi
      rm -rf "$work"/peer* "$work/sn"
    done
  done
}

# Appends one CSV row and prints it: mode,method,n,bytes,wall,p50,p99,origin,cdn,p2p,bound,ratio,md5ok,load1
row() {
  local csv=$1 mode=$2 method=$3 n=$4 fsize=$5 wall=$6 times=$7 origin=$8 cdn=$9 p2p=${10} bound=${11} ok=${12}
  local p50 p99 ratio load
  p50=$(tr ' ' '\n' <<<"$times" | sort -g | awk '{a[NR] = $1} END {i = int((NR + 1) / 2); printf "%.2f", a[i]}')
  p99=$(tr ' ' '\n' <<<"$times" | sort -g | awk '{a[NR] = $1} END {i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; printf "%.2f", a[i]}')
  ratio=""
  [[ -n $bound ]] && ratio=$(awk -v w="$wall" -v b="$bound" 'BEGIN{printf "%.2f", w / b}')
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "$mode,$method,$n,$fsize,$wall,$p50,$p99,$origin,$cdn,$p2p,$bound,$ratio,$ok,$load" >> "$csv"
  log "$(printf '%-9s %-4s N=%-2s wall %6ss p50 %6ss p99 %6ss origin %s cdn %s p2p %s bound %s ratio %s md5 %s load %s' \
    "$mode" "$method" "$n" "$wall" "$p50" "$p99" "$origin" "${cdn:--}" "${p2p:--}" "${bound:--}" "${ratio:--}" \
    "$([[ $ok == 1 ]] && echo ok || echo BAD)" "$load")"
}

free_port() {
  local p
  while :; do
    p=$((20001 + RANDOM % 40000))
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}

if [[ ${1:-} == __inner ]]; then
  shift
  inner "$@"
  exit 0
fi

# ---- the driver ------------------------------------------------------------------------------
size=${1:-200M}
ns_list=${2:-1 2 4 8 16}
modes=${3:-unlimited capped}
[[ $(id -u) -eq 0 ]] || { log "must run as root (network namespace, tc)"; exit 1; }
[[ -f dfget/target/dfget.jar && -f supernode/target/supernode.jar ]] || {
  log "building (mvn -B -q -DskipTests package)"; mvn -B -q -DskipTests package; }
[[ -x /usr/sbin/nginx ]] || { log "nginx missing: scripts/install-deps.sh"; exit 1; }
if ! command -v gnuplot >/dev/null; then
  log "installing gnuplot-nox (for the chart)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null
fi

mkdir -p "$OUT"
csv="$OUT/$TAG.csv"
[[ -n ${APPEND:-} && -s $csv ]] ||
  echo "mode,method,n,bytes,wall_s,p50_s,p99_s,origin_copies,cdn_copies,p2p_share,bound_s,ratio,md5_ok,load1" > "$csv"
base=${WORK:-/dev/shm/sdf-swarm.$$}
netns=sdf-swarm-$$
cleanup() {
  if ip netns list 2>/dev/null | grep -qw "$netns"; then
    # Only processes of our own private namespace: the ones this script started there.
    for p in $(ip netns pids "$netns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $(ip netns pids "$netns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$netns" 2>/dev/null || true
  fi
  rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "SIZE=$size NS=[$ns_list] MODES=[$modes] caps: origin ${ORIGIN_CAP} MiB/s, CDN ${CDN_CAP} MiB/s, peers ${PEER_DOWN} MiB/s down (capped mode) SN_OPTS=[$SN_OPTS] load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $modes; do
  oport=$(free_port); snport=$(free_port); cdnport=$(free_port)
  mkdir -p "$base/$mode"
  case $mode in
    unlimited)
      bash "$0" __inner unlimited "$size" "$ns_list" "$base/$mode" "$csv" "$oport" "$snport" "$cdnport" ;;
    capped)
      ip netns add "$netns"
      ip netns exec "$netns" ip link set lo up
      # Aggregate caps on the loopback's egress: every answer the origin (source port oport) and
      # the CDN (source port cdnport) sends shares one htb class each; everything else is unlimited.
      ip netns exec "$netns" tc qdisc add dev lo root handle 1: htb default 30
      ip netns exec "$netns" tc class add dev lo parent 1: classid 1:1 htb rate 100gbit
      ip netns exec "$netns" tc class add dev lo parent 1:1 classid 1:10 htb rate "${ORIGIN_CAP}mibps" \
        ceil "${ORIGIN_CAP}mibps" burst 256k cburst 256k
      ip netns exec "$netns" tc class add dev lo parent 1:1 classid 1:20 htb rate "${CDN_CAP}mibps" \
        ceil "${CDN_CAP}mibps" burst 256k cburst 256k
      ip netns exec "$netns" tc class add dev lo parent 1:1 classid 1:30 htb rate 100gbit
      ip netns exec "$netns" tc filter add dev lo parent 1: protocol ip prio 1 u32 \
        match ip sport "$oport" 0xffff flowid 1:10
      ip netns exec "$netns" tc filter add dev lo parent 1: protocol ip prio 1 u32 \
        match ip sport "$cdnport" 0xffff flowid 1:20
      ip netns exec "$netns" bash "$0" __inner capped "$size" "$ns_list" "$base/$mode" "$csv" \
        "$oport" "$snport" "$cdnport"
      ip netns exec "$netns" tc -s class show dev lo > "$base/tc-stats.txt" 2>&1 || true
      ip netns del "$netns" ;;
    *) log "unknown mode: $mode (expected unlimited or capped)"; exit 2 ;;
  esac
done

# ---- the chart: time vs N, curl vs P2P, the bound as a line (one panel per mode) ---------------
png="$OUT/$TAG.png"
nmodes=$(wc -w <<<"$modes")
{
  echo "set terminal pngcairo size $((600 * nmodes)),450 font ',10'"
  echo "set output '$png'"
  echo "set key top left"
  echo "set grid"
  echo "set xlabel 'peers downloading at once (N)'"
  echo "set ylabel 'time until the last one has the file (s)'"
  echo "set logscale x 2"
  echo "set xrange [0.8:*]"
  echo "set yrange [0:*]"
  echo "set multiplot layout 1,$nmodes"
  for mode in $modes; do
    case $mode in
      capped) title="shared source cap: origin and CDN ${ORIGIN_CAP} MiB/s in total, peers ${PEER_DOWN} MiB/s down" ;;
      *) title="unlimited loopback (CPU-bound, 2 cores)" ;;
    esac
    echo "set title \"$title\\n$(numfmt --to=iec-i "$(awk -F, 'NR == 2 {print $4}' "$csv")")B file\" noenhanced"
    # Inline data blocks (N, median wall over the repetitions, bound), one per method.
    for method in curl p2p p2p-warm; do
      echo "\$${mode}_${method//-/_} << EOD"
      awk -F, -v m="$mode" -v k="$method" '$1 == m && $2 == k {print $3, $5, ($11 == "" ? "NaN" : $11)}' "$csv" |
        sort -n -k1,1 -k2,2 | awk '{n[$1]++; w[$1, n[$1]] = $2; b[$1] = $3; if (!($1 in seen)) {seen[$1]; o[++c] = $1}}
          END {for (i = 1; i <= c; i++) {x = o[i]; print x, w[x, int((n[x] + 1) / 2)], b[x]}}'
      echo "EOD"
    done
    curves=()
    has() { awk -F, -v m="$mode" -v k="$1" '$1 == m && $2 == k {f = 1} END {exit !f}' "$csv"; }
    has curl && curves+=("\$${mode}_curl using 1:2 with linespoints lw 2 pt 7 title 'curl from the origin'")
    has p2p && curves+=("\$${mode}_p2p using 1:2 with linespoints lw 2 pt 5 title 'small-dragonfly P2P, new hosts'")
    has p2p-warm && curves+=("\$${mode}_p2p_warm using 1:2 with linespoints lw 2 pt 9 title 'small-dragonfly P2P, peer process running'")
    [[ $mode == capped ]] && { has p2p || has p2p-warm; } &&
      curves+=("\$${mode}_$(has p2p && echo p2p || echo p2p_warm) using 1:3 with lines dt 2 lw 2 title 'lower bound'")
    (IFS=','; echo "plot ${curves[*]}")
  done
  echo "unset multiplot"
} > "$OUT/$TAG.gp"
gnuplot "$OUT/$TAG.gp"
log "wrote $csv and $png"
column -s, -t < "$csv" >&2

#!/usr/bin/env bash
# The main job on an embedded default: a local swarm. Builds if needed, then starts a supernode and
# a local origin serving a generated file, runs three dfget peers downloading it at once (each with
# its own home and upload server, all on 127.0.0.1), and prints where each peer's bytes came from
# and how many bytes the origin sent. Needs only the JDK and Maven.
#
#   scripts/demo.sh [SIZE]        SIZE for `head -c`, default 200M
# Ports: DEMO_ORIGIN_PORT (18080), DEMO_SN_PORT (18002), DEMO_CDN_PORT (18001).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
size=${1:-200M}
origin_port=${DEMO_ORIGIN_PORT:-18080}
sn_port=${DEMO_SN_PORT:-18002}
cdn_port=${DEMO_CDN_PORT:-18001}

if [[ ! -f dfget/target/dfget.jar || ! -f supernode/target/supernode.jar ]]; then
  echo "building (mvn -q -DskipTests package)..." >&2
  mvn -q -DskipTests package
fi

# GET http://127.0.0.1:$1$2 with bash alone (no curl on a fresh machine); prints the body.
http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  local body; body=$(cat <&3); exec 3>&-
  [[ $body == "HTTP/1."?" 200"* ]] || return 1
  printf '%s' "${body#*$'\r\n\r\n'}"
}

work=$(mktemp -d /tmp/small-dragonfly-demo.XXXXXX)
pids=()
cleanup() {
  for p in 1 2 3; do bin/dfget server --stop --home "$work/peer$p" >/dev/null 2>&1 || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating a $size file..." >&2
head -c "$size" /dev/urandom > "$work/file"
md5=$(md5sum "$work/file" | cut -d' ' -f1)

java scripts/DemoOrigin.java "$origin_port" "$work/file" > "$work/origin.log" 2>&1 &
pids+=($!)
bin/supernode --home "$work/supernode" --bind 127.0.0.1 --port "$sn_port" --download-port "$cdn_port" \
  > "$work/supernode.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  if http_get "$sn_port" /_ping >/dev/null 2>&1 && http_get "$origin_port" /sent >/dev/null 2>&1; then
    break
  fi
  sleep 0.2
done

url="http://127.0.0.1:$origin_port/file"
echo "three peers download $url ($size) at once through the supernode on 127.0.0.1:$sn_port..." >&2
peers=()
t0=$EPOCHREALTIME
for p in 1 2 3; do
  ( s=$EPOCHREALTIME
    bin/dfget -u "$url" -o "$work/out$p" -n "127.0.0.1:$sn_port" --home "$work/peer$p" --ip 127.0.0.1 \
      --notbs --json --alivetime 60s > "$work/peer$p.json" 2> "$work/peer$p.err" && rc=0 || rc=$?
    awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f\n", b - a}' > "$work/peer$p.time"
    exit $rc ) &
  peers+=($!)
done
status=0
for i in 0 1 2; do wait "${peers[$i]}" || status=1; done
wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')

for p in 1 2 3; do
  if ! grep -q '"result":"success"' "$work/peer$p.json"; then
    echo "peer$p failed:" >&2; cat "$work/peer$p.err" >&2; status=1; continue
  fi
  check="md5 ok"; grep -q "\"md5\":\"$md5\"" "$work/peer$p.json" || { check="MD5 MISMATCH"; status=1; }
  # dfget's own summary line (stderr with --json): size, time, and where the bytes came from
  echo "peer$p: $(grep ' from peers ' "$work/peer$p.err" | tail -1 | sed 's/^out[0-9]*: //') ($check)"
done
sent=$(http_get "$origin_port" /sent || echo 0)
bytes=$(stat -c %s "$work/file")
echo "origin sent $sent bytes for a $bytes-byte file ($(awk "BEGIN{printf \"%.2f\", $sent/$bytes}") copies) to three peers"
# The swarm summary, as bench/swarm.sh records it per run: wall time from launch to the last exit,
# the per-peer times, what the origin and the CDN sent (in copies of the file), the peer-to-peer share.
cdn=$(http_get "$sn_port" /metrics | awk '/^supernode_cdn_upload_bytes_total/ {printf "%.0f", $2}' || true)
from_peers=$(cat "$work"/peer?.json | grep -o '"fromPeers":[0-9]*' | awk -F: '{s += $2} END {printf "%.0f", s}')
times=$(cat "$work"/peer?.time 2>/dev/null | sort -g | tr '\n' ' ')
awk -v wall="$wall" -v times="$times" -v sent="$sent" -v cdn="${cdn:-0}" -v fp="$from_peers" -v f="$bytes" 'BEGIN {
  n = split(times, t, " "); p50 = t[int((n + 1) / 2)]; p99 = t[n]
  printf "swarm: wall %.2fs (launch to last exit), per peer p50 %.2fs p99 %.2fs; origin %.2f copies, CDN %.2f copies, peer to peer %.0f%%\n",
    wall, p50, p99, sent / f, cdn / f, 100 * fp / (3 * f) }'
exit $status

#!/usr/bin/env bash
# docker pull through dfdaemon vs straight from the registry: wall time of `docker pull` and the
# bytes the registry sent, for a ~100 MB 3-layer image (FROM scratch: busybox-static + 2 x ~33 MB,
# then ~33 MB of random data). Not a test; prints a table for docs/performance.md.
#
# usage: bench/dfdaemon-bench.sh [RUNS]          (default 3)
#
# Each run, each case with a fresh private dockerd (own data root, nothing cached):
#   direct  dockerd --insecure-registry 127.0.0.1:REG pulls 127.0.0.1:REG/library/bench:v1
#   node1   fresh supernode (cold CDN) and dfdaemon A; dockerd --registry-mirror A pulls bench:v1
#   node2   dfdaemon B (own home) beside A; dockerd --registry-mirror B pulls bench:v1 (from A's peer)
# Registry bytes: the sizes of blob GETs in the registry's access log during the pull.
# dfdaemon and the supernode are long-lived services, so by default their fresh JVMs are warmed up
# first by fetching the blobs of another image (library/warm, 2 x 30 MB) through A and B; WARM=0
# times the very first pull of freshly started JVMs instead.
# Needs root, docker.io, docker-registry, busybox-static (scripts/install-deps.sh) and the launchers
# (mvn -q -DskipTests package). Ports: 15000 (registry), 18201/18202 (supernode), 65101/65102.
set -euo pipefail
RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/dfdaemon-bench}
REG=15000; SN=18202; CDN=18201; PA=65101; PB=65102
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=0

[ -f "$ROOT/dfdaemon/target/dfdaemon.jar" ] && [ -f "$ROOT/supernode/target/supernode.jar" ] \
  || (cd "$ROOT" && mvn -q -DskipTests package)

pids=()
dockerds=()
start_dockerd() { # NAME ARGS... ; sets D to its socket
  local dir=$WORK/$1; shift
  rm -rf "$dir"; mkdir -p "$dir"; echo '{}' > "$dir/daemon.json"
  /usr/sbin/dockerd --config-file "$dir/daemon.json" --data-root "$dir/root" --exec-root "$dir/exec" \
    --pidfile "$dir/pid" -H "unix://$dir/sock" --storage-driver overlay2 --bridge=none --iptables=false \
    --ip6tables=false --ip-forward=false --ip-masq=false "$@" > "$dir/log" 2>&1 &
  dockerds+=("$!:$dir")
  D="unix://$dir/sock"
  for _ in $(seq 1 150); do $DOCKER -H "$D" info >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "dockerd $dir did not start" >&2; tail "$dir/log" >&2; exit 1
}
stop_dockerds() {
  local e pid dir
  for e in "${dockerds[@]}"; do
    pid=${e%%:*}; dir=${e#*:}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    grep " $dir/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$dir"
  done
  dockerds=()
}
stop_p2p() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
  pids=()
}
cleanup() {
  stop_p2p; stop_dockerds
  "$ROOT/scripts/registry.sh" stop "$WORK/registry" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$WORK"; mkdir -p "$WORK"
"$ROOT/scripts/registry.sh" start $REG "$WORK/registry" 2>/dev/null
REGLOG=$WORK/registry/registry.log

echo "building the image (busybox-static + 3 x 33 MB random)..." >&2
ctx=$WORK/ctx; mkdir -p "$ctx/l1/bin" "$ctx/l2" "$ctx/l3"
cp /bin/busybox "$ctx/l1/bin/busybox"
head -c 33M /dev/urandom > "$ctx/l1/data1"
head -c 33M /dev/urandom > "$ctx/l2/data2"
head -c 33M /dev/urandom > "$ctx/l3/data3"
printf 'FROM scratch\nCOPY l1/ /\nCOPY l2/ /\nCOPY l3/ /\nCMD ["/bin/busybox","echo","ok"]\n' > "$ctx/Dockerfile"
start_dockerd build
$DOCKER -H "$D" build -q -t "127.0.0.1:$REG/library/bench:v1" "$ctx" >/dev/null
$DOCKER -H "$D" push "127.0.0.1:$REG/library/bench:v1" >/dev/null
mkdir -p "$WORK/warm/w1" "$WORK/warm/w2"
head -c 30M /dev/urandom > "$WORK/warm/w1/w1"
head -c 30M /dev/urandom > "$WORK/warm/w2/w2"
printf 'FROM scratch\nCOPY w1/ /\nCOPY w2/ /\n' > "$WORK/warm/Dockerfile"
$DOCKER -H "$D" build -q -t "127.0.0.1:$REG/library/warm:v1" "$WORK/warm" >/dev/null
$DOCKER -H "$D" push "127.0.0.1:$REG/library/warm:v1" >/dev/null
stop_dockerds
WARM_BLOBS=$(ls "$WORK/registry/data/docker/registry/v2/repositories/library/warm/_layers/sha256/")

start_p2p() { # fresh supernode and dfdaemons A and B
  rm -rf "$WORK/sn" "$WORK/a" "$WORK/b"
  "$ROOT/bin/supernode" --home "$WORK/sn" --bind 127.0.0.1 --port $SN --download-port $CDN \
    > "$WORK/sn.out" 2>&1 &
  pids+=($!)
  for who in a:$PA b:$PB; do
    "$ROOT/bin/dfdaemon" --home "$WORK/${who%%:*}" --bind 127.0.0.1 --port "${who#*:}" \
      --registry "http://127.0.0.1:$REG" --node "127.0.0.1:$SN" --hostIp 127.0.0.1 \
      > "$WORK/${who%%:*}.out" 2>&1 &
    pids+=($!)
  done
  for port in $SN $PA $PB; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/_ping" >/dev/null 2>&1 && break; sleep 0.2; done
  done
  if [ "${WARM:-1}" = 1 ]; then
    local b port
    for port in $PA $PB; do
      for b in $WARM_BLOBS; do
        curl -sf -o /dev/null "http://127.0.0.1:$port/v2/library/warm/blobs/sha256:$b"
      done
    done
  fi
}

reg_bytes() { # sum of the blob GET sizes in the registry log after line $1
  tail -n +"$(( $1 + 1 ))" "$REGLOG" | grep -E '"GET /v2/library/bench/blobs/sha256:[0-9a-f]+ HTTP' \
    | sed -E 's/.*" (200|206) ([0-9]+) .*/\2/' | grep -E '^[0-9]+$' | awk '{s+=$1} END {print s+0}'
}

pull() { # CASE IMAGE DOCKERD-ARGS...  -> "seconds bytes" in $WORK/result
  local name=$1 image=$2; shift 2
  start_dockerd "pull-$name" "$@"
  local before t0 t1
  before=$(wc -l < "$REGLOG")
  t0=$(date +%s.%N)
  $DOCKER -H "$D" pull -q "$image" >/dev/null
  t1=$(date +%s.%N)
  [ "$($DOCKER -H "$D" run --rm --network none "$image")" = ok ] || { echo "$name: image does not run" >&2; exit 1; }
  sleep 0.5 # the registry's access log line is written when its response ends
  echo "$(echo "$t1 - $t0" | bc -l) $(reg_bytes "$before")" > "$WORK/result"
  stop_dockerds
}

declare -A T B
for r in $(seq 1 "$RUNS"); do
  pull direct "127.0.0.1:$REG/library/bench:v1" --insecure-registry "127.0.0.1:$REG"
  read -r T[direct$r] B[direct$r] < "$WORK/result"
  start_p2p
  pull node1 bench:v1 --registry-mirror "http://127.0.0.1:$PA"
  read -r T[node1$r] B[node1$r] < "$WORK/result"
  pull node2 bench:v1 --registry-mirror "http://127.0.0.1:$PB"
  read -r T[node2$r] B[node2$r] < "$WORK/result"
  curl -s "http://127.0.0.1:$SN/metrics" | grep '^supernode_pieces_scheduled_total' > "$WORK/scheduled.$r"
  curl -s "http://127.0.0.1:$PB/metrics" | grep -E '^dfdaemon_blobs_total' > "$WORK/b-blobs.$r"
  stop_p2p
  echo "run $r: direct ${T[direct$r]}s ${B[direct$r]}B, node1 ${T[node1$r]}s ${B[node1$r]}B," \
    "node2 ${T[node2$r]}s ${B[node2$r]}B; $(tr '\n' ' ' < "$WORK/scheduled.$r")" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf "%-8s %14s %18s\n" case "pull s (median)" "registry MB (median)"
for c in direct node1 node2; do
  ts=(); bs=()
  for r in $(seq 1 "$RUNS"); do ts+=("${T[$c$r]}"); bs+=("${B[$c$r]}"); done
  printf "%-8s %14.2f %18.1f\n" "$c" "$(median "${ts[@]}")" "$(echo "$(median "${bs[@]}") / 1000000" | bc -l)"
done
echo "(image: $(du -sm "$ctx" | cut -f1) MB of files in 3 layers; $RUNS runs; each pull by a fresh dockerd;"
echo " node1 with a cold supernode CDN; JVMs $([ "${WARM:-1}" = 1 ] && echo "warmed up first" || echo "freshly started"))"

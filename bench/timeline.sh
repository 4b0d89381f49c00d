#!/usr/bin/env bash
# Where the seconds of a swarm download go: runs a private nginx origin, a fresh supernode (cold
# CDN) and N dfget peers with separate homes at once, all with the timeline enabled
# (SMALL_DRAGONFLY_TIMELINE=1, common/log/Timeline.java), samples the per-thread CPU of every JVM
# of the run every INTERVAL seconds, then merges the timeline files and prints, per peer, where its
# wall time went, per piece the latency from CDN publication to each peer, the idle gaps, and a
# per-thread CPU table (bench/timeline.py). Not a test; the figures go to docs/performance.md.
#
# usage: bench/timeline.sh [--gantt] N [N ...]     e.g. bench/timeline.sh 1 4 8
#        bench/timeline.sh --self-test             checks of the analyser (no processes started)
#        bench/timeline.py analyse RUNDIR [--gantt] re-analyses a kept run directory
# env:   SIZE      file size for `head -c` (default 200M)
#        WORK      scratch directory (default /tmp/timeline-bench); each run keeps its directory
#                  WORK/run-<N>-<time> (timeline files, logs, report.txt) until the next
#                  invocation; the generated file is kept between invocations of the same SIZE
#        INTERVAL  CPU sampling period in seconds (default 0.1)
#        SUPERNODE attach to a running supernode HOST:PORT instead of starting one (it must run
#                  with SMALL_DRAGONFLY_TIMELINE=1; SN_LOGS = its logs directory, for its events;
#                  its CPU is not sampled: the sampler follows the JVMs of the run directory)
# Ports: random above 20000, checked free. Everything started here is stopped on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
PY="$ROOT/bench/timeline.py"

if [[ ${1:-} == --self-test ]]; then
  exec python3 "$PY" self-test
fi
GANTT=""
if [[ ${1:-} == --gantt ]]; then GANTT=--gantt; shift; fi
[[ $# -ge 1 ]] || { sed -n '2,20p' "$0" >&2; exit 2; }
for n in "$@"; do [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "N: '$n' (expected a peer count >= 1)" >&2; exit 2; }; done

SIZE=${SIZE:-200M}
WORK=${WORK:-/tmp/timeline-bench}
INTERVAL=${INTERVAL:-0.1}

if [[ ! -f $ROOT/dfget/target/dfget.jar || ! -f $ROOT/supernode/target/supernode.jar ]]; then
  echo "building (mvn -B -q -DskipTests package)..." >&2
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || { echo "nginx missing (scripts/install-deps.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) missing (scripts/install-deps.sh)" >&2; exit 1; }

free_port() {
  local p
  while :; do
    p=$((20001 + (RANDOM * 32768 + RANDOM) % 40000))
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}
now_us() { date +%s%6N; }

mkdir -p "$WORK/www"
if [[ $(cat "$WORK/www/.size" 2>/dev/null) != "$SIZE" ]]; then
  echo "generating $SIZE of random data..." >&2
  head -c "$SIZE" /dev/urandom > "$WORK/www/file"
  echo "$SIZE" > "$WORK/www/.size"
fi
find "$WORK" -mindepth 1 -maxdepth 1 -name 'run-*' -exec rm -rf {} +
MD5=$(md5sum "$WORK/www/file" | cut -d' ' -f1)

NGINX_PORT=$(free_port)
SN_PID=""
SAMPLER_PID=""
RUN=""
PEER_PIDS=()
stop_upload_servers() { # $1 = run dir: SIGTERM each home's upload server (as `dfget server --stop`)
  local h pid
  for h in "$1"/peer-*; do
    [[ -f $h/uploader.json ]] || continue
    pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$h/uploader.json" | head -1)
    # only a process of this home: a stale state file may name a recycled pid
    if [[ -n $pid ]] && tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | grep -q -- "$h"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}
cleanup() {
  local p
  for p in "${PEER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  [[ -n $RUN ]] && stop_upload_servers "$RUN"
  [[ -n $SN_PID ]] && kill "$SN_PID" 2>/dev/null || true
  "$ROOT/scripts/nginx.sh" stop "$WORK/www" >/dev/null 2>&1 || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/nginx.sh" start "$NGINX_PORT" "$WORK/www" 2>/dev/null
URL="http://127.0.0.1:$NGINX_PORT/file"

for N in "$@"; do
  RUN="$WORK/run-$N-$(date +%H%M%S)"
  mkdir -p "$RUN"
  if [[ -n ${SUPERNODE:-} ]]; then
    SN="$SUPERNODE"
    mkdir -p "$RUN/sn"
    [[ -n ${SN_LOGS:-} ]] && ln -s "$(readlink -f "$SN_LOGS")" "$RUN/sn/logs"
  else
    SN_PORT=$(free_port); CDN_PORT=$(free_port)
    SMALL_DRAGONFLY_TIMELINE=1 "$ROOT/bin/supernode" --home "$RUN/sn" --bind 127.0.0.1 --port "$SN_PORT" \
      --download-port "$CDN_PORT" > "$RUN/supernode.out" 2>&1 &
    SN_PID=$!
    SN="127.0.0.1:$SN_PORT"
    for _ in $(seq 150); do curl -sf "http://$SN/_ping" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -sf "http://$SN/_ping" >/dev/null || { echo "supernode did not start:" >&2; tail "$RUN/supernode.out" >&2; exit 1; }
  fi
  python3 "$PY" sample "$RUN/cpu.json" "$RUN" "$INTERVAL" &
  SAMPLER_PID=$!
  sleep 0.3   # the sampler's first tick takes the supernode's baseline
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  PEER_PIDS=()
  for i in $(seq 1 "$N"); do
    (
      launch=$(now_us)
      rc=0
      SMALL_DRAGONFLY_TIMELINE=1 /usr/bin/time -f "%e %U %S %M" -o "$RUN/peer-$i.rusage" \
        "$ROOT/bin/dfget" -u "$URL" -o "$RUN/out-$i" -n "$SN" --home "$RUN/peer-$i" --ip 127.0.0.1 \
        --notbs --json --alivetime 60s > "$RUN/peer-$i.json" 2> "$RUN/peer-$i.err" || rc=$?
      echo "$launch $(now_us) $rc" > "$RUN/peer-$i.times"
    ) &
    PEER_PIDS+=($!)
  done
  status=0
  for p in "${PEER_PIDS[@]}"; do wait "$p" || status=1; done
  PEER_PIDS=()
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  sleep 0.2
  kill "$SAMPLER_PID"; wait "$SAMPLER_PID" || true; SAMPLER_PID=""
  stop_upload_servers "$RUN"
  if [[ -n $SN_PID ]]; then kill "$SN_PID"; wait "$SN_PID" 2>/dev/null || true; SN_PID=""; fi
  for i in $(seq 1 "$N"); do
    grep -q "\"md5\":\"$MD5\"" "$RUN/peer-$i.json" || { echo "peer-$i failed: $(cat "$RUN/peer-$i.err")" >&2; status=1; }
  done
  {
    echo "== N=$N peers, $SIZE, cold CDN, commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . ':!docs' 2>/dev/null || echo '+changes'), load average before $LOAD_BEFORE, after $LOAD_AFTER"
    echo "   (run directory $RUN)"
    python3 "$PY" analyse "$RUN" $GANTT
  } | tee "$RUN/report.txt"
  [[ $status -eq 0 ]] || { echo "run N=$N had failures (see above)" >&2; exit 1; }
  RUN=""
done

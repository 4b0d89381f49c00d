#!/usr/bin/env bash
# How fast the supernode's CDN caches a file on its own: a preheat (no clients) of a random file
# served by a local nginx, timed until the task is fully cached, with the supernode's CPU (user+sys)
# and the CPU of each of its threads over the fetch. Figures go to docs/performance.md ("CDN ingest").
#
# usage: bench/cdn-ingest.sh [SIZE, default 1G] [RUNS, default 3]
#   OLD=DIR   also run the checkout in DIR (e.g. `git worktree add /tmp/cdn-old <commit>`), built
#             there if needed, alternating OLD and NEW runs in one session; medians of both printed
#   NOBUILD=1 do not build this checkout first
#   THREADS=N per-thread lines shown per run (default 8)
# Per thread: CPU (user, sys) over the fetch and the time it was runnable but waiting for a core
# (/proc/<pid>/task/*/schedstat): a large wait means the machine, not the pipeline, set the pace.
# Everything lives on tmpfs (/dev/shm): the source file, nginx's state, each run's supernode home
# (so its cache), and it all goes when the script ends, however it ends.
set -euo pipefail
SIZE=${1:-1G}
RUNS=${2:-3}
THREADS=${THREADS:-8}
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
work=$(mktemp -d /dev/shm/cdn-ingest.XXXXXX)
export NGINX_STATE_BASE=$work
sn_pid=""
nginx_up=""

cleanup() {
  if [[ -n $sn_pid ]]; then kill "$sn_pid" 2>/dev/null || true; wait "$sn_pid" 2>/dev/null || true; fi
  if [[ -n $nginx_up ]]; then "$root/scripts/nginx.sh" stop "$work/www" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() { # DIR
  (cd "$1" && mvn -B -q -pl supernode -am -DskipTests -Dcds.skip=true package)
}
if [[ -z ${NOBUILD:-} ]]; then build "$root"; fi
if [[ -n ${OLD:-} && ! -f $OLD/supernode/target/supernode.jar ]]; then build "$OLD"; fi

free_port() { # a random port above 20000 that nothing listens on
  local p
  while :; do
    p=$((20001 + RANDOM % 40000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

mkdir -p "$work/www"
echo "generating $SIZE of random data on tmpfs" >&2
head -c "$SIZE" /dev/urandom >"$work/www/big.bin"
head -c 64M /dev/urandom >"$work/www/warmup.bin"
bytes=$(stat -c %s "$work/www/big.bin")
nport=$(free_port)
"$root/scripts/nginx.sh" start "$nport" "$work/www" 2>/dev/null
nginx_up=1
src="http://127.0.0.1:$nport"

# Clock ticks of a process or thread: utime + stime (fields 14, 15; comm may contain spaces).
ticks() { sed 's/.*) //' "$1" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)

threads_snapshot() { # PID -> "tid user_ticks sys_ticks comm" lines
  local t
  for t in /proc/"$1"/task/*; do
    [[ -r $t/stat ]] || continue
    echo "$(basename "$t") $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12, $13}') $(awk '{printf "%d", $2 / 1e7}' "$t/schedstat" 2>/dev/null || echo 0) $(tr ' ' _ <"$t/comm" 2>/dev/null)"
  done
}

preheat() { # API HOME URL -> seconds from the POST until the CDN logs the task cached, or fails
  local api=$1 home=$2 url=$3 id t0 line status
  t0=$(date +%s.%N)
  id=$(curl -sf "$api/preheats" -d "{\"type\":\"file\",\"url\":\"$url\"}" | sed 's/.*"ID":"\([^"]*\)".*/\1/')
  task=$(curl -sf "$api/preheats/$id" | sed 's/.*"taskId":"\([^"]*\)".*/\1/')
  # The end is the time stamp of the CDN's "cached" log line (ms resolution), so polling it here
  # neither costs the supernode CPU nor rounds the figure to the polling interval.
  while :; do
    line=$(grep -h "cdn: task $task cached" "$home"/logs/*.log 2>/dev/null | tail -n 1 || true)
    [[ -n $line ]] && break
    if grep -q "cdn: task $task failed" "$home"/logs/*.log 2>/dev/null; then
      echo "preheat of $url failed: $(grep -h "cdn: task $task failed" "$home"/logs/*.log)" >&2; return 1
    fi
    sleep 0.1
  done
  status=$(curl -sf "$api/preheats/$id" | sed 's/.*"status":"\([^"]*\)".*/\1/')
  [[ $status == SUCCESS ]] || { echo "preheat of $url: status $status after the cached line" >&2; return 1; }
  echo "$t0 $(date -d "$(echo "$line" | cut -c1-23)" +%s.%N)" | awk '{printf "%.3f", $2 - $1}'
}

results="$work/results"
: >"$results"
run() { # LABEL DIR
  local label=$1 dir=$2 api dport home secs c0 c1 cpu mibs
  home=$work/home-$label
  rm -rf "$home"
  api_port=$(free_port); dport=$(free_port)
  "$dir/bin/supernode" --port "$api_port" --download-port "$dport" --bind 127.0.0.1 --home "$home" \
    >"$work/supernode-$label.out" 2>&1 &
  sn_pid=$!
  api="http://127.0.0.1:$api_port"
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$api/_ping" && break
    kill -0 "$sn_pid" 2>/dev/null || { cat "$work/supernode-$label.out" >&2; exit 1; }
    sleep 0.05
  done
  preheat "$api" "$home" "$src/warmup.bin" >/dev/null   # class loading and the first JIT passes
  c0=$(ticks /proc/$sn_pid/stat)
  threads_snapshot "$sn_pid" >"$work/threads0"
  secs=$(preheat "$api" "$home" "$src/big.bin")
  c1=$(ticks /proc/$sn_pid/stat)
  threads_snapshot "$sn_pid" >"$work/threads1"
  cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
  mibs=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.0f", b / 1048576 / s}')
  cpugib=$(awk -v c="$cpu" -v b="$bytes" 'BEGIN {printf "%.2f", c / (b / 1073741824)}')
  printf '%-4s %6.0f MiB/s  %6.3f s  CPU %5.2f s (%4.2f s/GiB)  load %s\n' "$label" "$mibs" "$secs" "$cpu" \
    "$cpugib" "$(cut -d' ' -f1-3 /proc/loadavg)"
  # Per-thread CPU over the fetch, threads of one pool summed under their name without the number.
  join -a 2 -o 1.2,1.3,1.4,2.2,2.3,2.4,2.5 -e 0 <(sort "$work/threads0") <(sort "$work/threads1") \
    | awk -v hz="$hz" '{u = ($4 - $1) / hz; k = ($5 - $2) / hz; w = ($6 - $3) / 100; n = $7; sub(/-?[0-9]+$/, "-N", n)
          s[n] += u + k; us[n] += u; ks[n] += k; ws[n] += w}
        END {for (n in s) if (s[n] >= 0.01) printf "       %-22s %6.2f s  (user %5.2f, sys %5.2f; runnable, waiting for a core: %5.2f s)\n", n, s[n], us[n], ks[n], ws[n]}' \
    | sort -k2 -rn | head -n "$THREADS"
  echo "$label $mibs $cpugib" >>"$results"
  kill "$sn_pid"; wait "$sn_pid" 2>/dev/null || true; sn_pid=""
  rm -rf "$home"
}

echo "supernode CDN ingest: $bytes bytes from nginx at $src, $RUNS run(s), $(nproc) cores" >&2
for i in $(seq 1 "$RUNS"); do
  if [[ -n ${OLD:-} ]]; then run old "$OLD"; fi
  run new "$root"
done

median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for label in old new; do
  grep -q "^$label " "$results" || continue
  printf 'median %-4s %6s MiB/s  %5s CPU s/GiB\n' "$label" \
    "$(awk -v l=$label '$1 == l {print $2}' "$results" | median)" \
    "$(awk -v l=$label '$1 == l {print $3}' "$results" | median)"
done

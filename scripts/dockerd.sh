#!/usr/bin/env bash
# Start/stop a Docker daemon for tests on machines without systemd.
#
#   scripts/dockerd.sh start    # start dockerd unless a daemon is already reachable
#   scripts/dockerd.sh stop     # stop dockerd only if this script started it
#   scripts/dockerd.sh status   # exit 0 if a daemon is reachable
#
# Environment overrides:
#   DOCKERD_LOG             log file      (default /var/log/small-dragonfly-dockerd.log)
#   DOCKERD_PIDFILE         pid file      (default /var/run/small-dragonfly-dockerd.pid)
#   DOCKERD_DATA_ROOT       --data-root   (default /var/lib/docker)
#   DOCKERD_STORAGE_DRIVER  overlay2|vfs  (default: overlay2 if the kernel has overlay, else vfs;
#                                          falls back to vfs if overlay2 fails to start)
#   DOCKERD_NETWORKING      none|bridge   (default none: --bridge=none --iptables=false
#                                          --ip-forward=false; containers must use
#                                          --network host or --network none)
#   DOCKERD_START_TIMEOUT   seconds to wait for `docker info` (default 60)
#   DOCKERD_EXTRA_ARGS      extra dockerd flags
#
# The daemon listens on the default socket /var/run/docker.sock, so plain
# `docker ...` works. This script uses /usr/bin/docker (Debian's client,
# same version as the daemon) when present.
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/small-dragonfly-dockerd.log}
PIDFILE=${DOCKERD_PIDFILE:-/var/run/small-dragonfly-dockerd.pid}
DATA_ROOT=${DOCKERD_DATA_ROOT:-/var/lib/docker}
NETWORKING=${DOCKERD_NETWORKING:-none}
TIMEOUT=${DOCKERD_START_TIMEOUT:-60}
SOCK=/var/run/docker.sock

log() { echo "[dockerd.sh] $*" >&2; }

docker_bin() { if [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker; else command -v docker; fi; }
reachable() { timeout 10 "$(docker_bin)" -H "unix://$SOCK" info >/dev/null 2>&1; }

alive() { # pid exists and is not a zombie
  local st; st=$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null) || return 1
  [[ -n $st && $st != Z ]]
}

our_pid() {
  # Prints the pid of the dockerd this script started, if it is still alive.
  [[ -f $PIDFILE ]] || return 1
  local pid; pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [[ -n $pid ]] && alive "$pid" || return 1
  [[ $(cat /proc/"$pid"/comm 2>/dev/null) == dockerd ]] || return 1
  echo "$pid"
}

pick_driver() {
  if [[ -n ${DOCKERD_STORAGE_DRIVER:-} ]]; then echo "$DOCKERD_STORAGE_DRIVER"; return; fi
  # A data root that already holds vfs layers must keep using vfs.
  if [[ -d $DATA_ROOT/vfs && ! -d $DATA_ROOT/overlay2 ]]; then echo vfs; return; fi
  if grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null; then echo overlay2; else echo vfs; fi
}

net_args() {
  case $NETWORKING in
    none)   echo "--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false" ;;
    bridge)
      if iptables -nL >/dev/null 2>&1; then echo ""; else
        log "iptables unusable, falling back to --bridge=none --iptables=false"
        echo "--bridge=none --iptables=false --ip-forward=false --ip-masq=false"
      fi ;;
    *) log "bad DOCKERD_NETWORKING=$NETWORKING"; exit 2 ;;
  esac
}

launch() { # $1 = storage driver; returns 0 when `docker info` works
  local driver=$1
  # shellcheck disable=SC2046
  set -- --data-root "$DATA_ROOT" --pidfile "$PIDFILE" --storage-driver "$driver" \
         -H "unix://$SOCK" $(net_args) ${DOCKERD_EXTRA_ARGS:-}
  mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
  echo "=== $(date -Is) dockerd $*" >>"$LOG"
  # Detached from this shell: new session, no stdin, output to the log file.
  setsid dockerd "$@" </dev/null >>"$LOG" 2>&1 &
  local launcher=$!
  local deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if reachable; then
      # dockerd writes its own pid file; make sure it is there.
      [[ -s $PIDFILE ]] || echo "$launcher" >"$PIDFILE"
      return 0
    fi
    if ! kill -0 "$launcher" 2>/dev/null; then
      log "dockerd ($driver) exited early; last log lines:"
      tail -n 15 "$LOG" >&2
      rm -f "$PIDFILE"
      return 1
    fi
    sleep 0.5
  done
  log "dockerd ($driver) not reachable after ${TIMEOUT}s; stopping it"
  kill "$launcher" 2>/dev/null || true
  sleep 2; kill -9 "$launcher" 2>/dev/null || true
  rm -f "$PIDFILE"
  return 1
}

do_start() {
  if reachable; then
    if pid=$(our_pid); then log "already running (pid $pid, started by this script)"
    else log "a Docker daemon is already reachable at $SOCK (not started by this script)"; fi
    return 0
  fi
  command -v dockerd >/dev/null || { log "dockerd not installed (run scripts/install-deps.sh)"; exit 1; }
  if pid=$(our_pid); then
    log "our dockerd (pid $pid) is alive but not answering; restarting it"
    do_stop
  fi
  rm -f "$PIDFILE"
  local driver; driver=$(pick_driver)
  local t0=$SECONDS
  if launch "$driver"; then :
  elif [[ $driver != vfs && -z ${DOCKERD_STORAGE_DRIVER:-} ]]; then
    log "retrying with --storage-driver=vfs"
    launch vfs || exit 1
    driver=vfs
  else
    exit 1
  fi
  log "dockerd up (pid $(cat "$PIDFILE"), storage=$driver, networking=$NETWORKING, $((SECONDS - t0))s, log $LOG)"
}

do_stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PIDFILE"
    if reachable; then log "daemon running but not started by this script; leaving it alone"
    else log "not running"; fi
    return 0
  fi
  log "stopping dockerd pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    alive "$pid" || break
    sleep 0.5
  done
  if alive "$pid"; then
    log "dockerd did not exit in 30s; killing it and its children"
    local kids; kids=$(pgrep -P "$pid" || true)
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

do_status() {
  if reachable; then
    if pid=$(our_pid); then echo "running (pid $pid, started by scripts/dockerd.sh)"
    else echo "running (external daemon)"; fi
    "$(docker_bin)" -H "unix://$SOCK" info --format 'storage={{.Driver}} version={{.ServerVersion}}' 2>/dev/null || true
    return 0
  fi
  echo "not running"
  return 1
}

case ${1:-} in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

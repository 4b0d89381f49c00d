#!/usr/bin/env bash
# Run a private Docker registry (Debian's docker-registry, distribution 2.8) by hand.
#
#   scripts/registry.sh start PORT DIR   # listen on 127.0.0.1:PORT, state in DIR
#   scripts/registry.sh stop DIR
#   scripts/registry.sh status DIR
#
# DIR gets: config.yml, data/ (blob storage), registry.pid, registry.log.
# Plain HTTP, no auth: push with e.g.
#   skopeo copy --dest-tls-verify=false docker-daemon:IMG:TAG docker://127.0.0.1:PORT/library/x:1
# (docker push to 127.0.0.1:* works without --insecure-registry: loopback is trusted.)
set -euo pipefail

BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
log() { echo "[registry.sh] $*" >&2; }
usage() { echo "usage: $0 start PORT DIR | stop DIR | status DIR" >&2; exit 2; }

alive() { # pid exists and is not a zombie
  local st; st=$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null) || return 1
  [[ -n $st && $st != Z ]]
}

pid_of() { # alive registry pid from DIR/registry.pid
  local f=$1/registry.pid pid
  [[ -f $f ]] || return 1
  pid=$(cat "$f"); [[ -n $pid ]] && alive "$pid" || return 1
  [[ $(readlink -f /proc/"$pid"/exe 2>/dev/null) == "$(readlink -f "$BIN")" ]] || return 1
  echo "$pid"
}

cmd=${1:-}
case $cmd in
  start)
    [[ $# -eq 3 ]] || usage
    PORT=$2; mkdir -p "$3"; DIR=$(cd "$3" && pwd)
    [[ -x $BIN ]] || { log "$BIN missing (scripts/install-deps.sh)"; exit 1; }
    if pid=$(pid_of "$DIR"); then log "already running (pid $pid)"; exit 0; fi
    if ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
      log "port $PORT is already in use"; exit 1
    fi
    mkdir -p "$DIR/data"
    cat >"$DIR/config.yml" <<CONF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$PORT
  secret: small-dragonfly-test-secret
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: false
CONF
    setsid "$BIN" serve "$DIR/config.yml" </dev/null >>"$DIR/registry.log" 2>&1 &
    echo $! >"$DIR/registry.pid"
    for _ in $(seq 1 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null; then
        log "registry up on 127.0.0.1:$PORT (pid $(cat "$DIR/registry.pid"), dir $DIR)"; exit 0
      fi
      if ! kill -0 "$(cat "$DIR/registry.pid")" 2>/dev/null; then break; fi
      sleep 0.2
    done
    log "registry failed to start; log tail:"; tail -n 10 "$DIR/registry.log" >&2
    kill "$(cat "$DIR/registry.pid")" 2>/dev/null || true
    rm -f "$DIR/registry.pid"; exit 1 ;;
  stop)
    [[ $# -eq 2 ]] || usage
    DIR=$(cd "$2" 2>/dev/null && pwd) || { log "no such dir $2"; exit 0; }
    if pid=$(pid_of "$DIR"); then
      kill -TERM "$pid"
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
      log "stopped (pid $pid)"
    else log "not running"; fi
    rm -f "$DIR/registry.pid" ;;
  status)
    [[ $# -eq 2 ]] || usage
    if pid=$(pid_of "$2"); then echo "running (pid $pid)"; else echo "not running"; exit 1; fi ;;
  *) usage ;;
esac

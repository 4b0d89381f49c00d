#!/usr/bin/env bash
# Build the small-dragonfly images without any registry:
#   1. the Maven jars, if missing or older than the sources (mvn -DskipTests package; never install)
#   2. the offline JRE base image (docker/build-base-offline.sh; a no-op when it exists)
#   3. small-dragonfly/supernode, small-dragonfly/dfclient (and small-dragonfly/registry for
#      docker/compose.yaml), each tagged :<project version> and :latest.
#
#   docker/build-images.sh [--no-maven] [--no-registry]
#
# Env: BASE_IMAGE (default small-dragonfly/base-jre:17; anything else, e.g. eclipse-temurin:17-jre,
#      must be pullable), IMAGE_PREFIX (default small-dragonfly), DOCKER (default /usr/bin/docker).
# Contexts are staged in docker/target/image-context/<image>/ as deps/ (third-party jars), bin/
# (launchers) and app/ (the project's jars), one image layer each, so a code change rebuilds
# and ships only the small app/ layer.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$ROOT"
BASE_IMAGE=${BASE_IMAGE:-small-dragonfly/base-jre:17}
PREFIX=${IMAGE_PREFIX:-small-dragonfly}
DOCKER=${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker )}
export DOCKER_BUILDKIT=0   # Debian's docker has no buildx; the legacy builder is what runs here
MAVEN=1 REGISTRY=1
for a in "$@"; do
  case $a in
    --no-maven) MAVEN=0 ;;
    --no-registry) REGISTRY=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument $a" >&2; exit 2 ;;
  esac
done
T0=$SECONDS
log() { echo "[build-images] $(date +%T) $*" >&2; }

# The project version: the root pom's first <version> (the parent's own).
VERSION=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
[[ -n $VERSION ]] || { log "cannot read the version from pom.xml"; exit 1; }
MODULES=(supernode dfget dfdaemon)
OWN_ARTIFACTS="common ${MODULES[*]}"

# ---- 1. jars ------------------------------------------------------------------------------
stale() {
  local m
  for m in "${MODULES[@]}"; do
    [[ -f $m/target/$m.jar && -d $m/target/lib ]] || return 0
    [[ -z $(find common/src common/pom.xml "$m/src" "$m/pom.xml" pom.xml -newer "$m/target/$m.jar" -type f -print -quit 2>/dev/null) ]] || return 0
  done
  return 1
}
if stale; then
  if [[ $MAVEN -eq 1 ]]; then
    log "mvn -DskipTests package (jars missing or older than their sources)"
    mvn -q -B --no-transfer-progress -DskipTests package -pl "$(IFS=,; echo "${MODULES[*]}")" -am
  else
    for m in "${MODULES[@]}"; do
      [[ -f $m/target/$m.jar ]] || { log "$m/target/$m.jar missing (run without --no-maven)"; exit 1; }
    done
    log "jars look older than their sources; using them anyway (--no-maven)"
  fi
fi

"$DOCKER" info >/dev/null 2>&1 || { log "docker daemon not reachable (scripts/dockerd.sh start)"; exit 1; }

# ---- 2. base image ------------------------------------------------------------------------
if [[ $BASE_IMAGE == small-dragonfly/base-jre:* ]]; then
  docker/build-base-offline.sh "$BASE_IMAGE"
elif ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE is not local; docker build will try to pull it"
fi

# ---- 3. contexts --------------------------------------------------------------------------
CTX_ROOT=docker/target/image-context
is_own() { # JAR_FILE_NAME -> 0 when it is one of this project's artifacts
  local a
  for a in $OWN_ARTIFACTS; do [[ $1 == "$a-$VERSION.jar" || $1 == "$a.jar" ]] && return 0; done
  return 1
}
stage() { # IMAGE MODULE...
  local image=$1 ctx=$CTX_ROOT/$1 m jar name; shift
  rm -rf "$ctx"; mkdir -p "$ctx/deps/lib/ext" "$ctx/bin" "$ctx/app/lib"
  cp -p bin/launch bin/supernode bin/dfget bin/dfdaemon docker/scripts/entrypoint docker/scripts/healthcheck "$ctx/bin/"
  for m in "$@"; do
    mkdir -p "$ctx/deps/lib/$m" "$ctx/app/lib/$m"
    cp -p "$m/target/$m.jar" "$ctx/app/lib/$m/"
    for jar in "$m"/target/lib/*.jar; do
      name=$(basename "$jar")
      if is_own "$name"; then
        cp -p "$jar" "$ctx/app/lib/$m/"
      else
        # One copy of each third-party jar; each module's classpath dir links to it.
        [[ -f $ctx/deps/lib/ext/$name ]] || cp -p "$jar" "$ctx/deps/lib/ext/"
        ln -s "../ext/$name" "$ctx/deps/lib/$m/$name"
      fi
    done
  done
  # Fixed mtimes: an unchanged jar set gives the same layer, so docker's cache keeps it.
  find "$ctx" -exec touch -h -d '2000-01-01 00:00:00' {} +
  cp docker/"$image"/Dockerfile "$ctx/Dockerfile"
}
stage supernode supernode
stage dfclient dfget dfdaemon

build() { # IMAGE CONTEXT
  local image=$1 ctx=$2
  log "docker build $PREFIX/$image:$VERSION (FROM $BASE_IMAGE)"
  "$DOCKER" build -q --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg VERSION="$VERSION" \
    -t "$PREFIX/$image:$VERSION" -t "$PREFIX/$image:latest" "$ctx" >/dev/null
}
build supernode "$CTX_ROOT/supernode"
build dfclient "$CTX_ROOT/dfclient"

if [[ $REGISTRY -eq 1 ]]; then
  if [[ -x /usr/bin/docker-registry ]]; then
    ctx=$CTX_ROOT/registry
    rm -rf "$ctx"; mkdir -p "$ctx"
    cp -p /usr/bin/docker-registry docker/registry/config.yml docker/registry/Dockerfile "$ctx/"
    build registry "$ctx"
  else
    log "no /usr/bin/docker-registry (apt-get install docker-registry); skipping the registry image"
  fi
fi

# Dangling images left by rebuilds under the same tags.
"$DOCKER" image prune -f --filter "label=org.opencontainers.image.licenses=Apache-2.0" >/dev/null 2>&1 || true

log "done in $((SECONDS - T0))s"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep "^$PREFIX/" | sort

#!/usr/bin/env bash
# End-to-end smoke check of the machine infrastructure (no project code needed):
# deps, dockerd, offline base image, docker build FROM it, private registry +
# skopeo push + docker pull, nginx Range/ETag. Only uses 127.0.0.1.
# Stops everything it started (dockerd only if it was not running before).
#
#   bash .ci/infra-smoke.sh            # prints 'infra-smoke: N passed, N failed'
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
BASE=${BASE_IMAGE:-small-dragonfly/base-jre:17}
REG_PORT=${SMOKE_REGISTRY_PORT:-15500}
WEB_PORT=${SMOKE_NGINX_PORT:-15580}
TMP=$(mktemp -d /tmp/sd-infra-smoke.XXXXXX)
pass=0; fail=0
check() { # name, command...
  local name=$1; shift
  local t0=$SECONDS
  if "$@" >"$TMP/$name.log" 2>&1; then pass=$((pass+1)); echo "PASS $name ($((SECONDS-t0))s)"
  else fail=$((fail+1)); echo "FAIL $name ($((SECONDS-t0))s)"; tail -n 20 "$TMP/$name.log" | sed 's/^/    /'; fi
}

dockerd_was_up=0
"$REPO/scripts/dockerd.sh" status >/dev/null 2>&1 && dockerd_was_up=1

cleanup() {
  "$REPO/scripts/registry.sh" stop "$TMP/registry" >/dev/null 2>&1 || true
  "$REPO/scripts/nginx.sh" stop "$TMP/www" >/dev/null 2>&1 || true
  rm -rf "$("$REPO/scripts/nginx.sh" statedir "$TMP/www" 2>/dev/null)"
  docker rmi -f sd-infra-smoke:1 "127.0.0.1:$REG_PORT/library/base:1" >/dev/null 2>&1 || true
  [[ $dockerd_was_up -eq 1 ]] || "$REPO/scripts/dockerd.sh" stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

check install-deps "$REPO/scripts/install-deps.sh"
check dockerd-start "$REPO/scripts/dockerd.sh" start
check base-image "$REPO/docker/build-base-offline.sh" "$BASE"
check base-java docker run --rm --network none "$BASE" java -version

mkdir -p "$TMP/ctx"
printf 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN java -version\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n' >"$TMP/ctx/Dockerfile"
echo smoke-ok >"$TMP/ctx/hello.txt"
check docker-build env DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$BASE" -t sd-infra-smoke:1 "$TMP/ctx"
check docker-run-built sh -c 'docker run --rm --network none sd-infra-smoke:1 | grep -qx smoke-ok'

check registry-start "$REPO/scripts/registry.sh" start "$REG_PORT" "$TMP/registry"
check skopeo-push skopeo copy -q --dest-tls-verify=false "docker-daemon:$BASE" "docker://127.0.0.1:$REG_PORT/library/base:1"
check registry-catalog sh -c "curl -fsS http://127.0.0.1:$REG_PORT/v2/library/base/tags/list | grep -q '\"1\"'"
check docker-pull docker pull -q "127.0.0.1:$REG_PORT/library/base:1"

mkdir -p "$TMP/www"; head -c 1048576 /dev/urandom >"$TMP/www/blob.bin"
check nginx-start "$REPO/scripts/nginx.sh" start "$WEB_PORT" "$TMP/www"
check nginx-range bash -c "curl -fsS -r 1000-1999 -o '$TMP/part' http://127.0.0.1:$WEB_PORT/blob.bin && cmp '$TMP/part' <(head -c 2000 '$TMP/www/blob.bin' | tail -c 1000)"
check nginx-etag sh -c "et=\$(curl -fsSI http://127.0.0.1:$WEB_PORT/blob.bin | tr -d '\r' | sed -n 's/^ETag: //Ip'); [ -n \"\$et\" ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -H \"If-None-Match: \$et\" http://127.0.0.1:$WEB_PORT/blob.bin)\" = 304 ]"
check registry-stop "$REPO/scripts/registry.sh" stop "$TMP/registry"
check nginx-stop "$REPO/scripts/nginx.sh" stop "$TMP/www"

echo "infra-smoke: $pass passed, $fail failed"
[[ $fail -eq 0 ]]

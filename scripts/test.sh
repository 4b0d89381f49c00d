#!/usr/bin/env bash
# The project's test command (README.md): installs what the tests need on a fresh Debian machine,
# builds, and runs every test layer (unit, handler, integration, end to end) with Maven.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"

# Real components the end-to-end tests use (nginx as an origin, ...); fast when already there.
scripts/install-deps.sh

# A docker daemon for the packaging suite (module docker-tests builds the offline base image and
# the images, then runs them with Testcontainers). Started here unless one already answers, and
# stopped at the end only if started here. Without one that suite is skipped, which CI must not
# allow (CI=true): there the daemon is required.
started_dockerd=0
stop_dockerd() { if [[ $started_dockerd -eq 1 ]]; then scripts/dockerd.sh stop || true; fi; }
trap stop_dockerd EXIT
if ! scripts/dockerd.sh status >/dev/null 2>&1; then
  if scripts/dockerd.sh start; then
    started_dockerd=1
  elif [[ ${CI:-} == true ]]; then
    echo "test.sh: dockerd did not start (log: /var/log/small-dragonfly-dockerd.log)" >&2
    exit 1
  else
    echo "test.sh: dockerd did not start; the docker-tests image suite will be skipped" >&2
  fi
fi

# -B: plain logs; Surefire prints one "Tests run: ..." summary a module.
mvn -B --no-transfer-progress verify "$@"

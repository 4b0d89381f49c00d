#!/usr/bin/env bash
# The main job on an embedded default. For now: build, and show that the binaries run.
# (It becomes the local swarm demo when dfget lands.)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
if [[ ! -f dfget/target/dfget.jar ]]; then
  mvn -q -DskipTests package
fi
bin/dfget --help

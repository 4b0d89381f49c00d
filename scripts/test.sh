#!/usr/bin/env bash
# The project's test command (README.md): installs what the tests need on a fresh Debian machine,
# builds, and runs every test layer (unit, handler, integration, end to end) with Maven.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"

# Real components the end-to-end tests use (nginx as an origin, ...); fast when already there.
scripts/install-deps.sh

# -B: plain logs; Surefire prints one "Tests run: ..." summary a module.
mvn -B --no-transfer-progress verify "$@"

#!/bin/sh
# /peer/task decisions per second (1,000 peers on one task, on 100 tasks) and the scheduler's heap
# with 1,000 peers x 10 tasks. Figures go to docs/performance.md (supernode section).
# usage: bench/supernode-scheduler.sh [seconds per scenario, default 10] [threads, default = cores]
set -e
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
mvn -q -pl common,supernode -am package -DskipTests  # compiles the test classes too
exec "${JAVA:-java}" -Xmx512m -XX:+UseParallelGC \
  -cp "supernode/target/test-classes:supernode/target/supernode.jar:supernode/target/lib/*" \
  io.smalldragonfly.supernode.bench.SchedulerBench "$@"

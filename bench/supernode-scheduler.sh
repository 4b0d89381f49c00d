#!/bin/sh
# /peer/task decisions per second (1,000 peers on one task, on 100 tasks) and the scheduler's heap
# with 1,000 peers x 10 tasks; with "http" first, the same polls over HTTP to an in-process supernode.
# Figures go to docs/performance.md (supernode section).
# usage: bench/supernode-scheduler.sh [seconds per scenario, default 10] [threads, default = cores]
#        bench/supernode-scheduler.sh http [seconds, default 10] [peers, default 1000] [client threads, default 16]
set -e
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
mvn -q -pl common,supernode -am package -DskipTests  # compiles the test classes too
main=io.smalldragonfly.supernode.bench.SchedulerBench
if [ "$1" = http ]; then
  main=io.smalldragonfly.supernode.bench.HttpPollBench
  shift
fi
exec "${JAVA:-java}" -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile=bench/logback-quiet.xml \
  -cp "supernode/target/test-classes:common/target/test-classes:supernode/target/supernode.jar:supernode/target/lib/*" \
  "$main" "$@"

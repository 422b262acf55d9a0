#!/usr/bin/env bash
# The fleet benchmark: brings up a lab of HVLAB_HOSTS hosts (default 50) and
# measures, in one run, a cold round (connect + probe), a steady round over
# open connections, and the hosts' CPU per host per round. Stops the lab.
# Root, like the lab. Output: Go benchmark lines (benchstat reads them).
set -euo pipefail
cd "$(dirname "$0")/.."
export HVLAB_DIR=${HVLAB_DIR:-/tmp/hvlab}
hosts=${HVLAB_HOSTS:-50}
count=${BENCH_COUNT:-5}
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH

trap 'bash lab/lab.sh down' EXIT
bash lab/lab.sh install
bash lab/lab.sh down
bash lab/lab.sh up "$hosts"
go test -run '^$' -bench 'BenchmarkLab(Cold|Steady)Round' -benchtime 10x -count "$count" ./cmd/hvconsole/

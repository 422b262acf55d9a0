#!/usr/bin/env bash
# The scale benchmark: hvconsole's client side against N simulated hosts
# (default 1000) that run in other processes (lab/scale-fleet.sh).
#
# It prints one table: heap, goroutine stacks, goroutines and descriptors
# per host, RSS, the cold round (connect + probe), the slowest steady
# round, a /metrics scrape of serve's collector, the console's key-to-frame
# time while every host reports once a second, and what the steady rounds
# added to the goroutines and descriptors (nothing may grow with time), and
# the CPU the client uses at rest (probing paused: keepalives and idle
# connections only), with the simulated fleet's and the whole machine's
# (softirq apart: the kernel's TCP keepalive work) over the same window;
# HVBENCH_TCP_KEEPALIVE overrides tcp_keepalive ("0s" off). Heap and
# goroutine profiles are written next to the figures, in $HVBENCH_OUT
# (default /tmp/hvconsole-bench-scale-N). No root needed; loopback only.
# Heavy at 10,000 hosts (both cores for a minute or two): run it rarely.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH
n=${1:-1000}
out=${HVBENCH_OUT:-/tmp/hvconsole-bench-scale-$n}
rm -rf "$out"
mkdir -p "$out"

go build -o "$out/hvconsole" ./cmd/hvconsole
go test -c -o "$out/scale.test" ./cmd/hvconsole
go test -c -o "$out/tui.test" ./tui

source lab/scale-fleet.sh
trap fleet_stop EXIT
fleet_start "$n"
HVBENCH_CONFIG=$(IFS=:; echo "${fleet_configs[*]}") HVBENCH_OUT=$out HVBENCH_FLEET_PIDS="${fleet_pids[*]}" \
	"$out/scale.test" -test.run '^$' -test.bench '^BenchmarkScale$' -test.benchtime 1x | tee "$out/scale.txt"
HVBENCH_HOSTS=$n "$out/tui.test" -test.run '^$' -test.bench '^BenchmarkKeyToFrame$' -test.benchtime 200x |
	tee "$out/keys.txt"
fleet_rss=$(fleet_peak_rss)

# One table from the benchmark metrics ("value unit" pairs).
awk -v fleet_rss="$fleet_rss" '
	/^Benchmark/ { for (f = 3; f < NF; f += 2) m[$(f + 1)] = $f }
	END {
		printf "| hosts (not OK) | heap/host | stacks/host | goroutines/host | FDs/host | RSS | cold round | steady round | scrape (series/host) | key-to-frame p50 / p99 | simulated fleet peak RSS | growth over steady rounds (goroutines, FDs) | CPU at rest (fleet, machine, softirq; TCP probes/s) |\n"
		printf "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
		printf "| %d (%d) | %.0f KB (serve %.0f) | %.0f KB (serve %.0f) | %.1f (serve %.1f) | %.2f | %.0f MB (serve %.0f) | %.2f s | %.2f s | %.2f s (%.0f) | %.0f / %.0f ms | %.0f MB | %d, %d | %.1f%% (%.1f, %.1f, %.1f; %.0f) |\n",
			m["hosts"], m["not-ok"], m["round-heap-KB/host"], m["serve-heap-KB/host"],
			m["round-stack-KB/host"], m["serve-stack-KB/host"],
			m["round-goroutines/host"], m["serve-goroutines/host"], m["serve-fds/host"],
			m["round-rss-MB"], m["serve-rss-MB"], m["cold-s"], m["steady-s"],
			m["scrape-s"], m["series/host"], m["p50-ms"], m["p99-ms"], fleet_rss / 1024,
			m["steady-growth-goroutines"], m["steady-growth-fds"], m["idle-cpu-%"],
			m["idle-fleet-cpu-%"], m["idle-machine-cpu-%"], m["idle-softirq-%"], m["idle-tcp-probes/s"]
	}' "$out/scale.txt" "$out/keys.txt" | tee "$out/table.md"
echo "profiles: $out/heap-*.pprof $out/goroutines-*.txt (go tool pprof $out/scale.test $out/heap-serve-$n.pprof)"

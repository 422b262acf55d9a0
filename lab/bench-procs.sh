#!/usr/bin/env bash
# The real processes at scale: the console (`hvconsole --config ...
# --read-only`, 160x48 in tmux) and then `hvconsole serve`, each alone
# against the N simulated hosts (default 10000) of `demo --serve`
# processes (lab/scale-fleet.sh), with the demo's cadences for N hosts.
# Once every host is OK (the console's header, serve's hvconsole_host_up)
# it samples each process every $HVBENCH_EVERY seconds (default 10), $HVBENCH_SAMPLES
# times (default 9): VmRSS, and at the end VmHWM and the CPU used over the
# window; for serve also the Go runtime's own account of its memory
# (go_memstats_* of its /metrics). Unlike bench-scale.sh, whose figures
# are taken after forced collections between rounds, this is what a
# process that probes without pause holds. Prints one table; files in
# $HVBENCH_OUT (default /tmp/hvconsole-bench-procs-N). HVBENCH_ENV adds
# environment to both processes (e.g. "GOGC=50"); HVBENCH_PROCS picks them
# (default "console serve"). No root; loopback only.
# Heavy at 10,000 hosts (both cores for several minutes): run it rarely.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH
n=${1:-10000}
out=${HVBENCH_OUT:-/tmp/hvconsole-bench-procs-$n}
every=${HVBENCH_EVERY:-10}
samples=${HVBENCH_SAMPLES:-9}
read -r -a extra_env <<<"${HVBENCH_ENV:-}"
procs=" ${HVBENCH_PROCS:-console serve} "
session=hvbench-procs-$$
rm -rf "$out"
mkdir -p "$out"
go build -o "$out/hvconsole" ./cmd/hvconsole
source lab/scale-fleet.sh

serve_pid=
stop() {
	tmux kill-session -t "$session" 2>/dev/null || true
	if [[ -n $serve_pid ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
	fleet_stop
}
trap stop EXIT

fleet_start "$n"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
	fleet_merge
	printf '\n[serve]\nlisten = "127.0.0.1:%s"\nsocket = "%s/serve.sock"\n' "$port" "$out"
} >"$out/merged.toml"
"$out/hvconsole" validate --config "$out/merged.toml"

# wait_for WHAT SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	local what=$1 limit=$2 t
	shift 2
	for ((t = 0; t < limit; t++)); do
		"$@" && return 0
		sleep 1
	done
	echo "$what: not within $limit s" >&2
	return 1
}

# cpu_ticks PID: user + system clock ticks (fields after the last ')').
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# measure NAME PID: the samples, then one row of the table.
measure() {
	local name=$1 pid=$2 i t0 t1 s0 s1 rss
	t0=$(cpu_ticks "$pid")
	s0=$(date +%s.%N)
	: >"$out/$name-rss.txt"
	for ((i = 0; i < samples; i++)); do
		sleep "$every"
		kill -0 "$pid" || { echo "$name exited" >&2; return 1; }
		awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" >>"$out/$name-rss.txt"
	done
	t1=$(cpu_ticks "$pid")
	s1=$(date +%s.%N)
	cp "/proc/$pid/status" "$out/$name-status.txt"
	rss=$(sort -n "$out/$name-rss.txt" | awk '{a[NR] = $1} END {printf "%.0f / %.0f", a[int((NR + 1) / 2)] / 1024, a[NR] / 1024}')
	printf '| %s | %s MB | %.0f MB | %.2f | %d | %d |\n' "$name" "$rss" \
		"$(awk '/^VmHWM:/ {print $2 / 1024}' "$out/$name-status.txt")" \
		"$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v s0="$s0" -v s1="$s1" 'BEGIN {print t / hz / (s1 - s0)}')" \
		"$(awk '/^Threads:/ {print $2}' "$out/$name-status.txt")" \
		"$(ls "/proc/$pid/fd" | wc -l)" >>"$out/table.md"
}

printf '| process (N=%d) | VmRSS median / max | VmHWM | CPU (cores) | threads | FDs |\n|---|---|---|---|---|---|\n' "$n" >"$out/table.md"

# The console, alone.
if [[ $procs == *" console "* ]]; then
	tmux new-session -d -s "$session" -x 160 -y 48 \
		"exec env ${extra_env[*]} $out/hvconsole --config $out/merged.toml --read-only 2>$out/console.err"
	console_pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
	all_ok() { tmux capture-pane -p -t "$session" | head -1 | grep -q "OK $n "; }
	wait_for "console: every host OK" 600 all_ok
	measure console "$console_pid"
	tmux capture-pane -p -t "$session" >"$out/console-screen.txt"
	tmux kill-session -t "$session"
fi

# serve, alone.
if [[ $procs == *" serve "* ]]; then
	env "${extra_env[@]}" "$out/hvconsole" serve --config "$out/merged.toml" >"$out/serve.log" 2>&1 &
	serve_pid=$!
	up_count() { curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -c '^hvconsole_host_up{.*} 1$' || true; }
	serve_ok() { [[ $(up_count) -eq $n ]]; }
	wait_for "serve: every host up" 600 serve_ok
	measure serve "$serve_pid"
	curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^go_(memstats|gc_gogc|gc_gomemlimit|goroutines)' >"$out/serve-memstats.txt" || true
fi

printf '\nsimulated fleet peak RSS: %.0f MB\n' "$(($(fleet_peak_rss) / 1024))" >>"$out/table.md"
cat "$out/table.md"
echo "serve's own account: $out/serve-memstats.txt"

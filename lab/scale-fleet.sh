# Sourced by the scale benchmarks (bench-scale.sh, bench-procs.sh): the
# simulated fleet of N hosts in processes of its own, `hvconsole demo
# --serve`, at most $per (default 5,000) hosts each: each simulated host
# holds a listener and a connection, and 10,000 of them pass a 20,000
# open file limit. Each process's config carries the cadences of the
# whole fleet (--fleet-hosts). Needs $out (a directory) and $out/hvconsole.
per=${HVBENCH_PER_PROCESS:-5000}
fleet_pids=()
fleet_configs=()

# fleet_start N: starts the processes and waits until each says it is up.
fleet_start() {
	local n=$1 left=$1 i=0 k j t
	while ((left > 0)); do
		k=$((left < per ? left : per))
		"$out/hvconsole" demo --serve --quiet --seed "$i" --hosts "$k" --fleet-hosts "$n" \
			--print-config "$out/fleet$i" >"$out/fleet$i.log" 2>&1 &
		fleet_pids+=("$!")
		fleet_configs+=("$out/fleet$i/config.toml")
		left=$((left - k))
		i=$((i + 1))
	done
	for ((j = 0; j < i; j++)); do
		for ((t = 0; t < 120; t++)); do
			grep -q "is up" "$out/fleet$j.log" && break
			kill -0 "${fleet_pids[$j]}" 2>/dev/null || { cat "$out/fleet$j.log" >&2; return 1; }
			sleep 1
		done
		grep -q "is up" "$out/fleet$j.log" || { echo "fleet $j did not start" >&2; return 1; }
	done
}

# fleet_stop: stops the processes (for a trap on EXIT).
fleet_stop() {
	local p
	for p in "${fleet_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${fleet_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

# fleet_peak_rss: the fleet's peak RSS in KiB, summed over its processes.
fleet_peak_rss() {
	local p sum=0
	for p in "${fleet_pids[@]}"; do
		sum=$((sum + $(awk '/^VmHWM:/ {print $2}' "/proc/$p/status")))
	done
	echo "$sum"
}

# fleet_merge: one inventory of the whole fleet on stdout, for a real
# hvconsole process: the first config's settings, then every process's
# hosts, renamed fI-NAME, each with its own process's key and known_hosts.
fleet_merge() {
	local i
	sed '/^\[\[hosts\]\]$/,$d' "${fleet_configs[0]}"
	for i in "${!fleet_configs[@]}"; do
		awk -v f="f$i-" -v dir="$out/fleet$i" '
			/^\[\[hosts\]\]$/ { on = 1; print; named = 0; next }
			!on { next }
			/^\[/ { named = 1 }
			!named && /^name = "/ {
				sub(/^name = "/, "name = \"" f)
				print
				printf "identity_files = [\"%s/id_ed25519\"]\nknown_hosts = [\"%s/known_hosts\"]\n", dir, dir
				named = 1
				next
			}
			{ print }' "${fleet_configs[$i]}"
	done
}

#!/usr/bin/env bash
# The alerting benchmark (issue 11's headline). In one lab run it measures
# the time from `kill -9` of libvirtd on a lab host to the alert being
# listed by Alertmanager's API, BENCH_KILLS times (default 10) for each of:
#   (a) hvconsole serve pushing to Alertmanager (push detection);
#   (b) Prometheus scraping Debian's prometheus-libvirt-exporter on every
#       lab host every 15 s, with the rule libvirt_up == 0 evaluated every
#       15 s, sending to the same Alertmanager;
# and prints the median and p95 of each and their ratio. Then it reports
# serve's CPU and memory per host, steady over BENCH_WINDOW seconds
# (default 60) with every lab host in its inventory.
#
# It brings up a lab of HVLAB_HOSTS hosts (default 50) and stops it at the
# end. Everything listens on loopback; nothing uses systemd. Root, like the
# lab. Needs lab.sh install (prometheus, prometheus-alertmanager,
# prometheus-libvirt-exporter) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
export HVLAB_DIR=${HVLAB_DIR:-/tmp/hvlab}
hosts=${HVLAB_HOSTS:-50}
kills=${BENCH_KILLS:-10}
target=${BENCH_HOST:-1}
window=${BENCH_WINDOW:-60}
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH

work=$(mktemp -d /tmp/hvbench-alert.XXXXXX)
pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	bash lab/lab.sh down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# port: a free loopback port (the kernel picks it).
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_http URL: until it answers 200 (60 s at most).
wait_http() {
	local i
	for i in $(seq 600); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench-alert: $1 never became ready" >&2
	return 1
}
# alert_listed NAME HOST: Alertmanager lists an active alert NAME for HOST
# (one curl, no parser: the filtered list is "[]" when there is none).
alert_listed() {
	local out
	out=$(curl -fsG "http://$am/api/v2/alerts" --data-urlencode "filter=alertname=\"$1\"" \
		--data-urlencode "filter=host=\"$2\"" --data-urlencode "active=true") || return 1
	[[ $out == \[\{* ]]
}
# stats NAME FILE: median and p95 (nearest rank) of the millisecond samples.
stats() {
	sort -n "$2" | awk -v name="$1" '{v[NR]=$1} END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		p = int(0.95 * NR); if (p < 0.95 * NR) p++
		printf "%s: n=%d median %.0f ms, p95 %.0f ms\n", name, NR, m, v[p]
		print m > "/dev/stderr" }' 2>"$2.median"
}

bash lab/lab.sh install
bash lab/lab.sh down
bash lab/lab.sh up "$hosts"
name=$(awk -v n="$target" '$2 == n {print $1}' "$HVLAB_DIR/hosts.tsv")
pidfile=$(awk -v n="$target" '$2 == n {print $5}' "$HVLAB_DIR/hosts.tsv")
go build -o "$work/hvconsole" ./cmd/hvconsole

# Alertmanager: one null receiver; group_wait 0s.
am=127.0.0.1:$(port)
cat >"$work/alertmanager.yml" <<EOF
route: {receiver: none, group_by: [alertname, host], group_wait: 0s, group_interval: 1s}
receivers: [{name: none}]
EOF
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am" \
	--web.listen-address="$am" --cluster.listen-address= >"$work/am.log" 2>&1 &
pids+=($!)
wait_http "http://$am/-/ready"

# measure LABEL ALERTNAME OUT: kill -9 libvirtd on the target host, time
# until the alert is listed, restart, wait until it is gone; BENCH_KILLS
# times, with a random pause so kills fall anywhere in a scrape cycle.
measure() {
	local label=$1 alert=$2 out=$3 i t0 t1
	: >"$out"
	for i in $(seq "$kills"); do
		sleep "$(awk -v r="$RANDOM" 'BEGIN {printf "%.2f", 1 + r % 1500 / 100}')"
		# kill -9 by the pid file, right after the clock is read (lab.sh's
		# own start-up would count against both sides).
		t0=$(now_ms)
		kill -9 "$(cat "$pidfile")"
		until alert_listed "$alert" "$name"; do
			(($(now_ms) - t0 < 120000)) || { echo "bench-alert: ($label) no alert after 120 s" >&2; return 1; }
			sleep 0.005
		done
		t1=$(now_ms)
		echo $((t1 - t0)) >>"$out"
		echo "bench-alert: ($label) kill $i: alert listed after $((t1 - t0)) ms" >&2
		bash lab/lab.sh libvirtd start "$target" >/dev/null
		t0=$(now_ms)
		while alert_listed "$alert" "$name"; do
			(($(now_ms) - t0 < 120000)) || { echo "bench-alert: ($label) alert not resolved after 120 s" >&2; return 1; }
			sleep 0.2
		done
	done
}

# (a) hvconsole serve, every lab host in its inventory.
metrics=127.0.0.1:$(port)
cp "$HVLAB_DIR/config.toml" "$work/serve.toml"
cat >>"$work/serve.toml" <<EOF

[serve]
listen = "$metrics"
socket = "$work/serve.sock"
site = "bench"
[alerting]
alertmanagers = ["http://$am"]
EOF
"$work/hvconsole" serve --config "$work/serve.toml" >"$work/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
wait_http "http://$metrics/-/ready"
measure a HypervisorDown "$work/a.ms"

# serve's cost per host, steady (no faults) over the window.
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }
c0=$(cpu)
sleep "$window"
c1=$(cpu)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status")
kill "$serve_pid"
wait "$serve_pid" || true

# (b) Prometheus + prometheus-libvirt-exporter on every lab host. Each
# port is taken right before its program binds it.
{
	echo "global: {scrape_interval: 15s, evaluation_interval: 15s}"
	echo "rule_files: [$work/rules.yml]"
	echo "alerting: {alertmanagers: [{static_configs: [{targets: ['$am']}]}]}"
	echo "scrape_configs:"
	echo "  - job_name: libvirt"
	echo "    static_configs:"
} >"$work/prometheus.yml"
while read -r hname _ _ _ _ _; do
	[[ $hname == \#* ]] && continue
	p=127.0.0.1:$(port)
	prometheus-libvirt-exporter --web.listen-address "$p" \
		--libvirt.uri "test+unix:///etc/libvirt/node.xml?socket=$HVLAB_DIR/hosts/$hname/run/libvirt-sock" \
		>>"$work/exporters.log" 2>&1 &
	pids+=($!)
	wait_http "http://$p/"
	echo "      - {targets: ['$p'], labels: {host: $hname}}" >>"$work/prometheus.yml"
done <"$HVLAB_DIR/hosts.tsv"
cat >"$work/rules.yml" <<'EOF'
groups:
  - name: libvirt
    rules:
      - alert: LibvirtDown
        expr: libvirt_up == 0
EOF
prom=127.0.0.1:$(port)
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
	--web.listen-address="$prom" >"$work/prom.log" 2>&1 &
pids+=($!)
wait_http "http://$prom/-/ready"
sleep 20 # every target scraped and the rule evaluated once
measure b LibvirtDown "$work/b.ms"

echo
echo "== kill -9 libvirtd on $name -> alert listed by Alertmanager ($kills kills each)"
stats "(a) hvconsole serve, push" "$work/a.ms"
stats "(b) Prometheus + libvirt exporter, 15s scrape + 15s rule" "$work/b.ms"
awk -v a="$(cat "$work/a.ms.median")" -v b="$(cat "$work/b.ms.median")" \
	'BEGIN {printf "ratio of medians (b)/(a): %.0fx\n", b / a}'
awk -v c0="$c0" -v c1="$c1" -v tck="$tck" -v w="$window" -v n="$hosts" -v rss="$rss_kb" 'BEGIN {
	cpu = (c1 - c0) / tck / w * 100
	printf "serve at %d hosts over %ds: CPU %.2f%% of a core (%.3f%% per host), RSS %.1f MiB (%.0f KiB per host)\n",
		n, w, cpu, cpu / n, rss / 1024, rss / n }'

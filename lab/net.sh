# shellcheck shell=bash
# Network faults of lab hosts, sourced by lab/lab.sh (see lab/README.md,
# "Network faults"). Uses lab.sh's NET, D, SRC, PROXY_PORT, DIRECT_PORT,
# API_PORT, NFT_TABLE and helpers.
#
# Loss and partitions are nftables rules on this machine's output path,
# matched by the host's loopback address (both directions: on loopback the
# client's and sshd's packets both leave through output). Latency, jitter,
# rate caps and stalls need a userspace proxy: lab/faultproxy (toxiproxy),
# to which N:22 is redirected (DNAT) once the host is "routed"; the proxy
# forwards to sshd's second port N:DIRECT_PORT, which no rule redirects.

api_addr() { echo "$NET.0:$API_PORT"; }

build_faultproxy() {
	local out=$D/bin/faultproxy
	mkdir -p "$D/bin"
	say "building the fault proxy"
	(cd "$SRC/.." && "$(go_bin)" build -trimpath -o "$out.tmp.$$" ./lab/faultproxy) ||
		die "building lab/faultproxy failed"
	mv -f "$out.tmp.$$" "$out"
}

# ensure_faultproxy: starts the lab's fault proxy unless it runs.
ensure_faultproxy() {
	local i
	pidfile_pid "$D/faultproxy.pid" >/dev/null && return 0
	[[ -x $D/bin/faultproxy ]] || build_faultproxy
	# fd 9 is the net lock: the daemon must not hold it.
	setsid "$D/bin/faultproxy" serve -api "$(api_addr)" </dev/null >>"$D/faultproxy.log" 2>&1 9>&- &
	echo $! >"$D/faultproxy.pid"
	for ((i = 0; i < 100; i++)); do
		port_open "$NET.0" "$API_PORT" && return 0
		sleep 0.1
	done
	die "the fault proxy did not open its API on $(api_addr) (see $D/faultproxy.log)"
}

stop_faultproxy() {
	local pid
	pid=$(pidfile_pid "$D/faultproxy.pid") || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" 3 || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$D/faultproxy.pid"
}

# proxy_set N VERB [ARG...]: one faultproxy verb on host N's proxy.
proxy_set() {
	local n=$1 a
	shift
	a=$(addr_of "$n")
	"$D/bin/faultproxy" set -api "$(api_addr)" -name "$(name_of "$n")" \
		-listen "$a:$PROXY_PORT" -upstream "$a:$DIRECT_PORT" "$@"
}

# ensure_host_chains N: the lab's table and host N's chains: hN (loss,
# partition) jumped to for packets from or to N, rN (redirect to the proxy)
# for packets to N.
ensure_host_chains() {
	local n=$1 a
	a=$(addr_of "$n")
	nft list chain ip "$NFT_TABLE" "h$n" >/dev/null 2>&1 && return 0
	nft -f - <<-EOF
		add table ip $NFT_TABLE
		add chain ip $NFT_TABLE filter_out { type filter hook output priority 0; policy accept; }
		add chain ip $NFT_TABLE nat_out { type nat hook output priority -100; policy accept; }
		add chain ip $NFT_TABLE h$n
		add chain ip $NFT_TABLE r$n
		add rule ip $NFT_TABLE filter_out ip daddr $a jump h$n
		add rule ip $NFT_TABLE filter_out ip saddr $a jump h$n
		add rule ip $NFT_TABLE nat_out ip daddr $a jump r$n
	EOF
}

# route_via_proxy N: new connections to N:22 go through the fault proxy.
route_via_proxy() {
	local n=$1 a
	a=$(addr_of "$n")
	ensure_faultproxy
	proxy_set "$n" route
	nft -f - <<-EOF
		flush chain ip $NFT_TABLE r$n
		add rule ip $NFT_TABLE r$n tcp dport 22 dnat to $a:$PROXY_PORT
	EOF
}

# net_heal N: no loss, no partition, no toxic; a routed host stays routed
# (through a now transparent proxy) so its open connections live on.
net_heal() {
	local n=$1
	if nft list chain ip "$NFT_TABLE" "h$n" >/dev/null 2>&1; then
		nft flush chain ip "$NFT_TABLE" "h$n"
	fi
	if pidfile_pid "$D/faultproxy.pid" >/dev/null; then
		proxy_set "$n" clear
	fi
}

cmd_net() {
	local n=${1:-} verb=${2:-} a pct
	check_n "$n"
	shift 2 || true
	holder_pid "$n" >/dev/null
	a=$(addr_of "$n")
	exec 9>"$D/net.lock"
	flock 9
	ensure_host_chains "$n"
	case $verb in
	latency | rate | stall | route)
		route_via_proxy "$n"
		[[ $verb == route ]] || proxy_set "$n" "$verb" "$@"
		;;
	loss)
		pct=${1:-}
		[[ $pct =~ ^[0-9]+$ ]] && ((pct >= 1 && pct <= 100)) || die "usage: lab.sh net N loss PCT (1..100)"
		nft -f - <<-EOF
			flush chain ip $NFT_TABLE h$n
			add rule ip $NFT_TABLE h$n ip daddr $a tcp dport != $DIRECT_PORT numgen random mod 100 < $pct drop
			add rule ip $NFT_TABLE h$n ip saddr $a tcp sport != $DIRECT_PORT numgen random mod 100 < $pct drop
		EOF
		;;
	partition)
		nft -f - <<-EOF
			flush chain ip $NFT_TABLE h$n
			add rule ip $NFT_TABLE h$n drop
		EOF
		;;
	heal) net_heal "$n" ;;
	direct)
		nft flush chain ip "$NFT_TABLE" "r$n"
		if pidfile_pid "$D/faultproxy.pid" >/dev/null; then
			proxy_set "$n" delete
		fi
		;;
	*) die "usage: lab.sh net N latency RTT [JITTER] | rate RATE | stall | loss PCT | partition | heal | route | direct" ;;
	esac
}

# net_down: removes the lab's table and stops the fault proxy.
net_down() {
	stop_faultproxy
	if nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
		nft delete table ip "$NFT_TABLE"
	fi
}

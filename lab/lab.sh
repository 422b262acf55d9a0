#!/usr/bin/env bash
# hvconsole integration lab: a fleet of fake hypervisor hosts on this machine.
#
# Host N (1..254) is 127.77.0.N:22: its own OpenSSH sshd and its own libvirtd,
# both inside a private mount + UTS namespace (hostname labNN) where per-host
# folders are bind-mounted over /run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt, /var/log/libvirt, /etc/libvirt, /root, /srv and
# /usr/local/sbin (systemctl, journalctl and powershell.exe stand-ins). See
# lab/README.md.
#
# Usage: lab.sh install | up [N] | down | status   (up: N defaults to 45)
#        lab.sh libvirtd stop|start|restart|kill|freeze|thaw N
#        lab.sh sshd stop|start|kill|freeze|hang|thaw N | sshd limit N MAXSTARTUPS
#        lab.sh heal N | exec N CMD... | world N FILE|default
#        lab.sh hyperv N SCENARIO   (a Hyper-V scenario from lab/hyperv/)
#        lab.sh net N latency RTT [JITTER] | rate RATE | stall | loss PCT |
#                     partition | heal | route | direct   (network faults)
# State lives in ${HVLAB_DIR:-/tmp/hvlab}; addresses are ${HVLAB_NET:-127.77.0}.N.
# Needs root.
# HVLAB_NOFORWARD (default "25", "" for none): space- or comma-separated host
# numbers whose sshd refuses unix-socket forwarding (AllowStreamLocalForwarding
# no), as hardened sites do: hvconsole's libvirt tunnel is refused there and
# the virsh fallback is tested.
set -euo pipefail

SELF=$(realpath "${BASH_SOURCE[0]}")
SRC=$(dirname "$SELF")
readonly SELF SRC
# shellcheck source=lab/net.sh
source "$SRC/net.sh"
readonly D=${HVLAB_DIR:-/tmp/hvlab}
readonly PARALLEL=${HVLAB_PARALLEL:-8}
readonly HOST_TIMEOUT=${HVLAB_HOST_TIMEOUT:-60}
readonly DEFAULT_HOSTS=45
readonly NOFORWARD=${HVLAB_NOFORWARD-25}
# HVLAB_NET: the first three octets of the hosts' loopback addresses, so that
# two labs (two HVLAB_DIRs) can run side by side on one machine.
readonly NET=${HVLAB_NET:-127.77.0}
# Network faults (lab/README.md): the faultproxy (toxiproxy) of host N
# listens on N:PROXY_PORT and forwards to sshd's second port N:DIRECT_PORT;
# nftables in the table NFT_TABLE redirects N:22 to the proxy and drops
# packets for loss and partitions.
readonly PROXY_PORT=2200 DIRECT_PORT=2222 API_PORT=8474
readonly NFT_TABLE=hvlab_${NET//./_}
readonly VIRSH_URI=test+unix:///etc/libvirt/node.xml
readonly NS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
readonly PACKAGES=(openssh-server libvirt-daemon libvirt-clients tmux qemu-utils
	prometheus prometheus-alertmanager prometheus-libvirt-exporter nftables iproute2
	ansible-core)
readonly MOUNT_POINTS=(/run/sshd /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt /srv /usr/local/sbin)

die() {
	echo "lab: $*" >&2
	exit 1
}
say() { echo "lab: $*" >&2; }

name_of() { printf 'lab%02d' "$1"; }
addr_of() { echo "$NET.$1"; }
hdir() { echo "$D/hosts/$(name_of "$1")"; }

check_n() {
	if ! [[ ${1:-} =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > 254)); then
		die "host number must be 1..254, got '${1:-}'"
	fi
}

check_net() {
	[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "HVLAB_NET must be 127.X.Y (loopback only), got '$NET'"
}

check_dir() {
	[[ $D =~ ^/[A-Za-z0-9._/-]+$ && $D != / ]] || die "HVLAB_DIR must be an absolute plain path, got '$D'"
}

# pid_alive PID: true when PID exists and is neither a zombie nor dead.
pid_alive() {
	local st
	[[ ${1:-} =~ ^[0-9]+$ ]] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# pid_frozen PID: true when PID is stopped by a signal (state T).
pid_frozen() {
	[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]
}

# pidfile_pid FILE: prints the pid in FILE if that process is alive.
pidfile_pid() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	pid_alive "$pid" || return 1
	echo "$pid"
}

# wait_gone PID SECONDS: waits until PID is gone or a zombie.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

holder_pid() {
	pidfile_pid "$(hdir "$1")/holder.pid" || die "$(name_of "$1") is not running (no namespace holder)"
}

# in_host N CMD...: runs CMD inside host N's mount and UTS namespaces.
in_host() {
	local n=$1 pid
	shift
	pid=$(holder_pid "$n")
	nsenter --mount --uts -t "$pid" -- env -i PATH="$NS_PATH" HOME=/root LANG=C.UTF-8 "$@"
}

# ---------------------------------------------------------------- install

cmd_install() {
	local p missing=() policy=""
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]} > 0)); then
		say "installing ${missing[*]}"
		# Keep package scripts from starting a system-wide sshd on *:22.
		if [[ ! -e /usr/sbin/policy-rc.d ]]; then
			policy=/usr/sbin/policy-rc.d
			printf '#!/bin/sh\nexit 101\n' >"$policy"
			chmod 755 "$policy"
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
		[[ -z $policy ]] || rm -f "$policy"
	fi
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system --user-group --no-create-home --home-dir /var/lib/libvirt \
			--shell /usr/sbin/nologin libvirt-qemu
	mkdir -p "${MOUNT_POINTS[@]}"
	say "install done"
}

# ---------------------------------------------------------------- up

write_libvirt_conf() {
	local etc=$1
	cat >"$etc/libvirtd.conf" <<-'EOF'
		# hvconsole lab host libvirtd.conf
		listen_tls = 0
		listen_tcp = 0
		unix_sock_ro_perms = "0777"
		unix_sock_rw_perms = "0700"
		auth_unix_ro = "none"
		auth_unix_rw = "none"
		min_workers = 1
		max_workers = 8
		prio_workers = 2
		log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	EOF
	printf 'stdio_handler = "file"\n' >"$etc/qemu.conf"
	cp -f /etc/libvirt/libvirt.conf "$etc/" 2>/dev/null || true
}

# streamlocal_of N: "no" when host N is listed in HVLAB_NOFORWARD, else "yes".
streamlocal_of() {
	local m
	for m in ${NOFORWARD//,/ }; do
		[[ $m == "$1" ]] && echo no && return 0
	done
	echo yes
}

check_noforward() {
	local m
	for m in ${NOFORWARD//,/ }; do
		[[ $m =~ ^[0-9]+$ ]] || die "HVLAB_NOFORWARD must list host numbers, got '$NOFORWARD'"
	done
}

write_sshd_conf() {
	local n=$1 h=$2
	cat >"$h/ssh/sshd_config" <<-EOF
		# hvconsole lab host $(name_of "$n")
		ListenAddress $(addr_of "$n"):22
		ListenAddress $(addr_of "$n"):$DIRECT_PORT
		HostKey $h/ssh/ssh_host_ed25519_key
		HostKey $h/ssh/ssh_host_ecdsa_key
		PidFile $h/sshd.pid
		AuthenticationMethods publickey
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		PermitRootLogin prohibit-password
		AuthorizedKeysFile .ssh/authorized_keys
		AllowStreamLocalForwarding $(streamlocal_of "$n")
		AllowTcpForwarding local
		AllowAgentForwarding no
		X11Forwarding no
		MaxStartups 100:30:200
		MaxSessions 64
		UseDNS no
		PrintMotd no
		PrintLastLog no
		LogLevel INFO
		Subsystem sftp internal-sftp
	EOF
}

# prepare_host N: per-host folders, configs, host keys and the default world.
prepare_host() {
	local n=$1 h
	h=$(hdir "$n")
	rm -rf "$h"
	mkdir -p "$h"/{ssh,run,lib,cache,log,etc,root/.ssh,srv}
	chmod 700 "$h/root" "$h/root/.ssh" "$h/ssh"
	cp "$D/id_ed25519.pub" "$h/root/.ssh/authorized_keys"
	chmod 600 "$h/root/.ssh/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -C "$(name_of "$n")" -f "$h/ssh/ssh_host_ed25519_key"
	ssh-keygen -q -t ecdsa -b 256 -N '' -C "$(name_of "$n")" -f "$h/ssh/ssh_host_ecdsa_key"
	write_libvirt_conf "$h/etc"
	cp "$SRC/world-default.xml" "$h/etc/node.xml"
	# The host resolves its own name from a file, as a real host does: libvirt
	# looks its hostname up (getaddrinfo), and without this the lookup would
	# go to the machine's DNS resolver, leaving loopback, and stall.
	printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$(addr_of "$n")" "$(name_of "$n")" >"$h/hosts"
	write_sshd_conf "$n" "$h"
	/usr/sbin/sshd -t -f "$h/ssh/sshd_config"
}

# cmd__init N: runs as PID of the new namespaces; becomes the holder process
# that keeps them alive (sleep) once libvirtd and sshd are up.
cmd__init() {
	local n=$1 h src dst
	h=$(hdir "$n")
	trap 'echo "init failed at line $LINENO" >"$h/failed"' ERR
	echo "$$" >"$h/holder.pid"
	readlink "/proc/$$/ns/mnt" >"$h/mntns"
	for pair in run:/run/libvirt lib:/var/lib/libvirt cache:/var/cache/libvirt log:/var/log/libvirt \
		etc:/etc/libvirt root:/root srv:/srv; do
		src=$h/${pair%%:*}
		dst=${pair#*:}
		mount --bind "$src" "$dst"
	done
	mount --bind "$D/sbin" /usr/local/sbin
	mount --bind "$h/hosts" /etc/hosts
	hostname "$(name_of "$n")"
	export PATH=$NS_PATH HOME=/root
	/usr/local/sbin/systemctl start libvirtd
	/usr/sbin/sshd -f "$h/ssh/sshd_config" -E "$h/sshd.log"
	touch "$h/ready"
	trap - ERR
	exec sleep infinity
}

# port_open ADDR [PORT]: true when ADDR:PORT (default 22) accepts a connection.
port_open() {
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell.
	timeout 1 bash -c ': >"/dev/tcp/$0/$1"' "$1" "${2:-22}" 2>/dev/null
}

# wait_host N: polls the init marker, the SSH port and a libvirt call.
wait_host() {
	local n=$1 h i
	h=$(hdir "$n")
	for ((i = 0; i < HOST_TIMEOUT * 5; i++)); do
		if [[ -e $h/failed ]]; then
			tail -n 20 "$h/init.log" >&2 || true
			die "$(name_of "$n"): init failed: $(<"$h/failed")"
		fi
		if [[ -e $h/ready ]] && port_open "$(addr_of "$n")" &&
			in_host "$n" timeout 10 virsh -q -c "$VIRSH_URI" version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$h/init.log" "$h/sshd.log" >&2 || true
	die "$(name_of "$n") ($(addr_of "$n")) not ready after ${HOST_TIMEOUT}s"
}

start_host() {
	local n=$1 h
	h=$(hdir "$n")
	prepare_host "$n"
	setsid unshare --mount --uts --propagation private -- \
		bash "$SELF" _init "$n" </dev/null >>"$h/init.log" 2>&1 &
	wait_host "$n"
}

write_inventory() {
	local count=$1 n rack
	{
		echo "# hvconsole inventory for the lab, written by lab/lab.sh up; do not edit."
		echo "audit_log = \"$D/audit.jsonl\""
		echo
		echo "[defaults]"
		echo "user = \"root\""
		echo "port = 22"
		echo "identity_files = [\"$D/id_ed25519\"]"
		echo "use_agent = false"
		echo "known_hosts = [\"$D/known_hosts\"]"
		echo "connect_timeout = \"3s\""
		echo "probe_timeout = \"5s\""
		echo "probe_interval = \"5s\""
		echo "hypervisor = \"libvirt\""
		echo "libvirt_socket = \"/run/libvirt/libvirt-sock\""
		echo "libvirt_uri = \"test:///etc/libvirt/node.xml\""
		echo "units = [\"libvirtd\"]"
		echo "services = [\"libvirtd\"]"
		echo "checks = [\"ssh\", \"hypervisor\", \"vms\", \"kvm\"]"
		for ((n = 1; n <= count; n++)); do
			rack="rack-a"
			((n % 2 == 0)) && rack="rack-b"
			echo
			echo "[[hosts]]"
			echo "name = \"$(name_of "$n")\""
			echo "address = \"$(addr_of "$n")\""
			echo "tags = [\"lab\", \"$rack\"]"
		done
	} >"$D/config.toml.tmp"
	mv "$D/config.toml.tmp" "$D/config.toml"
}

write_tables() {
	local count=$1 n h
	: >"$D/known_hosts.tmp"
	printf '# name\tnumber\taddress\tsshd_pidfile\tlibvirtd_pidfile\tmntns\n' >"$D/hosts.tsv.tmp"
	for ((n = 1; n <= count; n++)); do
		h=$(hdir "$n")
		awk -v a="$(addr_of "$n")" '{print a, $1, $2}' "$h/ssh/ssh_host_ed25519_key.pub" "$h/ssh/ssh_host_ecdsa_key.pub" >>"$D/known_hosts.tmp"
		printf '%s\t%d\t%s\t%s\t%s\t%s\n' "$(name_of "$n")" "$n" "$(addr_of "$n")" \
			"$h/sshd.pid" "$h/run/libvirtd.pid" "$(sed 's/[^0-9]//g' "$h/mntns")" >>"$D/hosts.tsv.tmp"
	done
	mv "$D/known_hosts.tmp" "$D/known_hosts"
	mv "$D/hosts.tsv.tmp" "$D/hosts.tsv"
}

cmd_up() {
	local count=${1:-$DEFAULT_HOSTS} n fail=0 running=0 t0=$SECONDS
	check_n "$count"
	check_dir
	check_net
	check_noforward
	[[ $(id -u) == 0 ]] || die "must run as root"
	if [[ -d $D ]]; then
		for h in "$D"/hosts/*/; do
			if pidfile_pid "$h/holder.pid" >/dev/null; then
				die "a lab is already up in $D (run: lab.sh down)"
			fi
		done
		cmd_down
	fi
	for t in unshare nsenter sshd libvirtd virsh ssh-keygen; do
		command -v "$t" >/dev/null || [[ -x /usr/sbin/$t ]] || die "$t missing (run: lab.sh install)"
	done
	getent passwd libvirt-qemu >/dev/null || die "user libvirt-qemu missing (run: lab.sh install)"
	mkdir -p "${MOUNT_POINTS[@]}" "$D/hosts" "$D/sbin"
	touch "$D/.hvlab"
	install -m 755 "$SRC/systemctl" "$SRC/journalctl" "$D/sbin/"
	build_powershell
	build_faultproxy
	ssh-keygen -q -t ed25519 -N '' -C hvlab-client -f "$D/id_ed25519"
	say "starting $count hosts in $D ($PARALLEL at a time)"
	for ((n = 1; n <= count; n++)); do
		start_host "$n" &
		running=$((running + 1))
		if ((running >= PARALLEL)); then
			wait -n || fail=1
			running=$((running - 1))
		fi
	done
	while ((running > 0)); do
		wait -n || fail=1
		running=$((running - 1))
	done
	((fail == 0)) || die "some hosts failed to start (see above); run: lab.sh down"
	write_tables "$count"
	write_inventory "$count"
	say "$count hosts up in $((SECONDS - t0))s; inventory: $D/config.toml${NOFORWARD:+; no socket forwarding on: $NOFORWARD}"
}

# ---------------------------------------------------------------- down

# lab_pids: pids of every process living in a recorded host namespace, or
# running a binary with a config under the state dir (partial up).
lab_pids() {
	local self inodes=() f line pid
	self=$(readlink /proc/self/ns/mnt)
	for f in "$D"/hosts/*/mntns; do
		[[ -s $f ]] || continue
		line=$(<"$f")
		[[ $line != "$self" ]] && inodes+=("$line")
	done
	{
		if ((${#inodes[@]} > 0)); then
			find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
				while read -r f line; do
					for i in "${inodes[@]}"; do
						if [[ $line == "$i" ]]; then
							pid=${f#/proc/}
							echo "${pid%%/*}"
						fi
					done
				done || true
		fi
		grep -l -a -F -- "$D/hosts/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true
	} | sort -u | while read -r pid; do
		if [[ $pid != "$$" && $pid != "$BASHPID" ]] && pid_alive "$pid"; then
			echo "$pid"
		fi
	done
}

cmd_down() {
	local h f pid i pids
	check_dir
	if [[ ! -d $D ]]; then
		say "no lab in $D"
		return 0
	fi
	net_down
	for h in "$D"/hosts/*/; do
		for f in "$h/sshd.pid" "$h/run/libvirtd.pid" "$h/holder.pid"; do
			pid=$(pidfile_pid "$f") || continue
			kill -TERM "$pid" 2>/dev/null || true
			kill -CONT "$pid" 2>/dev/null || true
		done
	done
	for ((i = 0; i < 50; i++)); do
		pids=$(lab_pids)
		[[ -z $pids ]] && break
		# After 2 s, whatever still lives is killed.
		if ((i >= 20)); then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		sleep 0.1
	done
	pids=$(lab_pids)
	[[ -z $pids ]] || die "processes still alive after down: $pids"
	awk -v d="$D/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
		umount -l "$m" || true
	done
	if [[ -e $D/.hvlab ]]; then
		rm -rf "$D"
	else
		say "$D has no .hvlab marker; not removing it"
	fi
	say "lab down"
}

# ---------------------------------------------------------------- faults

cmd_libvirtd() {
	local verb=${1:-} n=${2:-} pid h
	check_n "$n"
	h=$(hdir "$n")
	case $verb in
	start | stop | restart) in_host "$n" /usr/local/sbin/systemctl "$verb" libvirtd ;;
	kill)
		pid=$(pidfile_pid "$h/run/libvirtd.pid") || die "$(name_of "$n"): libvirtd not running"
		kill -KILL "$pid"
		wait_gone "$pid" 5 || die "$(name_of "$n"): libvirtd $pid survived SIGKILL"
		;;
	freeze | thaw)
		pid=$(pidfile_pid "$h/run/libvirtd.pid") || die "$(name_of "$n"): libvirtd not running"
		if [[ $verb == freeze ]]; then kill -STOP "$pid"; else kill -CONT "$pid"; fi
		;;
	*) die "usage: lab.sh libvirtd stop|start|restart|kill|freeze|thaw N" ;;
	esac
}

cmd_sshd() {
	local verb=${1:-} n=${2:-} pid h i
	check_n "$n"
	h=$(hdir "$n")
	case $verb in
	start)
		pidfile_pid "$h/sshd.pid" >/dev/null && return 0
		in_host "$n" /usr/sbin/sshd -f "$h/ssh/sshd_config" -E "$h/sshd.log"
		for ((i = 0; i < 50; i++)); do
			port_open "$(addr_of "$n")" && return 0
			sleep 0.1
		done
		die "$(name_of "$n"): sshd did not open its port"
		;;
	stop | kill)
		pid=$(pidfile_pid "$h/sshd.pid") || return 0
		if [[ $verb == stop ]]; then kill -TERM "$pid"; else kill -KILL "$pid"; fi
		kill -CONT "$pid" 2>/dev/null || true
		wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
		rm -f "$h/sshd.pid"
		;;
	freeze)
		pid=$(pidfile_pid "$h/sshd.pid") || die "$(name_of "$n"): sshd not running"
		kill -STOP "$pid"
		;;
	hang)
		# Every sshd of the host, open sessions included: the far end of an
		# established connection stops answering (a half-open link).
		pid=$(pidfile_pid "$h/sshd.pid") || die "$(name_of "$n"): sshd not running"
		# shellcheck disable=SC2046 # one pid per word
		kill -STOP "$pid" $(host_sshds "$n")
		;;
	thaw)
		# shellcheck disable=SC2046 # one pid per word
		kill -CONT $(host_sshds "$n") 2>/dev/null || true
		;;
	limit)
		# MaxStartups START[:RATE:FULL]: how many unauthenticated
		# connections sshd keeps; beyond it new ones are dropped, as a
		# busy host does when many consoles connect at once. The listener
		# restarts (open sessions live on).
		[[ ${3:-} =~ ^[0-9]{1,4}(:[0-9]{1,3}:[0-9]{1,4})?$ ]] ||
			die "usage: lab.sh sshd limit N START[:RATE:FULL] (lab default 100:30:200)"
		sed -i "s/^MaxStartups .*/MaxStartups $3/" "$h/ssh/sshd_config"
		cmd_sshd stop "$n"
		cmd_sshd start "$n"
		;;
	*) die "usage: lab.sh sshd stop|start|kill|freeze|hang|thaw N | sshd limit N START[:RATE:FULL]" ;;
	esac
}

# host_sshds N: pids of every sshd process (listener and sessions) living
# in host N's mount namespace.
host_sshds() {
	local ns f line
	ns=$(<"$(hdir "$1")/mntns")
	find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null | while read -r f line; do
		[[ $line == "$ns" ]] || continue
		f=${f#/proc/}
		f=${f%%/*}
		[[ $(cat "/proc/$f/comm" 2>/dev/null) == sshd ]] && echo "$f"
	done || true
}

# cmd_heal N: thaws both daemons and starts whichever is down.
cmd_heal() {
	local n=${1:-} h pid
	check_n "$n"
	h=$(hdir "$n")
	net_heal "$n"
	cmd_sshd thaw "$n"
	if pid=$(pidfile_pid "$h/run/libvirtd.pid"); then kill -CONT "$pid"; fi
	cmd_sshd start "$n"
	in_host "$n" /usr/local/sbin/systemctl start libvirtd
}

cmd_exec() {
	local n=${1:-}
	check_n "$n"
	shift
	(($# > 0)) || die "usage: lab.sh exec N CMD..."
	in_host "$n" "$@"
}

cmd_world() {
	local n=${1:-} file=${2:-}
	check_n "$n"
	[[ $file == default ]] && file=$SRC/world-default.xml
	[[ -r $file ]] || die "usage: lab.sh world N FILE|default (FILE readable)"
	install -m 644 "$file" "$(hdir "$n")/etc/node.xml"
	say "$(name_of "$n"): world replaced; takes effect at the next libvirtd restart"
}

# ---------------------------------------------------------------- hyperv

# go_bin: the Go toolchain (PATH, else /usr/local/go/bin/go).
go_bin() {
	command -v go 2>/dev/null || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } ||
		die "go not found (needed to build the powershell.exe stand-in)"
}

# build_powershell: builds lab/powershell (the powershell.exe stand-in of
# Hyper-V lab hosts) into the shared sbin, which every host has on its PATH.
# Built to a temporary name and renamed, so a host never runs half a file.
build_powershell() {
	local out=$D/sbin/powershell.exe
	say "building the powershell.exe stand-in"
	(cd "$SRC/.." && "$(go_bin)" build -trimpath -o "$out.tmp.$$" ./lab/powershell) ||
		die "building lab/powershell failed"
	mv -f "$out.tmp.$$" "$out"
}

# powershell_stale: true when the stand-in is missing or older than its
# sources (a lab started before a change to them).
powershell_stale() {
	local out=$D/sbin/powershell.exe
	[[ -x $out ]] || return 0
	[[ -n $(find "$SRC/powershell" "$SRC/../hosts" -maxdepth 1 -name '*.go' -newer "$out" -print -quit) ]]
}

# cmd_hyperv N SCENARIO: makes host N a Hyper-V host answering from
# SCENARIO: lab/hyperv/healthy is copied into the host's /srv/hyperv, then
# lab/hyperv/SCENARIO's files replace it (a scenario holds only what
# differs from healthy).
cmd_hyperv() {
	local n=${1:-} sc=${2:-} dst all
	check_n "$n"
	if ! [[ $sc =~ ^[a-z0-9][a-z0-9-]*$ && -d $SRC/hyperv/$sc ]]; then
		all=$(cd "$SRC/hyperv" && printf '%s ' */)
		all=${all//\//}
		die "usage: lab.sh hyperv N SCENARIO (one of: ${all% })"
	fi
	holder_pid "$n" >/dev/null
	if powershell_stale; then
		build_powershell
	fi
	dst=$(hdir "$n")/srv/hyperv
	rm -rf "$dst.new"
	mkdir -p "$dst.new"
	cp "$SRC/hyperv/healthy/"* "$dst.new/"
	[[ $sc == healthy ]] || cp "$SRC/hyperv/$sc/"* "$dst.new/"
	chmod 755 "$dst.new"
	chmod 644 "$dst.new/"*
	rm -rf "$dst"
	mv "$dst.new" "$dst"
	say "$(name_of "$n"): Hyper-V scenario $sc in /srv/hyperv"
}

daemon_state() {
	local pid
	if ! pid=$(pidfile_pid "$1"); then
		echo down
	elif pid_frozen "$pid"; then
		echo frozen
	else
		echo up
	fi
}

cmd_status() {
	local h n pss=0 kb pid
	[[ -s $D/hosts.tsv ]] || {
		say "no lab up in $D"
		return 1
	}
	printf '%-6s %-12s %-7s %-9s %s\n' NAME ADDRESS SSHD LIBVIRTD HOLDER
	while IFS=$'\t' read -r name n _ sshd_pf lv_pf _; do
		[[ $name == \#* ]] && continue
		h=$(hdir "$n")
		printf '%-6s %-12s %-7s %-9s %s\n' "$name" "$(addr_of "$n")" "$(daemon_state "$sshd_pf")" \
			"$(daemon_state "$lv_pf")" "$(daemon_state "$h/holder.pid")"
	done <"$D/hosts.tsv"
	for pid in $(lab_pids); do
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		pss=$((pss + ${kb:-0}))
	done
	echo "memory (PSS of all lab processes): $((pss / 1024)) MiB"
}

main() {
	local verb=${1:-}
	(($# > 0)) && shift
	case $verb in
	install) cmd_install ;;
	up) cmd_up "$@" ;;
	down) cmd_down ;;
	status) cmd_status ;;
	libvirtd) cmd_libvirtd "$@" ;;
	sshd) cmd_sshd "$@" ;;
	heal) cmd_heal "$@" ;;
	exec) cmd_exec "$@" ;;
	world) cmd_world "$@" ;;
	hyperv) cmd_hyperv "$@" ;;
	net) cmd_net "$@" ;;
	_init) cmd__init "$@" ;;
	*) sed -n '2,22s/^# \{0,1\}//p' "$SELF" >&2 && exit 2 ;;
	esac
}

main "$@"

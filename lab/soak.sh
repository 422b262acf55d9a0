#!/usr/bin/env bash
# The chaos soak (probes/reliability TestSoak): the probe scheduler against
# lab hosts while a seeded injector applies random faults (libvirtd killed,
# stopped, frozen, restarted; sshd hung; partitions; stalls; latency, loss
# and rate caps; a VM crashed) and an oracle checks every report; the
# process's goroutines, FDs, heap and RSS are sampled and must not grow.
#
# Usage: lab/soak.sh [--own-lab] [DURATION]    (DURATION default 2m)
#   without --own-lab: uses the lab already up in HVLAB_DIR, hosts 37-44
#     (lab/test-all.sh runs it so, after the other tests);
#   with --own-lab: starts a lab of 8 hosts in HVLAB_DIR (which must not
#     hold one), soaks hosts 1-8, and always stops it; give it its own
#     HVLAB_DIR and HVLAB_NET to run beside another lab.
# Environment: HVLAB_DIR, HVLAB_NET (as lab.sh), HVLAB_SOAK_SEED (default:
# from the clock; the test logs it), HVLAB_SOAK_REPORT (figures as JSON,
# default $HVLAB_DIR/../soak-report-$$.json, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH

own=0
if [[ ${1:-} == --own-lab ]]; then
	own=1
	shift
fi
dur=${1:-2m}
[[ $dur =~ ^[0-9]+[smh]$ ]] || {
	echo "soak: DURATION like 2m or 60m, got '$dur'" >&2
	exit 2
}
export HVLAB_DIR=${HVLAB_DIR:-/tmp/hvlab}
report=${HVLAB_SOAK_REPORT:-$(dirname "$HVLAB_DIR")/soak-report-$$.json}
hosts=37-44
if ((own)); then
	hosts=1-8
	trap 'bash lab/lab.sh down' EXIT
	bash lab/lab.sh up 8
fi
# The test's own timeout: the soak, plus start, final recovery and slack.
secs=$(($(echo "$dur" | sed 's/s$//; s/m$/*60/; s/h$/*3600/')))
timeout=$((secs + 600))s
rc=0
HVLAB_REQUIRE=1 go test -race -count=1 -timeout "$timeout" -run '^TestSoak$' -v ./probes/reliability/ \
	-soak="$dur" -soak-hosts="$hosts" -soak-report="$report" ${HVLAB_SOAK_SEED:+-soak-seed="$HVLAB_SOAK_SEED"} || rc=$?
if [[ -s $report ]]; then
	echo "== soak figures ($report)"
	cat "$report"
fi
exit "$rc"

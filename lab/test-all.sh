#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests
# need, starts the lab, runs go vet and every test with the race detector
# (integration tests included: HVLAB_REQUIRE=1 makes a missing lab a
# failure, not a skip), then the 2-minute chaos soak (lab/soak.sh) and every
# fuzz target for a few seconds (lab/fuzz.sh), and always stops the lab,
# also on failure.
# Environment: HVLAB_DIR (default /tmp/hvlab), HVLAB_HOSTS (default 49),
# HVLAB_PKGS (packages to vet and test, default ./...; CI uses the default).
set -euo pipefail
cd "$(dirname "$0")/.."

export HVLAB_DIR=${HVLAB_DIR:-/tmp/hvlab}
hosts=${HVLAB_HOSTS:-49}
read -r -a pkgs <<<"${HVLAB_PKGS:-./...}"
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH

t_start=$SECONDS
t_install=0 t_up=0 t_vet=0 t_test=0 t_soak=0 t_fuzz=0
# shellcheck disable=SC2317 # called by the EXIT trap
summary() {
	local rc=$? t0=$SECONDS
	bash lab/lab.sh down || rc=1
	echo "== timing: install ${t_install}s, lab up ${t_up}s, vet ${t_vet}s, test ${t_test}s," \
		"soak ${t_soak}s, fuzz ${t_fuzz}s, lab down $((SECONDS - t0))s, total $((SECONDS - t_start))s; exit $rc"
	exit "$rc"
}
trap summary EXIT

t0=$SECONDS
bash lab/lab.sh install
t_install=$((SECONDS - t0))

t0=$SECONDS
bash lab/lab.sh down
bash lab/lab.sh up "$hosts"
t_up=$((SECONDS - t0))

t0=$SECONDS
vet_rc=0
go vet "${pkgs[@]}" || vet_rc=$?
t_vet=$((SECONDS - t0))

t0=$SECONDS
test_rc=0
HVLAB_REQUIRE=1 go test -race -count=1 -timeout 15m "${pkgs[@]}" || test_rc=$?
t_test=$((SECONDS - t0))

# The chaos soak (2 minutes, on hosts 37-44, which no other test uses now)
# and every fuzz target for a few seconds: whole-module checks, so only
# when the whole module is tested.
if [[ ${pkgs[*]} == ./... ]]; then
	t0=$SECONDS
	bash lab/soak.sh 2m || test_rc=$((test_rc ? test_rc : 1))
	t_soak=$((SECONDS - t0))
	t0=$SECONDS
	bash lab/fuzz.sh || test_rc=$((test_rc ? test_rc : 1))
	t_fuzz=$((SECONDS - t0))
fi

if ((test_rc != 0)); then
	exit "$test_rc"
fi
exit "$vet_rc"

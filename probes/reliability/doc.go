// Package reliability holds hvconsole's tests of record for real networks:
// the network-fault scenarios (latency, loss, partitions, half-open links,
// a partition during a restart, a partitioned jump host, sshd throttling)
// and the chaos soak with its oracle, all against the real lab (lab/lab.sh,
// hosts 37-44, see hosts/labtest). It has no code of its own: everything is
// in its _test.go files, which drive the production scheduler, SSH pool and
// action layer unchanged.
//
//	go test -race ./probes/reliability/                  # the scenarios
//	go test -race -run '^TestSoak$' ./probes/reliability/ -soak=2m   # the soak
//
// lab/soak.sh runs the soak and prints its figures.
package reliability

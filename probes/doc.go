// Package probes runs health checks against inventory hosts and turns what
// it sees into immutable results. It never imports a UI package, and it
// never touches SSH itself: it speaks to a host through a Conn (transport.go;
// the SSH adapter is sshtransport.go), and it builds every command and reads
// every answer with hosts/remote.
//
// How a probe flows, and the files to open in order:
//
//   - scheduler.go: the Scheduler owns one goroutine per host (scheduler_run.go)
//     and the connection pool; Round probes a list once, Run forever;
//   - round.go: one host's round: connect (the ssh check), then the host's
//     Kind (kind.go) runs its checks, then finish rates the host;
//   - libvirt_kind.go -> libvirt_probe.go: the libvirt kind opens a session
//     (libvirt_session.go, over libvirt_pump.go), reads versions and domains,
//     runs its batched commands (libvirt_exec.go) and rates them
//     (libvirt_rate.go, vmstate.go); resources, storage, networks, security,
//     the virsh fallback and the events are libvirt_*.go too;
//   - hyperv_kind.go -> hyperv_probe.go: the Hyper-V kind runs PowerShell
//     scripts and rates each answer (hyperv_*.go);
//   - backup*.go and drill*.go: the backups check of both kinds and the
//     restore drills' records;
//   - rootcause.go, cause.go and remedy.go: why a host is CRIT, in words;
//   - push.go: push detection: a dropped libvirt connection or a lifecycle
//     event re-probes the host at once, between rounds;
//   - mailbox.go: the newest report per host waits there until the reader
//     (the console, serve) takes it; a slow reader never blocks a probe.
//
// A HostReport (result.go) is a value; the console and serve only read it.
package probes

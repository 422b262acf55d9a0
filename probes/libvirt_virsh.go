package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The virsh fallback: when sshd refuses to forward the libvirt socket
// (AllowStreamLocalForwarding no, DisableForwarding, a "restrict" key) but
// the daemon is fine, read-only virsh over exec gives the same facts as the
// libvirt API: versions and every domain with its state and reason.

// viaVirsh is the detail line of a check answered by the fallback.
const viaVirsh = "via virsh fallback (libvirt socket forwarding refused by sshd)"

// errVirshMissing means the host has no virsh (libvirt-clients) to fall back on.
var errVirshMissing = errors.New("probes: virsh is not installed on the host")

// virshError is a virsh command that ran and failed, most often because the
// daemon does not answer ("failed to connect to the hypervisor").
type virshError struct {
	// Query is the virsh query that failed.
	Query remote.VirshQuery
	// Exit is virsh's exit status.
	Exit int
	// Message is virsh's own error lines, cleaned, for the operator.
	Message string
}

// Error names the query, the exit status and what virsh said.
func (e *virshError) Error() string {
	return fmt.Sprintf("probes: virsh %s: exit %d: %s", e.Query, e.Exit, e.Message)
}

// virshResult is what read-only virsh told about a host's libvirt daemon.
type virshResult struct {
	// URI is the daemon URI virsh opened (see remote.VirshURI).
	URI     string
	Version remote.VirshVersions
	// VMs sorted by name, with state and reason words as the libvirt path
	// gives them (libvirtStateWords) and the autostart flag.
	VMs []VM
	// Capped is set when the host had more than MaxDomains domains.
	Capped bool
	// Latency is how long the exec took.
	Latency time.Duration
}

// virshQueries run in this order in one batch; the version comes first
// because its failure explains every other one.
// The daemon's host name is not asked: "virsh hostname" resolves it
// (getaddrinfo), which stalls on hosts with broken DNS.
var virshQueries = []remote.VirshQuery{remote.VirshVersion, remote.VirshDomStates, remote.VirshAutostart}

// virshFacts runs the read-only virsh queries in one exec, bounded by the
// host's probe timeout (and, on the host, by timeout(1) per command), and
// parses them. Errors: remote.ErrBadArgument (URI not allowed for virsh),
// errCallTimeout, errVirshMissing, *virshError (virsh failed; the daemon
// is most likely down), ErrUnparseable (garbage), or the exec's own error.
func virshFacts(ctx context.Context, r Conn, h hosts.Host) (virshResult, error) {
	var res virshResult
	uri, err := remote.VirshURI(h.LibvirtURI)
	if err != nil {
		return res, fmt.Errorf("probes: virsh fallback: %w", err)
	}
	res.URI = uri
	limit := min(probeTimeout(h), remote.MaxVirshLimit)
	cmds := make([]string, len(virshQueries))
	for i, q := range virshQueries {
		if cmds[i], err = remote.VirshCommand(h.LibvirtURI, q, limit); err != nil {
			return res, fmt.Errorf("probes: virsh fallback: %w", err)
		}
	}
	parts, stderr, lat, err := execBatch(ctx, r, limit, cmds)
	res.Latency = lat
	if err != nil {
		return res, fmt.Errorf("probes: virsh fallback: %w", err)
	}
	for i, q := range virshQueries[:3] {
		if err := virshPartErr(q, parts[i], stderr); err != nil {
			return res, err
		}
	}
	if res.Version, err = remote.ParseVirshVersion(parts[0].Output); err != nil {
		return res, err
	}
	if err := res.readDomains(parts[1].Output, parts[2].Output); err != nil {
		return res, err
	}
	return res, nil
}

// readDomains joins the domain states with the autostart names (a hex
// dump of virsh's list).
func (res *virshResult) readDomains(states, autostart string) error {
	doms, err := remote.ParseVirshDomStats(states)
	if err != nil {
		return err
	}
	names, err := remote.DecodeHexDump(autostart)
	if err != nil {
		return fmt.Errorf("%w: virsh %s: %w", remote.ErrUnparseable, remote.VirshAutostart, err)
	}
	auto, err := remote.ParseVirshNames(string(names))
	if err != nil {
		return err
	}
	res.Capped = len(doms) > remote.MaxDomains
	doms = doms[:min(len(doms), remote.MaxDomains)]
	res.VMs = make([]VM, len(doms))
	for i, d := range doms {
		sw, rw := libvirtStateWords(d.State, d.Reason)
		res.VMs[i] = VM{Name: remote.CleanLine(d.Name), State: sw, Reason: rw, Autostart: auto[d.Name]}
	}
	slices.SortFunc(res.VMs, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// execBatch runs cmds as one batch under limit and splits stdout.
func execBatch(ctx context.Context, r Conn, limit time.Duration, cmds []string) ([]remote.BatchPart, string, time.Duration, error) {
	script, err := remote.Batch(cmds...)
	if err != nil {
		return nil, "", 0, err
	}
	ectx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	out, err := r.Exec(ectx, script.Script)
	lat := time.Since(start)
	switch {
	case err != nil && ectx.Err() != nil && ctx.Err() == nil:
		return nil, "", lat, fmt.Errorf("exec: %w (%w)", errCallTimeout, err)
	case err != nil:
		return nil, "", lat, fmt.Errorf("exec: %w", err)
	case out.Truncated:
		return nil, "", lat, fmt.Errorf("%w: output truncated by the transport", remote.ErrUnparseable)
	}
	return script.Split(string(out.Stdout)), string(out.Stderr), lat, nil
}

// virshPartErr turns one command's exit status into an error: cut short,
// not installed (shell: 126/127), killed by timeout(1) (124, or 137 after
// the KILL), or any other failure with virsh's own words.
func virshPartErr(q remote.VirshQuery, p remote.BatchPart, stderr string) error {
	switch p.Exit {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("%w: virsh %s: %w", remote.ErrUnparseable, q, errPartMissing)
	case 126, 127:
		return fmt.Errorf("probes: virsh %s: %w", q, errVirshMissing)
	case 124, 137:
		return fmt.Errorf("probes: virsh %s: %w", q, errCallTimeout)
	}
	return &virshError{Query: q, Exit: p.Exit, Message: virshMessage(stderr)}
}

// virshMessage picks virsh's "error: ..." lines (at most two distinct
// ones) from stderr, or its first line when there is none.
func virshMessage(stderr string) string {
	var msgs []string
	first := ""
	for _, l := range strings.Split(stderr, "\n") {
		l = remote.CleanLine(l)
		if first == "" {
			first = l
		}
		if m, ok := strings.CutPrefix(l, "error: "); ok && !slices.Contains(msgs, m) && len(msgs) < 2 {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		if first == "" {
			return "no error text"
		}
		msgs = []string{first}
	}
	return strings.Join(msgs, "; ")
}

// isAdministrativelyRefused reports whether err holds a channel open that
// the server refused by policy (the transport says so: errChannelProhibited;
// over SSH, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED).
//
// OpenSSH (measured: 9.2) never sends that for direct-streamlocal: with
// AllowStreamLocalForwarding no it answers reason 2, "connect failed",
// message "open failed", exactly as for a missing socket or a stopped
// daemon. So this is true only for servers that say so; for OpenSSH use
// isChannelRefused and diagnoseTunnel, which asks virsh whether the
// daemon answers.
func isAdministrativelyRefused(err error) bool {
	return errors.Is(err, errChannelProhibited)
}

// isChannelRefused reports whether err holds any refusal of a channel open
// (errChannelRefused): the server answered, so the SSH link is fine,
// but it would not connect the socket, by policy or because nothing
// listens there.
func isChannelRefused(err error) bool {
	return errors.Is(err, errChannelRefused)
}

// tunnelVerdict says why the libvirt channel could not be opened, once
// virsh has been asked.
type tunnelVerdict int

// Tunnel verdicts.
const (
	// tunnelNotRefused: the error is no channel refusal (a timeout, a dead
	// link, a libvirt error); the fallback does not apply.
	tunnelNotRefused tunnelVerdict = iota
	// tunnelForwardingRefused: sshd refused the channel, yet the daemon
	// answers virsh: socket forwarding is refused (by sshd policy, or the
	// SSH user may not open the socket). Use the fallback's facts.
	tunnelForwardingRefused
	// tunnelDaemonDown: the channel was refused and virsh cannot reach the
	// daemon either.
	tunnelDaemonDown
	// tunnelUndecided: the channel was refused and virsh could not tell
	// (not installed, timed out, garbage); the error says which.
	tunnelUndecided
)

// String is the verdict as a word for logs and tests.
func (v tunnelVerdict) String() string {
	switch v {
	case tunnelNotRefused:
		return "not-refused"
	case tunnelForwardingRefused:
		return "forwarding-refused"
	case tunnelDaemonDown:
		return "daemon-down"
	case tunnelUndecided:
		return "undecided"
	}
	return fmt.Sprintf("TunnelVerdict(%d)", int(v))
}

// diagnoseTunnel explains dialErr, the error of opening the libvirt
// channel. A refusal is ambiguous with OpenSSH (policy and a dead daemon
// look alike, see isAdministrativelyRefused), so virsh decides: when it
// answers, the daemon is fine and forwarding is what is refused, and its
// facts are returned for the checks. The error is the fallback's own, when
// it failed.
func diagnoseTunnel(ctx context.Context, r Conn, h hosts.Host, dialErr error) (tunnelVerdict, virshResult, error) {
	if !isChannelRefused(dialErr) {
		return tunnelNotRefused, virshResult{}, nil
	}
	res, err := virshFacts(ctx, r, h)
	var ve *virshError
	switch {
	case err == nil:
		return tunnelForwardingRefused, res, nil
	case errors.As(err, &ve):
		return tunnelDaemonDown, res, err
	case isAdministrativelyRefused(dialErr):
		return tunnelForwardingRefused, res, err
	}
	return tunnelUndecided, res, err
}

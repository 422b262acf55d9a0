package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// A summary longer than a table cell is kept whole: check --json carries
// it, the views cut it.
func TestSummaryNotCut(t *testing.T) {
	long := strings.Repeat("libvirtd-unit-with-a-long-name inactive, ", 40)
	long = strings.TrimSuffix(long, ", ")
	r := newResult("kvm-01", "hypervisor", CRIT, long, "", nil, 0, time.Time{})
	if r.Summary != long {
		t.Fatalf("summary cut to %d of %d bytes", len(r.Summary), len(long))
	}
	if huge := newResult("h", "c", CRIT, strings.Repeat("x", 3*remote.MaxDetails), "", nil, 0, time.Time{}); len([]rune(huge.Summary)) > remote.MaxDetails {
		t.Fatalf("a hostile summary is not bounded: %d runes", len([]rune(huge.Summary)))
	}
}

// Words is the one rule for operator text built from an error: the
// chains our layers build (sshx, go-libvirt, probes, actions) read as what
// happened, with our own leading words, never a package prefix, and a
// host's text cleaned.
func TestWords(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	dial := &sshx.DialError{Host: "h3", Hop: "h3", Address: "127.0.0.1:22", Err: fmt.Errorf("%w: %w", sshx.ErrUnreachable, refused)}
	jump := &sshx.DialError{Host: "h3", Hop: "bastion", Address: "10.0.0.1:22", Via: []string{"bastion"},
		Err: fmt.Errorf("%w: %w", sshx.ErrHandshakeTimeout, os.ErrDeadlineExceeded)}
	libvirtMsg := libvirt.Error{Code: 1, Message: "internal error: qemu unexpectedly closed the monitor"}
	hostile := libvirt.Error{Code: 1, Message: "\x1b[2J\x1b]0;pwned\x07ok\u202e txet\u200b\nsecond line\r"}
	notAllowed := errors.New("service not on the host's allow-list")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("plain"), "plain"},
		{"sshx dial", fmt.Errorf("probes: connect h3: %w", dial), "connection refused"},
		{"sshx at a jump host", jump, "i/o timeout"},
		{"probes over sshx", fmt.Errorf("probes: libvirt connect qemu:///system: probes: dial libvirt socket: %w", dial), "connection refused"},
		{"our words before the chain", fmt.Errorf("libvirt connection for the boot drill: %w",
			fmt.Errorf("probes: libvirt connect qemu:///system: %w", dial)), "libvirt connection for the boot drill: connection refused"},
		{"actions refusal around it", fmt.Errorf("actions: restart on h3 refused: %w", fmt.Errorf("connect: %w", dial)), "connection refused"},
		{"a category and its detail", fmt.Errorf("actions: restart on h3 refused: %w", fmt.Errorf("%w: %q", notAllowed, "nginx")),
			`service not on the host's allow-list: "nginx"`},
		{"a category wrapping a cause", fmt.Errorf("%w: %w", errors.New("audit log not writable"),
			&os.PathError{Op: "open", Path: "/var/log/hv/audit.log", Err: syscall.EACCES}),
			"audit log not writable: open /var/log/hv/audit.log: permission denied"},
		{"a file error keeps its file", fmt.Errorf("actions: audit write: %w", &os.PathError{Op: "write", Path: "/var/log/hv/audit.jsonl", Err: syscall.ENOSPC}),
			"write /var/log/hv/audit.jsonl: no space left on device"},
		{"go-libvirt", fmt.Errorf("probes: boot drill start: %w", libvirtMsg), libvirtMsg.Message},
		{"libvirt prefix", fmt.Errorf("libvirt: %w", libvirtMsg), libvirtMsg.Message},
		{"context deadline", fmt.Errorf("probes: exec on h3: %w", context.DeadlineExceeded), "no answer before the deadline"},
		{"context deadline after our words", fmt.Errorf("exec: %w", fmt.Errorf("sshx: session: %w", context.DeadlineExceeded)),
			"exec: no answer before the deadline"},
		{"cancelled", fmt.Errorf("sshx: connect: %w", context.Canceled), "cancelled"},
		{"several wrapped: the last", fmt.Errorf("%w (retry in 4.2s after 4 failures): %w", errors.New("sshx: waiting"), refused), "connection refused"},
		{"a hostile remote string", fmt.Errorf("probes: domain create: %w", hostile), "ok txet second line"},
		{"a package name inside a word stays", errors.New("openssh: no hostkey alg"), "openssh: no hostkey alg"},
		{"errors joined", errors.Join(fmt.Errorf("attach: %w", errors.New("no collector holds kvm-03")), errors.New("ack: kvm-04 has no problem to acknowledge")),
			"no collector holds kvm-03; kvm-04 has no problem to acknowledge"},
		{"an error with its own words", fmt.Errorf("probes: x: %w", sayer{errors.New("probes: y")}), "said in words"},
		{"our words before an error with its own", fmt.Errorf("bulk: %w", sayer{nil}), "bulk: said in words"},
		{"a package's category and its detail", fmt.Errorf("probes: restart: %w", fmt.Errorf("%w: unit %q", remote.ErrBadArgument, "a;b")),
			`value not allowed in a remote command: unit "a;b"`},
		{"a package's sentinel and a quoted name", fmt.Errorf("%w %q", errors.New("hosts: unknown host"), "kvm-1"), `unknown host "kvm-1"`},
		{"a layer that rewrites its inner text", fmt.Errorf("x: %w", rewriting{errors.New("refused")}), "x: refused"},
		{"a hint around a chain: the chain's words, not the chain", fmt.Errorf("%w (%s)",
			fmt.Errorf("probes: backups exec: %w", fmt.Errorf("sshx: host h: %w", syscall.ECONNRESET)), "no sha256sum on the host"),
			"connection reset by peer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Words(tt.err)
			if got != tt.want {
				t.Errorf("Words(%q) = %q, want %q", errText(tt.err), got, tt.want)
			}
			if long := WordsLong(tt.err); long != got {
				t.Errorf("WordsLong(%q) = %q, want Words' %q", errText(tt.err), long, got)
			}
		})
	}
}

// WordsLong says what Words says, uncut where Words cuts for a table
// cell: a host-key refusal keeps its fingerprint and files; both clean.
func TestWordsLong(t *testing.T) {
	files := []string{"/home/operator/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts", "/srv/hvconsole/fleet/known_hosts.d/site-a"}
	unknown := &sshx.UnknownHostError{Host: "[kvm-042.dc1.example.net]:2222", Files: files,
		Fingerprint: "SHA256:" + strings.Repeat("x", 43)}
	err := fmt.Errorf("attach: dial: %w", &sshx.DialError{Host: "gw", Hop: "gw", Address: "10.0.0.1:22",
		Err: fmt.Errorf("ssh: handshake failed: %w", unknown)})
	if got := WordsLong(err); got != unknown.Error() {
		t.Errorf("WordsLong = %q, want %q", got, unknown.Error())
	}
	if got := Words(err); len([]rune(got)) > remote.MaxSummary || strings.Contains(got, unknown.Fingerprint) {
		t.Errorf("Words = %q (%d runes), want it cut for a cell", got, len([]rune(got)))
	}
	hostile := fmt.Errorf("probes: x: %w", errors.Join(errors.New("a \x1b]0;open"), errors.New(strings.Repeat("b", 300))))
	if got, want := WordsLong(hostile), "a; "+strings.Repeat("b", 300); got != want {
		t.Errorf("WordsLong = %q, want %q", got, want)
	}
}

// sayer is an error that says itself in words.
type sayer struct{ err error }

func (s sayer) Error() string { return "probes: sayer: " + fmt.Sprint(s.err) }
func (s sayer) Unwrap() error { return s.err }
func (s sayer) Words() string { return "said \x1b[1min\u200b words" }

// rewriting is an error that quotes its inner error changed, as
// sshx.DialError sanitizes it: its text does not end with the inner's.
type rewriting struct{ err error }

func (r rewriting) Error() string { return "sshx: quoting «" + r.err.Error() + "»" }
func (r rewriting) Unwrap() error { return r.err }

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// FuzzWords: whatever text an error chain carries, its words have no
// control or invisible character, no package prefix at a word's start,
// and stay one capped line.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"connection refused", "probes: x: sshx: y", "\x1b[31mred\u202e", "openssh: probes: ", "", "ack: ack: ", "a\nb"} {
		f.Add(s, "probes: lead: ")
		f.Add(s, "connect: ")
	}
	f.Fuzz(func(t *testing.T, inner, lead string) {
		for _, err := range []error{errors.New(inner), fmt.Errorf(strings.ReplaceAll(lead, "%", "%%")+"%w", errors.New(inner)),
			fmt.Errorf("%w: "+strings.ReplaceAll(lead, "%", "%%"), errors.New(inner)),
			errors.Join(errors.New(lead), fmt.Errorf("probes: x: %w", errors.New(inner)))} {
			got := Words(err)
			if remote.CleanLine(got) != got {
				t.Fatalf("Words(%q) = %q: not clean", err.Error(), got)
			}
			if withoutPackages(got) != got {
				t.Fatalf("Words(%q) = %q: a package prefix", err.Error(), got)
			}
			if n := len([]rune(got)); n > remote.MaxSummary {
				t.Fatalf("Words(%q) is %d runes", err.Error(), n)
			}
		}
	})
}

func TestShortCause(t *testing.T) {
	for sum, want := range map[string]string{
		SummaryNotRunning + ": libvirtd failed": "libvirtd failed",
		"nightly 34h old (max 26h)":             "nightly 34h old (max 26h)",
	} {
		if got := ShortCause(Result{Summary: sum}); got != want {
			t.Errorf("ShortCause(%q) = %q, want %q", sum, got, want)
		}
	}
}

// hostileTail is what a host may print into an error we quote: a screen
// clear, a bidi override, a zero-width space, a newline, and a title
// escape left open, which a later cleaning of the whole sentence would
// let swallow the words we put after it.
const hostileTail = "\x1b[2J\u202ebad\u200b disk\nsecond line \x1b]0;pwned"

// The causes the probes quote more of than probes.Words (the backups'
// reason, the libvirt reason, a boot drill's detail, the ssh check's
// authentication reason, which names the key file) clean a host's text
// where they take it, so it reaches no view raw and never eats the words
// around it.
func TestReasonsCleanRemoteText(t *testing.T) {
	spec := hosts.Backup{Name: "nightly", Path: "/srv/b/*.qcow2", MaxAge: 26 * time.Hour}
	rated := func(err error) string {
		run := backupRun{spec: spec, files: []remote.BackupFile{{Path: "/srv/b/a.qcow2", MTime: bkNow.Add(-22 * time.Hour), Size: 1 << 30}},
			verify: backupVerifyFail("sha256 verify", err)}
		return run.rate(bkNow).Summary
	}
	hostile := errors.New("sha256sum: " + hostileTail)
	auth := &sshx.DialError{Host: "h3", Hop: "h3", Address: "10.0.0.3:22",
		Err: fmt.Errorf("%w: identity file /home/op/.ssh/id_ed25519: %w", sshx.ErrAuth, errors.New("ssh: "+hostileTail))}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"backup reason", backupReason(fmt.Errorf("probes: backups exec: %w", hostile)), "backups exec: sha256sum: bad disk second line"},
		{"backup verify note before a finding", rated(fmt.Errorf("probes: backups exec: %w", hostile)),
			"sha256 verify: backups exec: sha256sum: bad disk second line; 22h old > 80% of max 26h"},
		{"libvirt reason", reason(fmt.Errorf("probes: node info: %w", libvirt.Error{Code: 1, Message: "internal error: " + hostileTail})),
			"internal error: bad disk second line"},
		{"reason of any error", reason(fmt.Errorf("probes: storage: %w", hostile)), "storage: sha256sum: bad disk second line"},
		{"boot drill detail", BootRefusedReason(fmt.Errorf("probes: start: %w: %s", ErrBootRefused, hostileTail)),
			"libvirt could not start the drill domain: bad disk second line"},
		{"authentication reason", classified(auth).Summary,
			"authentication failed: identity file /home/op/.ssh/id_ed25519: ssh: bad disk second line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.HasSuffix(tc.got, tc.want) {
				t.Errorf("got %q, want it to end %q", tc.got, tc.want)
			}
			if remote.CleanSummary(tc.got) != tc.got {
				t.Errorf("%q is not clean", tc.got)
			}
		})
	}
}

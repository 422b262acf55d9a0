package remote

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The fixed remote commands that probes and actions run on libvirt hosts.
// Every command is built here from constants and validated values; each
// variable argument is single-quoted with ShellQuote. Nothing read from a
// remote host or typed by an operator reaches a shell any other way.
//
// The simulated demo fleet answers exactly these strings, so a command built
// here is the contract between the probes and every host, real or simulated.

// ErrBadArgument is returned when a value may not be put in a remote command.
var ErrBadArgument = errors.New("remote: value not allowed in a remote command")

var unitRE = regexp.MustCompile(`^[A-Za-z0-9@._-]+$`)

// ValidUnit reports whether s is an acceptable service unit name.
func ValidUnit(s string) bool { return unitRE.MatchString(s) && !strings.HasPrefix(s, "-") }

// globRE limits backup path globs to plain path characters and glob metacharacters.
var globRE = regexp.MustCompile(`^/[A-Za-z0-9/._*?\[\]@+,=-]*$`)

// ValidGlob reports whether s is an acceptable absolute backup path glob.
func ValidGlob(s string) bool { return globRE.MatchString(s) && !strings.Contains(s, "/../") }

// ShellQuote quotes s as one POSIX sh word.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellUnquote reads one word made by ShellQuote at the start of s, as sh
// would, and returns it and the rest of s. Simulated hosts use it to read
// our commands back; ok is false when s does not start with such a word.
func ShellUnquote(s string) (word, rest string, ok bool) {
	var b strings.Builder
	for {
		if !strings.HasPrefix(s, "'") {
			return "", "", false
		}
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", false
		}
		b.WriteString(s[1 : 1+end])
		s = s[2+end:]
		if !strings.HasPrefix(s, `\''`) {
			return b.String(), s, true
		}
		b.WriteByte('\'')
		s = s[2:]
	}
}

func checkUnits(units []string) error {
	if len(units) == 0 {
		return fmt.Errorf("%w: no units", ErrBadArgument)
	}
	for _, u := range units {
		if !ValidUnit(u) {
			return fmt.Errorf("%w: unit %q", ErrBadArgument, u)
		}
	}
	return nil
}

// quotedUnits is units checked and quoted, one shell word each.
func quotedUnits(units []string) (string, error) {
	if err := checkUnits(units); err != nil {
		return "", err
	}
	q := make([]string, len(units))
	for i, u := range units {
		q[i] = ShellQuote(u)
	}
	return strings.Join(q, " "), nil
}

// UnitsActiveCommand asks systemd whether each unit is active. It prints one
// word per unit, in order ("active", "inactive", "failed", ...). Read the
// words, not the exit code: systemd exits 0 when ANY unit is active, 3 when
// none is, and 4 when every unit is unknown.
func UnitsActiveCommand(units []string) (string, error) {
	q, err := quotedUnits(units)
	if err != nil {
		return "", err
	}
	return "systemctl is-active -- " + q, nil
}

// UnitTimesCommand asks the host when each unit last stopped being active,
// on the host's own monotonic clock, and what that clock reads now, so the
// age of a failure is the host's difference of two readings of one clock
// (a host whose wall clock is wrong still gives the right age). Output: the
// /proc/uptime line ("SECONDS.FRACTION IDLE"), then one block per unit, in
// order, separated by blank lines, of "Key=microseconds" lines for the two
// properties (0 when the event never happened since boot):
//
//	ActiveExitTimestampMonotonic=N
//	InactiveEnterTimestampMonotonic=N
//
// /proc/uptime counts suspended time and systemd's monotonic clock does
// not; on a host that was suspended the age reads long by that time.
func UnitTimesCommand(units []string) (string, error) {
	q, err := quotedUnits(units)
	if err != nil {
		return "", err
	}
	return "cat /proc/uptime && systemctl show -p ActiveExitTimestampMonotonic -p InactiveEnterTimestampMonotonic -- " + q, nil
}

// UnitStateCommands are UnitsActiveCommand and UnitTimesCommand of the
// same units: the pair that says whether each unit is up and, on the
// host's clock, since when it is not. The probes send them together; both
// quote the same validated names, so one error covers both.
func UnitStateCommands(units []string) (active, times string, err error) {
	if active, err = UnitsActiveCommand(units); err != nil {
		return "", "", err
	}
	times, err = UnitTimesCommand(units)
	return active, times, err
}

// KVMFactsCommand reports whether /dev/kvm exists and is usable, and which
// kvm modules are loaded, read from /sys/module (present whether a module
// is loadable or built in, unlike /proc/modules, which some kernels lack).
// Output lines, in this order:
//
//	kvm_dev=present|absent
//	kvm_access=rw|denied
//	kvm_module=NAME        (zero or more of kvm, kvm_intel, kvm_amd)
const KVMFactsCommand = `if [ -c /dev/kvm ]; then echo kvm_dev=present; else echo kvm_dev=absent; fi; ` +
	`if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then echo kvm_access=rw; else echo kvm_access=denied; fi; ` +
	`for m in kvm kvm_intel kvm_amd; do if [ -d /sys/module/$m ]; then echo kvm_module=$m; fi; done; true`

// RestartCommand restarts an allow-listed unit. sudo runs it as
// "sudo -n" so that a missing sudo rule fails at once instead of prompting.
func RestartCommand(unit string, sudo bool) (string, error) {
	if err := checkUnits([]string{unit}); err != nil {
		return "", err
	}
	cmd := "systemctl restart -- " + ShellQuote(unit)
	if sudo {
		cmd = "sudo -n " + cmd
	}
	return cmd, nil
}

// JournalCommand prints the last n lines of a unit's journal.
func JournalCommand(unit string, n int) (string, error) {
	if err := checkUnits([]string{unit}); err != nil {
		return "", err
	}
	if n <= 0 || n > 10000 {
		return "", fmt.Errorf("%w: line count %d", ErrBadArgument, n)
	}
	return "journalctl -u " + ShellQuote(unit) + " -n " + strconv.Itoa(n) + " --no-pager", nil
}

// BackupListCommand lists the regular files matching a validated glob, one
// per line as "MTIME_UNIX SIZE_BYTES PATH". The glob is left unquoted so the
// remote shell expands it; ValidGlob guarantees it holds no shell syntax.
func BackupListCommand(glob string) (string, error) {
	if !ValidGlob(glob) {
		return "", fmt.Errorf("%w: backup path %q", ErrBadArgument, glob)
	}
	return `for f in ` + glob + `; do [ -f "$f" ] && stat -c '%Y %s %n' -- "$f"; done; true`, nil
}

// HostLoadCommand prints the load averages, one line as the kernel gives it:
// "0.30 0.41 0.45 2/428 8054" (1, 5 and 15 minutes, runnable/total tasks,
// last pid).
const HostLoadCommand = "cat /proc/loadavg"

// MemInfoCommand prints the kernel's memory counters ("MemTotal: N kB",
// ...). The resources check reads it only when the libvirt driver does not
// report node memory statistics itself.
const MemInfoCommand = "cat /proc/meminfo"

// maxDiskPaths bounds how many paths one disk-use command measures.
const maxDiskPaths = 64

// ValidPath reports whether s is an acceptable absolute path for a remote
// command argument: absolute, at most 4096 bytes, no control characters
// and no ".." element. It is quoted, so spaces are fine.
func ValidPath(s string) bool {
	if !strings.HasPrefix(s, "/") || len(s) > 4096 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	for _, el := range strings.Split(s, "/") {
		if el == ".." {
			return false
		}
	}
	return true
}

// DiskUsageCommand measures the filesystems holding paths, in bytes, in
// POSIX format: a header line, then one line per path in the order given
// (a path on the same filesystem as another still gets its own line):
//
//	Filesystem 1-blocks Used Available Capacity Mounted-on
//
// A path that does not exist gets no line, an error on stderr and exit 1.
func DiskUsageCommand(paths []string) (string, error) {
	if len(paths) == 0 || len(paths) > maxDiskPaths {
		return "", fmt.Errorf("%w: %d paths (want 1-%d)", ErrBadArgument, len(paths), maxDiskPaths)
	}
	q := make([]string, len(paths))
	for i, p := range paths {
		if !ValidPath(p) {
			return "", fmt.Errorf("%w: path %q", ErrBadArgument, p)
		}
		q[i] = ShellQuote(p)
	}
	return "df -P -B1 -- " + strings.Join(q, " "), nil
}

// The virsh fallback. Hardened sites forbid SSH socket forwarding, so the
// libvirt channel cannot be opened; read-only virsh over exec answers the
// same questions. Every virsh command runs with "-r" (read-only socket, no
// write access needed or possible), LC_ALL=C (virsh translates its labels
// and state words), and under the remote "timeout" so a hung daemon cannot
// leave a virsh behind once our own deadline has closed the session.

// VirshQuery is one fixed, read-only virsh query.
type VirshQuery int

// The virsh queries the fallback runs.
const (
	// VirshVersion is "version --daemon": library, API, hypervisor and the
	// daemon's own version ("Running against daemon"), like ConnectGetLibVersion.
	VirshVersion VirshQuery = iota
	// VirshDomStates is "domstats --state --raw": every domain with its state
	// AND reason as numbers, in one call. Chosen over "list --all" (state
	// only, translated words, names padded into columns) and over
	// "domstate --reason NAME" (one exec per domain, names through the
	// shell). Names are printed as "Domain: 'NAME'"; libvirt forbids
	// newlines in names, so a record is unambiguous. --nowait is left out:
	// the state group needs no domain job, and older virsh lacks the flag.
	VirshDomStates
	// VirshAutostart is "list --all --autostart --name": the names of the
	// domains marked autostart, one per line, printed as a hex dump
	// (DecodeHexDump) since a name is remote content that could otherwise
	// fill a whole output line.
	VirshAutostart
)

var virshArgs = map[VirshQuery]string{
	VirshVersion:   "version --daemon",
	VirshDomStates: "domstats --state --raw",
	VirshAutostart: "list --all --autostart --name",
}

// String is the query's virsh arguments, for error messages.
func (q VirshQuery) String() string {
	if a, ok := virshArgs[q]; ok {
		return a
	}
	return "virsh query " + strconv.Itoa(int(q))
}

// virshSchemes are the drivers whose URI virsh may open: all of them live in
// the host's daemon. Remote transports other than the local socket (+ssh,
// +tcp, +tls) would reach another machine and are refused.
var virshSchemes = map[string]bool{"qemu": true, "test": true, "lxc": true, "ch": true, "xen": true, "libxl": true}

// virshURIRE: driver[+unix]:///path[?query], plain characters only, no host.
var virshURIRE = regexp.MustCompile(`^([a-z][a-z0-9]*)(\+unix)?:///([A-Za-z0-9/._-]*)(\?[A-Za-z0-9/._=&,-]+)?$`)

// VirshURI maps the configured libvirt URI to the one virsh must use to go
// through the host's daemon, as the tunnelled libvirt connection does. A
// "test:///FILE" URI given to virsh would run the test driver inside virsh
// itself and answer even with the daemon dead, so it becomes
// "test+unix:///FILE"; qemu:///system and the other stateful drivers always
// go through the daemon and are kept as they are.
func VirshURI(uri string) (string, error) {
	m := virshURIRE.FindStringSubmatch(uri)
	if m == nil || !virshSchemes[m[1]] {
		return "", fmt.Errorf("%w: libvirt URI %q for virsh", ErrBadArgument, uri)
	}
	if m[1] == "test" && m[2] == "" {
		return "test+unix" + strings.TrimPrefix(uri, "test"), nil
	}
	return uri, nil
}

// MaxVirshLimit bounds the remote timeout of one virsh command.
const MaxVirshLimit = 10 * time.Minute

// VirshCommand builds "LC_ALL=C timeout -k 1 SECS virsh -r -c 'URI' ARGS"
// for a fixed query. uri is mapped with VirshURI; limit (rounded up to whole
// seconds, 1s to MaxVirshLimit) is how long the remote virsh may run before
// timeout kills it: exit 124, or 137 when it ignored SIGTERM. The
// autostart query prints its names through a hex dump (see VirshAutostart).
func VirshCommand(uri string, q VirshQuery, limit time.Duration) (string, error) {
	args, ok := virshArgs[q]
	if !ok {
		return "", fmt.Errorf("%w: %v", ErrBadArgument, q)
	}
	if limit <= 0 || limit > MaxVirshLimit {
		return "", fmt.Errorf("%w: virsh time limit %v", ErrBadArgument, limit)
	}
	du, err := VirshURI(uri)
	if err != nil {
		return "", err
	}
	secs := int((limit + time.Second - 1) / time.Second)
	cmd := "LC_ALL=C timeout -k 1 " + strconv.Itoa(secs) + " virsh -r -c " + ShellQuote(du) + " " + args
	if q == VirshAutostart {
		// Bare names, one a line: printed as a hex dump, virsh's status kept.
		cmd = "n=$(" + cmd + "); rc=$?; printf '%s\\n' \"$n\" | " + hexDump + "; (exit $rc)"
	}
	return cmd, nil
}

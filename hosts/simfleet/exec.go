package simfleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Exec requests are answered only for the exact strings hosts/commands.go
// builds: each matcher parses the variable arguments out of a command and
// then rebuilds it with the same builder, so a command matches only if the
// builder would have produced it byte for byte.

// result is what one simulated command prints and exits with.
type result struct {
	stdout, stderr string
	code           int
}

// matcher answers cmd if it recognises it.
type matcher func(h *Host, cmd string) (result, bool)

// matchers are tried in order; the first that recognises a command answers.
var matchers = []matcher{
	matchKVMFacts,
	matchIsActive,
	matchUnitTimes,
	matchRestart,
	matchJournal,
	matchBackupList,
	matchSHA256,
	matchQemuImg,
	matchDrill,
	matchDrillOverlay,
	matchDrillCleanup,
	matchLoad,
	matchMemInfo,
	matchDiskUsage,
}

// run answers one exec request, a Batch script included.
func (h *Host) run(cmd string) result {
	if h.hv != nil {
		return h.runHyperV(cmd)
	}
	if boundary, parts, ok := remote.UnBatch(cmd); ok {
		return h.runBatch(boundary, parts)
	}
	return h.runOne(cmd)
}

func (h *Host) runOne(cmd string) result {
	for _, m := range matchers {
		if res, ok := m(h, cmd); ok {
			return res
		}
	}
	return notFound(cmd)
}

// runBatch frames each part's output like the script remote.Batch builds.
func (h *Host) runBatch(boundary string, parts []string) result {
	var out, errs strings.Builder
	for i, p := range parts {
		res := h.runOne(p)
		out.WriteString(remote.BatchFrame(boundary, i, res.stdout, res.code))
		errs.WriteString(res.stderr)
	}
	return result{stdout: out.String(), stderr: errs.String()}
}

// notFound is dash's answer to an unknown command: its first word, exit 127.
func notFound(cmd string) result {
	word, _, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	if word == "" {
		return result{}
	}
	word = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, word)
	if len(word) > 64 {
		word = word[:64]
	}
	return result{stderr: "sh: 1: " + word + ": not found\n", code: 127}
}

// builderPrefix is the text a one-argument builder puts before its quoted
// argument. Should a builder ever change shape, the prefix is empty and
// the rebuild check in each matcher still refuses what it does not know.
func builderPrefix(build func(string) (string, error)) string {
	const probe = "probe"
	cmd, err := build(probe)
	if err != nil {
		return ""
	}
	prefix, _, _ := strings.Cut(cmd, remote.ShellQuote(probe))
	return prefix
}

// quotedArg extracts the single quoted argument between prefix and a
// builder-specific tail, and checks that build(arg) == cmd.
func quotedArg(cmd, prefix string, build func(string) (string, error)) (string, bool) {
	rest, ok := strings.CutPrefix(cmd, prefix)
	if !ok {
		return "", false
	}
	arg, _, ok := remote.ShellUnquote(rest)
	if !ok {
		return "", false
	}
	again, err := build(arg)
	return arg, err == nil && again == cmd
}

func matchKVMFacts(h *Host, cmd string) (result, bool) {
	if cmd != remote.KVMFactsCommand {
		return result{}, false
	}
	h.mu.Lock()
	module := h.w.node.kvmModule
	h.mu.Unlock()
	return result{stdout: "kvm_dev=present\nkvm_access=rw\nkvm_module=" + module + "\nkvm_module=kvm\n"}, true
}

var isActivePrefix = builderPrefix(func(u string) (string, error) {
	return remote.UnitsActiveCommand([]string{u})
})

// matchIsActive answers "systemctl is-active -- U...": one word per unit;
// like systemd, exit 0 when any unit is active, else 3.
func matchIsActive(h *Host, cmd string) (result, bool) {
	units, ok := unitsArg(cmd, isActivePrefix, remote.UnitsActiveCommand)
	if !ok {
		return result{}, false
	}
	var out strings.Builder
	code := 3
	for _, u := range units {
		word := h.unitState(u)
		if word == unitActive {
			code = 0
		}
		out.WriteString(word + "\n")
	}
	return result{stdout: out.String(), code: code}, true
}

// unitsArg reads the quoted unit names after prefix, and checks that
// build(units) == cmd.
func unitsArg(cmd, prefix string, build func([]string) (string, error)) ([]string, bool) {
	rest, ok := strings.CutPrefix(cmd, prefix)
	if !ok {
		return nil, false
	}
	var units []string
	for rest != "" {
		u, r, ok := remote.ShellUnquote(strings.TrimPrefix(rest, " "))
		if !ok {
			return nil, false
		}
		units, rest = append(units, u), r
	}
	again, err := build(units)
	return units, err == nil && again == cmd
}

var unitTimesPrefix = builderPrefix(func(u string) (string, error) {
	return remote.UnitTimesCommand([]string{u})
})

// matchUnitTimes answers remote.UnitTimesCommand: the uptime line, then per
// unit the two monotonic stamps, the daemon's last stop (0 if none since
// boot, and for every other unit).
func matchUnitTimes(h *Host, cmd string) (result, bool) {
	units, ok := unitsArg(cmd, unitTimesPrefix, remote.UnitTimesCommand)
	if !ok {
		return result{}, false
	}
	h.mu.Lock()
	booted, stopped := h.w.booted, h.w.stoppedAt
	h.mu.Unlock()
	up := time.Since(booted)
	var out strings.Builder
	fmt.Fprintf(&out, "%.2f %.2f\n", up.Seconds(), up.Seconds()*1.7)
	for i, u := range units {
		var at int64
		if strings.TrimSuffix(u, ".service") == daemonUnit && !stopped.IsZero() {
			at = stopped.Sub(booted).Microseconds()
		}
		if i > 0 {
			out.WriteString("\n")
		}
		fmt.Fprintf(&out, "ActiveExitTimestampMonotonic=%d\nInactiveEnterTimestampMonotonic=%d\n", at, at)
	}
	return result{stdout: out.String()}, true
}

// unitState is a unit's is-active word; unknown units are "inactive".
func (h *Host) unitState(unit string) string {
	name := strings.TrimSuffix(unit, ".service")
	if name == daemonUnit {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.w.unit
	}
	for _, u := range otherUnits {
		if u == name {
			return unitActive
		}
	}
	return unitInactive
}

func restart(u string) (string, error)     { return remote.RestartCommand(u, false) }
func sudoRestart(u string) (string, error) { return remote.RestartCommand(u, true) }

var (
	restartPrefix     = builderPrefix(restart)
	sudoRestartPrefix = builderPrefix(sudoRestart)
)

// matchRestart answers "[sudo -n] systemctl restart -- U": the daemon
// restarts for real after a short delay; unknown units fail with exit 5.
func matchRestart(h *Host, cmd string) (result, bool) {
	unit, ok := quotedArg(cmd, restartPrefix, restart)
	if !ok {
		unit, ok = quotedArg(cmd, sudoRestartPrefix, sudoRestart)
	}
	if !ok {
		return result{}, false
	}
	name := strings.TrimSuffix(unit, ".service")
	if name != daemonUnit && h.unitState(unit) != unitActive {
		return result{stderr: "Failed to restart " + name + ".service: Unit " + name + ".service not found.\n", code: 5}, true
	}
	if !h.fleet.sleep(h.fleet.opts.RestartDelay) {
		return result{stderr: "Failed to restart " + name + ".service: Transport endpoint is not connected\n", code: 1}, true
	}
	if name == daemonUnit {
		h.restartDaemon()
	}
	return result{}, true
}

var journalPrefix = builderPrefix(func(u string) (string, error) { return remote.JournalCommand(u, 1) })

// matchJournal answers "journalctl -u U -n N --no-pager".
func matchJournal(h *Host, cmd string) (result, bool) {
	rest, ok := strings.CutPrefix(cmd, journalPrefix)
	if !ok {
		return result{}, false
	}
	unit, rest, ok := remote.ShellUnquote(rest)
	if !ok {
		return result{}, false
	}
	num, _, _ := strings.Cut(strings.TrimPrefix(rest, " -n "), " ")
	n, err := strconv.Atoi(num)
	if err != nil {
		return result{}, false
	}
	if again, err := remote.JournalCommand(unit, n); err != nil || again != cmd {
		return result{}, false
	}
	if strings.TrimSuffix(unit, ".service") != daemonUnit {
		return result{stdout: formatJournal(h.name, nil)}, true
	}
	h.mu.Lock()
	entries := h.journal.last(n)
	h.mu.Unlock()
	return result{stdout: formatJournal(h.name, entries)}, true
}

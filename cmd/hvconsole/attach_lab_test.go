package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
)

// Lab hosts 33-34 belong to the attached-console tests.
const (
	labAttachA = 33
	labAttachB = 34
)

// collectorTables is a [serve] table for a collector of site with its
// socket in dir, and no alerting; listen is its metrics address.
func collectorTables(t *testing.T, dir, site string) (tables, sock, listen string) {
	sock, listen = filepath.Join(dir, site+".sock"), freePort(t)
	return fmt.Sprintf("[serve]\nlisten = %q\nsocket = %q\nsite = %q\n", listen, sock, site), sock, listen
}

// checkAttached runs `hvconsole check --attach unix:SOCK --json`.
func checkAttached(t *testing.T, bin, sock string) (int, checkJSON) {
	t.Helper()
	out, err := exec.Command(bin, "check", "--attach", "unix:"+sock, "--json").Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var doc checkJSON
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("check --attach printed %q: %v", out, err)
	}
	return code, doc
}

// TestAttachedConsoleLab: a console attached over the unix socket shows the
// collector's fleet under its site, turns CRIT when libvirtd dies, turns
// the hosts UNKNOWN "collector unreachable" when serve stops (the event log
// says so), and reconnects and recovers when serve starts again.
func TestAttachedConsoleLab(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	tables, sock, _ := collectorTables(t, dir, "dc1")
	cfg := serveConfig(t, lab, []int{labAttachA, labAttachB}, tables)
	srv := startServe(t, bin, cfg)
	a, b := lab.Host(labAttachA).Name, lab.Host(labAttachB).Name

	s := startTmux(t, 160, 40, []string{"NO_COLOR=1"}, bin, "--attach", "unix:"+sock)
	allOK := func(scr string) bool {
		return strings.Contains(rowOf(scr, a), "OK") && strings.Contains(rowOf(scr, b), "OK")
	}
	scr := s.waitFor("both hosts OK on the attached console", 30*time.Second, allOK)
	if !strings.Contains(scr, "ATTACHED dc1") || !strings.Contains(scr, "READ-ONLY") {
		t.Errorf("header lacks ATTACHED dc1 / READ-ONLY:\n%s", scr)
	}

	if code, doc := checkAttached(t, bin, sock); code != 0 || len(doc.Hosts) != 2 {
		t.Errorf("check --attach on a healthy fleet: exit %d, %d hosts; want 0, 2", code, len(doc.Hosts))
	}

	lab.Libvirtd(t, "kill", labAttachA)
	s.waitFor(a+" CRIT on the attached console", 10*time.Second, func(scr string) bool {
		return strings.Contains(rowOf(scr, a), "CRIT")
	})
	// check --attach answers from the collector's state, with Nagios codes.
	if code, doc := checkAttached(t, bin, sock); code != 2 || doc.Status != probes.CRIT {
		t.Errorf("check --attach with %s down: exit %d, status %s; want 2, CRIT", a, code, doc.Status)
	}
	lab.Libvirtd(t, "start", labAttachA)
	s.waitFor(a+" OK again", 30*time.Second, allOK)

	if siteRowOf(scr, "dc1", a) == "" {
		t.Errorf("no SITE dc1 cell before %s:\n%s", a, scr)
	}

	srv.stop(t)
	s.waitFor("hosts UNKNOWN collector unreachable, and the event log saying so", 20*time.Second, func(scr string) bool {
		return strings.Contains(rowOf(scr, a), "UNKNOWN") && strings.Contains(rowOf(scr, b), "UNKNOWN") &&
			strings.Contains(scr, "collector unreachable") && eventOnScreen(scr, a, "→ UNKNOWN", "collector: collector")
	})
	startServe(t, bin, cfg)
	s.waitFor("the console to reconnect and recover, the event log saying so", 60*time.Second, func(scr string) bool {
		return allOK(scr) && eventOnScreen(scr, a, "→ OK", "recovered from collector")
	})
	s.keys("q")
}

// siteRowOf returns the fleet-table line whose SITE and HOST cells, right
// after the status word, are site and host.
func siteRowOf(screen, site, host string) string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for i := 1; i+1 < len(f); i++ {
			switch f[i-1] {
			case "OK", "WARN", "CRIT", "UNKNOWN":
				if f[i] == site && f[i+1] == host {
					return l
				}
			}
		}
	}
	return ""
}

// eventOnScreen finds an event-log line of host with the transition and
// summary; panes drawn side by side are looked at one by one.
func eventOnScreen(screen, host, transition, summary string) bool {
	for _, l := range strings.Split(screen, "\n") {
		for _, pane := range strings.Split(l, "│") {
			if strings.Contains(pane, host) && strings.Contains(pane, transition) && strings.Contains(pane, summary) {
				return true
			}
		}
	}
	return false
}

// TestAttachedConsoleSSHMergedLab: two collectors, one reached through a
// lab host over SSH (strict host key, a streamlocal channel), merged into
// one fleet with a SITE column. Both sites probe host B: the same host name
// at two sites is two rows. The ssh:// form also answers check --attach,
// goes through a jump chain (and fails through a dead jump host), and
// refuses a gateway whose key known_hosts lacks. When dc1's collector
// stops, only dc1's hosts turn UNKNOWN and the event log says so.
func TestAttachedConsoleSSHMergedLab(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	tablesA, sockA, listenA := collectorTables(t, dir, "dc1")
	tablesB, sockB, listenB := collectorTables(t, dir, "dc2")
	srvA := startServe(t, bin, serveConfig(t, lab, []int{labAttachA, labAttachB}, tablesA))
	srvB := startServe(t, bin, serveConfig(t, lab, []int{labAttachB}, tablesB))
	// Both collectors ready (every host reported) before the console
	// attaches: under load the first rounds and the attach backoff
	// (up to 8 s) otherwise shared the console's wait below.
	srvA.waitReady(t, listenA)
	srvB.waitReady(t, listenB)
	a, b := lab.Host(labAttachA).Name, lab.Host(labAttachB).Name
	// The lab hosts share this machine's /tmp, so lab host A's sshd reaches
	// collector B's socket; the console's inventory names the SSH settings.
	gw := lab.Host(labAttachA).Name
	consoleCfg := serveConfig(t, lab, []int{labAttachA}, "")
	s := startTmux(t, 160, 40, []string{"NO_COLOR=1"}, bin, "--config", consoleCfg,
		"--attach", "unix:"+sockA, "--attach", "ssh://root@"+gw+sockB)
	has := func(scr, site, host, status string) bool {
		return strings.Contains(siteRowOf(scr, site, host), status)
	}
	scr := s.waitFor("three rows under two sites, all OK", 30*time.Second, func(scr string) bool {
		return has(scr, "dc1", a, "OK") && has(scr, "dc1", b, "OK") && has(scr, "dc2", b, "OK")
	})
	if !strings.Contains(scr, "ATTACHED dc1,dc2") || !strings.Contains(scr, " SITE ") {
		t.Errorf("header lacks ATTACHED dc1,dc2 or the SITE column:\n%s", scr)
	}
	// The ssh:// form checks the host key strictly: with a known_hosts
	// that lacks the gateway's key, check --attach refuses to connect.
	viaSSH := "ssh://root@" + gw + sockB
	if code, out, stderr := runCapture(t, "check", "--attach", viaSSH, "--config", consoleCfg, "--json"); code != 0 ||
		!strings.Contains(out, `"name": "`+b+`"`) {
		t.Errorf("check --attach %s: exit %d, %s %s; want 0 and %s", viaSSH, code, out, stderr, b)
	}
	// through a jump chain: B's collector via lab host B reached through A
	jumpCfg := labConfig(t, lab, lab.KnownHosts, []int{labAttachA, labAttachB}, map[int]string{labAttachB: fmt.Sprintf("jump = %q\n", a)})
	viaJump := "ssh://root@" + b + sockB
	if code, out, stderr := runCapture(t, "check", "--attach", viaJump, "--config", jumpCfg, "--json"); code != 0 ||
		!strings.Contains(out, `"name": "`+b+`"`) {
		t.Errorf("check --attach %s through %s: exit %d, %s %s; want 0 and %s", viaJump, a, code, out, stderr, b)
	}
	// and the chain is really taken: through a jump host that refuses, no
	deadJump := labConfig(t, lab, lab.KnownHosts, []int{labAttachB}, map[int]string{labAttachB: "jump = \"root@127.0.0.1:1\"\n"})
	if code, _, _ := runCapture(t, "check", "--attach", viaJump, "--config", deadJump, "--json"); code != exitUnknown {
		t.Errorf("check --attach %s through a dead jump host: exit %d, want 3", viaJump, code)
	}
	empty := filepath.Join(dir, "empty_known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	strict := labConfig(t, lab, empty, []int{labAttachA}, nil)
	if code, _, stderr := runCapture(t, "check", "--attach", viaSSH, "--config", strict, "--json"); code != exitUnknown ||
		!strings.Contains(stderr, "unknown host key") {
		t.Errorf("check --attach with the gateway's key unknown: exit %d, %q; want 3 and an unknown-host-key refusal", code, stderr)
	}

	srvA.stop(t)
	s.waitFor("dc1's hosts UNKNOWN, dc2's still OK, the event log saying so", 20*time.Second, func(scr string) bool {
		return has(scr, "dc1", a, "UNKNOWN") && has(scr, "dc1", b, "UNKNOWN") && has(scr, "dc2", b, "OK") &&
			eventOnScreen(scr, "dc1/"+b, "→ UNKNOWN", "collector: collector")
	})
	s.keys("q")
}

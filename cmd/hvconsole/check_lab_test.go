package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// Lab hosts 11-14 belong to this package's tests.
const (
	labHealthy = 11
	labFaulty  = 12
	labKeys    = 13
	labTarget  = 14
)

// labConfig is an inventory over the given lab hosts; extra is appended to
// each host entry (e.g. a jump) by host number.
func labConfig(t *testing.T, lab *labtest.Lab, knownHosts string, nums []int, extra map[int]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `audit_log = %q
[defaults]
user = "root"
identity_files = [%q]
use_agent = false
known_hosts = [%q]
connect_timeout = "2s"
probe_timeout = "4s"
libvirt_uri = "test:///etc/libvirt/node.xml"
checks = ["ssh", "hypervisor", "vms"]
`, filepath.Join(t.TempDir(), "audit.jsonl"), lab.IdentityFile, knownHosts)
	for _, n := range nums {
		h := lab.Host(n)
		fmt.Fprintf(&b, "\n[[hosts]]\nname = %q\naddress = %q\ntags = [\"lab\"]\n%s", h.Name, h.Address, extra[n])
	}
	return lab.WriteConfig(t, b.String())
}

// runJSON runs `hvconsole check --json` in process and decodes its output.
func runJSON(t *testing.T, config string, args ...string) (checkJSON, int, string) {
	t.Helper()
	return runJSON2(t, "check", config, args...)
}

// runJSON2 runs a JSON-printing subcommand (check, backups) in process.
func runJSON2(t *testing.T, sub, config string, args ...string) (checkJSON, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), append([]string{sub, "--json", "--config", config}, args...), nil, &out, &errb)
	var doc checkJSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("check --json output %q (stderr %q): %v", out.String(), errb.String(), err)
	}
	return doc, code, errb.String()
}

func hostByName(t *testing.T, doc checkJSON, name string) hostJSON {
	t.Helper()
	for _, h := range doc.Hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("host %s not in output", name)
	return hostJSON{}
}

func checkByName(t *testing.T, h hostJSON, name string) checkResult {
	t.Helper()
	for _, c := range h.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("check %s not in host %s", name, h.Name)
	return checkResult{}
}

// knownHostsWithout copies the lab's known_hosts, dropping addr's lines and
// adding replacement lines for it.
func knownHostsWithout(t *testing.T, lab *labtest.Lab, addr string, replacement []string) string {
	t.Helper()
	data, err := os.ReadFile(lab.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(l, addr+" ") {
			keep = append(keep, l)
		}
	}
	keep = append(keep, replacement...)
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(strings.Join(keep, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// linesOf returns addr's known_hosts lines re-labelled as other's.
func linesOf(t *testing.T, lab *labtest.Lab, addr, as string) []string {
	t.Helper()
	data, err := os.ReadFile(lab.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, addr+" "); ok {
			out = append(out, as+" "+rest)
		}
	}
	return out
}

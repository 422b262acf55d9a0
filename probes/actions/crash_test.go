package actions

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

const childEnv = "HVCONSOLE_ACTIONS_CHILD_AUDIT"

// runChild is the process the crash test kills: it starts a restart whose
// remote command never returns.
func runChild() {
	log, err := OpenAuditLog(os.Getenv(childEnv))
	if err != nil {
		os.Exit(2)
	}
	r := New(Options{Audit: log, Transport: (&fakeTransport{block: true}).transport(), Prober: &fakeProber{rounds: map[string]int{}}})
	r.Restart(context.Background(), []hosts.Host{host("a")}, "libvirtd")
	os.Exit(3) // never reached: the command blocks until the process is killed
}

// The intent record is on disk before the remote command starts, so killing
// the console mid-action leaves it intact.
func TestIntentSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(`"phase":"intent"`)) {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal("no intent record within 30s")
		}
		time.Sleep(10 * time.Millisecond) // polling a file written by another process
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	recs := readAudit(t, path)
	if len(recs) != 1 || recs[0].Phase != PhaseIntent || recs[0].Command != "systemctl restart -- 'libvirtd'" {
		t.Fatalf("audit after kill = %+v, want exactly the intent", recs)
	}
}

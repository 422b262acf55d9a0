package actions

import (
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Every record in the audit log is handed to Options.Journal too, in order;
// a refusal as well as an intent and its outcome.
func TestJournalHookGetsEveryAuditRecord(t *testing.T) {
	log, err := OpenAuditLog(t.TempDir() + "/audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var mu sync.Mutex
	var got []string
	r := New(Options{Audit: log, Transport: (&fakeTransport{}).transport(), LocalUser: "alice",
		Prober: &fakeProber{rounds: map[string]int{}, okAfter: 1}, VerifyEvery: time.Millisecond,
		Journal: func(rec Record) {
			mu.Lock()
			got = append(got, rec.Host+":"+rec.Phase+":"+rec.Outcome)
			mu.Unlock()
		}})
	r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")
	r.Restart(t.Context(), []hosts.Host{host("b")}, "sshd") // not allowed: refused
	want := []string{"a:intent:", "a:outcome:ok", "b:refused:refused"}
	if len(got) != len(want) {
		t.Fatalf("journal got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("journal[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	if n := len(readAudit(t, log.Path())); n != len(want) {
		t.Errorf("audit has %d records, want %d", n, len(want))
	}
}

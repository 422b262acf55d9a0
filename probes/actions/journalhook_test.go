package actions

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

// journaled is a Runner over tr whose journal hook keeps every record it
// is handed; records returns them, audit is the log's path.
func journaled(t *testing.T, tr *fakeTransport) (r *Runner, records func() []Record, audit string) {
	t.Helper()
	log, err := OpenAuditLog(t.TempDir() + "/audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	var mu sync.Mutex
	var got []Record
	r = New(Options{Audit: log, Transport: tr.transport(), LocalUser: "alice",
		Prober: &fakeProber{rounds: map[string]int{}, okAfter: 1}, VerifyEvery: time.Millisecond,
		Journal: func(rec Record) {
			mu.Lock()
			got = append(got, rec)
			mu.Unlock()
		}})
	return r, func() []Record {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}, log.Path()
}

// Every record in the audit log is handed to Options.Journal too, in order;
// a refusal as well as an intent and its outcome.
func TestJournalHookGetsEveryAuditRecord(t *testing.T) {
	r, records, audit := journaled(t, &fakeTransport{})
	r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")
	r.Restart(t.Context(), []hosts.Host{host("b")}, "sshd") // not allowed: refused
	var got []string
	for _, rec := range records() {
		got = append(got, rec.Host+":"+rec.Phase+":"+rec.Outcome)
	}
	want := []string{"a:intent:", "a:outcome:ok", "b:refused:refused"}
	if !slices.Equal(got, want) {
		t.Fatalf("journal got %q, want %q", got, want)
	}
	if n := len(readAudit(t, audit)); n != len(want) {
		t.Errorf("audit has %d records, want %d", n, len(want))
	}
}

// The journal (the incidents view, `hvconsole incidents`) gets an error in
// words where the audit log keeps the whole chain: a failed restart, a
// journal read and a refusal over a dead link.
func TestJournalHookGetsWords(t *testing.T) {
	r, records, auditPath := journaled(t, &fakeTransport{execErr: probetest.DeadLink("a")})
	r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")
	_, _ = r.Journal(t.Context(), host("a"), "libvirtd")
	r.Refuse([]hosts.Host{host("a")}, ActionRestart, []string{"libvirtd"}, fmt.Errorf("confirm: %w", probetest.DeadLink("a")))
	audit, got := readAudit(t, auditPath), records()
	if len(audit) != len(got) || len(got) != 5 {
		t.Fatalf("audit %d records, journal %d, want 5 each", len(audit), len(got))
	}
	for i, rec := range got {
		if audit[i].Error == "" {
			continue // an intent
		}
		if !strings.Contains(audit[i].Error, "sshx: host a") {
			t.Errorf("audit[%d] error %q, want the whole chain", i, audit[i].Error)
		}
		if !strings.HasSuffix(rec.Error, "connection refused") {
			t.Errorf("journal[%d] error %q, want the words", i, rec.Error)
		}
		probetest.AssertWords(t, "journal error", rec.Error)
	}
}

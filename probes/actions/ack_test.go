package actions

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// An ack is audited like an action, whole JSON lines, and a read-only
// runner records it: it changes no host.
func TestRecordAckReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	now := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	r := New(Options{ReadOnly: true, Audit: log, LocalUser: "alice", Now: func() time.Time { return now }})
	exp := now.Add(2 * time.Hour)
	if err := r.RecordAck("kvm-01", "bob", "on it, disk full", exp, ""); err != nil {
		t.Fatalf("ack made: %v", err)
	}
	if err := r.RecordAck("kvm-01", "bob", "on it, disk full", exp, "recovered"); err != nil {
		t.Fatalf("ack ended: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Record
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rec.ID = ""
		got = append(got, rec)
	}
	args := []string{"bob", "2026-11-27T09:00:00Z", "on it, disk full"}
	want := []Record{
		{Time: now, Phase: PhaseAck, LocalUser: "alice", Host: "kvm-01", Action: ActionAck, Args: args},
		{Time: now, Phase: PhaseAckEnded, LocalUser: "alice", Host: "kvm-01", Action: ActionAck, Args: args, Outcome: "recovered"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit records (-want +got):\n%s", diff)
	}
}

// Without an audit log an ack is refused, as an action is: its record
// would be absent.
func TestRecordAckNeedsAudit(t *testing.T) {
	r := New(Options{LocalUser: "alice"})
	if err := r.RecordAck("kvm-01", "bob", "", time.Now(), ""); err == nil {
		t.Fatal("ack without an audit log: no error")
	}
}

package incident

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

var t0 = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

func report(host string, st probes.Status, at time.Time) probes.HostReport {
	return probes.HostReport{Host: host, Status: st, Time: at, Checks: []probes.Result{
		{Host: host, Check: "hypervisor", Status: st, Summary: "hypervisor not running: libvirtd failed"}}}
}

func openTest(t *testing.T, path string, opts Options) *Journal {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	j, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func load(t *testing.T, path string) []Record {
	t.Helper()
	d, err := Load(path, DefaultKeep)
	if err != nil {
		t.Fatal(err)
	}
	if d.Skipped != 0 {
		t.Errorf("%d lines skipped", d.Skipped)
	}
	return d.Records
}

func kinds(recs []Record) string {
	var out []string
	for _, r := range recs {
		s := r.Kind + ":" + r.Host
		switch r.Kind {
		case KindStatus:
			s += ":" + r.From + ">" + r.To
		case KindAck:
			s += ":" + r.Owner + "/" + r.Ended
		case KindAction:
			s += ":" + r.Action + "/" + r.Phase + "/" + r.Outcome
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestJournalRecordsChangesAcksAndActions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "hvconsole", "events.jsonl")
	j := openTest(t, path, Options{Source: "console"})
	j.Observe(report("a", probes.OK, t0))                    // healthy at first: not news
	j.Observe(report("b", probes.CRIT, t0))                  // new problem
	j.Observe(report("b", probes.CRIT, t0.Add(time.Second))) // no change
	j.Ack(Ack{Host: "b", Owner: "alice", Note: "on it", Expires: t0.Add(2 * time.Hour)})
	j.Action(actions.Record{Host: "b", Action: "restart", Phase: actions.PhaseIntent, ID: "1", LocalUser: "alice"})
	j.Action(actions.Record{Host: "b", Action: actions.ActionJournal, Phase: actions.PhaseIntent}) // a read: left out
	j.Action(actions.Record{Host: "b", Action: "restart", Phase: actions.PhaseOutcome, ID: "1", Outcome: "ok"})
	j.Observe(report("b", probes.OK, t0.Add(time.Minute)))
	j.Ack(Ack{Host: "b", Owner: "alice", Ended: AckRecovered})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	want := "status:b:>CRIT ack:b:alice/ action:b:restart/intent/ action:b:restart/outcome/ok " +
		"status:b:CRIT>OK ack:b:alice/recovered"
	recs := load(t, path)
	if got := kinds(recs); got != want {
		t.Errorf("journal:\n got %s\nwant %s", got, want)
	}
	if got := kinds(j.Recent()); got != want {
		t.Errorf("recent:\n got %s\nwant %s", got, want)
	}
	if recs[0].Source != "console" || recs[0].Cause != "hypervisor: libvirtd failed" && recs[0].Cause == "" {
		t.Errorf("first record %+v", recs[0])
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode: %v %v", fi.Mode(), err)
	}
}

// The host's own time of a change is journaled where the report has it.
func TestJournalHostTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	j := openTest(t, path, Options{})
	r := report("b", probes.CRIT, t0)
	r.Checks[0].Since = t0.Add(-6 * time.Second)
	j.Observe(r)
	late := report("c", probes.CRIT, t0)
	late.Checks[0].Since = t0.Add(time.Second) // later than we saw it: not believed
	j.Observe(late)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs := load(t, path)
	if len(recs) != 2 || recs[0].HostTime == nil || !recs[0].HostTime.Equal(t0.Add(-6*time.Second)) || recs[1].HostTime != nil {
		t.Fatalf("records %+v", recs)
	}
	incs := Build(recs, BuildOptions{})
	if d, ok := incs[0].TimeToDetect(); !ok || d != 6*time.Second {
		t.Errorf("time to detect %v %v", d, ok)
	}
}

// A restarted console continues the incidents the journal left open: a
// host still CRIT writes nothing, its recovery writes CRIT > OK.
func TestJournalSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	j := openTest(t, path, Options{})
	j.Observe(report("b", probes.CRIT, t0))
	j.Observe(report("c", probes.WARN, t0))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openTest(t, path, Options{})
	j.Observe(report("b", probes.CRIT, t0.Add(time.Hour)))
	j.Observe(report("c", probes.OK, t0.Add(time.Hour)))
	j.Observe(report("b", probes.OK, t0.Add(2*time.Hour)))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	want := "status:b:>CRIT status:c:>WARN status:c:WARN>OK status:b:CRIT>OK"
	if got := kinds(load(t, path)); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestJournalRotatesBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	j := &Journal{path: path, opts: withDefaults(Options{MaxBytes: 2000, Keep: 2})}
	w, err := j.open()
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		// a batch of one record each, as a quiet fleet writes them
		rec := Ack{Host: fmt.Sprintf("h%03d", i), Owner: "alice"}.record()
		rec.Time = t0
		if err := w.write([]Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	w.close()
	for _, name := range []string{path, path + ".1", path + ".2"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Size() > 2000+200 {
			t.Errorf("%s: %d bytes", name, fi.Size())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third rotated file: %v", err)
	}
	d, err := Load(path, 2)
	if err != nil || d.Skipped != 0 || len(d.Records) == 0 {
		t.Fatalf("load: %d records, %d skipped, %v", len(d.Records), d.Skipped, err)
	}
	// the newest records are kept, in order, each whole
	recs := d.Records
	if last := recs[len(recs)-1].Host; last != fmt.Sprintf("h%03d", n-1) {
		t.Errorf("last record %s", last)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Host <= recs[i-1].Host {
			t.Fatalf("out of order at %d: %s after %s", i, recs[i].Host, recs[i-1].Host)
		}
	}
}

// A full queue drops and counts; it never blocks the caller.
func TestJournalFullQueueDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	j := &Journal{path: path, opts: withDefaults(Options{Queue: 4}), stop: make(chan struct{}), done: make(chan struct{})}
	w, err := j.open()
	if err != nil {
		t.Fatal(err)
	}
	// the writer is not running yet: the queue fills
	for i := range 7 {
		queued := j.Append(Record{Kind: KindAck, Host: fmt.Sprint(i)})
		if queued != (i < 4) {
			t.Errorf("record %d queued=%v", i, queued)
		}
	}
	if got := j.Dropped(); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	go j.run(w)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(load(t, path)); got != 4 {
		t.Errorf("%d records written, want 4", got)
	}
	if j.Append(Record{Kind: KindAck, Host: "late"}) || j.Dropped() != 4 {
		t.Errorf("a record after Close was not counted as dropped")
	}
}

func TestJournalRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Open through a symlink: %v", err)
	}
}

func TestMemoryJournalWritesNothing(t *testing.T) {
	j := openTest(t, "", Options{})
	j.Observe(report("b", probes.CRIT, t0))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := kinds(j.Recent()); got != "status:b:>CRIT" {
		t.Errorf("recent %s", got)
	}
}

func TestDefaultPath(t *testing.T) {
	env := map[string]string{"HOME": "/home/al"}
	if got := DefaultPath(func(k string) string { return env[k] }); got != "/home/al/.local/state/hvconsole/events.jsonl" {
		t.Errorf("no XDG_STATE_HOME: %s", got)
	}
	env["XDG_STATE_HOME"] = "/var/st"
	if got := DefaultPath(func(k string) string { return env[k] }); got != "/var/st/hvconsole/events.jsonl" {
		t.Errorf("XDG_STATE_HOME: %s", got)
	}
}

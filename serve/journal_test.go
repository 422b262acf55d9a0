package serve

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
)

// The collector journals every host's status changes in its own journal,
// which survives it (read back after Run returned).
func TestServeJournalsStatusChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	j, err := incident.Open(path, incident.Options{Source: "serve"})
	if err != nil {
		t.Fatal(err)
	}
	h := startServerWith(t, testConfig("", "kvm1", "kvm2"), func(o *Options) { o.Journal = j })
	t0 := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	h.sched.updates <- report("kvm1", t0, nil)
	h.sched.updates <- report("kvm2", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.sched.updates <- report("kvm2", t0.Add(time.Minute), nil)
	h.waitLog(t, "to=OK")
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := incident.Load(path, incident.DefaultKeep)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Records {
		got = append(got, r.Source+" "+r.Host+" "+r.From+">"+r.To)
	}
	if len(got) != 2 || got[0] != "serve kvm2 >CRIT" || got[1] != "serve kvm2 CRIT>OK" {
		t.Fatalf("journal %q", got)
	}
	if incs := incident.Build(d.Records, incident.BuildOptions{}); len(incs) != 1 || incs[0].Open() {
		t.Fatalf("incidents %+v", incs)
	}
}

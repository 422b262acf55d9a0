package probes

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

func FuzzParseDrillOutput(f *testing.F) {
	f.Add(drillOut())
	f.Add(drillOut("@@check 2", "@@backing /x"))
	f.Add("@@size 100\n@@free 5\n@@fail space\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := DrillResult{Level: 1}
		FinishDrill(&r, in, hosts.Backup{Verify: remote.VerifySHA256}, true)
		if r.Outcome == "" {
			t.Errorf("no outcome for %q", in)
		}
	})
}

func FuzzParseDrillRecords(f *testing.F) {
	f.Add([]byte(`[{"host":"a","spec":"b","last":{"time":"2026-11-27T00:00:00Z","level":1,"outcome":"passed","restore_seconds":1},"last_success":"2026-11-27T00:00:00Z"}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := parseDrillRecords(in)
		if err != nil {
			return
		}
		h := hosts.Host{Name: "a", Backups: []hosts.Backup{{Name: "b", DrillMaxAge: time.Hour}}}
		_ = applyDrills(Result{}, []BackupResult{{Spec: "b"}}, h, recs, time.Now())
	})
}

func FuzzParseHyperVDrill(f *testing.F) {
	f.Add(`{"Size":42949672960,"Free":1,"Hash":"` + goodSHA + `","Sidecar":"` + goodSHA + `  x.vhdx","NoSidecar":false,"TestVHD":true,"CopyMs":1,"VerifyMs":2}`)
	f.Add(`{"Fail":"space","Size":1,"Free":0}`)
	f.Fuzz(func(t *testing.T, in string) {
		r := DrillResult{Level: 1}
		FinishHyperVDrill(&r, in, hosts.Backup{})
		if r.Outcome == "" {
			t.Errorf("no outcome for %q", in)
		}
	})
}

package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes/actions"
)

func TestScoreDrill(t *testing.T) {
	sec := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	plan := []Injection{
		{Kind: InjectDaemonStop, Host: "a", At: sec(0)},
		{Kind: InjectVMCrash, Host: "b", VM: "web", At: sec(60)},
		{Kind: InjectVMCrash, Host: "d", VM: "db", At: sec(100)},
	}
	recs := []Record{
		{Time: sec(5), Kind: KindStatus, Host: "a", From: "OK", To: "CRIT"},
		{Time: sec(30), Kind: KindAck, Host: "a", Owner: "al"},
		{Time: sec(90), Kind: KindAction, Host: "a", Action: actions.ActionRestart, Phase: actions.PhaseIntent},
		{Time: sec(120), Kind: KindStatus, Host: "a", From: "CRIT", To: "OK"},
		{Time: sec(70), Kind: KindAction, Host: "c", Action: actions.ActionRestart, Phase: actions.PhaseIntent}, // wrong host
		{Time: sec(80), Kind: KindAction, Host: "b", Action: actions.ActionVMStart, Args: []string{"other"}, Phase: actions.PhaseIntent},
		{Time: sec(100 + 240), Kind: KindAck, Host: "d", Owner: "al"}, // 4 min: part of the ack points
		{Time: sec(100 + 360), Kind: KindAction, Host: "d", Action: actions.ActionVMStart, Args: []string{"db"}, Phase: actions.PhaseIntent},
		{Time: sec(100 + 361), Kind: KindStatus, Host: "d", From: "CRIT", To: "OK"},
		{Time: sec(10), Kind: KindAction, Host: "d", Action: actions.ActionRestart, Phase: actions.PhaseIntent}, // before its incident: wrong host
	}
	s := ScoreDrill(plan, recs)
	got := []int{s.Results[0].Points, s.Results[1].Points, s.Results[2].Points}
	// d: ack at 4m of 1m-5m: 30*60/240=7; act at 6m of 2m-10m: 40*4/8=20; recover 6m01s of 3m-15m: 30*(8m59s)/12m=22
	if got[0] != 100 || got[1] != 0 || got[2] != 7+20+22 {
		t.Errorf("points %v", got)
	}
	if len(s.WrongHost) != 2 || s.Score != (100+0+49)/3-2*WrongHostPenalty {
		t.Errorf("wrong host %v, score %d", s.WrongHost, s.Score)
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"daemon-stop", "vm-crash web", "never", "wrong host: restart on c", "score: 19/100"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("sheet lacks %q:\n%s", want, b.String())
		}
	}
	rec := s.Record("drill")
	if rec.Kind != KindDrill || rec.Score == nil || *rec.Score != 19 || !strings.Contains(rec.Note, "2 wrong-host actions") {
		t.Errorf("record %+v", rec)
	}
	if s := ScoreDrill(plan, nil); s.Score != 0 || s.Results[0].AckOK {
		t.Errorf("no answer: %+v", s)
	}
}

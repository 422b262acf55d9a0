package probes

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// drillWriterEnv, when set, makes the test binary a drill writer (see
// TestDrillStoreWriterProcess): "PATH WRITER COUNT".
const drillWriterEnv = "HVCONSOLE_TEST_DRILL_WRITER"

// writeDrills records count passed drills of specs WRITER-0.. on host h.
func writeDrills(s *DrillStore, writer string, count int) error {
	for i := range count {
		d := DrillResult{Host: "h", Spec: fmt.Sprintf("%s-%d", writer, i), Level: 1, Outcome: DrillPassed,
			Ended: time.Unix(int64(1_700_000_000+i), 0)}
		if err := s.Record(d); err != nil {
			return err
		}
	}
	return nil
}

// TestDrillStoreWriterProcess is the child of TestDrillStoreProcessesLoseNothing.
func TestDrillStoreWriterProcess(t *testing.T) {
	var path, writer string
	var count int
	if _, err := fmt.Sscanf(os.Getenv(drillWriterEnv), "%s %s %d", &path, &writer, &count); err != nil {
		t.Skip("run as a child of TestDrillStoreProcessesLoseNothing")
	}
	if err := writeDrills(NewDrillStore(path), writer, count); err != nil {
		t.Fatal(err)
	}
}

// Two processes (a console and a serve) and two handles within this one
// record drills into the same file at once: every record survives.
func TestDrillStoreProcessesLoseNothing(t *testing.T) {
	const count = 40
	path := filepath.Join(t.TempDir(), "state", "drills.json")
	writers := []string{"proc-a", "proc-b", "here-a", "here-b"}
	var wg sync.WaitGroup
	errs := make(chan error, len(writers))
	for _, w := range writers[:2] {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDrillStoreWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), drillWriterEnv+"="+path+" "+w+" "+strconv.Itoa(count))
		wg.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("writer %s: %v\n%s", w, err, out)
			}
		})
	}
	for _, w := range writers[2:] {
		wg.Go(func() { errs <- writeDrills(NewDrillStore(path), w, count) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := NewDrillStore(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(writers)*count {
		t.Fatalf("%d records kept, want %d: writers overwrote each other", len(recs), len(writers)*count)
	}
	for _, w := range writers {
		for i := range count {
			if _, ok := recs[drillKey("h", fmt.Sprintf("%s-%d", w, i))]; !ok {
				t.Errorf("record %s-%d lost", w, i)
			}
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".drills-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

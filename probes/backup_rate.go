package probes

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// backupFinding is one problem found with a spec.
type backupFinding struct {
	status Status
	text   string
}

// rate turns a spec's listing and verification into its BackupResult.
func (run *backupRun) rate(now time.Time) BackupResult {
	br := BackupResult{Spec: remote.CleanLine(run.spec.Name), Verify: run.verify.word, Count: len(run.files)}
	if run.listErr != nil {
		br.Status, br.Summary = UNKNOWN, remote.CleanLine("backup listing unreadable: "+backupReason(run.listErr))
		br.Err = remote.Clean(run.listErr.Error())
		return br
	}
	if len(run.files) == 0 {
		br.Status, br.Summary = CRIT, remote.CleanLine("no file matches "+run.spec.Path)
		if hint := strings.TrimSpace(run.stderr); hint != "" {
			br.Err = remote.CleanLine("remote stderr: " + hint)
		}
		return br
	}
	newest := run.files[0]
	br.Newest, br.Size = remote.CleanLine(newest.Path), newest.Size
	var found []backupFinding
	br.Age, found = backupAgeFindings(now.Sub(newest.MTime), run.spec.MaxAge)
	found = append(found, run.sizeFindings()...)
	if run.verify.status != OK {
		found = append(found, backupFinding{run.verify.status, run.verify.note})
	}
	if run.verify.err != nil {
		br.Err = remote.Clean(run.verify.err.Error())
	}
	// Worst first, so the summary leads with what matters most.
	slices.SortStableFunc(found, func(a, b backupFinding) int { return b.status.Severity() - a.status.Severity() })
	texts := make([]string, len(found))
	for i, f := range found {
		br.Status = br.Status.Worse(f.status)
		texts[i] = f.text
	}
	br.Summary = strings.Join(texts, "; ")
	if len(found) == 0 {
		br.Summary = fmt.Sprintf("newest %s old, %s", formatBackupAge(br.Age), formatBytes(br.Size))
	}
	br.Summary = remote.CleanSummary(br.Summary)
	return br
}

// backupAgeFindings rates the newest file's age against max_age. A future mtime
// is not "fresh forever": the age counts as 0 and it is a WARN of its own.
func backupAgeFindings(age, maxAge time.Duration) (time.Duration, []backupFinding) {
	var found []backupFinding
	if age < 0 {
		found = append(found, backupFinding{WARN, "mtime in the future"})
		age = 0
	}
	switch {
	case maxAge <= 0:
	case age > maxAge:
		found = append(found, backupFinding{CRIT, fmt.Sprintf("%s old > max %s",
			formatBackupAge(age), formatBackupAge(maxAge))})
	case age > maxAge-maxAge/5:
		found = append(found, backupFinding{WARN, fmt.Sprintf("%s old > 80%% of max %s",
			formatBackupAge(age), formatBackupAge(maxAge))})
	}
	return age, found
}

// sizeFindings rates the file count, the newest size against min_size and
// against the previous file.
func (run *backupRun) sizeFindings() []backupFinding {
	var found []backupFinding
	spec, n := run.spec, len(run.files)
	if spec.MinCount > 0 && n < spec.MinCount {
		found = append(found, backupFinding{CRIT, fmt.Sprintf("only %d %s < min %d",
			n, backupPlural(n, "file"), spec.MinCount)})
	}
	size := run.files[0].Size
	if spec.MinSize > 0 && size < spec.MinSize {
		found = append(found, backupFinding{CRIT, fmt.Sprintf("size %s < min %s",
			formatBytes(size), formatBytes(spec.MinSize))})
	}
	if n > 1 {
		if prev := run.files[1].Size; prev > 0 && size < prev {
			drop := float64(prev-size) / float64(prev)
			if drop > 0.5 {
				found = append(found, backupFinding{WARN, fmt.Sprintf("size dropped %d%%", int(math.Round(drop*100)))})
			}
		}
	}
	return found
}

func backupPlural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// summarizeBackups folds the specs into the check's status, a summary such
// as "2 backups: 1 CRIT (nightly: 31h old > max 26h)", one detail line per
// spec, and the first error text.
func summarizeBackups(results []BackupResult) (st Status, sum, details, errText string) {
	byStatus := map[Status][]string{}
	lines := make([]string, len(results))
	for i, br := range results {
		st = st.Worse(br.Status)
		if br.Status != OK {
			byStatus[br.Status] = append(byStatus[br.Status], br.Spec+": "+br.Summary)
		}
		if errText == "" && br.Err != "" {
			errText = br.Spec + ": " + br.Err
		}
		lines[i] = backupDetail(br)
	}
	sum = fmt.Sprintf("%d %s", len(results), backupPlural(len(results), "backup"))
	var groups []string
	for _, s := range []Status{CRIT, UNKNOWN, WARN} {
		if names := byStatus[s]; len(names) > 0 {
			groups = append(groups, fmt.Sprintf("%d %s (%s)", len(names), s, strings.Join(names, "; ")))
		}
	}
	if len(groups) == 0 {
		sum += " OK"
	} else {
		sum += ": " + strings.Join(groups, ", ")
	}
	return st, sum, strings.Join(lines, "\n"), errText
}

// backupDetail is one spec's detail line:
// "nightly: OK newest 3h old, 1.2 GiB | /srv/backups/n.qcow2, 3h old, 1.2 GiB, 7 files, verify ok".
func backupDetail(br BackupResult) string {
	line := fmt.Sprintf("%s: %s %s", br.Spec, br.Status, br.Summary)
	if br.Newest == "" {
		return line
	}
	return fmt.Sprintf("%s | %s, %s old, %s, %d %s, verify %s", line, br.Newest,
		formatBackupAge(br.Age), formatBytes(br.Size), br.Count, backupPlural(br.Count, "file"), br.Verify)
}

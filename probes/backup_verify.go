package probes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// backupVerifyJob is one verification command for a spec's newest file.
type backupVerifyJob struct {
	run  *backupRun
	tool string // remote.VerifySHA256 or remote.VerifyQemuImg
	file string // raw remote path, quoted by the builder
	cmd  string
}

// planBackupVerify builds the verification commands, sha256 ones first. Specs
// with nothing to verify keep "skipped"; a path or method the builders
// refuse is UNKNOWN. limit bounds each tool's run on the host.
func planBackupVerify(runs []*backupRun, limit time.Duration) []backupVerifyJob {
	var jobs []backupVerifyJob
	for _, run := range runs {
		if run.listErr != nil || len(run.files) == 0 {
			continue
		}
		file := run.files[0].Path
		var cmd string
		var err error
		switch run.spec.Verify {
		case "", remote.VerifyNone:
			continue
		case remote.VerifySHA256:
			cmd, err = remote.SHA256VerifyCommand(file, limit)
		case remote.VerifyQemuImg:
			cmd, err = remote.QemuImgCheckCommand(file, limit)
		default:
			err = fmt.Errorf("probes: unknown verify method %q", run.spec.Verify)
		}
		if err != nil {
			run.verify = backupVerifyFail("verify not run", err)
			continue
		}
		jobs = append(jobs, backupVerifyJob{run: run, tool: run.spec.Verify, file: file, cmd: cmd})
	}
	slices.SortStableFunc(jobs, func(a, b backupVerifyJob) int {
		return cmp.Compare(verifyOrder(a.tool), verifyOrder(b.tool))
	})
	return jobs
}

// verifyOrder puts sha256 jobs before qemu-img ones: with the jobs grouped
// by tool, a missing tool leaves at most the other tool's jobs to run alone.
func verifyOrder(tool string) int {
	if tool == remote.VerifySHA256 {
		return 0
	}
	return 1
}

// verifyBackups verifies every spec's newest file: one batch for all, then
// each job whose part came back without its end marker is run alone. That
// happens when a tool is missing (the builders' "exit 0" ends the whole
// batch, so the jobs after it never ran; the same tool is then known to be
// missing for every job) and when a sidecar does not end in a newline (the
// end marker is glued to its last line).
func verifyBackups(ctx context.Context, r Conn, h hosts.Host, runs []*backupRun) {
	limit := min(backupVerifyTimeout(h), remote.MaxVerifyLimit)
	jobs := planBackupVerify(runs, limit)
	if len(jobs) == 0 {
		return
	}
	vctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmds := make([]string, len(jobs))
	for i, j := range jobs {
		cmds[i] = j.cmd
	}
	parts, stderr, _, err := backupBatch(vctx, r, cmds)
	missing := map[string]bool{}
	var alone []backupVerifyJob
	for k, j := range jobs {
		switch {
		case err != nil:
			j.run.verify = backupVerifyFail(j.tool+" verify", err)
		case parts[k].Exit >= 0:
			j.run.verify = readBackupVerify(j, parts[k].Output, parts[k].Exit, stderr)
		case remote.BackupNoTool(parts[k].Output):
			missing[j.tool] = true
			j.run.verify = backupToolMissing(j.tool)
		default:
			alone = append(alone, j)
		}
	}
	for _, j := range alone {
		if missing[j.tool] {
			j.run.verify = backupToolMissing(j.tool)
			continue
		}
		res, err := r.Exec(vctx, j.cmd)
		if err != nil {
			j.run.verify = backupVerifyFail(j.tool+" verify", fmt.Errorf("probes: backups exec: %w", err))
			continue
		}
		j.run.verify = readBackupVerify(j, string(res.Stdout), res.ExitCode, string(res.Stderr))
	}
}

// backupToolMissing is the UNKNOWN outcome for a host without the verify tool.
func backupToolMissing(tool string) backupVerifyOutcome {
	bin := "sha256sum"
	if tool == remote.VerifyQemuImg {
		bin = "qemu-img"
	}
	return backupVerifyOutcome{word: backupVerifyToolMissing, status: UNKNOWN, note: bin + " not installed on the host"}
}

// readBackupVerify rates one verification command's output.
func readBackupVerify(j backupVerifyJob, out string, exit int, stderr string) backupVerifyOutcome {
	if j.tool == remote.VerifyQemuImg {
		return readQemuImgVerify(out, exit, backupStderrAbout(stderr, j.file))
	}
	return readSHA256Verify(out, exit, backupStderrAbout(stderr, j.file))
}

func readSHA256Verify(out string, exit int, hint string) backupVerifyOutcome {
	if exit != 0 {
		err := fmt.Errorf("%w: sha256 verify exited %d", remote.ErrBackupOutput, exit)
		return backupVerifyFail("sha256 verify", backupWithHint(err, hint))
	}
	o, err := remote.ParseSHA256Output(out)
	switch {
	case errors.Is(err, remote.ErrSHA256NoHash):
		return backupVerifyFail("sha256sum could not read the file", backupWithHint(err, hint))
	case err != nil:
		return backupVerifyFail("sha256 verify", err)
	case o.ToolMissing:
		return backupToolMissing(remote.VerifySHA256)
	case !o.HasSidecar:
		return backupVerifyOutcome{word: BackupVerifyNoSidecar, status: CRIT, note: "no sha256 sidecar"}
	}
	want, err := remote.ParseSidecar(o.Sidecar)
	switch {
	case err != nil:
		return backupVerifyOutcome{word: BackupVerifyBadSidecar, status: CRIT, note: "bad sha256 sidecar: " + err.Error()}
	case !strings.EqualFold(want, o.FileHash):
		return backupVerifyOutcome{word: BackupVerifyMismatch, status: CRIT, note: "sha256 mismatch"}
	}
	return backupVerifyOutcome{word: BackupVerifyOK}
}

func readQemuImgVerify(out string, exit int, hint string) backupVerifyOutcome {
	c, err := remote.ParseQemuImgOutput(out, exit)
	if err != nil {
		return backupVerifyFail("qemu-img check", err)
	}
	switch c.Verdict {
	case remote.QemuToolMissing:
		return backupToolMissing(remote.VerifyQemuImg)
	case remote.QemuCorrupt:
		return backupVerifyOutcome{word: BackupVerifyCorrupt, status: CRIT, note: "qemu-img check: image corrupt" + backupCount(c.Errors, "error")}
	case remote.QemuLeaks:
		return backupVerifyOutcome{word: backupVerifyLeaks, status: WARN, note: "qemu-img check: leaked clusters" + backupCount(c.Leaks, "cluster")}
	case remote.QemuIncomplete:
		err := fmt.Errorf("check not completed%s", backupCount(c.InternalErrs, "internal error"))
		return backupVerifyFail("qemu-img check", backupWithHint(err, hint))
	case remote.QemuUnsupported:
		return backupVerifyFail("qemu-img check", errors.New("the image format does not support checks"))
	case remote.QemuExternalData:
		// qemu-img would open the file the header names: not run.
		return backupVerifyFail("qemu-img check", errors.New("not run: the image names an external data file"))
	}
	return backupVerifyOutcome{word: BackupVerifyOK}
}

// backupCount renders " (3 errors)", or "" when qemu-img printed no count.
func backupCount(n int64, noun string) string {
	switch {
	case n < 0:
		return ""
	case n == 1:
		return " (1 " + noun + ")"
	}
	return fmt.Sprintf(" (%d %ss)", n, noun)
}

// backupWithHint appends the remote stderr line about the file, if any.
func backupWithHint(err error, hint string) error {
	if hint == "" {
		return err
	}
	return fmt.Errorf("%w (%s)", err, hint)
}

// backupStderrAbout returns the first stderr line naming file, cleaned and
// shortened: in a batch, stderr is shared by every command.
func backupStderrAbout(stderr, file string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, file) {
			return remote.CleanLine(l)
		}
	}
	return ""
}

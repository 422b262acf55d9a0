package simfleet

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Answers to the backup commands: the listing loop, sha256sum with its
// sidecar, and qemu-img check, all over the host's simulated backup files.

// backupListParts are the text before and after the glob in BackupListCommand.
var backupListPrefix, backupListSuffix = func() (string, string) {
	const probe = "/probe"
	cmd, err := remote.BackupListCommand(probe)
	if err != nil {
		return "", ""
	}
	prefix, suffix, _ := strings.Cut(cmd, probe)
	return prefix, suffix
}()

// matchBackupList answers the stat loop: "MTIME SIZE PATH" per matching file.
// Like sh, a glob matching nothing prints nothing; the loop ends in "true".
func matchBackupList(h *Host, cmd string) (result, bool) {
	rest, ok := strings.CutPrefix(cmd, backupListPrefix)
	if !ok {
		return result{}, false
	}
	glob, ok := strings.CutSuffix(rest, backupListSuffix)
	if !ok {
		return result{}, false
	}
	if again, err := remote.BackupListCommand(glob); err != nil || again != cmd {
		return result{}, false
	}
	h.mu.Lock()
	files := h.w.visibleBackups()
	h.mu.Unlock()
	var out strings.Builder
	for _, f := range files {
		if m, err := path.Match(glob, f.path); err == nil && m {
			fmt.Fprintf(&out, "%d %d %s\n", f.mtime.Unix(), f.size, f.path)
		}
	}
	return result{stdout: out.String()}, true
}

// verifyLimitRE finds the time limit a verify command was built with.
var verifyLimitRE = regexp.MustCompile(`timeout -k \d+ (\d+) `)

// verifyBuilder is build with the limit cmd carries, so that the command
// can be rebuilt byte for byte.
func verifyBuilder(cmd string, build func(string, time.Duration) (string, error)) func(string) (string, error) {
	secs := 1
	if m := verifyLimitRE.FindStringSubmatch(cmd); m != nil {
		secs, _ = strconv.Atoi(m[1])
	}
	return func(file string) (string, error) { return build(file, time.Duration(secs)*time.Second) }
}

// matchSHA256 answers sha256sum FILE plus the sidecar section. A missing
// file makes sha256sum complain on stderr; the script still exits 0.
func matchSHA256(h *Host, cmd string) (result, bool) {
	build := verifyBuilder(cmd, remote.SHA256VerifyCommand)
	file, f, found, ok := h.backupArg(cmd, builderPrefix(build), build)
	if !ok {
		return result{}, false
	}
	if !found {
		return result{
			stdout: "--no-sidecar--\n",
			stderr: "sha256sum: " + file + ": No such file or directory\n",
		}, true
	}
	sum := f.hash()
	sidecar := remote.HexDump([]byte(sum + "  " + path.Base(file) + "\n"))
	return result{stdout: sum + "  " + file + "\n--sidecar--\n" + sidecar}, true
}

// matchQemuImg answers qemu-img check like qemu-img 7.2 on a clean image.
func matchQemuImg(h *Host, cmd string) (result, bool) {
	build := verifyBuilder(cmd, remote.QemuImgCheckCommand)
	file, f, found, ok := h.backupArg(cmd, builderPrefix(build), build)
	if !ok {
		return result{}, false
	}
	if !found {
		return result{
			stderr: fmt.Sprintf("qemu-img: Could not open '%s': Could not open '%s': No such file or directory\n", file, file),
			code:   1,
		}, true
	}
	const cluster = 65536
	clusters := f.size / cluster
	allocated := clusters * 9 / 10
	return result{stdout: fmt.Sprintf("No errors were found on the image.\n"+
		"%d/%d = %.2f%% allocated, %.2f%% fragmented, 0.00%% compressed clusters\n"+
		"Image end offset: %d\n",
		allocated, clusters, 100*float64(allocated)/float64(clusters), 1.5, allocated*cluster+327680)}, true
}

// backupArg takes the file argument of a verify command built by builder
// and looks that file up: ok is false when cmd is not such a command,
// found when the host has the file.
func (h *Host) backupArg(cmd, prefix string, builder func(string) (string, error)) (file string, f backupFile, found, ok bool) {
	file, ok = quotedArg(cmd, prefix, builder)
	if !ok {
		return "", backupFile{}, false, false
	}
	h.mu.Lock()
	f, found = h.w.backup(file)
	h.mu.Unlock()
	return file, f, found, true
}

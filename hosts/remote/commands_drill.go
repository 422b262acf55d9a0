package remote

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Restore drill levels (see DrillCommand).
const (
	DrillL0 = 0 // integrity of the backup where it lies
	DrillL1 = 1 // restore into a scratch copy and verify the copy
	DrillL2 = 2 // boot the restored copy (orchestrated over libvirt)
)

// DrillSpec is what one drill command needs. Every field is validated by
// DrillCommand before it reaches the remote shell.
type DrillSpec struct {
	// ID names the drill's scratch folder, RestoreDir/hvconsole-drill-ID.
	ID string
	// File is the backup to drill: the newest file of a spec, from the
	// host's own listing, hence hostile text (validated and quoted).
	File string
	// Level is DrillL0, DrillL1 or DrillL2: L2 restores as L1 does but
	// keeps the verified copy for the boot (see DrillCommand).
	Level int
	// QCOW2 runs qemu-img on the image (the spec verifies with qemu-img or
	// the file is named *.qcow2).
	QCOW2 bool
	// RestoreDir is the folder the scratch folder is made in (L1).
	RestoreDir string
	// RateMiB bounds the copy to that many MiB per second (0: unbounded).
	RateMiB int
	// ToolTimeout bounds each qemu-img and sha256sum run.
	ToolTimeout time.Duration
}

var drillIDRE = regexp.MustCompile(`^[0-9a-z][0-9a-z-]{0,47}$`)

// ValidDrillID reports whether s may name a drill's scratch folder.
func ValidDrillID(s string) bool { return drillIDRE.MatchString(s) }

// drillPathOK accepts a path that may go into the shell (quoted) and into
// qemu-img's JSON filename (escaped by encoding/json, hence UTF-8 only).
func drillPathOK(p string) bool { return ValidPath(p) && utf8.ValidString(p) }

// DrillScratch is the scratch folder of drill id under dir.
func DrillScratch(dir, id string) string {
	return strings.TrimSuffix(dir, "/") + "/hvconsole-drill-" + id
}

// DrillCommand builds the shell script of an L0 or L1 drill. It prints
// "@@" lines only (see ParseDrillOutput in probes):
//
//	@@size N / @@free N             the backup's size, restore_dir's free bytes (L1)
//	@@phase copy|verify             a phase starts
//	@@bytes N                       bytes copied so far (L1, after each chunk)
//	@@t PHASE NS                    a phase's start, in nanoseconds since the epoch
//	@@sha256 HEX / @@sidecar HEX    the copy's (L1) or backup's (L0) digest and
//	                                the sidecar's first word (hex only), or @@no-sidecar
//	@@check RC / @@compare RC       qemu-img check / compare exit status (qcow2)
//	@@backing NAME                  a backing file named in the image header
//	@@fail WHAT [DETAIL]            the drill stopped: nosrc, space, mkdir, copy, tool
//	@@done                          the script reached its end
//
// The scratch folder is removed on every exit, and on HUP, INT, TERM and
// PIPE: progress lines are written after every chunk, so when the SSH
// session closes (cancel, or a dead link) the next write fails and the
// copy stops and is removed within one chunk. L2 keeps it only when the
// script reached its end (the caller boots it, then removes it with
// DrillCleanupCommand); its files are made 0600 (umask 077) in a folder
// made 0711, so QEMU's own user can reach the files libvirt hands it and
// nobody can list the folder.
func DrillCommand(s DrillSpec) (string, error) {
	switch {
	case !ValidDrillID(s.ID):
		return "", fmt.Errorf("%w: drill id %q", ErrBadArgument, s.ID)
	case !drillPathOK(s.File):
		return "", fmt.Errorf("%w: backup file %q", ErrBadArgument, s.File)
	case s.Level != DrillL0 && s.Level != DrillL1 && s.Level != DrillL2:
		return "", fmt.Errorf("%w: drill level %d", ErrBadArgument, s.Level)
	case s.Level >= DrillL1 && (!drillPathOK(s.RestoreDir) || s.RestoreDir == "/"):
		return "", fmt.Errorf("%w: restore_dir %q", ErrBadArgument, s.RestoreDir)
	case s.RateMiB < 0 || s.ToolTimeout < time.Second || s.ToolTimeout > 24*time.Hour:
		return "", fmt.Errorf("%w: drill rate %d MiB/s, tool timeout %v", ErrBadArgument, s.RateMiB, s.ToolTimeout)
	}
	secs := strconv.Itoa(int(s.ToolTimeout / time.Second))
	src := ShellQuote(s.File)
	var b strings.Builder
	b.WriteString("LC_ALL=C; export LC_ALL\n")
	b.WriteString(`src=` + src + "\n")
	target := `"$src"`
	if s.Level >= DrillL1 {
		d := DrillScratch(s.RestoreDir, s.ID)
		b.WriteString(`d=` + ShellQuote(d) + "\n")
		b.WriteString(`cleanup() { rm -rf -- "$d"; }` + "\n")
		b.WriteString(`trap 'cleanup; exit 130' HUP INT TERM PIPE` + "\n")
		if s.Level == DrillL2 {
			b.WriteString("umask 077; keep=0\n")
			b.WriteString(`trap '[ "$keep" = 1 ] || cleanup' EXIT` + "\n")
		} else {
			b.WriteString(`trap cleanup EXIT` + "\n")
		}
		b.WriteString(drillCopy(s))
		target = `"$d/image"`
	}
	b.WriteString(`echo "@@phase verify"; echo "@@t verify $(date +%s%N)"` + "\n")
	b.WriteString(`if [ -f "$src.sha256" ]; then ` +
		`echo "@@sidecar $(head -c 4096 -- "$src.sha256" | head -n 1 | awk '{print $1}' | tr -cd '0-9a-fA-F' | cut -c1-128)"; ` +
		`echo "@@sha256 $(timeout -k ` + killGrace + ` ` + secs + ` sha256sum -- ` + target + ` | awk '{print $1}' | cut -c1-128)"; ` +
		`else echo "@@no-sidecar"; fi` + "\n")
	if s.QCOW2 {
		image := ShellQuote(qemuImgTarget(s.File))
		if s.Level >= DrillL1 {
			image = ShellQuote(qemuImgTarget(DrillImage(s.RestoreDir, s.ID)))
		}
		b.WriteString(`command -v qemu-img >/dev/null || { echo "@@fail tool qemu-img"; exit 7; }` + "\n")
		// An external data file is the one file a qcow2 header can still
		// name with the backing chain cut: such an image is not opened.
		b.WriteString(`if ` + qcow2ExternalData(`"$src"`) + `; then echo "@@fail external-data"; exit 8; fi` + "\n")
		b.WriteString(boundedQemuImg(secs, "check -f qcow2 "+image) + ` >/dev/null 2>&1; echo "@@check $?"` + "\n")
		if s.Level >= DrillL1 {
			b.WriteString(boundedQemuImg(secs, "compare -f qcow2 -F qcow2 "+image+" "+ShellQuote(qemuImgTarget(s.File))) +
				` >/dev/null 2>&1; echo "@@compare $?"` + "\n")
		}
		b.WriteString(boundedQemuImg(secs, "info -f qcow2 --output=json "+image) +
			` 2>/dev/null | grep -o '"backing-filename": *"[^"]*"' | head -n 1 | cut -c1-600 | sed 's/^"backing-filename": *"/@@backing /; s/"$//'` + "\n")
	}
	if s.Level == DrillL2 {
		b.WriteString("keep=1\n")
	}
	b.WriteString(`echo "@@t end $(date +%s%N)"; echo "@@done"` + "\n")
	return b.String(), nil
}

// drillCopy is the L1 copy: a free-space precheck (the image plus a tenth
// plus 64 MiB must fit), then dd in chunks with a progress line after each
// (and a one-second pause per chunk when rate-limited, chunk = the rate).
func drillCopy(s DrillSpec) string {
	chunk, pause := 64, ""
	if s.RateMiB > 0 {
		chunk, pause = s.RateMiB, "sleep 1; "
	}
	c := strconv.Itoa(chunk)
	return `need=$(stat -c %s -- "$src" 2>/dev/null) || { echo "@@fail nosrc"; exit 3; }` + "\n" +
		`free=$(df -P -B1 -- "$(dirname -- "$d")" 2>/dev/null | awk 'NR==2{print $4}')` + "\n" +
		`echo "@@size $need"; echo "@@free ${free:-0}"` + "\n" +
		`[ "${free:-0}" -gt $((need + need / 10 + 67108864)) ] || { echo "@@fail space"; exit 4; }` + "\n" +
		`mkdir -m 700 -- "$d" || { echo "@@fail mkdir"; exit 5; }` + "\n" + drillReach(s) +
		`echo "@@phase copy"; echo "@@t copy $(date +%s%N)"; echo "@@bytes 0"` + "\n" +
		`i=0; n=$(( (need + 1048575) / 1048576 ))` + "\n" +
		`while [ "$i" -lt "$n" ]; do ` +
		`dd if="$src" of="$d/image" bs=1M skip="$i" seek="$i" count=` + c + ` conv=notrunc 2>/dev/null || { echo "@@fail copy"; exit 6; }; ` +
		`i=$((i + ` + c + `)); echo "@@bytes $(stat -c %s -- "$d/image")" || exit 130; ` + pause + `done` + "\n" +
		`[ "$(stat -c %s -- "$d/image" 2>/dev/null)" = "$need" ] || { echo "@@fail copy size"; exit 6; }` + "\n"
}

// drillReach lets QEMU's user into an L2 scratch folder (execute only:
// the folder cannot be listed; the files stay 0600 until libvirt hands
// them to QEMU).
func drillReach(s DrillSpec) string {
	if s.Level != DrillL2 {
		return ""
	}
	return `chmod 711 -- "$d" || { echo "@@fail mkdir"; exit 5; }` + "\n"
}

// DrillCleanupCommand removes drill id's scratch folder under dir: run
// after a cancelled or failed drill, beside the script's own traps.
func DrillCleanupCommand(dir, id string) (string, error) {
	if !ValidDrillID(id) || !drillPathOK(dir) || dir == "/" {
		return "", fmt.Errorf("%w: drill scratch %q %q", ErrBadArgument, dir, id)
	}
	return "rm -rf -- " + ShellQuote(DrillScratch(dir, id)), nil
}

// DrillProgressCommand prints the bytes copied so far into drill id's
// scratch copy ("0" when there is none yet).
func DrillProgressCommand(dir, id string) (string, error) {
	if !ValidDrillID(id) || !drillPathOK(dir) || dir == "/" {
		return "", fmt.Errorf("%w: drill scratch %q %q", ErrBadArgument, dir, id)
	}
	return "stat -c %s -- " + ShellQuote(DrillImage(dir, id)) + " 2>/dev/null || echo 0", nil
}

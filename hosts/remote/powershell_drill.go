package remote

import (
	"fmt"
	"strconv"
	"strings"
)

// hyperVDrillBody is the drill script after its values ($src, $dir, $d, $l1).
const hyperVDrillBody = `
$o=[ordered]@{Size=$null;Free=$null;Hash=$null;Sidecar=$null;NoSidecar=$false;TestVHD=$null;TestError=$null;CopyMs=$null;VerifyMs=$null;Fail=$null;Error=$null}
try{$f=Get-Item -LiteralPath $src -ErrorAction Stop;$o.Size=$f.Length
$c=$src+'.sha256';if(Test-Path -LiteralPath $c -PathType Leaf){$t=[IO.File]::ReadAllText($c);if($t.Length -gt 4096){$t=$t.Substring(0,4096)};$o.Sidecar=$t}else{$o.NoSidecar=$true}
$v=$src;$sw=[Diagnostics.Stopwatch]::StartNew()
if($l1){$o.Free=(New-Object IO.DriveInfo ([IO.Path]::GetPathRoot($dir))).AvailableFreeSpace
if($o.Free -lt ($f.Length+[long]($f.Length/10)+64MB)){$o.Fail='space'}else{New-Item -ItemType Directory -Path $d -ErrorAction Stop|Out-Null;$v=Join-Path $d ('image'+$f.Extension);Copy-Item -LiteralPath $src -Destination $v -ErrorAction Stop;$o.CopyMs=$sw.ElapsedMilliseconds}}
if(-not $o.Fail){$o.Hash=(Get-FileHash -LiteralPath $v -Algorithm SHA256 -ErrorAction Stop).Hash
try{$o.TestVHD=[bool](Test-VHD -Path $v -ErrorAction Stop)}catch{$o.TestVHD=$false;$o.TestError="$_"}
$o.VerifyMs=$sw.ElapsedMilliseconds}
}catch{$o.Error="$_"}finally{if($l1 -and (Test-Path -LiteralPath $d)){Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue}}`

// HyperVDrillScript is a restore drill on a Windows host: L0 hashes the
// backup (Get-FileHash) and runs Test-VHD on it where it lies; L1 checks
// the free space of restore_dir's drive, copies the file with Copy-Item
// into restore_dir\hvconsole-drill-ID, hashes and Test-VHDs the copy, and
// removes the folder in a finally block. It prints {Size, Free, Hash,
// Sidecar (first 4096 characters of FILE.sha256), NoSidecar, TestVHD,
// TestError, CopyMs, VerifyMs (since the start), Fail ("space"), Error}.
// File and restore_dir are validated Windows paths, PowerShell-quoted.
func HyperVDrillScript(s DrillSpec) (string, error) {
	switch {
	case !ValidDrillID(s.ID):
		return "", fmt.Errorf("%w: drill id %q", ErrBadArgument, s.ID)
	case windowsPathProblem(s.File, false) != "":
		return "", fmt.Errorf("%w: backup file %q: %s", ErrBadArgument, s.File, windowsPathProblem(s.File, false))
	case s.Level != DrillL0 && s.Level != DrillL1:
		return "", fmt.Errorf("%w: drill level %d", ErrBadArgument, s.Level)
	case s.Level == DrillL1 && windowsPathProblem(s.RestoreDir, false) != "":
		return "", fmt.Errorf("%w: restore_dir %q", ErrBadArgument, s.RestoreDir)
	}
	dir := s.RestoreDir
	if s.Level == DrillL0 {
		dir = `C:\`
	}
	return psPreamble + "$src=" + PSQuote(s.File) + ";$dir=" + PSQuote(dir) + ";$d=Join-Path $dir " +
		PSQuote("hvconsole-drill-"+s.ID) + ";$l1=$" + strconv.FormatBool(s.Level == DrillL1) +
		hyperVDrillBody + psEmit, nil
}

// HyperVDrillCleanupScript removes drill id's scratch folder under dir.
func HyperVDrillCleanupScript(dir, id string) (string, error) {
	if !ValidDrillID(id) || windowsPathProblem(dir, false) != "" {
		return "", fmt.Errorf("%w: drill scratch %q %q", ErrBadArgument, dir, id)
	}
	return psPreamble + "$d=Join-Path " + PSQuote(dir) + " " + PSQuote("hvconsole-drill-"+id) +
		"\nif(Test-Path -LiteralPath $d){Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction Stop}\n", nil
}

// rebuildDrill recognises a drill script and returns its spec.
func rebuildDrill(script string) (DrillSpec, bool) {
	_, rest, ok := strings.Cut(script, "$src=")
	if !ok {
		return DrillSpec{}, false
	}
	file, rest, ok := psUnquote(rest)
	if !ok {
		return DrillSpec{}, false
	}
	_, rest, ok = strings.Cut(rest, "$dir=")
	if !ok {
		return DrillSpec{}, false
	}
	dir, rest, ok := psUnquote(rest)
	if !ok {
		return DrillSpec{}, false
	}
	_, rest, ok = strings.Cut(rest, "'hvconsole-drill-")
	if !ok {
		return DrillSpec{}, false
	}
	id, _, ok := strings.Cut(rest, "'")
	if !ok {
		return DrillSpec{}, false
	}
	for _, level := range []int{DrillL0, DrillL1} {
		s := DrillSpec{ID: id, File: file, Level: level, RestoreDir: dir}
		if again, err := HyperVDrillScript(s); err == nil && again == script {
			return s, true
		}
	}
	return DrillSpec{}, false
}

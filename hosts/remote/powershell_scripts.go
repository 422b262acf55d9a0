package remote

import (
	"fmt"
	"strings"
)

// HyperVHypervisorScript reports whether the hypervisor runs and why not.
// It prints one object:
//
//	HypervisorPresent  bool, (Get-CimInstance Win32_ComputerSystem).HypervisorPresent
//	CimError           string when that query failed
//	OS, OSVersion      Win32_OperatingSystem Caption and Version
//	LaunchType         the raw hypervisorlaunchtype value of `bcdedit /enum {current}`
//	                   ("Auto", "Off"), null when the entry has none
//	BcdError           bcdedit's error text (it needs an elevated account)
//	Services           @() of {Name, Status, StartType} for vmms and vmcompute;
//	                   Status "NotFound" when the service does not exist
//	Requirements       only when no hypervisor is present: Get-ComputerInfo's
//	                   HyperVRequirement* fields (filled only then), as
//	                   {VMMonitorModeExtensions, VirtualizationFirmwareEnabled,
//	                   SecondLevelAddressTranslation, DataExecutionPreventionAvailable}
//	RequirementsError  string when Get-ComputerInfo failed
//
// {current} is quoted: unquoted, PowerShell would read it as a script block.
const HyperVHypervisorScript = psPreamble + `$o=[ordered]@{}
try{$o.HypervisorPresent=[bool](Get-CimInstance Win32_ComputerSystem -ErrorAction Stop).HypervisorPresent}catch{$o.HypervisorPresent=$null;$o.CimError="$_"}
try{$s=Get-CimInstance Win32_OperatingSystem -ErrorAction Stop;$o.OS=[string]$s.Caption;$o.OSVersion=[string]$s.Version}catch{}
$o.LaunchType=$null
try{$b=@(bcdedit /enum '{current}' 2>&1|ForEach-Object{"$_"});if($LASTEXITCODE -eq 0){foreach($l in $b){if($l -match '^hypervisorlaunchtype\s+(\S+)'){$o.LaunchType=$Matches[1]}}}else{$o.BcdError=($b -join ' ').Trim()}}catch{$o.BcdError="$_"}
$o.Services=@(foreach($n in 'vmms','vmcompute'){$v=Get-Service -Name $n -ErrorAction SilentlyContinue;if($v){[ordered]@{Name=$n;Status=$v.Status.ToString();StartType=$v.StartType.ToString()}}else{[ordered]@{Name=$n;Status='NotFound';StartType=''}}})
if($o.HypervisorPresent -ne $true){try{$c=Get-ComputerInfo -Property HyperV*;$o.Requirements=[ordered]@{VMMonitorModeExtensions=$c.HyperVRequirementVMMonitorModeExtensions;VirtualizationFirmwareEnabled=$c.HyperVRequirementVirtualizationFirmwareEnabled;SecondLevelAddressTranslation=$c.HyperVRequirementSecondLevelAddressTranslation;DataExecutionPreventionAvailable=$c.HyperVRequirementDataExecutionPreventionAvailable}}catch{$o.RequirementsError="$_"}}` + psEmit

// HyperVVMsScript lists the VMs. It prints {VMs, Error}: VMs is @() of
// {Name, Id, State, Status, Uptime, AutomaticStartAction} with State and
// AutomaticStartAction as enum names and Uptime in whole seconds; Error is
// Get-VM's error text (vmms stopped, no Hyper-V module, access denied).
const HyperVVMsScript = psPreamble + `$o=[ordered]@{VMs=@();Error=$null}
try{$o.VMs=@(Get-VM -ErrorAction Stop|ForEach-Object{[ordered]@{Name=$_.Name;Id=$_.Id.ToString();State=$_.State.ToString();Status=[string]$_.Status;Uptime=[long]$_.Uptime.TotalSeconds;AutomaticStartAction=$_.AutomaticStartAction.ToString()}})}catch{$o.Error="$_"}` + psEmit

// hyperVResourcesBody is the resources script after its path list. Load is
// Windows' CPU LoadPercentage plus the processor queue length, from which
// the probes derive a load-average-like figure per CPU.
const hyperVResourcesBody = `
if($p.Count -eq 0){try{$h=Get-VMHost -ErrorAction Stop;$p=@(@($h.VirtualHardDiskPath,$h.VirtualMachinePath)|Select-Object -Unique)}catch{}}
$o=[ordered]@{Disks=@();Error=$null}
try{$s=Get-CimInstance Win32_OperatingSystem -ErrorAction Stop;$c=@(Get-CimInstance Win32_Processor -ErrorAction Stop)
$o.MemTotalKB=[long]$s.TotalVisibleMemorySize;$o.MemFreeKB=[long]$s.FreePhysicalMemory
$o.CPUs=[int]($c|Measure-Object NumberOfLogicalProcessors -Sum).Sum;$o.CPULoad=[double]($c|Measure-Object LoadPercentage -Average).Average;$o.Model=[string]$c[0].Name
$o.QueueLength=[long](Get-CimInstance Win32_PerfFormattedData_PerfOS_System -ErrorAction Stop).ProcessorQueueLength}catch{$o.Error="$_"}
$o.Disks=@(foreach($x in $p){$d=[ordered]@{Path=$x;Exists=(Test-Path -LiteralPath $x);Total=$null;Free=$null;Error=$null};try{$v=New-Object IO.DriveInfo ([IO.Path]::GetPathRoot($x));$d.Total=$v.TotalSize;$d.Free=$v.AvailableFreeSpace}catch{$d.Error="$_"};$d})`

// HyperVResourcesScript reads memory, CPU load and the disk use of the VM
// storage paths. It prints {MemTotalKB, MemFreeKB, CPUs, CPULoad (percent),
// QueueLength, Model, Disks, Error}; Disks is @() of {Path, Exists, Total,
// Free, Error} in bytes. With no paths it reads the host's default virtual
// disk and VM paths from Get-VMHost. Paths must be valid Windows paths.
func HyperVResourcesScript(paths []string) (string, error) {
	if len(paths) > MaxResourcePaths {
		return "", fmt.Errorf("%w: %d storage paths (at most %d)", ErrBadArgument, len(paths), MaxResourcePaths)
	}
	q := make([]string, len(paths))
	for i, p := range paths {
		if why := windowsPathProblem(p, false); why != "" {
			return "", fmt.Errorf("%w: storage path %q: %s", ErrBadArgument, p, why)
		}
		q[i] = PSQuote(p)
	}
	return psPreamble + "$p=@(" + strings.Join(q, ",") + ")" + hyperVResourcesBody + psEmit, nil
}

// MaxBackupListing is how many of the newest files the backups script lists.
const MaxBackupListing = 50

// BackupQuery is what a backups script asks of one backup spec: where the
// files are, how the newest is verified, and whether Windows Server
// Backup's summary is read too.
type BackupQuery struct {
	Path   string // a glob on the host
	Verify string // VerifyNone, VerifySHA256 or VerifyQemuImg
	WSB    bool
}

// HyperVBackupsScript checks one backup spec on a Windows host. It prints
// {Files, Count, Note, Hash, Sidecar, NoSidecar, WSB, WSBError, Error}:
//
//	Files      @() of {Path, Size, MTime (UTC, ISO 8601)}, newest first, at
//	           most MaxBackupListing; *.sha256 sidecars are never listed
//	Count      how many files matched
//	Note       Get-ChildItem's first error (e.g. the folder does not exist)
//	Hash       Get-FileHash SHA256 of the newest file (verify = "sha256")
//	Sidecar    the first 4096 characters of NEWEST.sha256; NoSidecar when absent
//	WSB        Get-WBSummary (wsb = true): {LastSuccessfulBackupTime,
//	           LastBackupTime, LastBackupResultHR, NumberOfVersions, DetailedMessage}
//	Error      the text of anything else that failed
func HyperVBackupsScript(b BackupQuery) (string, error) {
	if why := windowsPathProblem(b.Path, true); why != "" {
		return "", fmt.Errorf("%w: backup path %q: %s", ErrBadArgument, b.Path, why)
	}
	var s strings.Builder
	s.WriteString(psPreamble)
	s.WriteString(`$o=[ordered]@{Files=@();Count=0;Note=$null;Hash=$null;Sidecar=$null;NoSidecar=$false;WSB=$null;WSBError=$null;Error=$null}
try{$f=@(Get-ChildItem -Path ` + PSQuote(b.Path) + ` -File -Force -ErrorAction SilentlyContinue -ErrorVariable e|Where-Object{$_.Name -notlike '*.sha256'}|Sort-Object LastWriteTimeUtc -Descending)
if($e){$o.Note=[string]$e[0]}
$o.Count=$f.Count
$o.Files=@($f|Select-Object -First ` + fmt.Sprint(MaxBackupListing) + `|ForEach-Object{[ordered]@{Path=$_.FullName;Size=$_.Length;MTime=$_.LastWriteTimeUtc.ToString('o')}})
`)
	switch b.Verify {
	case VerifyNone, "":
	case VerifySHA256:
		s.WriteString(`if($f.Count -gt 0){$n=$f[0].FullName;$o.Hash=(Get-FileHash -LiteralPath $n -Algorithm SHA256 -ErrorAction Stop).Hash;$c=$n+'.sha256'
if(Test-Path -LiteralPath $c -PathType Leaf){$t=[IO.File]::ReadAllText($c);if($t.Length -gt 4096){$t=$t.Substring(0,4096)};$o.Sidecar=$t}else{$o.NoSidecar=$true}}
`)
	default:
		return "", fmt.Errorf("%w: verify method %q on a Windows host", ErrBadArgument, b.Verify)
	}
	s.WriteString("}catch{$o.Error=\"$_\"}")
	if b.WSB {
		s.WriteString(`
try{$w=Get-WBSummary -ErrorAction Stop;$o.WSB=[ordered]@{LastSuccessfulBackupTime=$w.LastSuccessfulBackupTime.ToUniversalTime().ToString('o');LastBackupTime=$w.LastBackupTime.ToUniversalTime().ToString('o');LastBackupResultHR=[long]$w.LastBackupResultHR;NumberOfVersions=[long]$w.NumberOfVersions;DetailedMessage=[string]$w.DetailedMessage}}catch{$o.WSBError="$_"}`)
	}
	s.WriteString(psEmit)
	return s.String(), nil
}

// HyperVRestartScript restarts an allow-listed Windows service. On failure
// the script throws, so powershell.exe exits 1 with the error on stderr.
func HyperVRestartScript(service string) (string, error) {
	if err := checkUnits([]string{service}); err != nil {
		return "", err
	}
	return psPreamble + "Restart-Service -Name " + PSQuote(service) + " -ErrorAction Stop\n", nil
}

// HyperVRestartCommand is HyperVRestartScript as a powershell.exe command.
func HyperVRestartCommand(service string) (string, error) {
	s, err := HyperVRestartScript(service)
	if err != nil {
		return "", err
	}
	return EncodedCommand(s), nil
}

// HyperVJournalLog is the event log the journal view reads on Hyper-V hosts.
const HyperVJournalLog = "Microsoft-Windows-Hyper-V-VMMS-Admin"

// HyperVJournalEvents is how many events the journal view reads.
const HyperVJournalEvents = 200

// HyperVJournalScript prints the last HyperVJournalEvents events of the
// VMMS admin log as text lines, oldest first: "TIME LEVEL ID MESSAGE" with
// TIME in ISO 8601 and the message folded onto one line. An empty log (or
// one that cannot be read) prints a single "-- no events: REASON" line.
const HyperVJournalScript = psPreamble + `try{Get-WinEvent -LogName '` + HyperVJournalLog + `' -MaxEvents ` + "200" + ` -ErrorAction Stop|Sort-Object TimeCreated|ForEach-Object{'{0} {1} {2} {3}' -f $_.TimeCreated.ToString('o'),$_.LevelDisplayName,$_.Id,(($_.Message -replace '\s+',' ').Trim())}}catch{'-- no events: '+"$_"}
`

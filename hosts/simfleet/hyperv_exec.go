package simfleet

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// runHyperV answers one exec request on a Hyper-V host. Like the libvirt
// matchers, a script is recognised only if a builder rebuilds it byte for
// byte from the values read out of it.
func (h *Host) runHyperV(cmd string) result {
	script, ok := remote.DecodeEncodedCommand(cmd)
	if !ok {
		return cmdNotRecognized(cmd)
	}
	id, ok := remote.IdentifyHyperVScript(script)
	switch {
	case !ok:
	case id.Kind == remote.ScriptHypervisor:
		return h.hvJSON(h.hvHypervisorDoc)
	case id.Kind == remote.ScriptVMs:
		return h.hvJSON(h.hvVMsDoc)
	case id.Kind == remote.ScriptJournal:
		return h.hvJournal()
	case id.Kind == remote.ScriptResources:
		return h.hvJSON(h.hvResourcesDoc)
	case id.Kind == remote.ScriptBackups:
		return h.hvJSON(func(t time.Time) any { return h.hvBackupsDoc(id.Backup, t) })
	case id.Kind == remote.ScriptRestart:
		return h.hvRestart(id.Service)
	case id.Kind == remote.ScriptVM:
		return h.hvVMOp(id.VMOp, id.VM)
	}
	return result{stderr: "simfleet: refusing a PowerShell script that hvconsole does not send\r\n", code: 1}
}

// cmdNotRecognized is cmd.exe's answer to an unknown command (the default
// shell of Windows' OpenSSH server).
func cmdNotRecognized(cmd string) result {
	word := notFound(cmd).stderr // the cleaned first word, in sh's words
	word = strings.TrimSuffix(strings.TrimPrefix(word, "sh: 1: "), ": not found\n")
	return result{stderr: "'" + word + "' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", code: 1}
}

// hvJSON renders doc(now) as one compressed JSON document under h.mu.
func (h *Host) hvJSON(doc func(time.Time) any) result {
	h.mu.Lock()
	v := doc(time.Now())
	h.mu.Unlock()
	b, err := json.Marshal(v)
	if err != nil {
		return result{stderr: err.Error(), code: 1}
	}
	return result{stdout: string(b) + "\r\n"}
}

type hvServiceDoc struct{ Name, Status, StartType string }

type hvHypervisorDoc struct {
	HypervisorPresent bool
	OS, OSVersion     string
	LaunchType        *string
	Services          []hvServiceDoc
	Requirements      *hvRequirementsDoc `json:",omitempty"`
}

type hvRequirementsDoc struct {
	VMMonitorModeExtensions, VirtualizationFirmwareEnabled          bool
	SecondLevelAddressTranslation, DataExecutionPreventionAvailable bool
}

func (h *Host) hvHypervisorDoc(time.Time) any {
	w := h.hv
	lt := w.launchType
	d := hvHypervisorDoc{HypervisorPresent: w.present, OS: w.os, OSVersion: w.osVer, LaunchType: &lt,
		Services: []hvServiceDoc{{"vmms", w.vmms, "Automatic"}, {"vmcompute", svcRunning, "Manual"}}}
	if !w.present {
		d.Requirements = &hvRequirementsDoc{true, true, true, true}
	}
	return d
}

type hvVMDoc struct {
	Name, Id, State, Status string
	Uptime                  int64
	AutomaticStartAction    string
}

type hvVMsDoc struct {
	VMs   []hvVMDoc
	Error *string
}

func (h *Host) hvVMsDoc(now time.Time) any {
	d := hvVMsDoc{VMs: []hvVMDoc{}}
	if h.hv.vmms != svcRunning {
		e := fmt.Sprintf("Hyper-V encountered an error trying to access an object on computer '%s' because the object was not found. "+
			"The object might have been deleted, or you might not have permission to perform the task. "+
			"Verify that the Virtual Machine Management service on the computer is running.", strings.ToUpper(h.name))
		d.Error = &e
		return d
	}
	for i, v := range h.hv.vms {
		vm := hvVMDoc{Name: v.name, Id: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), State: v.state,
			Status: "Operating normally", AutomaticStartAction: v.startAction}
		if strings.HasSuffix(v.state, "Critical") {
			vm.Status = "Cannot connect to virtual machine configuration storage"
		}
		if strings.HasPrefix(v.state, "Running") {
			vm.Uptime = int64(now.Sub(v.booted).Seconds())
		}
		d.VMs = append(d.VMs, vm)
	}
	return d
}

type hvDiskDoc struct {
	Path        string
	Exists      bool
	Total, Free uint64
	Error       *string
}

type hvResourcesDoc struct {
	Disks                 []hvDiskDoc
	Error                 *string
	MemTotalKB, MemFreeKB uint64
	CPUs                  int
	CPULoad               float64
	Model                 string
	QueueLength           int
}

func (h *Host) hvResourcesDoc(time.Time) any {
	w := h.hv
	return hvResourcesDoc{
		Disks: []hvDiskDoc{
			{Path: `C:\ProgramData\Microsoft\Windows\Virtual Hard Disks`, Exists: true, Total: 480 << 30, Free: 300 << 30},
			{Path: `C:\ProgramData\Microsoft\Windows\Hyper-V`, Exists: true, Total: 480 << 30, Free: 300 << 30},
		},
		MemTotalKB: w.memTotalKB, MemFreeKB: w.memFreeKB, CPUs: w.cpus, CPULoad: 9,
		Model: "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", QueueLength: 1,
	}
}

type hvFileDoc struct {
	Path  string
	Size  int64
	MTime string
}

type hvBackupsDoc struct {
	Files     []hvFileDoc
	Count     int
	Note      *string
	Hash      *string
	Sidecar   *string
	NoSidecar bool
	WSB       *hvWSBDoc
	WSBError  *string
	Error     *string
}

type hvWSBDoc struct {
	LastSuccessfulBackupTime, LastBackupTime string
	LastBackupResultHR, NumberOfVersions     int64
	DetailedMessage                          string
}

func (h *Host) hvBackupsDoc(spec remote.BackupQuery, now time.Time) any {
	d := hvBackupsDoc{Files: []hvFileDoc{}}
	pattern := strings.ToLower(strings.ReplaceAll(spec.Path, `\`, "/"))
	var files []backupFile
	for _, b := range h.hvBackups() {
		if ok, _ := path.Match(pattern, strings.ToLower(strings.ReplaceAll(b.path, `\`, "/"))); ok {
			files = append(files, b)
		}
	}
	if len(files) == 0 && !strings.HasPrefix(strings.ToLower(spec.Path), strings.ToLower(hvBackupDir)+`\`) {
		note := fmt.Sprintf("Cannot find path '%s' because it does not exist.", path.Dir(strings.ReplaceAll(spec.Path, `\`, "/")))
		d.Note = &note
	}
	d.Count = len(files)
	for _, b := range files[:min(len(files), remote.MaxBackupListing)] {
		d.Files = append(d.Files, hvFileDoc{b.path, b.size, b.mtime.UTC().Format("2006-01-02T15:04:05.0000000Z")})
	}
	if spec.Verify == remote.VerifySHA256 && len(files) > 0 {
		hash := strings.ToUpper(files[0].hash())
		side := files[0].hash() + "  " + files[0].path[strings.LastIndexByte(files[0].path, '\\')+1:] + "\r\n"
		d.Hash, d.Sidecar = &hash, &side
	}
	if spec.WSB {
		last := now.Add(-5 * time.Hour).UTC().Format("2006-01-02T15:04:05.0000000Z")
		d.WSB = &hvWSBDoc{LastSuccessfulBackupTime: last, LastBackupTime: last, NumberOfVersions: 12}
	}
	return d
}

// hvJournal prints the VMMS admin log as HyperVJournalScript does.
func (h *Host) hvJournal() result {
	h.mu.Lock()
	events := append([]hvEvent(nil), h.hv.events...)
	h.mu.Unlock()
	if len(events) == 0 {
		return result{stdout: "-- no events: No events were found that match the specified selection criteria.\r\n"}
	}
	var b strings.Builder
	for _, e := range events[max(0, len(events)-remote.HyperVJournalEvents):] {
		fmt.Fprintf(&b, "%s %s %d %s\r\n", e.t.Format("2006-01-02T15:04:05.0000000-07:00"), e.level, e.id, e.msg)
	}
	return result{stdout: b.String()}
}

// hvRestart is Restart-Service: vmms comes back after the restart delay;
// vmcompute restarts as a no-op; anything else does not exist.
func (h *Host) hvRestart(svc string) result {
	switch strings.ToLower(svc) {
	case "vmms", "vmcompute":
	default:
		return result{stderr: fmt.Sprintf("Restart-Service : Cannot find any service with service name '%s'.\r\n", svc), code: 1}
	}
	if !h.fleet.sleep(h.fleet.opts.RestartDelay) {
		return result{stderr: "Restart-Service : the connection was closed.\r\n", code: 1}
	}
	if strings.EqualFold(svc, "vmms") {
		h.mu.Lock()
		h.hv.setVMMS(false, time.Now())
		h.hv.setVMMS(true, time.Now())
		h.mu.Unlock()
	}
	return result{}
}

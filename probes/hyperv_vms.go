package probes

import (
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hyperVVMStatus rates one VM: any Critical state is CRIT; Saved, Paused,
// FastSaved and Hibernated are WARN (the VM is not serving); an Off VM
// whose AutomaticStartAction is Start is WARN; a state outside the tables
// is UNKNOWN; Off and everything else is OK.
func hyperVVMStatus(v remote.HyperVVM) Status {
	switch {
	case v.Reason == remote.ReasonCritical:
		return CRIT
	case !v.Known:
		return UNKNOWN
	}
	switch v.State {
	case "saved", "paused", "fastsaved", "hibernated":
		return WARN
	case "shutoff":
		if v.Autostart {
			return WARN
		}
	}
	return OK
}

// hyperVSharedVM is v in the words every kind shares, rated.
func hyperVSharedVM(v remote.HyperVVM) VM {
	return VM{Name: v.Name, State: v.State, Reason: v.Reason, Autostart: v.Autostart, Status: hyperVVMStatus(v)}
}

// hyperVVMsResult is the vms check of a Hyper-V host: "N VMs: 3 running,
// 1 saved, 1 shutoff (critical)", plus one detail line per VM that is not
// plainly fine.
func hyperVVMsResult(host string, f remote.HyperVVMFacts, lat time.Duration, at time.Time) Result {
	if f.Error != "" {
		err := fmt.Errorf("probes: Get-VM: %s", f.Error)
		return newResult(host, hosts.CheckVMs, UNKNOWN, "VM list unavailable: "+f.Error, strings.Join(f.Notes, "\n"), err, lat, at)
	}
	st := OK
	counts := map[string]int{}
	reasons := map[string]map[string]int{}
	var details []string
	down := 0
	for _, v := range f.VMs {
		vs := hyperVVMStatus(v)
		st = st.Worse(vs)
		counts[v.State]++
		if v.Reason != "" {
			if reasons[v.State] == nil {
				reasons[v.State] = map[string]int{}
			}
			reasons[v.State][v.Reason]++
		}
		if v.Autostart && v.State == "shutoff" {
			down++
		}
		if vs != OK || v.State != "running" {
			details = append(details, hyperVVMDetail(v))
		}
	}
	line := fmt.Sprintf("%d VMs", len(f.VMs))
	if len(f.VMs) == 1 {
		line = "1 VM"
	}
	if parts := stateParts(counts, reasons); len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if down > 0 {
		line += fmt.Sprintf("; %d automatic-start VM off", down)
	}
	details = append(details, f.Notes...)
	return newResult(host, hosts.CheckVMs, st, line, strings.Join(details, "\n"), nil, lat, at)
}

func hyperVVMDetail(v remote.HyperVVM) string {
	d := fmt.Sprintf("%s: %s", v.Name, v.HyperVState)
	if v.Status != "" && !strings.EqualFold(v.Status, "Operating normally") {
		d += " (" + v.Status + ")"
	}
	if v.StartAction != "" {
		d += ", automatic start " + v.StartAction
	}
	if v.Autostart && v.State == "shutoff" {
		d += ": automatic-start VM off"
	}
	return d
}

package serve

import (
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// alert is one alert serve keeps: firing while Resolved is zero, then kept
// and resent until the resolved retention has passed.
type alert struct {
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	ResolvedAt  time.Time
	fingerprint string
}

func (a *alert) firing() bool { return a.ResolvedAt.IsZero() }

// alerts decides which alerts fire from the reports it observes. It is
// owned by serve's main loop: no locking.
type alerts struct {
	cfg     hosts.Alerting
	site    string
	runbook *template.Template

	// active is the firing alert of each (host, check).
	active map[string]*alert
	// resolved are kept for resending until their retention passes.
	resolved []*alert
	// running remembers each host's running VMs while its hypervisor
	// answered, for HypervisorDown.
	running map[string][]string
}

func newAlerts(cfg hosts.Alerting, site string) *alerts {
	a := &alerts{cfg: cfg, site: site, active: map[string]*alert{}, running: map[string][]string{}}
	if cfg.RunbookURL != "" {
		a.runbook, _ = hosts.ParseRunbook(cfg.RunbookURL) // validated with the config
	}
	return a
}

func alertKey(host, check string) string { return host + "\x00" + check }

// observe compares a host's report with the alerts it has firing and
// returns the alerts that changed (started or resolved), to send at once.
func (a *alerts) observe(rep probes.HostReport, now time.Time) []*alert {
	if hv, ok := rep.Check(hosts.CheckHypervisor); ok && hv.Status != probes.CRIT && hv.Status != probes.UNKNOWN {
		a.running[rep.Host] = runningVMs(rep)
	}
	var changed []*alert
	for _, res := range rep.Checks {
		key := alertKey(rep.Host, res.Check)
		cur := a.active[key]
		want := a.build(rep, res)
		if cur != nil && want != nil && cur.fingerprint == want.fingerprint {
			cur.Annotations = want.Annotations // newest words; sent with the next resend
			continue
		}
		if cur != nil {
			changed = append(changed, a.resolve(key, cur, now))
		}
		if want != nil {
			want.StartsAt = res.Time
			a.active[key] = want
			a.dropResolved(want.fingerprint)
			changed = append(changed, want)
		}
	}
	return changed
}

// forget resolves every alert of a host that left the inventory.
func (a *alerts) forget(host string, now time.Time) []*alert {
	var changed []*alert
	for key, cur := range a.active {
		if strings.HasPrefix(key, host+"\x00") {
			changed = append(changed, a.resolve(key, cur, now))
		}
	}
	delete(a.running, host)
	return changed
}

func (a *alerts) resolve(key string, cur *alert, now time.Time) *alert {
	delete(a.active, key)
	cur.ResolvedAt = now
	a.resolved = append(a.resolved, cur)
	return cur
}

// dropResolved forgets the resolved instances of an alert that fires
// again: resent beside the new one, an older resolved instance (its
// endsAt before the new startsAt, so Alertmanager does not merge them)
// would replace the firing alert in Alertmanager's store and resolve it.
func (a *alerts) dropResolved(fingerprint string) {
	a.resolved = slices.DeleteFunc(a.resolved, func(r *alert) bool { return r.fingerprint == fingerprint })
}

// due returns every alert to resend: all firing ones and the resolved ones
// still within their retention (older ones are dropped).
func (a *alerts) due(now time.Time) []*alert {
	out := make([]*alert, 0, len(a.active)+len(a.resolved))
	for _, al := range a.active {
		out = append(out, al)
	}
	kept := a.resolved[:0]
	for _, al := range a.resolved {
		if now.Sub(al.ResolvedAt) < a.cfg.ResolvedRetention {
			kept = append(kept, al)
			out = append(out, al)
		}
	}
	clear(a.resolved[len(kept):])
	a.resolved = kept
	return out
}

// firingCount is how many alerts fire now.
func (a *alerts) firingCount() int { return len(a.active) }

// build returns the alert a result raises, or nil.
func (a *alerts) build(rep probes.HostReport, res probes.Result) *alert {
	sev, ok := severityOf(res.Status, a.cfg)
	if !ok {
		return nil
	}
	name := alertName(rep, res)
	labels := map[string]string{"alertname": name, "host": rep.Host, "check": res.Check,
		"severity": sev, "hypervisor": rep.Kind}
	if a.site != "" {
		labels["site"] = a.site
	}
	maps.Copy(labels, a.cfg.ExternalLabels)
	ann := map[string]string{"summary": rep.Host + ": " + res.Summary, "description": res.Details}
	if ann["description"] == "" {
		ann["description"] = res.Summary
	}
	if name == AlertHypervisorDown {
		ann["running_vms"] = runningWords(a.running[rep.Host])
	}
	cause, _ := probes.CauseOf(res)
	if cause.Remedy != "" {
		ann["remedy"] = cause.Remedy
	}
	if a.runbook != nil {
		var b strings.Builder
		if a.runbook.Execute(&b, hosts.RunbookData{AlertName: name, Host: rep.Host, Check: res.Check, Cause: cause.Name}) == nil {
			ann["runbook_url"] = b.String()
		}
	}
	return &alert{Labels: labels, Annotations: ann, fingerprint: fingerprint(labels)}
}

func runningWords(vms []string) string {
	if len(vms) == 0 {
		return "none seen running"
	}
	return strings.Join(vms, ", ")
}

// fingerprint is Alertmanager's own identity of a label set.
func fingerprint(labels map[string]string) string {
	ls := make(model.LabelSet, len(labels))
	for k, v := range labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls.Fingerprint().String()
}

package serve

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// webhookJSON is a webhook body decoded by key name: the key names are the
// contract bridges written for Alertmanager read.
func webhookJSON(t *testing.T, a *alert) map[string]any {
	t.Helper()
	b, err := webhookBody(a, "http://collector:9081/")
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	return msg
}

// A webhook gets Alertmanager's webhook payload version "4": status,
// groupLabels, commonLabels, alerts[] with labels, annotations, startsAt,
// endsAt and Alertmanager's own fingerprint; resolved with endsAt = the
// time it resolved.
func TestWebhookPayloadIsAlertmanagerV4(t *testing.T) {
	a := newAlerts(alertingCfg(), "dc1")
	fired := a.observe(report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT}), t0)
	if len(fired) != 1 {
		t.Fatalf("fired %v", names(fired))
	}
	msg := webhookJSON(t, fired[0])
	for _, k := range []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
		"commonLabels", "commonAnnotations", "externalURL", "alerts"} {
		if _, ok := msg[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
	if msg["version"] != "4" || msg["status"] != "firing" {
		t.Errorf("version %v, status %v; want 4, firing", msg["version"], msg["status"])
	}
	wantGroup := map[string]any{"alertname": "HypervisorDown", "host": "kvm1"}
	if diff := cmp.Diff(wantGroup, msg["groupLabels"]); diff != "" {
		t.Errorf("groupLabels (-want +got):\n%s", diff)
	}
	if common, _ := msg["commonLabels"].(map[string]any); common["site"] != "dc1" || common["severity"] != "critical" {
		t.Errorf("commonLabels %v", common)
	}
	alerts, _ := msg["alerts"].([]any)
	if len(alerts) != 1 {
		t.Fatalf("alerts %v", msg["alerts"])
	}
	one, _ := alerts[0].(map[string]any)
	for _, k := range []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"} {
		if _, ok := one[k]; !ok {
			t.Errorf("alert lacks %q", k)
		}
	}
	ls := model.LabelSet{}
	for k, v := range fired[0].Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	if one["fingerprint"] != ls.Fingerprint().String() || one["startsAt"] != t0.Format(time.RFC3339) {
		t.Errorf("fingerprint %v (want Alertmanager's %s), startsAt %v", one["fingerprint"], ls.Fingerprint(), one["startsAt"])
	}

	resolvedAt := t0.Add(time.Minute)
	resolved := a.observe(report("kvm1", resolvedAt, nil), resolvedAt)
	if len(resolved) != 1 {
		t.Fatalf("resolved %v", names(resolved))
	}
	msg = webhookJSON(t, resolved[0])
	alerts, _ = msg["alerts"].([]any)
	one, _ = alerts[0].(map[string]any)
	if msg["status"] != "resolved" || one["status"] != "resolved" || one["endsAt"] != resolvedAt.Format(time.RFC3339) {
		t.Errorf("resolved payload: status %v/%v, endsAt %v; want resolved at %s", msg["status"], one["status"], one["endsAt"], resolvedAt)
	}
}

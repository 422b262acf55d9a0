package serve

import (
	"encoding/json"
	"sort"
	"time"
)

// postableAlert is one alert of Alertmanager's v2 API (POST
// /api/v2/alerts, the postableAlert of its OpenAPI spec).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// endsAt is when Alertmanager may resolve the alert by itself: the
// resolution time once resolved; while firing, four resend intervals ahead
// (Prometheus' own rule), so a dead serve's alerts resolve but a few lost
// resends do not flap them.
func endsAt(a *alert, now time.Time, resend time.Duration) time.Time {
	if !a.firing() {
		return a.ResolvedAt
	}
	return now.Add(4 * resend)
}

// alertmanagerBody encodes alerts for POST /api/v2/alerts.
func alertmanagerBody(list []*alert, now time.Time, resend time.Duration, generator string) ([]byte, error) {
	out := make([]postableAlert, 0, len(list))
	for _, a := range list {
		out = append(out, postableAlert{Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
			EndsAt: endsAt(a, now, resend), GeneratorURL: generator})
	}
	return json.Marshal(out)
}

// webhookMessage is Alertmanager's webhook payload, version 4, so every
// bridge written for Alertmanager's webhook receiver accepts serve's.
type webhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []webhookAlert    `json:"alerts"`
}

type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// webhookReceiver names serve as the receiver in webhook payloads.
const webhookReceiver = "hvconsole"

// webhookBody encodes one alert's change as its own notification, grouped
// by alertname and host as an Alertmanager route would.
func webhookBody(a *alert, generator string) ([]byte, error) {
	status := "firing"
	var end time.Time // Alertmanager sends the zero time while firing
	if !a.firing() {
		status, end = "resolved", a.ResolvedAt
	}
	group := map[string]string{"alertname": a.Labels["alertname"], "host": a.Labels["host"]}
	msg := webhookMessage{
		Version: "4", GroupKey: groupKey(group), Status: status, Receiver: webhookReceiver,
		GroupLabels: group, CommonLabels: a.Labels, CommonAnnotations: a.Annotations, ExternalURL: generator,
		Alerts: []webhookAlert{{Status: status, Labels: a.Labels, Annotations: a.Annotations,
			StartsAt: a.StartsAt, EndsAt: end, GeneratorURL: generator, Fingerprint: a.fingerprint}},
	}
	return json.Marshal(msg)
}

// groupKey is Alertmanager's form: the route's matchers, then the group
// labels, e.g. {}:{alertname="HypervisorDown", host="kvm-01"}.
func groupKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte("{}:{")
	for i, k := range keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		b = appendQuoted(b, labels[k])
	}
	return string(append(b, '}'))
}

func appendQuoted(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

package hosts

import (
	"time"
)

// Defaults of the [serve] and [alerting] tables.
const (
	// DefaultServeListen is on loopback, on a port outside 9100-9999: the
	// Prometheus default-port registry has allocated that whole range.
	DefaultServeListen       = "127.0.0.1:9081"
	DefaultSocketMode        = 0o660
	DefaultResendInterval    = time.Minute
	DefaultResolvedRetention = 15 * time.Minute
	// DefaultMaxDomainSeries bounds the per-VM series of one host: a
	// hypervisor rarely runs more, and a host that does must not multiply
	// a scrape's size.
	DefaultMaxDomainSeries = 64
)

// Alert severities, the values of [alerting] min_severity and of an
// alert's severity label.
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Serve is the [serve] table: how `hvconsole serve` listens.
type Serve struct {
	// Listen is the metrics HTTP address (host:port).
	Listen string
	// WebConfig is an optional Prometheus exporter-toolkit web config file
	// (TLS, basic auth) for the metrics listener; "" serves plain HTTP.
	WebConfig string
	// Socket is the attach socket's path; SocketMode its permission bits,
	// which are the attach API's access control.
	Socket     string
	SocketMode uint32
	// Site labels this collector (the SITE column of attached consoles,
	// the site label of alerts); "" for none.
	Site string
	// MaxDomainSeries is how many VMs of one host get their own
	// hvconsole_domain_state series; serve counts the others.
	MaxDomainSeries int
}

// Alerting is the [alerting] table: where serve sends alerts.
type Alerting struct {
	// Alertmanagers are base URLs; every one gets every alert (Alertmanager
	// deduplicates across its cluster, so never a load balancer).
	Alertmanagers []string
	// Webhooks get the Alertmanager webhook payload (version "4").
	Webhooks []string
	// ResendInterval is how often a firing alert is sent again; its endsAt
	// is four intervals ahead.
	ResendInterval time.Duration
	// ResolvedRetention is how long a resolved alert keeps being resent.
	ResolvedRetention time.Duration
	// MinSeverity is SeverityWarning or SeverityCritical.
	MinSeverity string
	// AlertUnknown makes an UNKNOWN check alert (as a warning).
	AlertUnknown bool
	// RunbookURL is a text/template with .AlertName, .Host, .Check and
	// .Cause; "" for none.
	RunbookURL string
	// ExternalLabels are added to every alert and every metric series.
	ExternalLabels map[string]string
}

// Enabled reports whether any sink is configured.
func (a Alerting) Enabled() bool { return len(a.Alertmanagers)+len(a.Webhooks) > 0 }

type rawServe struct {
	Listen     *string `toml:"listen"`
	WebConfig  *string `toml:"web_config"`
	Socket     *string `toml:"socket"`
	SocketMode *string `toml:"socket_mode"`
	Site       *string `toml:"site"`
	MaxDomains *int    `toml:"max_domain_series"`
}

type rawAlerting struct {
	Alertmanagers     *[]string          `toml:"alertmanagers"`
	Webhooks          *[]string          `toml:"webhooks"`
	ResendInterval    *string            `toml:"resend_interval"`
	ResolvedRetention *string            `toml:"resolved_retention"`
	MinSeverity       *string            `toml:"min_severity"`
	AlertUnknown      *bool              `toml:"alert_unknown"`
	RunbookURL        *string            `toml:"runbook_url"`
	ExternalLabels    *map[string]string `toml:"external_labels"`
}

package hosts

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"unicode/utf8"
)

// reservedLabels are the labels serve sets on alerts and series itself; an
// external label may not replace them.
var reservedLabels = []string{"alertname", "host", "check", "severity", "hypervisor", "site",
	"status", "state", "domain", "backup", "pool", "kind", "sink", "outcome", "instance", "job"}

// maxDomainSeriesCap is the largest serve.max_domain_series: beyond it one
// host alone would make a scrape slow.
const maxDomainSeriesCap = 4096

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// serveTable validates [serve] over its defaults.
func (ps *problems) serveTable(raw *rawServe, opts LoadOptions, home string) Serve {
	s := Serve{Listen: DefaultServeListen, SocketMode: DefaultSocketMode, Socket: defaultSocket(opts.Getenv),
		MaxDomainSeries: DefaultMaxDomainSeries}
	if raw == nil {
		return s
	}
	if raw.Listen != nil {
		s.Listen, _ = ps.validString("serve.listen", raw.Listen, badListen)
	}
	if raw.WebConfig != nil {
		if p, why := expandHome(*raw.WebConfig, home); why != "" {
			ps.at("serve.web_config", why)
		} else if err := opts.CheckFile(p); err != nil {
			ps.at("serve.web_config", "web config "+quote(p)+": "+describeFileErr(err))
		} else if err := opts.CheckWebConfig(p); err != nil {
			ps.at("serve.web_config", "web config "+quote(p)+": "+err.Error())
		} else {
			s.WebConfig = p
		}
	}
	if raw.Socket != nil {
		ps.socketPath(&s, *raw.Socket, home, opts.CheckDir)
	}
	if raw.SocketMode != nil {
		if m, err := strconv.ParseUint(*raw.SocketMode, 8, 32); err != nil || m > 0o777 || m&0o600 != 0o600 {
			ps.at("serve.socket_mode", "socket mode "+quote(*raw.SocketMode)+
				`: want octal permission bits the owner can read and write, e.g. "0660"`)
		} else {
			s.SocketMode = uint32(m)
		}
	}
	if raw.Site != nil {
		s.Site, _ = ps.validString("serve.site", raw.Site, badSite)
	}
	if n := raw.MaxDomains; n != nil {
		if *n < 0 || *n > maxDomainSeriesCap {
			ps.atf("serve.max_domain_series", "%d out of range 0-%d", *n, maxDomainSeriesCap)
		} else {
			s.MaxDomainSeries = *n
		}
	}
	return s
}

// socketPath validates serve.socket: absolute (after "~"), in a directory
// that exists or can be created.
func (ps *problems) socketPath(s *Serve, raw, home string, checkDir func(string) error) {
	p, why := expandHome(raw, home)
	switch {
	case why != "":
		ps.at("serve.socket", why)
	case !filepath.IsAbs(p):
		ps.at("serve.socket", "socket "+quote(raw)+" must be an absolute path")
	default:
		if err := checkDir(filepath.Dir(p)); err != nil {
			ps.at("serve.socket", "socket directory "+quote(filepath.Dir(p))+" cannot be created: "+describeFileErr(err))
			return
		}
		s.Socket = p
	}
}

// defaultSocket is $XDG_RUNTIME_DIR/hvconsole/serve.sock, else the system
// runtime directory /run/hvconsole (root, or a systemd RuntimeDirectory).
func defaultSocket(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "hvconsole", "serve.sock")
	}
	return "/run/hvconsole/serve.sock"
}

// checkDirCreatable reports why dir can neither be used nor created: its
// nearest existing ancestor must be a directory we may write to (or dir
// itself must exist).
func checkDirCreatable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) && d != filepath.Dir(d) {
			continue
		}
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return errors.New(d + " is not a directory")
		}
		if d == dir {
			return nil
		}
		if err := syscall.Access(d, 2 /* W_OK */); err != nil {
			return &fs.PathError{Op: "create", Path: d, Err: err}
		}
		return nil
	}
}

func badListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "listen address " + quote(s) + ` does not parse: want host:port, e.g. "127.0.0.1:9081"`
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "listen address " + quote(s) + ": port " + quote(port) + " out of range 0-65535"
	}
	if host != "" && net.ParseIP(host) == nil && !hostnameRE.MatchString(host) {
		return "listen address " + quote(s) + ": invalid host " + quote(host)
	}
	return ""
}

func badSite(s string) string {
	if s == "" {
		return ""
	}
	return badName(s)
}

// alertingTable validates [alerting] over its defaults.
func (ps *problems) alertingTable(raw *rawAlerting) Alerting {
	a := Alerting{ResendInterval: DefaultResendInterval, ResolvedRetention: DefaultResolvedRetention,
		MinSeverity: SeverityWarning}
	if raw == nil {
		return a
	}
	if raw.Alertmanagers != nil {
		a.Alertmanagers, _ = ps.stringList("alerting.alertmanagers", *raw.Alertmanagers, badSinkURL)
	}
	if raw.Webhooks != nil {
		a.Webhooks, _ = ps.stringList("alerting.webhooks", *raw.Webhooks, badSinkURL)
	}
	if raw.ResendInterval != nil {
		a.ResendInterval, _ = ps.duration("alerting.resend_interval", *raw.ResendInterval)
	}
	if raw.ResolvedRetention != nil {
		a.ResolvedRetention, _ = ps.duration("alerting.resolved_retention", *raw.ResolvedRetention)
	}
	if raw.MinSeverity != nil {
		a.MinSeverity, _ = ps.validString("alerting.min_severity", raw.MinSeverity, badSeverity)
	}
	if raw.AlertUnknown != nil {
		a.AlertUnknown = *raw.AlertUnknown
	}
	if raw.RunbookURL != nil {
		a.RunbookURL, _ = ps.validString("alerting.runbook_url", raw.RunbookURL, badRunbook)
	}
	if raw.ExternalLabels != nil {
		a.ExternalLabels = ps.externalLabels(*raw.ExternalLabels)
	}
	return a
}

// badSinkURL accepts an http or https URL with a host and no credentials
// (a secret in the config would end up in logs and metrics labels).
func badSinkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "URL " + quote(s) + " does not parse"
	case u.Scheme != "http" && u.Scheme != "https":
		return "URL " + quote(s) + ": want an http:// or https:// URL"
	case u.Host == "" || u.Hostname() == "":
		return "URL " + quote(s) + " has no host"
	case u.User != nil:
		return "URL " + quote(s) + ": secrets never go in the config (no user:password in URLs)"
	}
	return ""
}

func badSeverity(s string) string {
	if s == SeverityWarning || s == SeverityCritical {
		return ""
	}
	return "unknown severity " + quote(s) + ": want " + quote(SeverityWarning) + " or " + quote(SeverityCritical)
}

// RunbookData is what the runbook_url template sees. Cause is the
// result's cause key (probes.CauseOf: "libvirtd-inactive"), "" when none
// is known.
type RunbookData struct {
	AlertName, Host, Check, Cause string
}

// ParseRunbook parses a runbook_url template; it never fails on a value
// that validation accepted.
func ParseRunbook(s string) (*template.Template, error) {
	return template.New("runbook_url").Option("missingkey=error").Parse(s)
}

func badRunbook(s string) string {
	t, err := ParseRunbook(s)
	if err != nil {
		return "runbook_url template: " + err.Error()
	}
	var b strings.Builder
	if err := t.Execute(&b, RunbookData{AlertName: "HypervisorDown", Host: "kvm-01", Check: "hypervisor", Cause: "libvirtd-inactive"}); err != nil {
		return "runbook_url template: " + err.Error()
	}
	return badSinkURL(b.String())
}

// externalLabels checks label names (Prometheus' form, not reserved, not
// one serve sets) and values (non-empty UTF-8).
func (ps *problems) externalLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		key := joinKey("alerting.external_labels", k)
		switch {
		case !labelNameRE.MatchString(k) || strings.HasPrefix(k, "__"):
			ps.atKey(key, "invalid label name "+quote(k)+": want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __")
		case slices.Contains(reservedLabels, k):
			ps.atKey(key, "label "+quote(k)+" is set by hvconsole itself")
		case v == "" || !utf8.ValidString(v):
			ps.at(key, "label "+quote(k)+" needs a non-empty UTF-8 value")
		default:
			out[k] = v
		}
	}
	return out
}

package tui

import (
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/tui/details"
)

// runbook turns the runbook_url template into the details view's link
// maker; nil when there is none. The console names no alerts, so
// .AlertName is empty here: a template shared with alerts links best by
// .Check and .Cause.
func runbook(tmpl string) details.Runbook {
	if tmpl == "" {
		return nil
	}
	t, err := hosts.ParseRunbook(tmpl)
	if err != nil {
		return nil // validated with the config: not reached
	}
	return func(host, check, cause string) string {
		var b strings.Builder
		if t.Execute(&b, hosts.RunbookData{Host: host, Check: check, Cause: cause}) != nil {
			return ""
		}
		return b.String()
	}
}

package probes

import (
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// ShortCause is a check's cause in the operator's words, short enough for
// a table cell: the summary without the words the check name and status
// already say ("libvirtd failed", not "hypervisor not running: libvirtd
// failed"). Every summary leads with its cause, so a view that cuts it
// still shows what happened; the full text stays in Summary, Details and
// Err for the details view.
func ShortCause(r Result) string {
	if s, ok := strings.CutPrefix(r.Summary, SummaryNotRunning+": "); ok {
		return s
	}
	return r.Summary
}

// rootCause is the innermost error of err's chain: what actually happened
// ("connection refused"), without the layers that carried it up
// ("probes: libvirt connect ...: sshx: ..."). Where an error wraps
// several ("%w (retry in 4s): %w") it follows the last: by our wrapping
// habit the first is the category and the last what happened.
func rootCause(err error) error {
	for err != nil {
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				next = errs[len(errs)-1]
			}
		}
		if next == nil {
			return err
		}
		err = next
	}
	return nil
}

// rootText is rootCause's text, or "" for a nil error.
func rootText(err error) string {
	if r := rootCause(err); r != nil {
		return withoutPackages(remote.CleanLine(r.Error()))
	}
	return ""
}

// withoutPackages drops the Go package prefixes our errors carry
// ("probes: ", "sshx: ", "hosts: ", "remote: "): they tell a developer which layer
// spoke, and an operator nothing.
func withoutPackages(s string) string {
	for _, p := range []string{"probes: ", "sshx: ", "hosts: ", "remote: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

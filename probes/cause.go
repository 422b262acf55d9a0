package probes

import (
	"context"
	"errors"
	"io/fs"
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

// Words is err in the operator's words: the one rule for every text an
// operator reads that is built from an error (a note, a summary, a CLI
// line). An error chain is a developer's trail ("actions: restart on h3
// refused: probes: libvirt connect ...: sshx: host h3: dial tcp ...:
// connection refused"); an operator needs what happened ("connection
// refused") and the words our own code put before it ("libvirt
// connection for the boot drill: connection refused").
//
// Words keeps the text the outer layers add before the error they wrap
// until the first layer a Go package prefixes ("probes: ", "sshx: ", ...:
// from there on the layers say which code carried the error); then it
// takes the innermost error. A layer that details the error it wraps
// ("%w: %q", a sentinel and its detail) is kept whole: the sentinel is
// the category, the detail what happened; so is a package's sentinel
// ("hosts: unknown host \"kvm-1\"" reads "unknown host \"kvm-1\"").
// Where an error wraps several ("%w (retry in 4s): %w") the last is
// followed: by our habit the first is the category and the last what
// happened; errors.Join's errors are each said, "; " between; a file
// error keeps its file ("write /var/log/hvconsole/audit.jsonl: no space
// left on device"). A context deadline reads "no answer before the
// deadline". Package prefixes left in the text are removed, and the
// result is cleaned as remote text (remote.CleanLine: control and
// invisible characters dropped, one line, capped): any layer may quote a
// host. The whole chain stays err.Error(), for the audit log, the logs
// and the details view. Words(nil) is "".
//
// An error that knows its operator words says them with a Words() string
// method (actions.RefusedError: "restart on h3 refused: read-only
// mode"); Words takes them from the outermost such layer.
func Words(err error) string { return words(err, remote.CleanLine) }

// WordsLong is Words for a line that has the terminal to itself (the
// CLI's last line): the same words, capped at remote.MaxDetails rather
// than a table cell's MaxSummary, so a host-key refusal keeps the
// fingerprint to verify and the known_hosts file to fix.
func WordsLong(err error) string { return words(err, remote.CleanSummary) }

// words is Words with clean as the remote-text cleaning and its cap.
func words(err error, clean func(string) string) string {
	if err == nil {
		return ""
	}
	return cleanWords(uncleanWords(err, clean), clean)
}

// uncleanWords is err's words before the cleaning of the whole; each of
// several joined errors is cleaned on its own, so one host's open escape
// cannot eat the next error's words.
func uncleanWords(err error, clean func(string) string) string {
	var lead strings.Builder
	trail := false // a package-prefixed layer was passed: no more leads
	for {
		if w, ok := err.(worded); ok {
			return lead.String() + w.Words()
		}
		if errs, ok := joined(err, clean); ok {
			return lead.String() + errs
		}
		if p, ok := err.(*fs.PathError); ok {
			// the file is what an operator acts on: "open /x: permission denied"
			return lead.String() + p.Error()
		}
		next := lastWrapped(err)
		if next == nil {
			break
		}
		text, inner := err.Error(), next.Error()
		own, ok := strings.CutSuffix(text, inner)
		switch {
		case ok && packaged(own):
			trail = true
		case ok:
			if !trail {
				lead.WriteString(own)
			}
		case strings.HasPrefix(text, inner) && lastWrapped(next) == nil:
			// "%w: detail" or "%w %q" around a package's sentinel
			// ("remote: value not allowed ...: unit \"x\""): the category
			// and what it refused, whole; around a chain, the chain's
			// words are found further down
			return lead.String() + text
		case packaged(text):
			// a layer that rewrites its inner text (sanitizes, quotes):
			// still a package's trail
			trail = true
		default:
			// "%w: detail", or a layer of our own words around its cause
			return lead.String() + text
		}
		err = next
	}
	return lead.String() + rootWords(err)
}

// joined says each error of an errors.Join in words, "; " between; ok is
// false for any other error.
func joined(err error, clean func(string) string) (string, bool) {
	u, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return "", false
	}
	errs := u.Unwrap()
	texts := make([]string, len(errs))
	for i, e := range errs {
		texts[i] = e.Error()
	}
	if len(errs) < 2 || err.Error() != strings.Join(texts, "\n") {
		return "", false // fmt.Errorf("%w ... %w")
	}
	for i, e := range errs {
		texts[i] = words(e, clean)
	}
	return strings.Join(texts, "; "), true
}

// worded is an error that says itself in the operator's words.
type worded interface{ Words() string }

// lastWrapped is the error err wraps: the last of several.
func lastWrapped(err error) error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap()
	case interface{ Unwrap() []error }:
		if errs := u.Unwrap(); len(errs) > 0 {
			return errs[len(errs)-1]
		}
	}
	return nil
}

// rootWords is an innermost error's text, in words where Go's are a
// developer's.
func rootWords(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return err.Error()
}

// wordsText is s cleaned as Words cleans its words: remote.CleanLine,
// then no package prefixes.
func wordsText(s string) string { return cleanWords(s, remote.CleanLine) }

func cleanWords(s string, clean func(string) string) string {
	return strings.TrimSpace(withoutPackages(clean(s)))
}

// packagePrefixes are the Go package prefixes our errors carry: they tell
// a developer which layer spoke, and an operator nothing. x/crypto/ssh's
// "ssh: " stays: to an operator it names the session that failed.
var packagePrefixes = []string{"probes: ", "sshx: ", "hosts: ", "remote: ", "actions: ",
	"libvirt: ", "serve: ", "attach: ", "ack: ", "wire: ", "shell: ", "incident: ", "tui: "}

// packaged reports whether s starts with a package prefix.
func packaged(s string) bool { return prefixAt(s) != "" }

// withoutPackages drops the package prefixes from s where one starts a
// word ("probes: " but not the end of "openssh: ").
func withoutPackages(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if i == 0 || !wordByte(s[i-1]) {
			if p := prefixAt(s[i:]); p != "" {
				i += len(p)
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// prefixAt is the package prefix s starts with, or "".
func prefixAt(s string) string {
	for _, p := range packagePrefixes {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}

func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// Package tui is the live console: a Bubble Tea v2 program showing the
// fleet table, the selected host, the event log and the war-room grid.
// Probe reports stream in through a Source; Update does no I/O, so a slow
// or hung host can never freeze the screen.
//
// The root Model routes: global keys first, then data messages, then the
// focused pane. The panes live in sub-packages (fleet, hostpane, eventlog,
// warroom) and share styles from theme and the keymap from keys.
package tui

import (
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
)

// Source is the stream of probe results the console shows and the knobs it
// turns. The probes scheduler satisfies it. Every method must return at
// once: the console calls Refresh and SetPaused from commands, never from
// Update, but a blocking call would still hold a goroutine.
type Source interface {
	// Updates delivers one report per host per round. Closing it tells the
	// console that probing has stopped.
	Updates() <-chan probes.HostReport
	// Refresh re-probes the named hosts now; no names means every host.
	Refresh(names ...string)
	// SetPaused stops or resumes the periodic rounds.
	SetPaused(paused bool)
}

// Options configure the console. The zero value is usable: an empty fleet,
// colour, UTF-8 glyphs and the wall clock.
type Options struct {
	// Hosts is the inventory, shown as pending rows until their first report.
	Hosts []hosts.Host
	// ReadOnly shows the READ-ONLY badge and refuses every host action.
	// An Actions that reports ReadOnly turns it on too.
	ReadOnly bool
	// Actions carries out host actions (restart, journal); nil leaves the
	// console without them: their keys show as unavailable.
	Actions Actions
	// Bell rings the terminal bell when a host turns CRIT.
	Bell bool
	// WarRoom starts in the war-room view.
	WarRoom bool
	// Badge, when set, is shown in brackets beside the header's other
	// badges, e.g. "ATTACHED dc1,dc2" for a console attached to collectors.
	Badge string
	// DemoBanner, when set, is shown in the header (e.g. "demo · audit: x").
	DemoBanner string
	// Now is the clock (tests pass a fixed one); nil means time.Now.
	Now func() time.Time
	// NoColor draws without any colour (NO_COLOR). Run also sets it when
	// the NO_COLOR environment variable is non-empty.
	NoColor bool
	// ASCII uses 7-bit glyphs only. Run also sets it for a non-UTF-8 locale.
	ASCII bool
	// Journal, when set, journals every host's status changes (the
	// incident journal; a memory-only one for an attached console) and
	// is what the incidents view shows.
	Journal *incident.Journal
	// AckOwner is the owner an ack form starts with (default: the local
	// user).
	AckOwner string
	// RunbookURL is [alerting] runbook_url, a validated template: the
	// details view links each problem to the team's page. "" for none.
	RunbookURL string
	// EventCapacity bounds the event log (default 1,000).
	EventCapacity int
	// Done, when closed, ends the console's pending report wait and age
	// wake-up, for a program run without Run (Run sets it from its
	// context).
	Done <-chan struct{}
}

// WithEnv returns the options adjusted for an environment: NO_COLOR set to
// anything non-empty turns colour off, and a locale that is not UTF-8 or
// TERM=linux (the kernel console, whose fonts lack most symbols) selects
// ASCII glyphs. Flags can only turn these on, never off.
func (o Options) WithEnv(environ []string) Options {
	vars := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	if vars["NO_COLOR"] != "" {
		o.NoColor = true
	}
	if !utf8Locale(vars) || vars["TERM"] == "linux" {
		// the Linux console's fonts lack most symbols we draw
		o.ASCII = true
	}
	return o
}

// utf8Locale follows POSIX precedence: LC_ALL, then LC_CTYPE, then LANG.
// No locale at all is treated as UTF-8, the norm on today's terminals;
// an explicit "C"/"POSIX" is not.
func utf8Locale(vars map[string]string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := vars[k]; v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return true
}

package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/ackform"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/details"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/hostpane"
	"github.com/hvconsole/hvconsole/tui/journal"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/picker"
	"github.com/hvconsole/hvconsole/tui/theme"
	"github.com/hvconsole/hvconsole/tui/warroom"
)

// focusPane is the pane navigation keys go to.
type focusPane int

const (
	focusFleet focusPane = iota
	focusHost
	focusEvents
	focusPanes
)

// Model is the console's root Bubble Tea model. Build it with New.
type Model struct {
	opts Options
	src  Source
	// stop ends a pending wait for reports when Run returns; nil when the
	// model runs outside Run (tests), where the Source closes its channel.
	stop <-chan struct{}
	// ctx is Run's context: actions started from the console run under it
	// and end when the console does. Nil outside Run (tests set it).
	ctx context.Context
	// inv is the inventory by name: actions need a host's allow-list,
	// user and sudo setting, which the table rows do not carry.
	inv map[string]hosts.Host

	th   theme.Theme
	keys keys.Map
	now  func() time.Time

	table  fleet.Table
	pane   hostpane.Pane
	events eventlog.Pane
	grid   warroom.Grid
	log    *eventlog.Log

	width, height int
	focus         focusPane
	zoom          bool
	help          bool
	helpOffset    int // the help's first line shown when it scrolls
	war           bool
	filtering     bool
	filterEvents  bool // the prompt edits the event log's filter
	filterText    string
	paused        bool
	closed        bool
	note          string // one-shot message, cleared on the next key
	// awaiting is the probe or backups check the operator asked for, whose
	// result replaces the "probing ... now" note when it arrives.
	awaiting *awaited

	overlay overlayKind
	flow    flow
	// drills cancels each host's running restore drill (D again); only
	// Update touches it.
	drills     map[string]context.CancelFunc
	picker     picker.Picker
	confirm    confirm.Dialog
	ackForm    ackform.Form
	journal    journal.Pane
	journalGen int
	details    details.View

	round     rounds
	critNames []string
	tickAt    time.Time
	tickGen   int
	warGen    int // the war-room pager's generation (see warPageMsg)
	// tick makes the age wake-up command; tests swap in one that does not
	// sleep.
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

// rounds tracks when every host has reported since the last completed
// round: the header shows the age of that moment.
type rounds struct {
	seen map[string]struct{}
	last time.Time
}

// New builds the console for the inventory in opts, reading reports from
// src (which may be nil for a console that only shows the inventory).
func New(opts Options, src Source) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AckOwner == "" {
		opts.AckOwner = localUser()
	}
	if opts.EventCapacity <= 0 {
		opts.EventCapacity = eventlog.DefaultCapacity
	}
	if opts.Actions != nil && opts.Actions.ReadOnly() {
		opts.ReadOnly = true
	}
	th := theme.New(opts.NoColor, opts.ASCII)
	km := keys.Default()
	if opts.Actions == nil {
		km = km.Disable(keys.Restart, keys.Journal, keys.VMs)
	}
	inv := make(map[string]hosts.Host, len(opts.Hosts))
	for _, h := range opts.Hosts {
		if _, dup := inv[h.Name]; !dup {
			inv[h.Name] = h
		}
	}
	log := eventlog.NewLog(opts.EventCapacity)
	m := Model{
		opts: opts, src: src, th: th, keys: km, now: opts.Now, log: log, inv: inv,
		table:  fleet.New(opts.Hosts, th, km, opts.Now),
		pane:   hostpane.New(th, km, log, opts.Now),
		events: eventlog.NewPane(th, km, log, opts.Now),
		grid:   warroom.New(th, km),
		war:    opts.WarRoom,
		round:  rounds{seen: make(map[string]struct{}, len(opts.Hosts))},
	}
	m.stop = opts.Done
	if m.war {
		m.warGen = 1 // Init starts this pager
	}
	m.tick = m.stoppableTick
	m.pane.Show(m.table.Selected())
	m.setFocus(focusFleet)
	return m
}

// Init starts listening for reports.
func (m Model) Init() tea.Cmd {
	var acks tea.Cmd
	if r := m.remote(); r != nil {
		acks = waitRemoteAcksCmd(r, m.stop) // the collectors' acks
	}
	if m.war {
		return tea.Batch(m.waitCmd(), m.pagerTick(m.warGen), acks)
	}
	return tea.Batch(m.waitCmd(), acks)
}

// Update routes a message: window size and data first, then keys.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, m.scheduleTick()
	case reportsMsg:
		return m.applyReports(msg)
	case ageTickMsg:
		if msg.gen != m.tickGen {
			return m, nil // a newer tick is pending
		}
		m.tickAt = time.Time{}
		ended := m.sweepAcks()
		return m, tea.Batch(ended, m.scheduleTick())
	case shellDoneMsg:
		return m.applyShellDone(msg)
	case remoteAcksMsg:
		return m.applyRemoteAcks(msg)
	case ackSentMsg:
		return m.applyAckSent(msg)
	case ackMadeMsg:
		return m.applyAckMade(msg)
	case ackAuditMsg:
		m.note = "ack end not in the audit log: " + probes.Words(msg.err)
		return m, nil
	case warPageMsg:
		return m.turnWarPage(msg)
	case restartDoneMsg:
		return m.applyRestart(msg)
	case refusedMsg:
		return m.applyRefused(msg)
	case journalMsg:
		return m.applyJournal(msg)
	case drillProgressMsg:
		return m.applyDrillProgress(msg)
	case drillDoneMsg:
		return m.applyDrill(msg)
	case vmDoneMsg:
		return m.applyVMs(msg)
	case tea.KeyPressMsg:
		m.note = ""
		m, cmd := m.handleKey(msg)
		return m, tea.Batch(cmd, m.scheduleTick())
	}
	return m, nil
}

// applyReports folds a batch of reports into the fleet, appends the status
// transitions to the event log, re-sorts at most once, and rings the bell
// once if any host newly turned CRIT.
func (m Model) applyReports(msg reportsMsg) (tea.Model, tea.Cmd) {
	bell := false
	added := 0
	rows := m.table.Total()
	for _, r := range msg.reports {
		if r.Time.IsZero() {
			r.Time = m.now()
		}
		if m.opts.Journal != nil {
			m.opts.Journal.Observe(r) // queued, never blocking
		}
		prev, had := m.table.Apply(r)
		added += m.log.Append(eventlog.Diff(prev, had, r)...)
		bell = bell || (had && r.Status == probes.CRIT && prev.Status != probes.CRIT && !m.acked(r.Host))
		m.markRound(r)
		m.answer(r)
	}
	m.table.Settle()
	if m.table.Total() != rows {
		// hosts not in the inventory arrived (an attached console has
		// none): the table's height follows its row count
		m.layout()
	}
	m.showSelected()
	m.events.Added(added)
	m.refreshCrit()
	cmds := []tea.Cmd{m.sweepAcks(), m.scheduleTick()}
	if msg.closed {
		m.closed = true
	} else {
		cmds = append(cmds, m.waitCmd())
	}
	if bell && m.opts.Bell {
		cmds = append(cmds, bellCmd)
	}
	return m, tea.Batch(cmds...)
}

func (m *Model) markRound(r probes.HostReport) {
	m.round.seen[r.Host] = struct{}{}
	if len(m.round.seen) >= m.table.Total() {
		m.round.last = r.Time
		clear(m.round.seen)
	}
}

// refreshCrit recomputes the names shown in the CRIT banner (a few, in
// table order). It runs once per batch, not per frame.
func (m *Model) refreshCrit() {
	m.critNames = m.critNames[:0]
	if m.table.Counts().ByStatus[probes.CRIT] == 0 {
		return
	}
	// every host, not only the shown ones: a filter never hides a CRIT
	m.table.Each(func(h *fleet.Host) bool {
		if !h.Pending() && h.Status() == probes.CRIT {
			m.critNames = append(m.critNames, h.Name)
		}
		return len(m.critNames) < 8
	})
}

func (m *Model) setFocus(f focusPane) {
	m.focus = f
	m.table.SetFocused(f == focusFleet)
	m.pane.SetFocused(f == focusHost)
	m.events.SetFocused(f == focusEvents)
}

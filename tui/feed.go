package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/warroom"
)

// maxBatch bounds one reports message so a flood cannot starve key presses.
const maxBatch = 4096

// reportsMsg carries every report that was ready when the wait ended, so a
// round of 1,000 hosts costs a handful of updates and frames, not 1,000.
type reportsMsg struct {
	reports []probes.HostReport
	// closed is set when the Source closed its channel after these.
	closed bool
}

// ageTickMsg wakes the console when a displayed age string changes.
type ageTickMsg struct{ gen int }

// waitCmd waits for the next report, then drains every report already
// queued into one message. It captures only the channels, never the model.
// It is re-issued after each reportsMsg.
func (m Model) waitCmd() tea.Cmd {
	if m.src == nil || m.closed {
		return nil
	}
	return waitReports(m.src.Updates(), m.stop)
}

func waitReports(updates <-chan probes.HostReport, stop <-chan struct{}) tea.Cmd {
	if updates == nil {
		return nil
	}
	return func() tea.Msg {
		var first probes.HostReport
		var ok bool
		select {
		case first, ok = <-updates:
		case <-stop:
			return nil
		}
		if !ok {
			return reportsMsg{closed: true}
		}
		batch := []probes.HostReport{first}
		for len(batch) < maxBatch {
			select {
			case r, ok := <-updates:
				if !ok {
					return reportsMsg{reports: batch, closed: true}
				}
				batch = append(batch, r)
			default:
				return reportsMsg{reports: batch}
			}
		}
		return reportsMsg{reports: batch}
	}
}

// refreshCmd asks the Source to re-probe the selected host (one) or all.
func (m Model) refreshCmd(one bool) tea.Cmd {
	src := m.src
	if src == nil {
		return nil
	}
	if !one {
		return func() tea.Msg { src.Refresh(); return nil }
	}
	h := m.current()
	if h == nil {
		return nil
	}
	name := h.Name
	return func() tea.Msg { src.Refresh(name); return nil }
}

// pauseCmd tells the Source to pause or resume its rounds.
func (m Model) pauseCmd(paused bool) tea.Cmd {
	src := m.src
	if src == nil {
		return nil
	}
	return func() tea.Msg { src.SetPaused(paused); return nil }
}

// bellCmd rings the terminal bell. Bubble Tea v2 writes a RawMsg straight
// to the terminal between frames, which is how v2 emits a bare BEL.
var bellCmd = tea.Raw("\a")

// tickSlack lands a wake-up just after an age boundary, never just before.
const tickSlack = 20 * time.Millisecond

// scheduleTick arranges one wake-up for the moment the soonest displayed
// age string ("round 12s ago", a row's "since" column) would change.
//
// Why not a fixed 1 s tick: the console is often left open for days on a
// quiet fleet; ages there read "5m", "3h", "2d" and change once a minute or
// hour, so waking every second would redraw for nothing. Waking only at the
// next boundary of what is on screen gives the same display with near-zero
// idle CPU. Only one tick is ever outstanding: a new one is scheduled only
// when it is due earlier than the pending one, and stale ticks are ignored
// by generation.
func (m *Model) scheduleTick() tea.Cmd {
	next := m.nextAgeChange()
	if next <= 0 {
		return nil
	}
	now := m.now()
	at := now.Add(next)
	if !m.tickAt.IsZero() && !at.Before(m.tickAt) && m.tickAt.After(now) {
		return nil
	}
	m.tickGen++
	m.tickAt = at
	gen := m.tickGen
	return m.tick(next+tickSlack, func(time.Time) tea.Msg { return ageTickMsg{gen: gen} })
}

// nextAgeChange is the soonest change of an age string on screen, or 0.
func (m Model) nextAgeChange() time.Duration {
	if m.tooSmall() || m.help {
		return 0
	}
	now := m.now()
	var next time.Duration
	soonest := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if !m.round.last.IsZero() {
		soonest(cell.NextAgeChange(now.Sub(m.round.last)))
	}
	for _, a := range m.table.Acks() {
		// the time left on screen, and the expiry that ends the ack
		soonest(a.NextChange(now))
	}
	if m.war {
		// the wall's clock shows seconds: a wall that stops ticking is
		// seen to be frozen
		soonest(time.Second - now.Sub(now.Truncate(time.Second)))
		return next
	}
	if !m.zoom {
		soonest(m.table.NextAgeChange(now))
	}
	if h := m.pane.Host(); h != nil && h.Reported && (m.zoom || m.paneVisible()) {
		soonest(cell.NextAgeChange(now.Sub(h.Changed)))
	}
	return next
}

// warPageMsg turns the war-room wall's page; gen ties it to the wall that
// asked, so a wall left and entered again runs one pager.
type warPageMsg struct{ gen int }

// warPagerCmd schedules the wall's next page turn.
func (m *Model) warPagerCmd() tea.Cmd {
	m.warGen++
	return m.pagerTick(m.warGen)
}

func (m Model) pagerTick(gen int) tea.Cmd {
	return m.tick(warroom.PageEvery, func(time.Time) tea.Msg { return warPageMsg{gen: gen} })
}

// turnWarPage advances the wall when it still shows and has pages to turn.
func (m Model) turnWarPage(msg warPageMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.warGen || !m.war {
		return m, nil
	}
	if m.grid.Pages(m.table) > 1 {
		m.grid.NextPage(m.table)
	}
	return m, m.warPagerCmd()
}

// stoppableTick is tea.Tick that also ends when the model's stop channel
// closes, so a wake-up scheduled an hour ahead does not outlive Run.
func (m Model) stoppableTick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	stop := m.stop
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case now := <-t.C:
			return fn(now)
		case <-stop:
			return nil
		}
	}
}

package tui

import (
	"errors"
	"os/exec"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/shell"
)

// shellDoneMsg says the ssh session to host ended, and how.
type shellDoneMsg struct {
	host string
	err  error
}

// openShell suspends the console and runs ssh to the selected host with
// the inventory's connection settings (s). An attached console has none.
func (m Model) openShell() (Model, tea.Cmd) {
	h := m.current()
	if h == nil {
		m.note = "shell: no host selected"
		return m, nil
	}
	hs, why := m.inventory([]string{h.Name})
	if why != "" {
		m.note = "shell unavailable: " + why + " (an attached console has no connection settings)"
		return m, nil
	}
	name := h.Name
	return m, tea.Exec(shell.New(hs[0]), func(err error) tea.Msg { return shellDoneMsg{host: name, err: err} })
}

// applyShellDone says how the session ended, in one line.
func (m Model) applyShellDone(msg shellDoneMsg) (tea.Model, tea.Cmd) {
	var exit *exec.ExitError
	switch {
	case msg.err == nil:
		m.note = "ssh session to " + msg.host + " ended"
	case errors.Is(msg.err, shell.ErrNoSSH):
		m.note = "shell: " + shell.ErrNoSSH.Error()
	case errors.As(msg.err, &exit) && exit.ExitCode() == 255:
		m.note = "ssh to " + msg.host + " failed (exit 255: ssh itself failed, e.g. a refused host key)"
	case errors.As(msg.err, &exit):
		m.note = "ssh session to " + msg.host + " ended: " + probes.Words(exit)
	default:
		m.note = "shell: " + probes.Words(msg.err)
	}
	return m, nil
}

// copyAddress puts the selected host's address on the terminal's
// clipboard (y), as c does for the details.
func (m Model) copyAddress() (Model, tea.Cmd) {
	h := m.current()
	if h == nil || h.Address == "" {
		m.note = "copy: no address for the selected host"
		return m, nil
	}
	m.note = "address of " + h.Name + " copied (OSC 52: the terminal must allow it)"
	return m, tea.SetClipboard(h.Address)
}

package tui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// fakeActions is an Actions the test drives: it records every call and
// answers restarts with OK (or a failure for hosts in fail), refusing
// everything in read-only mode the way the real action layer does.
type fakeActions struct {
	readOnly bool
	fail     map[string]string // host -> stderr of a failed restart
	journal  string
	jerr     error

	mu       sync.Mutex
	restarts []restartCall
	refused  []refuseCall
	journals []string // "host/unit"
	called   chan struct{}
}

type restartCall struct {
	hosts []string
	unit  string
}

type refuseCall struct {
	hosts  []string
	action string
	args   []string
	reason error
}

func newFakeActions() *fakeActions {
	return &fakeActions{fail: map[string]string{}, called: make(chan struct{}, 64)}
}

func (f *fakeActions) ReadOnly() bool { return f.readOnly }

func (f *fakeActions) Restart(_ context.Context, hs []hosts.Host, unit string) []actions.RestartResult {
	f.mu.Lock()
	f.restarts = append(f.restarts, restartCall{hosts: hostNames(hs), unit: unit})
	f.mu.Unlock()
	defer func() { f.called <- struct{}{} }()
	out := make([]actions.RestartResult, len(hs))
	for i, h := range hs {
		cmd, _ := remote.RestartCommand(unit, h.Sudo)
		r := actions.RestartResult{Host: h.Name, Unit: unit, Command: cmd, Exit: 0, BackOK: true, After: 4 * time.Second}
		switch stderr, failed := f.fail[h.Name]; {
		case f.readOnly:
			r = actions.RestartResult{Host: h.Name, Unit: unit, Exit: -1,
				Err: &actions.RefusedError{Host: h.Name, Action: actions.ActionRestart, Reason: actions.ErrReadOnly}}
		case failed:
			r.Exit, r.BackOK, r.Stderr = 5, false, stderr
			r.Err = fmt.Errorf("%w: exit status 5", actions.ErrRemoteFailed)
		}
		out[i] = r
	}
	return out
}

func (f *fakeActions) Refuse(hs []hosts.Host, action string, args []string, reason error) []error {
	f.mu.Lock()
	f.refused = append(f.refused, refuseCall{hosts: hostNames(hs), action: action, args: args, reason: reason})
	f.mu.Unlock()
	out := make([]error, len(hs))
	for i, h := range hs {
		out[i] = &actions.RefusedError{Host: h.Name, Action: action, Reason: reason}
	}
	return out
}

func (f *fakeActions) Journal(_ context.Context, h hosts.Host, unit string) (string, error) {
	f.mu.Lock()
	f.journals = append(f.journals, h.Name+"/"+unit)
	f.mu.Unlock()
	return f.journal, f.jerr
}

func (f *fakeActions) snapshot() ([]restartCall, []refuseCall, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.restarts), slices.Clone(f.refused), slices.Clone(f.journals)
}

// actionInventory is inventory(n) with allow-lists: every host may restart
// libvirtd and virtlogd; odd hosts also nginx; kvm-02 uses sudo.
func actionInventory(n int) []hosts.Host {
	inv := inventory(n)
	for i := range inv {
		inv[i].User = "ops"
		inv[i].Units = []string{"libvirtd"}
		inv[i].Services = []string{"libvirtd", "virtlogd"}
		if i%2 == 0 {
			inv[i].Services = append(inv[i].Services, "nginx")
		}
		inv[i].Sudo = i == 1
	}
	return inv
}

// newActionModel is newTestModel with a fake action layer and a context.
func newActionModel(t testing.TB, inv []hosts.Host, act *fakeActions, mutate func(*Options), w, h int) Model {
	t.Helper()
	m := newTestModel(t, inv, func(o *Options) {
		if act != nil {
			o.Actions = act
		}
		if mutate != nil {
			mutate(o)
		}
	}, w, h)
	return m.withContext(t.Context())
}

// runCmds runs every command of a batch (skipping age ticks) and feeds the
// messages back into the model, one level deep: enough for an action's
// command and the refresh that follows it.
func runCmds(t testing.TB, m Model, cmd tea.Cmd) Model {
	t.Helper()
	for _, c := range flatten(cmd) {
		msg := c()
		switch msg.(type) {
		case nil, ageTickMsg:
			continue
		}
		m = step(t, m, msg)
	}
	return m
}

// pressAll presses keys in order, running the commands they return.
func pressAll(t testing.TB, m Model, ks ...string) Model {
	t.Helper()
	for _, k := range ks {
		var cmd tea.Cmd
		m, cmd = stepCmd(t, m, keytest.Press(k))
		m = runCmds(t, m, cmd)
	}
	return m
}

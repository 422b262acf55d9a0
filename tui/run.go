package tui

import (
	"context"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Run shows the console until the operator quits or ctx is cancelled. It
// applies NO_COLOR and the locale to opts, runs the program with ctx, and
// returns only after the program has restored the terminal. A quit by key
// returns nil; a cancelled ctx returns an error wrapping ctx's error (and
// tea.ErrProgramKilled). The caller owns src and stops it afterwards.
func Run(ctx context.Context, opts Options, src Source) error {
	return run(ctx, opts.WithEnv(os.Environ()), src)
}

// run is Run without reading the process environment; tests add program
// options (input, output, size).
func run(ctx context.Context, opts Options, src Source, extra ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(opts, src).withStop(ctx.Done()).withContext(ctx)
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	popts = append(popts, extra...)
	if _, err := tea.NewProgram(m, popts...).Run(); err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// withStop sets the channel that ends pending report waits and age ticks
// once the program is done.
func (m Model) withStop(stop <-chan struct{}) Model {
	m.stop = stop
	m.tick = m.stoppableTick
	return m
}

// withContext sets the context host actions run under.
func (m Model) withContext(ctx context.Context) Model {
	m.ctx = ctx
	return m
}

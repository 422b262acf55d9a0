package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// runCommands runs, in one exec, the remote commands this round needs:
// the unit state when the API is silent (to explain it) or when the slow
// cadence is due, and the kvm facts on connect and on their slow cadence.
// It updates the remembered unit state and returns the kvm result (cached
// in between, with its original time).
func (p *hostProbe) runCommands(ctx context.Context, hv hvFacts) Result {
	st, now := p.st, p.s.now()
	// After the API was silent, the unit state read to explain it is stale
	// the moment the API answers again: read it afresh.
	wantUnits := p.h.HasCheck(hosts.CheckHypervisor) && (hv.err != nil || st.apiDown ||
		!st.units.known || st.rounds-st.unitAt >= p.s.opts.UnitEvery)
	st.apiDown = p.h.HasCheck(hosts.CheckHypervisor) && hv.err != nil
	wantKVM := p.h.HasCheck(hosts.CheckKVM) && (st.kvm == nil ||
		st.rounds-st.kvmAt >= p.s.opts.KVMEvery || now.Sub(st.kvm.Time) >= p.s.opts.KVMMaxAge)
	st.units.fresh = false
	var cmds []string
	unitsCmd, timesCmd, uerr := remote.UnitStateCommands(p.h.Units)
	if wantUnits && uerr == nil {
		cmds = append(cmds, unitsCmd)
		// With the API silent, ask the host when its units went down too,
		// so SINCE is the host's time of the failure, not when we first
		// saw it.
		if hv.err != nil {
			cmds = append(cmds, timesCmd)
		}
	}
	unitParts := len(cmds)
	if wantKVM {
		cmds = append(cmds, remote.KVMFactsCommand)
	}
	parts, lat, err := p.exec(ctx, cmds)
	if wantUnits {
		if uerr != nil {
			err := fmt.Errorf("probes: unit names: %w", uerr)
			st.units = unitFacts{err: err, at: now, fresh: true, known: true}
		} else {
			st.units = p.readUnitState(parts[:unitParts], err, now)
		}
		st.unitAt = st.rounds
	}
	parts = parts[unitParts:]
	if !wantKVM {
		if st.kvm == nil {
			return Result{}
		}
		return *st.kvm
	}
	return p.readKVM(parts[0], err, lat, now)
}

// exec runs cmds as one batch and splits its output; with no commands it
// does nothing. A command that outlives its deadline suggests a dead link,
// so the pooled connection is dropped for the next round; the pool retires
// it rather than killing it, so an action running on it (a restart) ends
// on its own terms.
func (p *hostProbe) exec(ctx context.Context, cmds []string) ([]remote.BatchPart, time.Duration, error) {
	parts := make([]remote.BatchPart, len(cmds))
	if len(cmds) == 0 {
		return parts, 0, nil
	}
	script, err := remote.Batch(cmds...)
	if err != nil {
		return parts, 0, fmt.Errorf("probes: batch: %w", err)
	}
	ectx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	start := time.Now()
	res, err := p.r.Exec(ectx, script.Script)
	lat := time.Since(start)
	switch {
	case err != nil && ectx.Err() != nil && ctx.Err() == nil:
		p.dropped = true
		p.s.tr.Reconnect(p.h.Name)
		return parts, lat, fmt.Errorf("probes: exec: %w (%w)", errCallTimeout, err)
	case err != nil:
		return parts, lat, fmt.Errorf("probes: exec: %w", err)
	case res.Truncated:
		return parts, lat, fmt.Errorf("%w: output truncated by the transport", remote.ErrUnparseable)
	}
	return script.Split(string(res.Stdout)), lat, nil
}

// errPartMissing marks a batch part whose end marker never came.
var errPartMissing = errors.New("command output cut short")

func (p *hostProbe) readUnits(part remote.BatchPart, err error, now time.Time) unitFacts {
	u := unitFacts{at: now, fresh: true, known: true}
	switch {
	case err != nil:
		u.err = err
	case part.Exit < 0:
		u.err = fmt.Errorf("%w: systemctl is-active: %w", remote.ErrUnparseable, errPartMissing)
	default:
		u.states, u.err = remote.ParseUnitsActive(p.h.Units, part.Output, part.Exit)
	}
	return u
}

// readUnitState reads the answer of remote.UnitStateCommands: the units'
// state from parts[0] and, when it was asked too (parts[1]), since when
// the first that is down is down.
func (p *hostProbe) readUnitState(parts []remote.BatchPart, err error, now time.Time) unitFacts {
	u := p.readUnits(parts[0], err, now)
	if len(parts) > 1 {
		u.since = p.readSince(parts[1], err, u, now)
	}
	return u
}

// readSince is when the host says the first of u's units that is not
// active went down, on our clock (now less the host's own age of it);
// zero when the host does not say. A bad answer only loses the time: the
// unit state is read by its own command.
func (p *hostProbe) readSince(part remote.BatchPart, err error, u unitFacts, now time.Time) time.Time {
	if err != nil || part.Exit != 0 || u.err != nil {
		return time.Time{}
	}
	t, perr := remote.ParseUnitTimes(p.h.Units, part.Output)
	if perr != nil {
		return time.Time{}
	}
	age, ok := t.DownFor(u.downUnits())
	if !ok {
		return time.Time{}
	}
	return now.Add(-age)
}

// readKVM rates the kvm facts and caches a result that came from a real
// answer; a failed exec is not cached, so the next round asks again.
func (p *hostProbe) readKVM(part remote.BatchPart, err error, lat time.Duration, now time.Time) Result {
	var f remote.KVMFacts
	switch {
	case err != nil:
	case part.Exit < 0:
		err = fmt.Errorf("%w: kvm facts: %w", remote.ErrUnparseable, errPartMissing)
	case part.Exit != 0:
		err = fmt.Errorf("%w: kvm facts: exit %d", remote.ErrUnparseable, part.Exit)
	default:
		f, err = remote.ParseKVMFacts(part.Output)
	}
	res := kvmResult(p.h, f, err, lat, now)
	if err == nil || errors.Is(err, remote.ErrUnparseable) {
		p.st.kvm, p.st.kvmAt = &res, p.st.rounds
	}
	return res
}

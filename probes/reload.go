package probes

import (
	"context"
	"reflect"
	"sync"

	"github.com/hvconsole/hvconsole/hosts"
)

// runState is what Run shares with UpdateHosts: the context and wait group
// every prober runs under, and each host's prober.
type runState struct {
	ctx     context.Context
	wg      *sync.WaitGroup
	probers map[string]*proberHandle
	leaving bool // Run's context is done: start nothing more
}

// proberHandle stops one host's prober (and its backups run).
type proberHandle struct {
	host   hosts.Host
	cancel context.CancelFunc
	done   chan struct{}
}

// startProberLocked starts h's prober under Run; s.mu is held.
func (s *Scheduler) startProberLocked(h hosts.Host) {
	st, ok := s.states[h.Name]
	if !ok {
		st = newHostState()
		s.states[h.Name] = st
	}
	ctx, cancel := context.WithCancel(s.run.ctx)
	ph := &proberHandle{host: h, cancel: cancel, done: make(chan struct{})}
	s.run.probers[h.Name] = ph
	s.run.wg.Go(func() {
		defer close(ph.done)
		s.prober(ctx, &ph.host, st)
	})
}

// UpdateHosts replaces the inventory of a running scheduler (a config
// reload). Hosts no longer listed stop: their prober ends and their
// libvirt and SSH connections close. New hosts start. A host whose entry
// changed is stopped and started again with the new settings; an unchanged
// host keeps its prober, state and connections. It returns the names of the
// hosts started (new or changed) and stopped (removed or changed). Global
// settings (concurrency) keep the values Run started with. Before Run (or
// after it returned) it only replaces the inventory.
func (s *Scheduler) UpdateHosts(cfg *hosts.Config) (started, stopped []string) {
	s.mu.Lock()
	s.cfg = cfg
	if s.run == nil || s.run.leaving {
		s.mu.Unlock()
		return nil, nil
	}
	next := make(map[string]hosts.Host, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		next[h.Name] = h
	}
	var ending []*proberHandle
	for name, ph := range s.run.probers {
		if h, ok := next[name]; !ok || !reflect.DeepEqual(h, ph.host) {
			ph.cancel()
			ending = append(ending, ph)
			delete(s.run.probers, name)
			stopped = append(stopped, name)
		}
	}
	s.mu.Unlock()
	for _, ph := range ending { // each ends within its probe's deadlines
		<-ph.done
		s.forget(ph.host.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run.leaving {
		return nil, stopped
	}
	for _, h := range cfg.Hosts {
		if _, ok := s.run.probers[h.Name]; !ok {
			s.startProberLocked(h)
			started = append(started, h.Name)
		}
	}
	return started, stopped
}

// forget drops a stopped host's state and closes its connections.
func (s *Scheduler) forget(name string) {
	s.mu.Lock()
	st := s.states[name]
	delete(s.states, name)
	s.mu.Unlock()
	if st != nil {
		s.retire(st)
	}
	s.tr.Reconnect(name)
}

package probes

import (
	"context"
	"sync"
)

// mailbox carries reports from probers to the Updates channel: put never
// blocks, and a newer report replaces a queued one for the same host.
type mailbox struct {
	out    chan HostReport
	notify chan struct{}

	mu      sync.Mutex
	pending map[string]queued
	order   []string // hosts with a pending report, oldest first
	seq     uint64
}

type queued struct {
	r   HostReport
	seq uint64
}

func newMailbox(buffer int) *mailbox {
	return &mailbox{out: make(chan HostReport, buffer), notify: make(chan struct{}, 1),
		pending: map[string]queued{}}
}

func (m *mailbox) put(r HostReport) {
	m.mu.Lock()
	if _, ok := m.pending[r.Host]; !ok {
		m.order = append(m.order, r.Host)
	}
	m.seq++
	m.pending[r.Host] = queued{r, m.seq}
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// next returns the oldest pending report without removing it.
func (m *mailbox) next() (queued, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.order) == 0 {
		return queued{}, false
	}
	return m.pending[m.order[0]], true
}

// pop removes q if it is still pending (a newer report for the same host
// that arrived meanwhile stays queued).
func (m *mailbox) pop(q queued) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.pending[q.r.Host]; ok && cur.seq == q.seq {
		delete(m.pending, q.r.Host)
		m.order = m.order[1:]
	}
}

// forward moves pending reports to out until ctx ends, then closes out.
func (m *mailbox) forward(ctx context.Context) {
	defer close(m.out)
	for {
		q, ok := m.next()
		if !ok {
			select {
			case <-m.notify:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case m.out <- q.r:
			m.pop(q)
		case <-m.notify:
		case <-ctx.Done():
			return
		}
	}
}

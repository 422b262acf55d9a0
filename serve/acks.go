package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// Acks: an operator's acknowledgement of a host's problem, made from any
// attached console over the attach socket (the one write on that API; it
// changes no host), kept by the collector in its state directory so that
// it survives a restart, shown to every viewer, and mirrored as an
// Alertmanager silence of that host's alerts until it ends (the host OK
// again, the expiry passed, or removed).

// Why an ack ended (the incident journal's words).
const (
	ackRecovered = "recovered"
	ackExpired   = "expired"
	ackRemoved   = "removed"
)

// ackEntry is one ack with the silences that mirror it, by Alertmanager.
// gen tells this ack from a later one of the same host (put numbers them),
// so that a silence made late for an ack gone is deleted, not recorded.
type ackEntry struct {
	wire.Ack
	Silences map[string]string `json:"silences,omitempty"`
	gen      uint64
}

// ackBook holds the acks, persisted to path ("" keeps them in memory).
// The main loop changes it; snapshots read it, hence the lock.
type ackBook struct {
	mu   sync.Mutex
	path string
	acks map[string]*ackEntry
	gen  uint64 // the last ackEntry.gen given
}

// loadAcks reads the book at path; a missing file is an empty book.
func loadAcks(path string) (*ackBook, error) {
	b := &ackBook{path: path, acks: map[string]*ackEntry{}}
	if path == "" {
		return b, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return b, nil
	case err != nil:
		return nil, fmt.Errorf("acks %s: %w", path, err)
	}
	var list []*ackEntry
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("acks %s: %w", path, err)
	}
	for _, e := range list {
		e.Ack = e.Ack.Cleaned()
		b.gen++
		e.gen = b.gen
		b.acks[e.Host] = e
	}
	return b, nil
}

// list is every ack, by host name.
func (b *ackBook) list() []wire.Ack {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]wire.Ack, 0, len(b.acks))
	for _, e := range b.acks {
		out = append(out, e.Ack)
	}
	slices.SortFunc(out, func(x, y wire.Ack) int { return strings.Compare(x.Host, y.Host) })
	return out
}

func (b *ackBook) get(host string) (ackEntry, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.acks[host]
	if !ok {
		return ackEntry{}, false
	}
	return ackEntry{Ack: e.Ack, Silences: maps.Clone(e.Silences), gen: e.gen}, true
}

// put stores e as its host's ack and returns its generation and the
// silences of the ack it replaced, as they are when it goes.
func (b *ackBook) put(e ackEntry) (gen uint64, replaced map[string]string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.acks[e.Host]; ok {
		replaced = old.Silences
	}
	b.gen++
	e.gen = b.gen
	b.acks[e.Host] = &e
	return e.gen, replaced, b.saveLocked()
}

// remove deletes host's ack and returns its silences as they are when it
// goes (a creation retried may have added one since it was read).
func (b *ackBook) remove(host string) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids map[string]string
	if e, ok := b.acks[host]; ok {
		ids = e.Silences
	}
	delete(b.acks, host)
	return ids, b.saveLocked()
}

// silenced records id as a's silence on am when a is still its host's
// ack; false when it is gone or replaced.
func (b *ackBook) silenced(host string, gen uint64, am, id string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.acks[host]
	if !ok || e.gen != gen {
		return false, nil
	}
	if e.Silences == nil {
		e.Silences = map[string]string{}
	}
	e.Silences[am] = id // merged: the other Alertmanagers' IDs stay
	return true, b.saveLocked()
}

// saveLocked writes the book atomically: a temporary file in the same
// folder, fsynced, renamed over the old one, and the folder fsynced, so a
// crash leaves the old book or the new one, never a torn one.
func (b *ackBook) saveLocked() error {
	if b.path == "" {
		return nil
	}
	list := make([]*ackEntry, 0, len(b.acks))
	for _, e := range b.acks {
		list = append(list, e)
	}
	slices.SortFunc(list, func(x, y *ackEntry) int { return strings.Compare(x.Host, y.Host) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(b.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".acks-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename it is gone already
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), b.path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// ackReq is an ack change asked over the socket, answered by the loop.
type ackReq struct {
	ack    wire.Ack // the ack to make; only Host for a removal
	remove bool
	reply  chan ackReply
}

type ackReply struct {
	ack    wire.Ack
	status int
	err    error
}

// ackHandlers serves POST /v1/acks and DELETE /v1/acks/{host}: each
// request is handed to the main loop, which owns the alerts the ack
// silences.
func (s *server) ackHandlers(mux *http.ServeMux) {
	mux.HandleFunc("POST "+wire.AckPath, func(w http.ResponseWriter, r *http.Request) {
		var a wire.Ack
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, wire.MaxAckBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			http.Error(w, "ack: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.askLoop(w, r, ackReq{ack: a})
	})
	mux.HandleFunc("DELETE "+wire.AckPath+"/{host}", func(w http.ResponseWriter, r *http.Request) {
		s.askLoop(w, r, ackReq{ack: wire.Ack{Host: r.PathValue("host")}, remove: true})
	})
}

func (s *server) askLoop(w http.ResponseWriter, r *http.Request, req ackReq) {
	req.reply = make(chan ackReply, 1)
	select {
	case s.ackReqs <- req:
	case <-r.Context().Done():
		return
	}
	select {
	case rep := <-req.reply:
		if rep.err != nil {
			http.Error(w, rep.err.Error(), rep.status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		_ = json.NewEncoder(w).Encode(rep.ack)
	case <-r.Context().Done():
	}
}

// handleAck makes or removes an ack (in the main loop).
func (s *server) handleAck(req ackReq) {
	now := s.opts.Now()
	if req.remove {
		e, ok := s.acks.get(req.ack.Host)
		if !ok {
			req.reply <- ackReply{status: http.StatusNotFound, err: fmt.Errorf("ack: %s is not acknowledged", req.ack.Host)}
			return
		}
		err := s.endAck(e, ackRemoved)
		req.reply <- ackReply{ack: e.Ack, status: http.StatusOK, err: err}
		return
	}
	a, status, err := s.checkAck(req.ack, now)
	if err != nil {
		req.reply <- ackReply{status: status, err: err}
		return
	}
	if err := s.auditAck(a, ""); err != nil {
		req.reply <- ackReply{status: http.StatusInternalServerError, err: fmt.Errorf("ack not made: %w", err)}
		return
	}
	s.putAck(a, s.alerts.namesFor(a.Host))
	req.reply <- ackReply{ack: a, status: http.StatusCreated}
}

// putAck keeps a checked and audited ack, tells the viewers and silences
// the alerts names of its host. It replaces the host's previous ack: its
// silences are deleted and their creation's retries stopped.
func (s *server) putAck(a wire.Ack, names []string) {
	e := ackEntry{Ack: a}
	gen, replaced, err := s.acks.put(e)
	if err != nil {
		s.log.Error("ack not persisted", "host", a.Host, "err", err)
	}
	s.log.Info("ack", "host", a.Host, "owner", a.Owner, "expires", a.Expires, "note", a.Note)
	s.journalAck(a, "")
	s.publishAcks()
	s.silences.expire(replaced)
	s.silences.create(e, s.silences.ams, names, func(am, id string) { s.ackSilenced(a.Host, gen, am, id) })
}

// resumeSilences makes, when serve starts, the silences its acks lack on
// some Alertmanager (one still retried when serve last stopped, or one
// added to the config since), so that a restart does not end the retries.
// No alert fires yet, so they silence every alert of the host.
func (s *server) resumeSilences() {
	now := s.opts.Now()
	for _, a := range s.acks.list() {
		if !now.Before(a.Expires) {
			continue // the first sweep ends it
		}
		e, ok := s.acks.get(a.Host)
		var lacking []string
		for _, am := range s.silences.ams {
			if _, made := e.Silences[am]; ok && !made {
				lacking = append(lacking, am)
			}
		}
		if len(lacking) > 0 {
			s.log.Info("silences resumed", "host", a.Host, "alertmanagers", len(lacking))
			s.silences.create(e, lacking, nil, func(am, id string) { s.ackSilenced(a.Host, e.gen, am, id) })
		}
	}
}

// checkAck validates an ack request: a known host with a problem, an
// owner, text within bounds, an expiry ahead and at most MaxAckFor away.
func (s *server) checkAck(a wire.Ack, now time.Time) (wire.Ack, int, error) {
	a = a.Cleaned()
	st, known, reported := s.fleet.status(a.Host)
	switch {
	case !known:
		return a, http.StatusNotFound, fmt.Errorf("ack: %q is not an inventory host", a.Host)
	case !reported || st == probes.OK:
		return a, http.StatusConflict, fmt.Errorf("ack: %s has no problem to acknowledge", a.Host)
	case a.Owner == "" || utf8.RuneCountInString(a.Owner) > wire.MaxAckOwner:
		return a, http.StatusBadRequest, fmt.Errorf("ack: an owner of 1 to %d characters", wire.MaxAckOwner)
	case utf8.RuneCountInString(a.Note) > wire.MaxAckNote:
		return a, http.StatusBadRequest, fmt.Errorf("ack: a note of at most %d characters", wire.MaxAckNote)
	case !a.Expires.After(now) || a.Expires.Sub(now) > wire.MaxAckFor:
		return a, http.StatusBadRequest, fmt.Errorf("ack: an expiry after now and within %v", wire.MaxAckFor)
	}
	a.Made = now
	return a, 0, nil
}

// sweepAcks ends the acks whose host is OK again or whose expiry passed.
func (s *server) sweepAcks() {
	now := s.opts.Now()
	for _, a := range s.acks.list() {
		st, known, reported := s.fleet.status(a.Host)
		why := ""
		switch {
		case !known:
			why = ackRemoved // the host left the inventory
		case reported && st == probes.OK:
			why = ackRecovered
		case !now.Before(a.Expires):
			why = ackExpired
		}
		if e, ok := s.acks.get(a.Host); ok && why != "" {
			_ = s.endAck(e, why)
		}
	}
}

// endAck removes an ack, audits and journals its end, tells the viewers
// and deletes its silences.
func (s *server) endAck(e ackEntry, why string) error {
	s.silences.stop(e.Host)
	ids, err := s.acks.remove(e.Host)
	if err != nil {
		s.log.Error("ack end not persisted", "host", e.Host, "err", err)
	}
	if aerr := s.auditAck(e.Ack, why); aerr != nil {
		s.log.Error("ack end not audited", "host", e.Host, "err", aerr)
	}
	s.log.Info("ack ended", "host", e.Host, "owner", e.Owner, "why", why)
	s.journalAck(e.Ack, why)
	s.publishAcks()
	s.silences.expire(ids)
	return err
}

// ackSilenced records the silence made on am for host's ack of generation
// gen (from the silencer's goroutine, as each Alertmanager answers); when
// that ack ended or was replaced meanwhile, the silence is deleted.
func (s *server) ackSilenced(host string, gen uint64, am, id string) {
	kept, err := s.acks.silenced(host, gen, am, id)
	if err != nil {
		s.log.Error("ack silences not persisted", "host", host, "err", err)
	}
	if !kept {
		s.silences.expire(map[string]string{am: id})
	}
}

func (s *server) auditAck(a wire.Ack, ended string) error {
	if s.opts.Audit == nil {
		return nil
	}
	rec := actions.AckRecord(a.Host, a.Owner, a.Note, a.Expires, ended)
	rec.Time, rec.LocalUser = s.opts.Now().UTC(), "serve"
	return s.opts.Audit.Write(rec)
}

func (s *server) journalAck(a wire.Ack, ended string) {
	if s.opts.Journal != nil {
		s.opts.Journal.Ack(incidentAck(a, ended))
	}
}

func incidentAck(a wire.Ack, ended string) incident.Ack {
	return incident.Ack{Host: a.Host, Owner: a.Owner, Note: a.Note, Expires: a.Expires, Ended: ended}
}

func (s *server) publishAcks() {
	s.hub.publish(wire.Message{Type: wire.TypeAcks, Time: s.opts.Now(), Acks: s.acks.list()})
}

// status is a host's latest status; known is false for a host not in the
// inventory, reported false before its first report.
func (f *fleetState) status(host string) (st probes.Status, known, reported bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	known = slices.ContainsFunc(f.hosts, func(h hosts.Host) bool { return h.Name == host })
	rep, reported := f.reports[host]
	return rep.Status, known, reported
}

// namesFor are the alert names firing for host, sorted.
func (a *alerts) namesFor(host string) []string {
	var out []string
	for key, al := range a.active {
		if strings.HasPrefix(key, host+"\x00") && !slices.Contains(out, al.Labels["alertname"]) {
			out = append(out, al.Labels["alertname"])
		}
	}
	slices.Sort(out)
	return out
}

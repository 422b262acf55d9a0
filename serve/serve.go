// Package serve is `hvconsole serve`: the probes scheduler run headless as
// a collector. It keeps every host's latest report, exposes them as
// Prometheus metrics, sends alerts to Alertmanager and webhooks the moment a
// status changes, and serves attached consoles over a unix socket.
//
// It consumes probes (never tui or attach); cmd/hvconsole wires it.
package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// Scheduler is what serve needs of *probes.Scheduler.
type Scheduler interface {
	// Run probes until ctx ends, then closes Updates.
	Run(ctx context.Context) error
	Updates() <-chan probes.HostReport
	// UpdateHosts applies a reloaded inventory to the running scheduler.
	UpdateHosts(cfg *hosts.Config) (started, stopped []string)
}

// Options wire a collector. Config, Scheduler and Logger are required.
type Options struct {
	Config    *hosts.Config
	Scheduler Scheduler
	Logger    *slog.Logger
	// Reload loads and validates the config file again (SIGHUP); nil
	// ignores Reloads.
	Reload func() (*hosts.Config, error)
	// Reloads asks for a reload, one value per SIGHUP.
	Reloads <-chan struct{}
	// Version is reported in hvconsole_build_info and the landing page.
	Version string
	// MetricsListener, when set, is used instead of listening on
	// Config.Serve.Listen (tests pass a port-0 listener).
	MetricsListener net.Listener
	// HTTPClient delivers alerts (nil: a client of its own).
	HTTPClient *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Drills, when set, is exported as the restore drill metrics.
	Drills *probes.DrillStore
	// Journal, when set, journals every host's status changes (the
	// collector's own incident journal, in its state directory).
	Journal *incident.Journal
	// Audit, when set, records every ack made and ended (the audit log's
	// rules: fsynced, whole or absent; an ack it refuses is not made).
	Audit *actions.AuditLog
	// AckFile keeps the acks across restarts (acks.json in the state
	// directory); "" keeps them in memory.
	AckFile string
	// Heartbeat is how often the attach stream says the collector lives
	// (0: wire.HeartbeatInterval, which attached consoles expect).
	Heartbeat time.Duration
}

// Run collects until ctx ends. It returns after every goroutine it started
// has ended; alerts still queued are discarded, and nothing is sent as
// resolved because serve stops.
func Run(ctx context.Context, opts Options) error {
	s, err := newServer(opts)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// server is one collector's running state.
type server struct {
	opts    Options
	log     *slog.Logger
	cfg     *hosts.Config
	fleet   *fleetState
	alerts  *alerts
	notify  *notifier
	firing  atomic.Int64
	metrics net.Listener
	handler http.Handler
	// site is [serve] site as started (a reload does not change it).
	site string
	hub  *hub
	// attach is the attach socket's listener (nil: no socket).
	attach net.Listener
	// acks are the acknowledgements (acks.go); ackReqs brings the socket's
	// ack requests to the main loop; silences mirrors acks in Alertmanager.
	acks     *ackBook
	ackReqs  chan ackReq
	silences *silencer
}

func newServer(opts Options) (*server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	cfg := opts.Config
	if err := CheckWebConfig(cfg.Serve.WebConfig); err != nil {
		return nil, fmt.Errorf("serve: web config %s: %w", cfg.Serve.WebConfig, err)
	}
	s := &server{opts: opts, log: opts.Logger, cfg: cfg, fleet: newFleetState(cfg.Hosts, newSeriesBuilder(cfg.Alerting.ExternalLabels, cfg.Serve.MaxDomainSeries)),
		alerts: newAlerts(cfg.Alerting, cfg.Serve.Site), site: cfg.Serve.Site, hub: newHub(opts.Logger)}
	reg, sent := newRegistry(s.fleet, func() int { return int(s.firing.Load()) }, cfg.Alerting.ExternalLabels, opts.Version)
	registerDrills(reg, cfg.Alerting.ExternalLabels, opts.Drills)
	s.notify = newNotifier(cfg.Alerting, "", opts.HTTPClient, s.log, sent)
	h, err := metricsHandler(reg, s.fleet, opts.Version, s.log)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.handler = h
	if s.acks, err = loadAcks(opts.AckFile); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.ackReqs = make(chan ackReq)
	s.silences = newSilencer(cfg.Alerting.Alertmanagers, opts.HTTPClient, s.log, newSilenceMetrics(reg, cfg.Alerting.ExternalLabels))
	s.metrics = opts.MetricsListener
	if s.metrics == nil {
		if s.metrics, err = net.Listen("tcp", cfg.Serve.Listen); err != nil {
			return nil, fmt.Errorf("serve: metrics listener: %w", err)
		}
	}
	if cfg.Serve.Socket != "" {
		if s.attach, err = listenSocket(cfg.Serve.Socket, cfg.Serve.SocketMode); err != nil {
			s.metrics.Close()
			return nil, fmt.Errorf("serve: attach socket: %w", err)
		}
	}
	return s, nil
}

func (s *server) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var httpErr error
	wg.Go(func() {
		if httpErr = serveHTTP(ctx, s.metrics, s.handler, s.cfg.Serve.WebConfig, s.log); httpErr != nil {
			cancel() // the listener failed: stop the collector rather than run blind
		}
	})
	if s.attach != nil {
		wg.Go(func() {
			if err := serveAttach(ctx, s.attach, s.attachHandler(), s.log); err != nil {
				s.log.Error("attach socket failed", "err", err)
			}
		})
	}
	s.silences.ctx = ctx
	s.resumeSilences()
	s.notify.run(ctx, &wg)
	wg.Go(func() { _ = s.opts.Scheduler.Run(ctx) })
	s.log.Info("serving", "hosts", len(s.cfg.Hosts), "metrics", s.metrics.Addr().String(), "socket", s.cfg.Serve.Socket,
		"alertmanagers", len(s.cfg.Alerting.Alertmanagers), "webhooks", len(s.cfg.Alerting.Webhooks))
	s.loop(ctx)
	cancel()
	wg.Wait()
	s.silences.wait()
	if httpErr != nil && !errors.Is(httpErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: metrics listener: %w", httpErr)
	}
	s.log.Info("stopped")
	return nil
}

// loop is the one goroutine that owns the alerts: reports, reloads and
// resends are handled in turn. It returns when the scheduler has closed
// Updates (after ctx ended).
func (s *server) loop(ctx context.Context) {
	resend := time.NewTicker(s.cfg.Alerting.ResendInterval)
	defer resend.Stop()
	heartbeat := time.NewTicker(cmp.Or(s.opts.Heartbeat, wire.HeartbeatInterval))
	defer heartbeat.Stop()
	updates := s.opts.Scheduler.Updates()
	for {
		select {
		case rep, ok := <-updates:
			if !ok {
				return
			}
			if ctx.Err() == nil { // a report cut short by stopping says nothing
				s.observe(rep)
			}
		case <-s.opts.Reloads:
			s.reload()
			s.hub.publish(wire.Message{Type: wire.TypeSnapshot, Time: s.opts.Now(), Snapshot: new(s.snapshot())})
		case <-heartbeat.C:
			s.hub.publish(wire.Message{Type: wire.TypeHeartbeat, Time: s.opts.Now()})
			s.sweepAcks() // expiries
		case req := <-s.ackReqs:
			s.handleAck(req)
		case <-resend.C:
			s.notify.resendAll(s.alerts.due(s.opts.Now()), s.opts.Now())
		}
	}
}

// observe takes one report: events logged, alerts sent, state stored.
func (s *server) observe(rep probes.HostReport) {
	evs, ready, ok := s.fleet.put(rep)
	if !ok {
		return
	}
	for _, e := range evs {
		s.log.Info("status change", "host", e.Host, "check", e.Check, "from", e.From, "to", e.To, "summary", e.Summary)
	}
	if ready {
		s.log.Info("ready", "hosts", len(s.cfg.Hosts))
	}
	if s.opts.Journal != nil {
		s.opts.Journal.Observe(rep)
	}
	s.alertsChanged(s.alerts.observe(rep, s.opts.Now()))
	if rep.Status == probes.OK {
		if e, ok := s.acks.get(rep.Host); ok {
			_ = s.endAck(e, ackRecovered)
		}
	}
	if s.hub.active() {
		s.hub.publish(wire.Message{Type: wire.TypeReport, Time: s.opts.Now(), Host: new(wire.FromReport(rep))})
	}
}

// alertsChanged logs and sends alerts that started or resolved.
func (s *server) alertsChanged(list []*alert) {
	now := s.opts.Now()
	for _, a := range list {
		state := "firing"
		if !a.firing() {
			state = "resolved"
		}
		s.log.Info("alert "+state, "alertname", a.Labels["alertname"], "host", a.Labels["host"],
			"check", a.Labels["check"], "severity", a.Labels["severity"])
	}
	s.firing.Store(int64(s.alerts.firingCount()))
	s.notify.changed(list, now)
}

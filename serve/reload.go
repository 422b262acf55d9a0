package serve

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
)

// reload applies the config file again (SIGHUP). The new file is validated
// first: an invalid one keeps the running config and every problem is
// logged with its file:line:col. Hosts added start probing, hosts removed
// stop and their alerts resolve, unchanged hosts keep their connections.
// [serve] and [alerting] changes take effect at the next start.
func (s *server) reload() {
	if s.opts.Reload == nil {
		return
	}
	cfg, err := s.opts.Reload()
	if err != nil {
		var ce *hosts.ConfigError
		if errors.As(err, &ce) {
			for _, line := range strings.Split(ce.Error(), "\n") {
				s.log.Error("reload: config problem", "problem", line)
			}
		}
		s.log.Error("reload failed: keeping the running config", "err", firstLine(err))
		return
	}
	started, stopped := s.opts.Scheduler.UpdateHosts(cfg)
	s.fleet.setHosts(cfg.Hosts)
	now := s.opts.Now()
	for _, h := range s.cfg.Hosts {
		if !slices.ContainsFunc(cfg.Hosts, func(n hosts.Host) bool { return n.Name == h.Name }) {
			s.alertsChanged(s.alerts.forget(h.Name, now))
		}
	}
	if !reflect.DeepEqual(cfg.Serve, s.cfg.Serve) || !reflect.DeepEqual(cfg.Alerting, s.cfg.Alerting) {
		s.log.Warn("reload: [serve] and [alerting] changes take effect at the next start")
	}
	running := *s.cfg // the tables serve started with stay in force
	running.Hosts = cfg.Hosts
	s.cfg = &running
	slices.Sort(started)
	slices.Sort(stopped)
	s.log.Info("reloaded", "hosts", len(cfg.Hosts), "started", strings.Join(started, ","),
		"stopped", strings.Join(stopped, ","))
}

func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

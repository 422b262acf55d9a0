package serve

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// httpShutdownGrace bounds how long stopping waits for scrapes in flight.
const httpShutdownGrace = 5 * time.Second

// metricsHandler routes the metrics listener: a landing page at /, the
// metrics, and Prometheus' conventional health and readiness endpoints.
func metricsHandler(reg *prometheus.Registry, fleet *fleetState, version string, log *slog.Logger) (http.Handler, error) {
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "hvconsole serve",
		Description: "hvconsole collector: hypervisor fleet health for Prometheus and Alertmanager",
		Version:     version,
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", landing)
	// The fleet's series come built (series.go); the registry has the rest.
	gather := prometheus.NewMultiTRegistry(prometheus.ToTransactionalGatherer(reg), fleetGatherer{fleet})
	mux.Handle("/metrics", fastGzip(promhttp.HandlerForTransactional(gather, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError), Registry: reg, DisableCompression: true})))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "Healthy.\n")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !fleet.isReady() {
			http.Error(w, "Not ready: waiting for the first complete round.", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "Ready.\n")
	})
	return mux, nil
}

// CheckWebConfig reports, on one line, why path is not a usable Prometheus
// exporter-toolkit web config (YAML that does not parse, an unknown key, a
// password that is not a bcrypt hash, TLS files that do not load); nil
// for "" (no web config). The config loader calls it so `validate` and a
// reload report it with the key's position.
func CheckWebConfig(path string) error {
	if err := web.Validate(path); err != nil {
		return errors.New("not a usable web config: " + strings.Join(strings.Fields(err.Error()), " "))
	}
	return nil
}

// serveHTTP serves h on l (TLS and basic auth from the exporter-toolkit
// web config when set) until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, l net.Listener, h http.Handler, webConfig string, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return runServer(ctx, srv, func() error {
		return web.Serve(l, srv, &web.FlagConfig{WebConfigFile: &webConfig}, log)
	})
}

// runServer runs serve (srv's Serve on its listener) until it fails or ctx
// ends; then srv is shut down within httpShutdownGrace. The metrics and the
// attach listeners stop alike.
func runServer(ctx context.Context, srv *http.Server, serve func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

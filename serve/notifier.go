package serve

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvconsole/hvconsole/hosts"
)

// notifier fans alerts out to every configured sink: every Alertmanager
// gets every alert (its cluster deduplicates), and every webhook gets each
// change once.
type notifier struct {
	ams, hooks []*sink
	resend     time.Duration
	generator  string
	log        *slog.Logger
}

func newNotifier(cfg hosts.Alerting, generator string, client *http.Client, log *slog.Logger, sent *prometheus.CounterVec) *notifier {
	n := &notifier{resend: cfg.ResendInterval, generator: generator, log: log}
	for _, u := range cfg.Alertmanagers {
		n.ams = append(n.ams, newSink(kindAlertmanager, u, client, log, sent).within(cfg.ResendInterval))
	}
	for _, u := range cfg.Webhooks {
		n.hooks = append(n.hooks, newSink(kindWebhook, u, client, log, sent).within(cfg.ResendInterval))
	}
	return n
}

// run starts one goroutine per sink under wg; they end with ctx.
func (n *notifier) run(ctx context.Context, wg *sync.WaitGroup) {
	for _, k := range append(append([]*sink(nil), n.ams...), n.hooks...) {
		wg.Go(func() { k.run(ctx) })
	}
}

// changed sends alerts that started or resolved, at once, to every sink.
func (n *notifier) changed(list []*alert, now time.Time) {
	if len(list) == 0 {
		return
	}
	n.toAlertmanagers(list, now)
	for _, a := range list {
		body, err := webhookBody(a, n.generator)
		if err != nil {
			n.log.Error("encode webhook payload", "err", err)
			continue
		}
		for _, k := range n.hooks {
			k.enqueue(body)
		}
	}
}

// resendAll sends the current set again to every Alertmanager (webhooks
// are told of changes only, as Alertmanager itself would notify).
func (n *notifier) resendAll(list []*alert, now time.Time) {
	if len(list) > 0 {
		n.toAlertmanagers(list, now)
	}
}

func (n *notifier) toAlertmanagers(list []*alert, now time.Time) {
	if len(n.ams) == 0 {
		return
	}
	body, err := alertmanagerBody(list, now, n.resend, n.generator)
	if err != nil {
		n.log.Error("encode alerts", "err", err)
		return
	}
	for _, k := range n.ams {
		k.enqueue(body)
	}
}

package attach

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hvconsole/hvconsole/probes/wire"
)

// Acks: a console attached to collectors makes and removes acks on the
// collector that owns the host (the attach API's one write; it changes no
// host) and shows the acks every collector holds, as they change.

// AckUpdates delivers every collector's acks, merged and named as the
// console names their hosts, whenever any collector's change; only the
// latest list waits to be read.
func (f *Fleet) AckUpdates() <-chan []wire.Ack { return f.acks }

// setAcks keeps a collector's acks and publishes the merged list.
func (f *Fleet) setAcks(c *collector, list []wire.Ack) {
	c.mu.Lock()
	label := c.label
	c.acks = c.acks[:0]
	for _, a := range list {
		a = a.Cleaned()
		if label != "" {
			a.Host = label + "/" + a.Host
		}
		c.acks = append(c.acks, a)
	}
	c.mu.Unlock()
	var all []wire.Ack
	for _, o := range f.collectors {
		o.mu.Lock()
		all = append(all, o.acks...)
		o.mu.Unlock()
	}
	f.acksMu.Lock()
	defer f.acksMu.Unlock()
	select { // replace an unread list: only the latest matters
	case <-f.acks:
	default:
	}
	f.acks <- all
}

// owner finds the collector of a host as the console names it, and the
// name the collector knows it by.
func (f *Fleet) owner(host string) (*collector, string, error) {
	for _, c := range f.collectors {
		c.mu.Lock()
		label := c.label
		c.mu.Unlock()
		if label == "" && len(f.collectors) == 1 {
			return c, host, nil
		}
		if name, ok := strings.CutPrefix(host, label+"/"); ok && label != "" {
			return c, name, nil
		}
	}
	return nil, "", fmt.Errorf("attach: no collector holds %s", host)
}

// Ack asks the host's collector to acknowledge its problem.
func (f *Fleet) Ack(ctx context.Context, a wire.Ack) error {
	c, name, err := f.owner(a.Host)
	if err != nil {
		return err
	}
	a.Host = name
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return f.send(ctx, c, http.MethodPost, wire.AckPath, body)
}

// Unack asks the host's collector to remove its ack.
func (f *Fleet) Unack(ctx context.Context, host string) error {
	c, name, err := f.owner(host)
	if err != nil {
		return err
	}
	return f.send(ctx, c, http.MethodDelete, wire.AckPath+"/"+url.PathEscape(name), nil)
}

// send makes one write request; a refusal comes back with the collector's
// one-line reason.
func (f *Fleet) send(ctx context.Context, c *collector, method, path string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://hvconsole"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := transport(f.dialer, c.target).RoundTrip(req)
	if err != nil {
		return fmt.Errorf("attach %s: %w", c.target.Raw, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		why, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s refused: %s", c.siteName(), strings.TrimSpace(string(why)))
	}
	return nil
}

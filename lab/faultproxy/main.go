// Command faultproxy is the lab's degraded link: Shopify's toxiproxy, built
// in as a library, in front of a lab host's sshd. lab/lab.sh runs it; it is
// never part of hvconsole.
//
//	faultproxy serve -api ADDR
//	faultproxy set -api ADDR -name labNN -listen A:2200 -upstream A:2222 VERB [ARG...]
//
// serve runs toxiproxy's server with its HTTP API on ADDR (a loopback
// address of the lab). set makes sure the host's proxy exists (listening on
// -listen, forwarding to the sshd port -upstream) and applies VERB through
// toxiproxy's own client:
//
//	route                  the proxy only, no toxic (so a later toxic reaches
//	                       connections opened meanwhile)
//	latency RTT [JITTER]   RTT added to every round trip (half each way),
//	                       JITTER spread (+/-, half each way); Go durations
//	rate RATE              bandwidth cap each way: 1mbit, 512kbit, 100kbyte
//	stall                  bytes held, connection open, until clear
//	clear                  every toxic removed (held bytes delivered)
//	delete                 the proxy removed, its connections closed
//
// Latency, jitter, rate and stall are toxiproxy's latency and bandwidth
// toxics: a stall is a latency toxic of a day, which holds bytes (with TCP
// back-pressure behind them) and delivers them when removed; toxiproxy's
// timeout toxic would drop them instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// stallFor is how long a stall holds bytes: far longer than any test.
const stallFor = 24 * time.Hour

// apiTimeout bounds every call to the API from set.
const apiTimeout = 10 * time.Second

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "set":
		err = set(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: faultproxy serve -api ADDR\n"+
		"       faultproxy set -api ADDR -name NAME -listen ADDR -upstream ADDR route|latency RTT [JITTER]|rate RATE|stall|clear|delete")
	os.Exit(2)
}

// serve runs the toxiproxy server until SIGTERM or SIGINT. Its API must be
// on loopback: it can open listeners on this machine.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	api := fs.String("api", "", "host:port of the API (loopback)")
	_ = fs.Parse(args)
	host, port, err := net.SplitHostPort(*api)
	if err != nil {
		return fmt.Errorf("-api: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-api %s: not a loopback address", *api)
	}
	logger := zerolog.New(os.Stderr).With().Timestamp().Logger().Level(zerolog.WarnLevel)
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go server.Listen(host, port) // exits the process on a listen error
	<-ctx.Done()
	for _, p := range server.Collection.Proxies() {
		p.Stop()
	}
	return nil
}

// setOpts are the flags of set.
type setOpts struct {
	api, name, listen, upstream string
}

// set applies one verb to the named host's proxy.
func set(args []string) error {
	var o setOpts
	fs := flag.NewFlagSet("set", flag.ExitOnError)
	fs.StringVar(&o.api, "api", "", "host:port of the API")
	fs.StringVar(&o.name, "name", "", "proxy name (the lab host's name)")
	fs.StringVar(&o.listen, "listen", "", "host:port the proxy listens on")
	fs.StringVar(&o.upstream, "upstream", "", "host:port of the host's sshd")
	_ = fs.Parse(args)
	if o.api == "" || o.name == "" || o.listen == "" || o.upstream == "" || fs.NArg() == 0 {
		usage()
	}
	http.DefaultClient.Timeout = apiTimeout // toxiproxy's client uses the default client
	c := toxiclient.NewClient(o.api)
	verb, rest := fs.Arg(0), fs.Args()[1:]
	if verb == "delete" {
		p, err := c.Proxy(o.name)
		if err != nil {
			return nil // nothing to delete
		}
		return p.Delete()
	}
	p, err := ensureProxy(c, o)
	if err != nil {
		return err
	}
	toxics, err := toxicsFor(verb, rest)
	if err != nil {
		return err
	}
	if verb == "clear" {
		return clearAll(p)
	}
	for _, t := range toxics {
		_ = p.RemoveToxic(t.Name) // replace a toxic of the same kind
		if _, err := p.AddToxic(t.Name, t.Type, t.Stream, 1, t.Attributes); err != nil {
			return fmt.Errorf("%s: add %s: %w", o.name, t.Name, err)
		}
	}
	return nil
}

// ensureProxy returns the host's proxy, creating it when missing.
func ensureProxy(c *toxiclient.Client, o setOpts) (*toxiclient.Proxy, error) {
	if p, err := c.Proxy(o.name); err == nil {
		if p.Listen != o.listen || p.Upstream != o.upstream {
			return nil, fmt.Errorf("%s: proxy exists with listen %s upstream %s", o.name, p.Listen, p.Upstream)
		}
		return p, nil
	}
	p, err := c.CreateProxy(o.name, o.listen, o.upstream)
	if err != nil {
		return nil, fmt.Errorf("%s: create proxy: %w", o.name, err)
	}
	return p, nil
}

func clearAll(p *toxiclient.Proxy) error {
	ts, err := p.Toxics()
	if err != nil {
		return fmt.Errorf("%s: list toxics: %w", p.Name, err)
	}
	var errs []error
	for _, t := range ts {
		errs = append(errs, p.RemoveToxic(t.Name))
	}
	return errors.Join(errs...)
}

// toxicsFor builds the toxics of a verb, one per direction.
func toxicsFor(verb string, args []string) ([]toxiclient.Toxic, error) {
	both := func(kind, typ string, attrs toxiclient.Attributes) []toxiclient.Toxic {
		return []toxiclient.Toxic{
			{Name: kind + "_up", Type: typ, Stream: "upstream", Attributes: attrs},
			{Name: kind + "_down", Type: typ, Stream: "downstream", Attributes: attrs},
		}
	}
	switch {
	case (verb == "route" || verb == "clear" || verb == "stall") && len(args) == 0:
		if verb == "stall" {
			return both("stall", "latency", toxiclient.Attributes{"latency": stallFor.Milliseconds()}), nil
		}
		return nil, nil
	case verb == "latency" && (len(args) == 1 || len(args) == 2):
		rtt, err := time.ParseDuration(args[0])
		if err != nil || rtt < 0 {
			return nil, fmt.Errorf("latency %q: want a duration like 150ms", args[0])
		}
		var jitter time.Duration
		if len(args) == 2 {
			if jitter, err = time.ParseDuration(args[1]); err != nil || jitter < 0 {
				return nil, fmt.Errorf("jitter %q: want a duration like 20ms", args[1])
			}
		}
		return both("latency", "latency", toxiclient.Attributes{
			"latency": (rtt / 2).Milliseconds(), "jitter": (jitter / 2).Milliseconds()}), nil
	case verb == "rate" && len(args) == 1:
		kb, err := ParseRate(args[0])
		if err != nil {
			return nil, err
		}
		return both("rate", "bandwidth", toxiclient.Attributes{"rate": kb}), nil
	}
	return nil, fmt.Errorf("bad verb or arguments: %s %s", verb, strings.Join(args, " "))
}

// ParseRate turns "1mbit", "512kbit", "100kbyte" or "2mbyte" into the
// kilobytes (1000 bytes) per second of toxiproxy's bandwidth toxic (at
// least 1).
func ParseRate(s string) (int64, error) {
	units := []struct {
		suffix string
		bytes  float64
	}{{"kbit", 125}, {"mbit", 125_000}, {"kbyte", 1000}, {"mbyte", 1_000_000}}
	for _, u := range units {
		num, ok := strings.CutSuffix(strings.ToLower(s), u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v <= 0 || v > 1e6 {
			break
		}
		return max(1, int64(v*u.bytes/1000)), nil
	}
	return 0, fmt.Errorf("rate %q: want e.g. 1mbit, 512kbit, 100kbyte", s)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// checkJSON is the documented `check --json` document. Field names are a
// public contract: scripts parse them. Change only by adding fields.
type checkJSON struct {
	Time   string        `json:"time"`
	Status probes.Status `json:"status"`
	Hosts  []hostJSON    `json:"hosts"`
}

// The host, check and VM shapes are the wire package's, shared with the
// attach API.
type (
	hostJSON    = wire.Host
	checkResult = wire.Check
	vmJSON      = wire.VM
)

// fleetStatus is the worst host status; an empty fleet is UNKNOWN because
// nothing was checked.
func fleetStatus(reports []probes.HostReport) probes.Status { return wire.FleetStatus(reports) }

func toJSON(now time.Time, reports []probes.HostReport) checkJSON {
	doc := checkJSON{Time: now.UTC().Format(time.RFC3339), Status: fleetStatus(reports), Hosts: []hostJSON{}}
	for _, r := range reports {
		doc.Hosts = append(doc.Hosts, wire.FromReport(r))
	}
	return doc
}

func writeJSON(w io.Writer, now time.Time, reports []probes.HostReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(now, reports))
}

// writeTable prints one line per check, grouped by host, for people.
func writeTable(w io.Writer, reports []probes.HostReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSTATUS\tCHECK\tSUMMARY")
	for _, r := range reports {
		for i, c := range r.Checks {
			host, status := "", ""
			if i == 0 {
				host, status = r.Host, r.Status.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s: %s\t%s\n", host, status, c.Check, c.Status, oneLine(c.Summary))
		}
	}
	fmt.Fprintf(tw, "\nfleet: %s\n", summaryLine(reports))
	return tw.Flush()
}

func summaryLine(reports []probes.HostReport) string {
	counts := map[probes.Status]int{}
	for _, r := range reports {
		counts[r.Status]++
	}
	parts := []string{fleetStatus(reports).String()}
	for _, s := range []probes.Status{probes.CRIT, probes.UNKNOWN, probes.WARN, probes.OK} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

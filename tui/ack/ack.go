// Package ack is an acknowledgement of a host's problem in the console:
// who owns it, what they said and until when. An ack is not a host action:
// it changes nothing on the host, only how the console rings and sorts,
// so a read-only or attached console may make one.
package ack

import (
	"strconv"
	"time"

	"github.com/hvconsole/hvconsole/tui/cell"
)

// DefaultExpiry is how long an ack lasts unless the operator types
// another duration.
const DefaultExpiry = 2 * time.Hour

// MaxExpiry bounds a typed expiry: an ack is for an incident, not a
// standing silence.
const MaxExpiry = 7 * 24 * time.Hour

// Limits on the typed fields (a paste cannot grow them without end).
const (
	MaxOwner = 32
	MaxNote  = 200
)

// Action names acks in the event log and the audit log.
const Action = "ack"

// Why an ack ended; the same words as the incident journal's.
const (
	Recovered = "recovered" // the host was OK again
	Expired   = "expired"   // its expiry passed
	Removed   = "removed"   // an operator removed it (A)
)

// Ack is one host's acknowledgement. Owner and Note are cleaned when the
// ack is made.
type Ack struct {
	Host, Owner, Note string
	Made, Expires     time.Time
}

// New makes an ack of host by owner, with note, for d from now.
func New(host, owner, note string, now time.Time, d time.Duration) Ack {
	return Ack{Host: host, Owner: cell.Clean(owner), Note: cell.Clean(note), Made: now, Expires: now.Add(d)}
}

// Left is how long the ack still lasts (0 once expired).
func (a Ack) Left(now time.Time) time.Duration { return max(a.Expires.Sub(now), 0) }

// Over reports an ack whose expiry has passed.
func (a Ack) Over(now time.Time) bool { return !now.Before(a.Expires) }

// Short is the table's form: "ACK alice 1h52m".
func (a Ack) Short(now time.Time) string { return "ACK " + a.Owner + " " + LeftText(a.Left(now)) }

// Full is the pane's, war room's and event log's form:
// `ACK alice 1h52m left: "on it, disk full"`.
func (a Ack) Full(now time.Time) string {
	s := a.Short(now) + " left"
	if a.Note != "" {
		s += `: "` + a.Note + `"`
	}
	return s
}

// LeftText is a remaining time in whole minutes ("1h52m", "7m"), in
// seconds under a minute ("40s").
func LeftText(d time.Duration) string {
	switch {
	case d >= time.Hour:
		m := int(d / time.Minute)
		return strconv.Itoa(m/60) + "h" + pad2(m%60) + "m"
	case d >= time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "s"
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// NextChange is how long until the ack's text changes or it expires.
func (a Ack) NextChange(now time.Time) time.Duration {
	left := a.Left(now)
	switch {
	case left <= 0:
		return 0
	case left <= time.Minute:
		if r := left % time.Second; r > 0 {
			return r
		}
		return time.Second
	}
	if r := left % time.Minute; r > 0 {
		return r
	}
	return time.Minute
}

package sshx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// labHost is this package's lab host (hosts/labtest's package doc: 1-4).
const labHost = 1

// With SSH keepalives an hour apart, only the kernel's TCP keepalive can
// find a dead link: a partition of the host (nftables drops every packet)
// ends the connection, and the client dies of ErrKeepalive, as with missed
// SSH keepalives, not of "connection timed out". The wait for it is
// bounded; how long it took is logged, not asserted.
func TestLabTCPKeepaliveFindsPartition(t *testing.T) {
	l := labtest.Require(t)
	if !l.Has(labHost) {
		t.Fatalf("lab host %d is not up", labHost)
	}
	h := l.Host(labHost)
	p := newPool(t, Options{KeepaliveInterval: time.Hour, TCPKeepalive: time.Second})
	c := mustGet(t, p, Target{Endpoint: Endpoint{Name: h.Name, Address: h.Address, Port: h.Port, User: "root",
		IdentityFiles: []string{l.IdentityFile}, KnownHosts: []string{l.KnownHosts}}, ConnectTimeout: 5 * time.Second})
	if res, err := c.Exec(testCtx(t), "true"); err != nil || res.ExitCode != 0 {
		t.Fatalf("before the partition: %v, exit %d", err, res.ExitCode)
	}
	start := time.Now()
	l.NetPartition(t, labHost)
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the connection still lives 30 s into a partition")
	}
	t.Logf("dead %s into the partition: %v", time.Since(start).Round(time.Millisecond), c.Err())
	if err := c.Err(); !errors.Is(err, ErrKeepalive) || !strings.Contains(err.Error(), "TCP: no answer for 7s") {
		t.Errorf("Err() = %v, want ErrKeepalive (TCP: no answer for 7s)", err)
	}
}

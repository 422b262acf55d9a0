package probes

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// defaultHostKeyRecheck applies when the config leaves host_key_recheck unset.
const defaultHostKeyRecheck = time.Minute

// SummaryKeyRefused is what the checks after ssh say when the host's key
// was refused on a re-check and its connection dropped.
const SummaryKeyRefused = "not checked: host key refused"

// hostKeyVerifier is a Transport that can check a host's key again on a
// fresh handshake while the pooled connection lives on (SSHTransport).
// VerifyHostKey returns an error only for a refused key (changed, unknown,
// revoked): a fresh dial that fails for another reason says nothing about
// the key, and the pooled connection's own health covers reachability.
type hostKeyVerifier interface {
	VerifyHostKey(ctx context.Context, h hosts.Host) error
}

// recheckKey checks the host's key again once its connection is older than
// host_key_recheck. A host whose sshd restarted with new keys keeps serving
// the old session, so without this the console would show it OK for as
// long as that session lives while `check` reports the mismatch. A refused
// key drops the pooled connection and the libvirt session (we stop talking
// to a host we can no longer trust) and returns the ssh result to report.
func (p *hostProbe) recheckKey(ctx context.Context) (Result, bool) {
	v, ok := p.s.tr.(hostKeyVerifier)
	now := p.s.now()
	if !ok || now.Sub(p.st.keyAt) < p.s.keyRecheck() {
		return Result{}, false
	}
	p.st.keyAt = now
	vctx, cancel := context.WithTimeout(ctx, connectTimeout(p.h))
	defer cancel()
	start := time.Now()
	err := v.VerifyHostKey(vctx, p.h)
	if err == nil || ctx.Err() != nil {
		return Result{}, false
	}
	p.st.remote = nil
	p.s.retire(p.st)
	p.s.tr.Reconnect(p.h.Name)
	st, sum := p.s.classify(err)
	err = fmt.Errorf("probes: host key re-check of %s on a fresh handshake: %w", p.h.Name, err)
	return newResult(p.h.Name, hosts.CheckSSH, st, sum,
		"the host no longer presents the key known_hosts holds; its connection was dropped", err,
		time.Since(start), p.s.now()), true
}

func (s *Scheduler) keyRecheck() time.Duration {
	return orDefault(s.cfg.HostKeyRecheck, defaultHostKeyRecheck)
}

// firstKeyRecheckOffset is how much sooner than host_key_recheck a new
// connection's first re-check comes, in [0, every/2): random, but seeded by
// the host's name so it is the same on every reconnect. Hosts connected
// together (a cold round of thousands) then come due spread over half the
// interval instead of all at once; later re-checks keep that spread, and
// none comes later than host_key_recheck.
func firstKeyRecheckOffset(host string, every time.Duration) time.Duration {
	if every < 2 {
		return 0
	}
	f := fnv.New64a()
	f.Write([]byte(host))
	seed := f.Sum64()
	return time.Duration(rand.New(rand.NewPCG(seed, seed)).Int64N(int64(every / 2)))
}

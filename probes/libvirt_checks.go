package probes

import (
	"context"

	"github.com/hvconsole/hvconsole/hosts"
)

// resources runs the resources check over the host's libvirt session and
// one batched exec, under the probe deadline.
func (p *hostProbe) resources(ctx context.Context) (Result, *Resources) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	sess, err := p.session(ctx)
	if err != nil {
		return p.unavailable(hosts.CheckResources, err), nil
	}
	return resourcesCheck(ctx, sess, p.r.Exec, p.h, p.s.now())
}

// storage runs the storage pools check over the host's libvirt session.
func (p *hostProbe) storage(ctx context.Context) (Result, []Pool) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	sess, err := p.session(ctx)
	if err != nil {
		return p.unavailable(hosts.CheckStorage, err), nil
	}
	return storagePools(ctx, sess, p.h, p.s.now())
}

// unavailable is a check that could not ask libvirt: UNKNOWN with why.
func (p *hostProbe) unavailable(check string, err error) Result {
	return newResult(p.h.Name, check, UNKNOWN, "libvirt API unavailable: "+reason(err), "", err, 0, p.s.now())
}

// security runs the security check over the host's libvirt session and
// one exec, under the probe deadline, on the kvm facts' slow cadence; in
// between the cached result is reported again.
func (p *hostProbe) security(ctx context.Context) Result {
	st, now := p.st, p.s.now()
	if st.security != nil && st.rounds-st.securityAt < p.s.opts.KVMEvery && now.Sub(st.security.Time) < p.s.opts.KVMMaxAge {
		return *st.security
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	sess, err := p.session(ctx)
	if err != nil {
		return p.unavailable(hosts.CheckSecurity, err)
	}
	// Cached whatever it says: an unreadable qemu.conf (UNKNOWN) stays
	// unreadable, and asking again every round would cost an exec each.
	res := securityCheck(ctx, sess, p.r.Exec, p.h, now)
	st.security, st.securityAt = &res, st.rounds
	return res
}

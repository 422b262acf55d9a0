package probes

import (
	"context"
	"errors"

	"github.com/hvconsole/hvconsole/hosts"
)

// errNoResourceAPI is the reason when the libvirt connection in use cannot
// answer the resources or storage procedures (a test double, say).
var errNoResourceAPI = errors.New("probes: libvirt connection does not offer these procedures")

// resources runs the resources check over the host's libvirt session and
// one batched exec, under the probe deadline.
func (p *hostProbe) resources(ctx context.Context) (Result, *Resources) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	sess, err := p.session(ctx)
	if err != nil {
		return p.unavailable(hosts.CheckResources, err), nil
	}
	api, ok := sess.api.(resourcesAPI)
	if !ok {
		return p.unavailable(hosts.CheckResources, errNoResourceAPI), nil
	}
	return resourcesCheck(ctx, api, sess.do, p.r.Exec, p.h, p.s.now())
}

// storage runs the storage pools check over the host's libvirt session.
func (p *hostProbe) storage(ctx context.Context) (Result, []Pool) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
	defer cancel()
	sess, err := p.session(ctx)
	if err != nil {
		return p.unavailable(hosts.CheckStorage, err), nil
	}
	api, ok := sess.api.(storageAPI)
	if !ok {
		return p.unavailable(hosts.CheckStorage, errNoResourceAPI), nil
	}
	return storagePools(ctx, api, sess.do, p.h, p.s.now())
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
	api, ok := sess.api.(securityAPI)
	if !ok {
		return p.unavailable(hosts.CheckSecurity, errNoResourceAPI)
	}
	// Cached whatever it says: an unreadable qemu.conf (UNKNOWN) stays
	// unreadable, and asking again every round would cost an exec each.
	res := securityCheck(ctx, api, sess.do, p.r.Exec, p.h, now)
	st.security, st.securityAt = &res, st.rounds
	return res
}

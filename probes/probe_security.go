package probes

import (
	"context"

	"github.com/hvconsole/hvconsole/hosts"
)

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
	api, ok := sess.api.(SecurityAPI)
	if !ok {
		return p.unavailable(hosts.CheckSecurity, errNoResourceAPI)
	}
	// Cached whatever it says: an unreadable qemu.conf (UNKNOWN) stays
	// unreadable, and asking again every round would cost an exec each.
	res := SecurityCheck(ctx, api, sess.do, p.r.Exec, p.h, now)
	st.security, st.securityAt = &res, st.rounds
	return res
}

package probes

import (
	"context"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// virshRetryEvery is how many rounds pass on the virsh fallback before the
// tunnel is tried again (a site may re-enable socket forwarding).
const virshRetryEvery = 10

// fallback decides, after the libvirt channel was refused, whether sshd
// forbids socket forwarding while the daemon answers virsh; then the
// round's facts come from virsh. ok is false when virsh cannot stand in
// (the daemon is down too, or virsh is missing): the tunnel error stands.
func (p *hostProbe) fallback(ctx context.Context, openErr error) (hvFacts, vmFacts, bool) {
	start := time.Now()
	verdict, res, err := diagnoseTunnel(ctx, p.r, p.h, openErr)
	if err != nil || verdict != tunnelForwardingRefused {
		return hvFacts{}, vmFacts{}, false
	}
	p.st.viaVirsh = true
	hv, vms := fromVirsh(res, time.Since(start))
	return hv, vms, true
}

// askVirsh reads the round's facts from virsh alone, for a host already
// known to refuse the tunnel.
func (p *hostProbe) askVirsh(ctx context.Context) (hvFacts, vmFacts, netFacts) {
	start := time.Now()
	res, err := virshFacts(ctx, p.r, p.h)
	if err != nil {
		p.st.viaVirsh = false // try the tunnel again next round
		return hvFacts{err: err, via: viaVirsh}, vmFacts{err: err, via: viaVirsh}, netFacts{}
	}
	hv, vms := fromVirsh(res, time.Since(start))
	return hv, vms, netFacts{}
}

// fromVirsh turns virsh's answer into the same facts the tunnel gives, so
// the checks rate both paths alike.
func fromVirsh(res virshResult, lat time.Duration) (hvFacts, vmFacts) {
	hv := hvFacts{
		libVer: res.Version.LibVersion, hvVer: res.Version.HVVersion,
		hvType:   remote.CleanLine(res.Version.HVType),
		answered: true, latency: lat, via: viaVirsh,
	}
	vms := vmFacts{vms: res.VMs, capped: res.Capped, latency: lat, via: viaVirsh}
	return hv, vms
}

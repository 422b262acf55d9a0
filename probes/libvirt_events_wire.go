package probes

import (
	"encoding/binary"
	"reflect"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// lifecycleMsg is one domain lifecycle event as the daemon sent it:
// libvirt's remote_domain_event_callback_lifecycle_msg (remote_protocol.x,
// go-libvirt's DomainEventCallbackLifecycleMsg) less the domain's UUID and
// ID, which hvconsole does not show.
type lifecycleMsg struct {
	callbackID  int32
	domain      string // as sent, at most maxEventName bytes
	typ, detail int32  // virDomainEventType and its detail
	at          time.Time
}

// domainEvent is m in words, its domain name cleaned for the screen.
func (m lifecycleMsg) domainEvent() domainEvent {
	return domainEvent{Domain: remote.CleanLine(m.domain), What: eventText(m.typ, m.detail), At: m.at}
}

// maxEventName bounds the bytes of a domain name an event keeps: the
// screen shows remote.MaxSummary runes of it at most (remote.CleanLine),
// and a name a daemon claims longer must not be held, 32 events per host.
const maxEventName = 4 * remote.MaxSummary

// isLifecycleEvent reports whether h heads a lifecycle event: an
// unsolicited message (no call asked for it) of the remote program.
func isLifecycleEvent(h rpcHeader) bool {
	return h.program == remote.RemoteProgram && h.typ == remote.MsgMessage &&
		h.proc == remote.ProcDomainEventCallbackLifecycle && h.status == remote.StatusOK
}

// lifecycleType is go-libvirt's generated type of the event, whose
// layout the body must have.
var lifecycleType = reflect.TypeFor[libvirt.DomainEventCallbackLifecycleMsg]()

// decodeLifecycle reads a lifecycle event's body, in XDR: int callbackID;
// the domain (string name, opaque uuid[16], int id); int event; int detail.
// The body is first walked as go-libvirt's type of it (checkBody, which
// allocates nothing) and must hold exactly those fields; then the fields
// are read from where that layout puts them. Only the name is allocated,
// at most maxEventName bytes of it. A body of another shape is an
// errMalformedReply.
func decodeLifecycle(body []byte) (lifecycleMsg, error) {
	if err := checkBody(lifecycleType, body, true); err != nil {
		return lifecycleMsg{}, err
	}
	word := func(p []byte) int32 { return int32(binary.BigEndian.Uint32(p)) }
	n := int(binary.BigEndian.Uint32(body[4:])) // fits: the walk took it
	tail := body[len(body)-8:]                  // after the name, UUID and ID
	return lifecycleMsg{callbackID: word(body), domain: string(body[8 : 8+min(n, maxEventName)]),
		typ: word(tail), detail: word(tail[4:])}, nil
}

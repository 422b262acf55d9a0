package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits on what a decoder accepts from a collector: a collector is
// another machine, so its bytes never decide how much we allocate beyond
// these.
const (
	// MaxMessage bounds one stream line or one snapshot document: room for
	// a snapshot of 10,000 hosts with their VMs.
	MaxMessage = 32 << 20
	maxHosts   = 100_000
	maxChecks  = 64
	maxVMs     = 10_000
	maxEvents  = 100
)

// Errors of the decoder; every one means the stream cannot be trusted and
// the viewer reconnects.
var (
	ErrTooLong = errors.New("wire: message longer than the limit")
	ErrInvalid = errors.New("wire: invalid message")
)

// Decoder reads the attach stream: newline-delimited JSON messages.
type Decoder struct {
	r *bufio.Reader
}

// NewDecoder reads messages from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next message. It fails with ErrTooLong, ErrInvalid (a
// line that is not a valid message) or the reader's error (io.EOF at the
// end of the stream).
func (d *Decoder) Next() (Message, error) {
	line, err := d.line()
	if err != nil {
		return Message{}, err
	}
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return m, m.validate()
}

// line reads one line of at most MaxMessage bytes, without its newline;
// blank lines are skipped.
func (d *Decoder) line() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxMessage+1 {
			return nil, ErrTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			if l := bytes.TrimSpace(buf); len(l) > 0 {
				return l, nil
			}
			buf = buf[:0]
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(buf)) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

func (m Message) validate() error {
	switch m.Type {
	case TypeHeartbeat, TypeAcks:
		return nil // an ack's text is cleaned by whoever shows it (Ack.Cleaned)
	case TypeSnapshot:
		if m.Snapshot == nil {
			return fmt.Errorf("%w: snapshot without a snapshot", ErrInvalid)
		}
		return m.Snapshot.validate()
	case TypeReport:
		if m.Host == nil {
			return fmt.Errorf("%w: report without a host", ErrInvalid)
		}
		return m.Host.validate()
	}
	return fmt.Errorf("%w: unknown type %q", ErrInvalid, m.Type)
}

// DecodeSnapshot reads one snapshot document (GET /v1/snapshot).
func DecodeSnapshot(r io.Reader) (Snapshot, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMessage+1))
	if err != nil {
		return Snapshot{}, err
	}
	if len(data) > MaxMessage {
		return Snapshot{}, ErrTooLong
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return Snapshot{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, s.validate()
}

func (s Snapshot) validate() error {
	if len(s.Hosts) > maxHosts {
		return fmt.Errorf("%w: %d hosts", ErrInvalid, len(s.Hosts))
	}
	seen := make(map[string]bool, len(s.Hosts))
	for _, h := range s.Hosts {
		if err := h.validate(); err != nil {
			return err
		}
		if seen[h.Name] {
			return fmt.Errorf("%w: host %q twice", ErrInvalid, h.Name)
		}
		seen[h.Name] = true
	}
	return nil
}

func (h Host) validate() error {
	switch {
	case h.Name == "":
		return fmt.Errorf("%w: host without a name", ErrInvalid)
	case len(h.Checks) > maxChecks, len(h.VMs) > maxVMs, len(h.Events) > maxEvents:
		return fmt.Errorf("%w: host %q: too many checks, VMs or events", ErrInvalid, h.Name)
	}
	return nil
}

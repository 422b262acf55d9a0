package incident

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hvconsole/hvconsole/probes"
)

// maxLine bounds one journal line: a record is a few hundred bytes, so a
// longer line is not ours and is skipped without being held whole.
const maxLine = 64 << 10

// maxRead bounds what Load reads of one file, whatever the file claims.
const maxRead = 64 << 20

// Decoded is what Decode read.
type Decoded struct {
	Records []Record
	// Skipped counts lines that were not a record: torn by a crash, too
	// long, not JSON, or of an unknown kind.
	Skipped int
}

// Decode reads JSON-lines records from r. A line that is not a record is
// skipped and counted, never fatal: one bad line must not hide a
// postmortem. Only a read error is returned.
func Decode(r io.Reader) (Decoded, error) {
	var d Decoded
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 || errors.Is(err, errLineTooLong) {
			if rec, ok := decodeLine(line, err); ok {
				d.Records = append(d.Records, rec)
			} else {
				d.Skipped++
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return d, nil
		case err != nil && !errors.Is(err, errLineTooLong):
			return d, err
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline. A line longer than
// maxLine is consumed and reported as errLineTooLong (its bytes dropped).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+1 {
			return nil, skipLine(br, err)
		}
		line = append(line, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return line, err
		}
		return line[:len(line)-1], nil
	}
}

// skipLine discards the rest of an over-long line.
func skipLine(br *bufio.Reader, err error) error {
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = br.ReadSlice('\n')
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errLineTooLong, err) // EOF or a read error ends the file
	}
	return errLineTooLong
}

// decodeLine parses one line; ok is false for anything but a known record.
func decodeLine(line []byte, err error) (Record, bool) {
	if errors.Is(err, errLineTooLong) {
		return Record{}, false
	}
	var rec Record
	if json.Unmarshal(line, &rec) != nil || rec.Time.IsZero() || rec.Host == "" {
		return Record{}, false
	}
	switch rec.Kind {
	case KindStatus:
		if _, err := probes.ParseStatus(rec.To); err != nil {
			return Record{}, false
		}
	case KindAck, KindAction, KindDrill:
	default:
		return Record{}, false
	}
	return rec, true
}

// Load reads the journal at path with its rotated files, oldest first
// (path.keep ... path.1, path). Missing files are skipped.
func Load(path string, keep int) (Decoded, error) {
	var all Decoded
	names := make([]string, 0, keep+1)
	for i := keep; i >= 1; i-- {
		names = append(names, rotated(path, i))
	}
	for _, name := range append(names, path) {
		d, err := loadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return all, fmt.Errorf("incident: journal %s: %w", name, err)
		}
		all.Records = append(all.Records, d.Records...)
		all.Skipped += d.Skipped
	}
	return all, nil
}

func loadFile(name string) (Decoded, error) {
	f, err := os.Open(name)
	if err != nil {
		return Decoded{}, err
	}
	defer f.Close()
	return Decode(io.LimitReader(f, maxRead))
}

// lastStatuses reads each host's last journaled status from the newest
// rotated file and the current one (a host silent for longer is read as
// not in an incident, which its next report corrects).
func lastStatuses(path string) map[string]probes.Status {
	last := map[string]probes.Status{}
	for _, name := range []string{rotated(path, 1), path} {
		d, err := loadFile(name)
		if err != nil {
			continue
		}
		for _, rec := range d.Records {
			if rec.Kind != KindStatus {
				continue
			}
			if s, err := probes.ParseStatus(rec.To); err == nil {
				last[rec.Host] = s
			}
		}
	}
	return last
}

package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
)

// ExecResult is what one remote command produced. Stdout and Stderr are the
// raw bytes (control characters included: parsers sanitize what they keep),
// each capped at Options.MaxOutput.
type ExecResult struct {
	Stdout, Stderr []byte
	// ExitCode is the command's exit status; -1 when it died by a signal or
	// the server sent no status.
	ExitCode int
	// Signal names the signal that killed the command ("" otherwise).
	Signal string
	// Truncated is true when stdout or stderr exceeded the cap; the excess
	// was read and discarded so the remote side never blocks.
	Truncated bool
}

// Exec runs cmd in a new session and collects its output. A non-zero exit
// is not an error: it is in ExitCode. The whole call (channel open, exec
// request, run) is bounded by ctx: at its end the session is closed (the
// reliable way to stop a remote command) and ctx's error is returned. Once
// the command was sent, an error without an exit status wraps
// ErrExitUnknown: the command may have run on the host.
// cmd must come from the builders in package hosts.
func (c *Client) Exec(ctx context.Context, cmd string) (ExecResult, error) {
	if err := ctx.Err(); err != nil {
		return ExecResult{ExitCode: -1}, fmt.Errorf("sshx: exec on %s: %w", c.name, err)
	}
	c.beginExec()
	defer c.endExec()
	run := &execRun{
		stdout: &cappedBuffer{max: c.maxOutput},
		stderr: &cappedBuffer{max: c.maxOutput},
		result: make(chan error, 1),
	}
	if !c.goTracked(func() { run.result <- run.run(c.ssh, cmd) }) {
		return ExecResult{ExitCode: -1}, fmt.Errorf("sshx: exec on %s: %w", c.name, ErrClosed)
	}
	select {
	case err := <-run.result:
		return run.finish(c, err)
	case <-ctx.Done():
		if run.cancel() {
			return ExecResult{ExitCode: -1}, fmt.Errorf("sshx: exec on %s: %w: session closed locally: %w",
				c.name, ErrExitUnknown, ctx.Err())
		}
		return ExecResult{ExitCode: -1}, fmt.Errorf("sshx: exec on %s: %w", c.name, ctx.Err())
	}
}

// execRun is one Exec: the session, once open, whether the command was
// sent, and whether the caller gave up (then a late session is closed as
// soon as it opens).
type execRun struct {
	stdout, stderr *cappedBuffer
	result         chan error

	mu        sync.Mutex
	sess      *ssh.Session
	started   bool
	cancelled bool
}

func (r *execRun) run(client *ssh.Client, cmd string) error {
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	r.mu.Lock()
	if r.cancelled {
		r.mu.Unlock()
		return context.Canceled
	}
	r.sess, r.started = sess, true
	r.mu.Unlock()
	sess.Stdout, sess.Stderr = r.stdout, r.stderr
	if err := sess.Start(cmd); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return sess.Wait()
}

// cancel closes the session and reports whether the command had been sent.
func (r *execRun) cancel() (started bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancelled = true
	if r.sess != nil {
		_ = r.sess.Close()
	}
	return r.started
}

// finish turns Session.Wait's error into an ExecResult. Only called after
// run returned, so the buffers are no longer written.
func (r *execRun) finish(c *Client, err error) (ExecResult, error) {
	res := ExecResult{
		Stdout:    r.stdout.buf,
		Stderr:    r.stderr.buf,
		Truncated: r.stdout.truncated || r.stderr.truncated,
	}
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitStatus()
		if sig := exitErr.Signal(); sig != "" {
			res.ExitCode, res.Signal = -1, sanitize(sig)
		}
		return res, nil
	case r.started:
		// Sent, but no status: say why the session ended when the
		// connection died under it (retired, closed, keepalive).
		res.ExitCode = -1
		if cerr := c.Err(); cerr != nil {
			err = fmt.Errorf("%w (%w)", err, cerr)
		}
		return res, fmt.Errorf("sshx: exec on %s: %w: %w", c.name, ErrExitUnknown, err)
	default:
		return ExecResult{ExitCode: -1}, fmt.Errorf("sshx: exec on %s: %w", c.name, err)
	}
}

// cappedBuffer keeps the first max bytes written and discards the rest,
// always reporting success so the session keeps draining the channel.
type cappedBuffer struct {
	max       int
	buf       []byte
	truncated bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - len(b.buf)
	if len(p) > room {
		b.truncated = true
		b.buf = append(b.buf, p[:max(room, 0)]...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// readFromFirst is the room a cappedBuffer's first read gets; it doubles
// as output comes, up to max.
const readFromFirst = 512

// ReadFrom reads r to its end into the buffer. x/crypto's session copies
// a command's stdout and stderr with io.Copy, which without it allocates a
// 32 KiB buffer per stream per command: at 10,000 hosts, half of all that
// a steady round allocated. Reads go straight into the buffer's spare room,
// grown as output comes and never beyond max; what comes beyond max is
// read into a small scratch buffer and discarded.
func (b *cappedBuffer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	var scratch []byte
	for {
		var p []byte
		if len(b.buf) < b.max {
			if len(b.buf) == cap(b.buf) {
				b.buf = slices.Grow(b.buf, min(max(readFromFirst, len(b.buf)), b.max-len(b.buf)))
			}
			p = b.buf[len(b.buf):min(cap(b.buf), b.max)]
		} else {
			if scratch == nil {
				scratch = make([]byte, readFromFirst)
			}
			p = scratch
		}
		n, err := r.Read(p)
		total += int64(n)
		if len(b.buf) < b.max {
			b.buf = b.buf[:len(b.buf)+n]
		} else if n > 0 {
			b.truncated = true
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

package sshx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

func TestExec(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{MaxOutput: 16})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))

	tests := []struct {
		cmd     string
		want    ExecResult
		wantErr bool // the error wraps *ssh.ExitMissingError
	}{
		{cmd: "echo hello", want: ExecResult{Stdout: []byte("hello\n")}},
		{cmd: "fail 3", want: ExecResult{Stderr: []byte("failing\n"), ExitCode: 3}},
		{cmd: "fail 0", want: ExecResult{Stderr: []byte("failing\n")}},
		{cmd: "big 100", want: ExecResult{Stdout: bytes.Repeat([]byte("x"), 16), Truncated: true}},
		{cmd: "signal", want: ExecResult{ExitCode: -1, Signal: "KILL"}},
		{cmd: "noexit", want: ExecResult{ExitCode: -1}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			got, err := c.Exec(testCtx(t), tc.cmd)
			var missing *ssh.ExitMissingError
			if tc.wantErr {
				if !errors.As(err, &missing) || !errors.Is(err, ErrExitUnknown) {
					t.Fatalf("err = %v, want *ssh.ExitMissingError and ErrExitUnknown", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// A command that never ends is stopped at the ctx deadline, and the
// connection stays usable.
func TestExecDeadline(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Exec(ctx, "hang"); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrExitUnknown) {
		t.Fatalf("Exec(hang) = %v, want DeadlineExceeded and ErrExitUnknown (the command had started)", err)
	}
	if res, err := c.Exec(testCtx(t), "echo after"); err != nil || string(res.Stdout) != "after\n" {
		t.Fatalf("Exec after a deadline = %q, %v", res.Stdout, err)
	}
}

// echoUnix serves a unix socket that echoes every connection.
func echoUnix(t *testing.T) string {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "libvirt-sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.Copy(conn, conn)
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return path
}

func TestDialUnix(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	path := echoUnix(t)

	dctx, dcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer dcancel()
	conn, err := c.DialUnix(dctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo = %q, %v", buf, err)
	}

	s.holdStreamlocal.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.DialUnix(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DialUnix on an unanswered open = %v, want DeadlineExceeded", err)
	}
}

func BenchmarkExec(b *testing.B) {
	f := &fixture{dir: shortTempDir(b)}
	f.key, f.signer = writeKey(b, f.dir, "id", nil, false)
	s := newTestServer(b)
	kh := writeFile(b, f.dir, "kh", hostLine(s.addr, s.hostKeys[0].PublicKey()))
	p := NewPool(Options{KeepaliveInterval: time.Minute})
	defer p.Close()
	ctx := b.Context()
	c, err := p.Get(ctx, f.target("h1", s, kh))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Exec(ctx, "echo bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// cappedBuffer keeps the first max bytes whether they are written or read
// from a stream (io.Copy, as x/crypto's session does), and says when it
// dropped the rest.
func TestCappedBufferReadFrom(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16,000 bytes
	for _, c := range []struct {
		max, n    int
		truncated bool
	}{
		{1 << 20, 0, false}, {1 << 20, 10, false}, {1 << 20, 16000, false},
		{4096, 4096, false}, {4096, 4097, true}, {1000, 16000, true},
	} {
		for _, via := range []string{"write", "copy"} {
			b := &cappedBuffer{max: c.max}
			src := iotest.OneByteReader(bytes.NewReader(data[:c.n]))
			var err error
			if via == "write" {
				_, err = b.Write(data[:c.n])
			} else {
				var n int64
				n, err = io.Copy(b, src) // a reader without WriteTo, as an SSH channel
				if n != int64(c.n) {
					t.Errorf("max %d, %d bytes by %s: copied %d", c.max, c.n, via, n)
				}
			}
			want := data[:min(c.n, c.max)]
			if err != nil || !bytes.Equal(b.buf, want) || b.truncated != c.truncated {
				t.Errorf("max %d, %d bytes by %s: kept %d bytes, truncated %v, err %v; want %d, %v",
					c.max, c.n, via, len(b.buf), b.truncated, err, len(want), c.truncated)
			}
		}
	}
	b, r := &cappedBuffer{max: 1 << 20}, bytes.NewReader(nil)
	if n := testing.AllocsPerRun(10, func() {
		b.buf, b.truncated = b.buf[:0], false
		r.Reset(data[:100])
		_, _ = b.ReadFrom(r)
	}); n != 0 {
		t.Errorf("reading 100 bytes into a grown buffer allocated %v times", n)
	}
}

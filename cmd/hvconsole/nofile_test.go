package main

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// fakeRlimit is an RLIMIT_NOFILE that only a privileged caller may raise
// above its hard limit.
type fakeRlimit struct {
	lim        syscall.Rlimit
	privileged bool
	sets       int
}

func (f *fakeRlimit) rlimit() rlimit {
	return rlimit{
		get: func(l *syscall.Rlimit) error { *l = f.lim; return nil },
		set: func(l *syscall.Rlimit) error {
			f.sets++
			if l.Max > f.lim.Max && !f.privileged {
				return syscall.EPERM
			}
			f.lim = *l
			return nil
		},
	}
}

func TestEnsureFileLimit(t *testing.T) {
	tests := []struct {
		name       string
		soft, hard uint64
		privileged bool
		hosts      int
		wantSoft   uint64 // after the call
		wantErr    string
	}{
		{name: "fits", soft: 1024, hard: 4096, hosts: 900, wantSoft: 1024},
		{name: "soft raised", soft: 1024, hard: 20000, hosts: 10000, wantSoft: 10064},
		{name: "hard raised when privileged", soft: 1024, hard: 4096, privileged: true, hosts: 10000, wantSoft: 10064},
		{name: "refused in one line", soft: 1024, hard: 4096, hosts: 10000, wantSoft: 1024,
			wantErr: "10000 hosts need about 10064 open files but the limit is 1024 (hard limit 4096)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRlimit{lim: syscall.Rlimit{Cur: tc.soft, Max: tc.hard}, privileged: tc.privileged}
			err := ensureFileLimit(tc.hosts, fleetFiles(tc.hosts), f.rlimit())
			if f.lim.Cur != tc.wantSoft {
				t.Errorf("soft limit = %d, want %d", f.lim.Cur, tc.wantSoft)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var tooMany *errTooManyHosts
			if !errors.As(err, &tooMany) || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line containing %q", err, tc.wantErr)
			}
		})
	}
}

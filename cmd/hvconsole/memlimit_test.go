package main

import (
	"errors"
	"io/fs"
	"runtime/debug"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
)

func TestMemoryLimit(t *testing.T) {
	const meminfo = "MemTotal:        8000000 kB\nMemFree:          100 kB\n"
	tests := []struct {
		name  string
		env   string
		files map[string]string
		want  int64
	}{
		{"three quarters of RAM", "", map[string]string{"/proc/meminfo": meminfo}, 6000000 << 10},
		{"a lower cgroup limit wins", "", map[string]string{"/proc/meminfo": meminfo,
			"/sys/fs/cgroup/memory.max": "1073741824\n"}, 805306368},
		{"an unlimited cgroup is ignored", "", map[string]string{"/proc/meminfo": meminfo,
			"/sys/fs/cgroup/memory.max": "max\n"}, 6000000 << 10},
		{"GOMEMLIMIT is the operator's", "512MiB", map[string]string{"/proc/meminfo": meminfo}, 0},
		{"nothing known", "", nil, 0},
		{"garbage meminfo", "", map[string]string{"/proc/meminfo": "MemTotal: lots kB\n"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "GOMEMLIMIT" {
					return tt.env
				}
				return ""
			}
			read := func(p string) ([]byte, error) {
				if s, ok := tt.files[p]; ok {
					return []byte(s), nil
				}
				return nil, fs.ErrNotExist
			}
			if got := memoryLimit(getenv, read); got != tt.want {
				t.Errorf("memoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGCPercent(t *testing.T) {
	tests := []struct {
		hosts, want int
	}{
		{0, 100},
		{1, 100},
		{1000, 100},
		{2586, 100}, // the headroom of GOGC=100 is still under gcHeadroom
		{2587, 99},
		{5000, 51},
		{7500, 34},
		{10000, 25},
		{10347, 25},
		{10348, 25}, // the headroom alone would give 24: the floor, at most four times the default's collections
		{1000000, 25},
	}
	for _, tt := range tests {
		if got := gcPercent(tt.hosts); got != tt.want {
			t.Errorf("gcPercent(%d) = %d, want %d", tt.hosts, got, tt.want)
		}
	}
}

// The operator's GOGC or GOMEMLIMIT is kept: hvconsole sets no percent of
// its own (and the runtime's, read from the environment, stays).
func TestSetGCPercentLeavesTheOperatorsChoice(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		debug.SetGCPercent(77)
		getenv := func(k string) string {
			if k == env {
				return "50"
			}
			return ""
		}
		if got := setGCPercent(10000, getenv); got != 0 {
			t.Errorf("%s set: setGCPercent = %d, want 0", env, got)
		}
		if now := debug.SetGCPercent(77); now != 77 {
			t.Errorf("%s set: GOGC became %d, want the 77 it was", env, now)
		}
	}
	if got := setGCPercent(10000, func(string) string { return "" }); got != 25 {
		t.Errorf("nothing set: setGCPercent = %d, want 25", got)
	}
	if now := debug.SetGCPercent(100); now != 25 {
		t.Errorf("nothing set: GOGC became %d, want 25", now)
	}
}

// A reload that loads sets the GOGC of the new fleet's size; one that fails
// (the running config stays) leaves it.
func TestReloadSetsGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	noEnv := func(string) string { return "" }
	tests := []struct {
		name  string
		hosts int
		err   error
		want  int
	}{
		{"a fleet grown to 10,000", 10000, nil, 25},
		{"a fleet shrunk to 1,000", 1000, nil, 100},
		{"a config that does not load", 10000, errors.New("config.toml:3:1: bad"), 77},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(77)
			reload := withGCPolicy(noEnv, func() (*hosts.Config, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return &hosts.Config{Hosts: make([]hosts.Host, tt.hosts)}, nil
			})
			if _, err := reload(); err != tt.err {
				t.Fatalf("reload error %v, want %v", err, tt.err)
			}
			if got := debug.SetGCPercent(77); got != tt.want {
				t.Errorf("GOGC after the reload = %d, want %d", got, tt.want)
			}
		})
	}
}

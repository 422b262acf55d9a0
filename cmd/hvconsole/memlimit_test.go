package main

import (
	"io/fs"
	"testing"
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

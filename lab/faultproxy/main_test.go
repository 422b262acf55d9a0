package main

import "testing"

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1mbit", 125, true},
		{"512kbit", 64, true},
		{"100kbyte", 100, true},
		{"2MByte", 2000, true},
		{"1kbit", 1, true}, // 0.125 KB/s rounds up to the minimum
		{"0mbit", 0, false},
		{"-1mbit", 0, false},
		{"fast", 0, false},
		{"1gbit", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestToxicsFor(t *testing.T) {
	tests := []struct {
		verb  string
		args  []string
		n     int
		first map[string]any
		ok    bool
	}{
		{"latency", []string{"150ms", "20ms"}, 2, map[string]any{"latency": int64(75), "jitter": int64(10)}, true},
		{"latency", []string{"150ms"}, 2, map[string]any{"latency": int64(75), "jitter": int64(0)}, true},
		{"stall", nil, 2, map[string]any{"latency": int64(86_400_000)}, true},
		{"rate", []string{"1mbit"}, 2, map[string]any{"rate": int64(125)}, true},
		{"route", nil, 0, nil, true},
		{"clear", nil, 0, nil, true},
		{"latency", nil, 0, nil, false},
		{"latency", []string{"soon"}, 0, nil, false},
		{"stall", []string{"1s"}, 0, nil, false},
		{"drop", nil, 0, nil, false},
	}
	for _, tc := range tests {
		got, err := toxicsFor(tc.verb, tc.args)
		if (err == nil) != tc.ok || len(got) != tc.n {
			t.Errorf("%s %v: %d toxics, err %v; want %d, ok %v", tc.verb, tc.args, len(got), err, tc.n, tc.ok)
			continue
		}
		if tc.n == 0 {
			continue
		}
		if got[0].Stream != "upstream" || got[1].Stream != "downstream" || got[0].Name == got[1].Name {
			t.Errorf("%s: toxics %+v, want one per direction", tc.verb, got)
		}
		for k, v := range tc.first {
			if got[0].Attributes[k] != v {
				t.Errorf("%s %v: %s = %v (%T), want %v", tc.verb, tc.args, k, got[0].Attributes[k], got[0].Attributes[k], v)
			}
		}
	}
}

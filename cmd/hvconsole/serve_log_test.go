package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// serve logs logfmt by default and JSON with --log-format json, one
// record a line; any other format is a usage error before anything starts.
func TestServeLogFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"logfmt", `msg="status change" host=kvm-01 from=OK to=CRIT`},
		{"json", `"msg":"status change","host":"kvm-01","from":"OK","to":"CRIT"`},
	} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, tc.format)
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		log.Info("status change", "host", "kvm-01", "from", "OK", "to", "CRIT")
		log.Info("reloaded", "hosts", 2)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%s log %q, want two lines, the first with %s", tc.format, buf.String(), tc.want)
		}
		if tc.format == "json" {
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("json log line %q does not parse", l)
				}
			}
		}
	}
	code, _, stderr := runCapture(t, "serve", "--log-format", "yaml")
	if code != exitUnknown || !strings.Contains(stderr, "want logfmt or json") {
		t.Errorf("--log-format yaml: exit %d, %q; want 3 and the formats", code, stderr)
	}
}

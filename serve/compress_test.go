package serve

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true}, // Prometheus
		{"identity", false},
		{"deflate, GZIP;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; Q=0", false},     // the parameter name is case-insensitive
		{"gzip;q=0.0, *", false}, // the explicit refusal wins
		{"*", true},
		{"*;q=0", false},
		{"x-gzip", true},
		{"gzip;q=nonsense", false}, // a weight we cannot read accepts nothing
		{"br;q=1.0, zstd, identity", false},
	} {
		if got := acceptsGzip([]string{tc.header}); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestFastGzip(t *testing.T) {
	body := bytes.Repeat([]byte("hvconsole_host_up{host=\"kvm1\"} 1\n"), 1000)
	ok := fastGzip(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	failed := fastGzip(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Del("Content-Encoding") // what promhttp does before its error page
		http.Error(w, "gather failed", http.StatusInternalServerError)
	}))
	empty := fastGzip(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		name           string
		h              http.Handler
		accept         string
		code           int
		encoding, want string
	}{
		{"gzip", ok, "gzip", 200, "gzip", string(body)},
		{"plain", ok, "", 200, "", string(body)},
		{"error page", failed, "gzip", 500, "", "gather failed\n"},
		{"empty", empty, "gzip", 200, "gzip", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			got := rec.Body.Bytes()
			if enc := rec.Header().Get("Content-Encoding"); enc == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatalf("gzip stream: %v", err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatalf("gzip stream: %v", err)
				}
			}
			if rec.Code != tc.code || rec.Header().Get("Content-Encoding") != tc.encoding || string(got) != tc.want ||
				rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("= %d, encoding %q, vary %q, %d bytes %.40q; want %d, %q, %d bytes", rec.Code,
					rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), len(got), got, tc.code, tc.encoding, len(tc.want))
			}
		})
	}
}

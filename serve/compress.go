package serve

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// fastGzip compresses h's responses with gzip at its fastest level when
// the client accepts gzip, as Prometheus always does. promhttp's own gzip
// writer uses the default level: on the 15 MB exposition of 10,000 hosts
// that is 146 ms of CPU for 634 KB, where the fastest level takes 32 ms for
// 756 KB (a third of a scrape's CPU saved for a fifth more bytes). A
// response whose Content-Encoding was removed before it started (promhttp's
// error page does) goes out as it is.
func fastGzip(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		h.ServeHTTP(gw, r)
	})
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return zw
}}

// gzipWriter compresses a response once it starts with Content-Encoding
// gzip still set.
type gzipWriter struct {
	http.ResponseWriter
	started bool
	zw      *gzip.Writer // nil: the response goes out uncompressed
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.started {
		g.started = true
		if g.Header().Get("Content-Encoding") == "gzip" {
			g.Header().Del("Content-Length")
			g.zw = gzipWriters.Get().(*gzip.Writer)
			g.zw.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw == nil {
		return g.ResponseWriter.Write(p)
	}
	return g.zw.Write(p)
}

// close ends the gzip stream (an empty body is a valid empty stream).
func (g *gzipWriter) close() {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		_ = g.zw.Close()
		gzipWriters.Put(g.zw)
	}
}

// acceptsGzip reads Accept-Encoding (RFC 9110 12.5.3): gzip (or x-gzip)
// with a weight above 0, or else * with one. The weight's "q" is
// case-insensitive (12.4.2): "gzip;Q=0" refuses gzip.
func acceptsGzip(values []string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			q := 1.0
			if name, w, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(name, "q") {
				if f, err := strconv.ParseFloat(w, 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				anyQ = max(anyQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

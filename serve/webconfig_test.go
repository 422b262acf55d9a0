package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key as
// PEM files in dir, and returns a pool that trusts it (it is its own CA).
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hvconsole serve test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fetch GETs url with basic auth (none when user is empty); connections
// are not kept, so no goroutine outlives the test.
func fetch(url, user, pass string, rootCAs *x509.CertPool) (int, string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: rootCAs}}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// The metrics listener honours an exporter-toolkit web config with TLS
// (a certificate made here) and basic auth (a bcrypt hash, as the toolkit
// requires): HTTPS with the CA and the password gets the metrics; a wrong
// or missing password gets 401; plain HTTP and a client that does not
// trust the certificate get nothing; the password is never logged.
func TestMetricsWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webcfg := filepath.Join(dir, "web.yml")
	doc := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prom: %s\n", certFile, keyFile, hash)
	if err := os.WriteFile(webcfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("", "kvm1")
	cfg.Serve.WebConfig = webcfg
	h := startServer(t, cfg, nil)
	defer func() {
		if err := h.stop(); err != nil {
			t.Error(err)
		}
	}()
	addr := strings.TrimPrefix(h.base, "http://")
	metrics := "https://" + addr + "/metrics"
	for _, tc := range []struct {
		name, user, pass string
		want             int
	}{
		{"right password", "prom", "s3cret", http.StatusOK},
		{"wrong password", "prom", "wrong", http.StatusUnauthorized},
		{"unknown user", "root", "s3cret", http.StatusUnauthorized},
		{"no credentials", "", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, err := fetch(metrics, tc.user, tc.pass, pool)
			if err != nil || code != tc.want {
				t.Fatalf("HTTPS GET /metrics = %d, %v; want %d", code, err, tc.want)
			}
			if got := strings.Contains(body, "hvconsole_build_info"); got != (tc.want == http.StatusOK) {
				t.Errorf("metrics in the body: %v, want %v", got, tc.want == http.StatusOK)
			}
		})
	}
	if code, body, err := fetch("http://"+addr+"/metrics", "prom", "s3cret", nil); err == nil &&
		(code == http.StatusOK || strings.Contains(body, "hvconsole_")) {
		t.Errorf("plain HTTP to the TLS listener = %d with metrics; want a failure", code)
	}
	var unknownCA x509.UnknownAuthorityError
	if _, _, err := fetch(metrics, "prom", "s3cret", x509.NewCertPool()); !errors.As(err, &unknownCA) {
		t.Errorf("a client without the CA got %v, want an unknown-authority error", err)
	}
	if log := h.log.String(); strings.Contains(log, "s3cret") || strings.Contains(log, string(hash)) {
		t.Errorf("the log holds the password or its hash:\n%s", log)
	}
}

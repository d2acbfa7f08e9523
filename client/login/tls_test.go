package login

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/biadmin/biadmin/client"
)

// An auth host whose certificate the system does not trust must get the
// same advice as the management API client: name the trust store and
// SSL_CERT_FILE, not just "x509: certificate signed by unknown authority".
func TestDiscoveryUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	port := freePort(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	report, err := Run(ctx, Config{
		AuthBaseURL:   srv.URL,
		TenantID:      "0001000000000001",
		RealmID:       "0000000000000002",
		ApplicationID: "app",
		ClientID:      "client",
		RedirectURI:   "http://127.0.0.1:" + port + "/callback",
		NoBrowser:     true,
		Timeout:       5 * time.Second,
	}, nil)
	if err == nil {
		t.Fatal("Run succeeded against an untrusted certificate")
	}
	if !errors.Is(err, client.ErrUntrustedCertificate) {
		t.Fatalf("err = %v, want it to wrap client.ErrUntrustedCertificate", err)
	}
	if !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Errorf("error %q does not name SSL_CERT_FILE", err)
	}
	if report == nil || report.Passed() {
		t.Errorf("report = %+v, want a failed report", report)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

package cherrygo_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-49a6713b/cherrygo"
	"github.com/seed-49a6713b/cherrygo/internal/testcert"
)

// syncBuffer is a log destination the test reads while servers write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestGracefulReloadsTheCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write := func(serial int64) {
		c, k := testcert.Pair(t, serial)
		require.NoError(t, os.WriteFile(keyFile, k, 0o600))
		require.NoError(t, os.WriteFile(certFile, c, 0o600))
	}
	write(1)
	var log syncBuffer
	m, bus := startManager(t, map[string]string{
		"SERVER_SOCKET_HOST":     "127.0.0.1",
		"SERVER_SOCKET_PORT":     "0",
		"SERVER_SSL_CERTIFICATE": certFile,
		"SERVER_SSL_PRIVATE_KEY": keyFile,
	}, cherrygo.WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	serial := func() string {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", m.Addr().String(),
			&tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a self-signed test certificate
		require.NoError(t, err)
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	require.Equal(t, "1", serial())

	write(2)
	require.NoError(t, bus.Graceful(context.Background()))
	assert.Equal(t, "2", serial(), "the handshake after the graceful reload")
	// The graceful channel asked the server itself (the file watch may
	// have got there first; then the server found the pair unchanged).
	assert.Contains(t, log.String(), "trigger=ReloadCertificate")

	require.NoError(t, os.WriteFile(certFile, []byte("oops"), 0o600))
	require.NoError(t, bus.Graceful(context.Background()), "a refused pair does not fail the reload")
	assert.Equal(t, "2", serial(), "the previous pair stays")
	assert.Contains(t, log.String(), "file="+certFile)
}

package stdlib

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawHead returns a request head ("GET / HTTP/1.1\r\nHost: …\r\n…\r\n\r\n")
// of exactly size bytes, padded with an X-Pad header.
func rawHead(t *testing.T, size int) string {
	t.Helper()
	const start = "GET / HTTP/1.1\r\nHost: backend\r\nX-Pad: "
	const end = "\r\n\r\n"
	pad := size - len(start) - len(end)
	require.Positive(t, pad, "head of %d bytes is too small to pad", size)
	head := start + strings.Repeat("p", pad) + end
	require.Len(t, head, size)
	return head
}

// MAX_REQUEST_HEADER_SIZE is exact: a request line plus headers of the
// limit are served, one byte more gets 431 (net/http alone lets 4 KiB
// more through).
func TestMaxRequestHeaderSizeIsExact(t *testing.T) {
	for _, limit := range []int64{1 << 10, 4096, 4097, 64 << 10, 500 << 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxRequestHeaderSize = limit
			srv := newTestServer(t, cfg, hello)
			addr := srv.Addr()
			for _, c := range []struct {
				size int
				want int
			}{{int(limit) - 1, http.StatusOK}, {int(limit), http.StatusOK}, {int(limit) + 1, http.StatusRequestHeaderFieldsTooLarge}, {int(limit) + 4096, http.StatusRequestHeaderFieldsTooLarge}} {
				conn := dial(t, addr.Network(), addr.String())
				require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
				_, err := conn.Write([]byte(rawHead(t, c.size)))
				require.NoError(t, err)
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				require.NoError(t, err, "head of %d bytes", c.size)
				resp.Body.Close()
				assert.Equal(t, c.want, resp.StatusCode, "head of %d bytes, limit %d", c.size, limit)
				conn.Close()
			}
		})
	}
}

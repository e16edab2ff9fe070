package ftp_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/intake/ftp"
)

// TestFailedCommitsAreLoggedOncePerOutage: while the database is down every
// upload fails (and the courier sends it again), but the log gets one line
// for the outage, not one per file.
func TestFailedCommitsAreLoggedOncePerOutage(t *testing.T) {
	t.Parallel()
	var sink syncBuffer
	h := newHub(t, func(c *ftp.Config) {
		c.Inbox = failingInbox{}
		c.Logger = slog.New(slog.NewJSONHandler(&sink, nil))
	})
	c := dial(t, h.srv.Addr(), "acme", "acme-secret")
	for i := range 10 {
		err := c.Stor(fmt.Sprintf("A%d_take_20230719110649.json", i), bytes.NewReader(fixture(t, "ASK132456798_take_20230719110649.json")))
		require.Error(t, err, "the client must not see 226")
	}
	require.Equal(t, 1, strings.Count(sink.String(), `"level":"ERROR"`), "one error line for ten refused uploads:\n%s", sink.String())
	require.Contains(t, sink.String(), "database is down")
}

// syncBuffer is a log sink safe for the server's goroutines.
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

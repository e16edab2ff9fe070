package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store"
)

var activityCases = []conformanceCase{
	{"LastInboxMessageIsTheNewestOfEachConnection", testLastInboxMessages},
}

// testLastInboxMessages checks that the last message of a connection is its
// newest (a duplicate changes nothing), per connection and per workspace,
// and that a connection without messages is absent.
func testLastInboxMessages(t *testing.T, s store.Store) {
	appendAt := func(ws, conn, key string, at time.Time) {
		m := message(ws, conn, key)
		m.ReceivedAt = at
		_, _, err := s.AppendInbox(ctx(t), m)
		require.NoError(t, err)
	}
	appendAt("acme", "wics", "a", base)
	appendAt("acme", "wics", "b", base.Add(time.Minute))
	appendAt("acme", "courier", "c", base.Add(2*time.Minute))
	appendAt("globex", "wics", "d", base.Add(time.Hour))
	// A provider's retry of an old message is a duplicate: it is not news.
	appendAt("acme", "wics", "a", base.Add(3*time.Hour))

	got, err := s.LastInboxMessages(ctx(t), "acme", []string{"wics", "courier", "silent", "wics"})
	require.NoError(t, err)
	require.Equal(t, map[string]time.Time{
		"wics":    base.Add(time.Minute),
		"courier": base.Add(2 * time.Minute),
	}, got, "the newest of each connection of the workspace; none for a silent one")

	other, err := s.LastInboxMessages(ctx(t), "globex", []string{"wics", "courier"})
	require.NoError(t, err)
	require.Equal(t, map[string]time.Time{"wics": base.Add(time.Hour)}, other, "another workspace's messages are its own")

	none, err := s.LastInboxMessages(ctx(t), "initech", nil)
	require.NoError(t, err)
	require.Empty(t, none)
}

// BenchmarkLastInboxMessages measures GET /api/v1/connections' read of the
// last messages: five connections of one workspace, one of which holds
// perConn messages (the others a few), read together.
func BenchmarkLastInboxMessages(b *testing.B, s store.Store, perConn int) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conns := []string{"busy", "c1", "c2", "c3", "c4"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range perConn {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn := "busy"
			if i%100 == 0 {
				conn = conns[1+(i/100)%4]
			}
			m := message("acme", conn, fmt.Sprintf("bench-%d", i))
			m.ReceivedAt = base.Add(time.Duration(i) * time.Millisecond)
			if _, _, err := s.AppendInbox(c, m); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := s.LastInboxMessages(c, "acme", conns)
		if err != nil || len(got) != len(conns) {
			b.Fatalf("%v, %v", got, err)
		}
	}
}

package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return postgres.OpenTest(t) })
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     postgres.Config
		wantErr string
	}{
		{"a postgres url is enough", postgres.Config{URL: "postgres://u:p@127.0.0.1/db"}, ""},
		{"the postgresql scheme is accepted", postgres.Config{URL: "postgresql://127.0.0.1/db", MaxConns: 4}, ""},
		{"a missing url is refused", postgres.Config{}, "url is required"},
		{"another scheme is refused", postgres.Config{URL: "mysql://127.0.0.1/db"}, "scheme must be postgres"},
		{"a negative pool size is refused", postgres.Config{URL: "postgres://127.0.0.1/db", MaxConns: -1}, "must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.cfg.Validate()
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.wantErr)
		})
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
	}{
		{"a password in the user info is hidden", "postgres://hub:s3cret@db:5432/hub"},
		{"a password parameter is hidden", "postgres://db/hub?user=hub&password=s3cret"},
		{"an unparseable url is hidden whole", "postgres://hub:s3cret@db:5432/hub\x7f"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.NotContains(t, postgres.Redact(c.in), "s3cret")
		})
	}
}

func TestUnreachableServerErrorHidesPassword(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback refuses connections at once.
	_, err := postgres.New(ctx, postgres.Config{URL: "postgres://hub:s3cret@127.0.0.1:1/hub?sslmode=disable&connect_timeout=2"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}

// TestOneInstanceProcessesAtATime runs two stores on one database, as two hub
// instances would: while one is inside ProcessInbox the other gets 0, and the
// work moves over once the first is done.
func TestOneInstanceProcessesAtATime(t *testing.T) {
	t.Parallel()
	dbURL := postgres.TestDatabase(t)
	a, err := postgres.New(context.Background(), postgres.Config{URL: dbURL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	b, err := postgres.New(context.Background(), postgres.Config{URL: dbURL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()

	for i := range 2 {
		_, _, err := a.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", DedupKey: fmt.Sprintf("k%d", i)})
		require.NoError(t, err)
	}
	// The same message appended through the other instance is a duplicate.
	_, dup, err := b.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", DedupKey: "k0"})
	require.NoError(t, err)
	require.True(t, dup)

	inside, release := make(chan struct{}), make(chan struct{})
	var (
		wg       sync.WaitGroup
		firstN   int
		firstErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		firstN, firstErr = a.ProcessInbox(ctx, 1, func(context.Context, store.Tx, []*model.InboxMessage) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	n, err := b.ProcessInbox(ctx, 10, func(context.Context, store.Tx, []*model.InboxMessage) error {
		t.Error("the second instance was handed messages while the first held the work")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n)
	close(release)
	wg.Wait()
	require.NoError(t, firstErr)
	require.Equal(t, 1, firstN)

	n, err = b.ProcessInbox(ctx, 10, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
		require.Len(t, msgs, 1)
		require.Equal(t, "k1", msgs[0].DedupKey)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n, "the work moved over to the second instance")
}

// BenchmarkAppendInbox measures group-committed appends with 64 concurrent
// callers per core.
func BenchmarkAppendInbox(b *testing.B) {
	storetest.BenchmarkAppendInbox(b, func(tb testing.TB) store.Store { return postgres.OpenTest(tb) })
}

// TestRefusedMessageFailsAlone checks that a message PostgreSQL refuses (text
// must not hold NUL bytes) fails only its own append, not the others that
// were group-committed with it.
func TestRefusedMessageFailsAlone(t *testing.T) {
	t.Parallel()
	s := postgres.OpenTest(t)
	ctx := context.Background()
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			key := fmt.Sprintf("k%d", i)
			if i == n/2 {
				key = "bad\x00key"
			}
			_, _, errs[i] = s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", DedupKey: key})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i == n/2 {
			require.Error(t, err, "the NUL byte is refused")
			continue
		}
		require.NoError(t, err, "append %d", i)
	}
	st, err := s.InboxStats(ctx)
	require.NoError(t, err)
	require.EqualValues(t, n-1, st.Total)
}

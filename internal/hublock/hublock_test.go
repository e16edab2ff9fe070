package hublock_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/hublock"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

var quiet = hublock.Options{Logger: slog.New(slog.DiscardHandler)}

func live(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	leases, err := st.LiveLeases(context.Background(), prefix)
	require.NoError(t, err)
	names := []string{}
	for _, l := range leases {
		names = append(names, l.Name)
	}
	return names
}

func TestReprocessAndHubsExcludeEachOther(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, st store.Store)
	}{
		{"AReprocessIsRefusedWhileAHubRuns", func(t *testing.T, st store.Store) {
			hub, err := hublock.Hub(ctx, st, "hub-a", quiet)
			require.NoError(t, err)
			_, err = hublock.Reprocess(ctx, st, "rp", quiet)
			require.ErrorIs(t, err, hublock.ErrHubRunning)
			require.Contains(t, err.Error(), "hub-a", "the message names the instance")
			require.Contains(t, err.Error(), "stop every hub")
			require.Empty(t, live(t, st, hublock.ReprocessName), "the refused reprocess holds nothing")

			require.NoError(t, hub.Release(ctx))
			rp, err := hublock.Reprocess(ctx, st, "rp", quiet)
			require.NoError(t, err, "a stopped hub releases its lease at once")
			require.NoError(t, rp.Release(ctx))
		}},
		{"AHubIsRefusedWhileAReprocessRuns", func(t *testing.T, st store.Store) {
			rp, err := hublock.Reprocess(ctx, st, "rp", quiet)
			require.NoError(t, err)
			_, err = hublock.Hub(ctx, st, "hub-a", quiet)
			require.ErrorIs(t, err, hublock.ErrReprocessRunning)
			require.Contains(t, err.Error(), "rp")
			require.Empty(t, live(t, st, hublock.HubPrefix), "the refused hub holds nothing")
			require.NoError(t, rp.Release(ctx))
			hub, err := hublock.Hub(ctx, st, "hub-a", quiet)
			require.NoError(t, err)
			require.NoError(t, hub.Release(ctx))
		}},
		{"OneReprocessAtATime", func(t *testing.T, st store.Store) {
			rp, err := hublock.Reprocess(ctx, st, "rp1", quiet)
			require.NoError(t, err)
			_, err = hublock.Reprocess(ctx, st, "rp2", quiet)
			require.ErrorIs(t, err, hublock.ErrReprocessRunning)
			require.Contains(t, err.Error(), "rp1")
			require.NoError(t, rp.Release(ctx))
		}},
		{"HubsRunSideBySide", func(t *testing.T, st store.Store) {
			a, err := hublock.Hub(ctx, st, "a", quiet)
			require.NoError(t, err)
			b, err := hublock.Hub(ctx, st, "b", quiet)
			require.NoError(t, err)
			require.Equal(t, []string{"hub/a", "hub/b"}, live(t, st, hublock.HubPrefix))
			require.NoError(t, a.Release(ctx))
			require.NoError(t, b.Release(ctx))
			require.NoError(t, b.Release(ctx), "a second release does nothing")
			require.Empty(t, live(t, st, ""))
		}},
		{"AHeldLeaseIsRenewedPastItsTTL", func(t *testing.T, st store.Store) {
			opts := quiet
			opts.TTL = 90 * time.Millisecond
			hub, err := hublock.Hub(ctx, st, "a", opts)
			require.NoError(t, err)
			leases, err := st.LiveLeases(ctx, hublock.HubPrefix)
			require.NoError(t, err)
			require.Len(t, leases, 1)
			first := leases[0].ExpiresAt
			require.Eventually(t, func() bool {
				now, err := st.LiveLeases(ctx, hublock.HubPrefix)
				return err == nil && len(now) == 1 && now[0].ExpiresAt.After(first.Add(opts.TTL))
			}, 10*time.Second, 10*time.Millisecond, "renewed beyond the first expiry")
			require.NoError(t, hub.Release(ctx))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, sqlite.OpenTest(t))
		})
	}
}

// stolen is a store whose renewals find the lease taken by someone else.
type stolen struct {
	store.Store
	calls atomic.Int64
}

func (s *stolen) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if s.calls.Add(1) > 1 {
		return false, nil
	}
	return s.Store.AcquireLease(ctx, name, holder, ttl)
}

func TestALostLeaseIsSignalled(t *testing.T) {
	t.Parallel()
	st := &stolen{Store: sqlite.OpenTest(t)}
	opts := quiet
	opts.TTL = 60 * time.Millisecond
	rp, err := hublock.Reprocess(context.Background(), st, "rp", opts)
	require.NoError(t, err)
	select {
	case <-rp.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("a lease taken by another holder was not reported lost")
	}
	require.NoError(t, rp.Release(context.Background()))
}

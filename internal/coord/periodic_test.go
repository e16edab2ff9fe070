package coord_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

func TestPeriodic(t *testing.T) {
	t.Parallel()
	lease := func(t *testing.T) *coord.Singleton {
		return &coord.Singleton{Leases: sqlite.OpenTest(t), Name: "periodic", Holder: "a", TTL: time.Second, Logger: slog.New(slog.DiscardHandler)}
	}
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"it runs the job again each interval until Stop, and not after", func(t *testing.T) {
			var p coord.Periodic
			var runs atomic.Int32
			p.Start(context.Background(), lease(t), time.Millisecond, func(context.Context) { runs.Add(1) })
			require.Eventually(t, func() bool { return runs.Load() >= 3 }, 5*time.Second, time.Millisecond)
			require.NoError(t, p.Stop(context.Background(), "the job"))
			after := runs.Load()
			p.Start(context.Background(), lease(t), time.Millisecond, func(context.Context) { runs.Add(1) })
			require.NoError(t, p.Stop(context.Background(), "the job"))
			require.Equal(t, after, runs.Load(), "a Start after Stop does nothing")
		}},
		{"a second Start runs no second job", func(t *testing.T) {
			var p coord.Periodic
			var first, second atomic.Int32
			p.Start(context.Background(), lease(t), time.Millisecond, func(context.Context) { first.Add(1) })
			p.Start(context.Background(), lease(t), time.Millisecond, func(context.Context) { second.Add(1) })
			require.Eventually(t, func() bool { return first.Load() >= 2 }, 5*time.Second, time.Millisecond)
			require.NoError(t, p.Stop(context.Background(), "the job"))
			require.Zero(t, second.Load())
		}},
		{"a job never started stops at once", func(t *testing.T) {
			var p coord.Periodic
			require.NoError(t, p.Stop(context.Background(), "the job"))
		}},
		{"Stop gives up waiting when its context ends, naming the job", func(t *testing.T) {
			var p coord.Periodic
			release, running := make(chan struct{}), make(chan struct{}, 1)
			l := lease(t) // its store closes after the cleanup below, which ends the job
			t.Cleanup(func() { close(release); require.NoError(t, p.Stop(context.Background(), "the job")) })
			p.Start(context.Background(), l, time.Hour, func(context.Context) {
				running <- struct{}{}
				<-release // a run that does not heed its context
			})
			<-running
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := p.Stop(ctx, "the job")
			require.ErrorIs(t, err, context.Canceled)
			require.EqualError(t, err, "stopping the job: context canceled")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

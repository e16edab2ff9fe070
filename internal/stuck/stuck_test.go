package stuck_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/stuck"
)

var t0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// clock is a fake clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var seq atomic.Int64

// inTx runs fn in a pipeline transaction of its own.
func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	_, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier",
		Source: model.SourceWebhook, DedupKey: fmt.Sprintf("m-%d", seq.Add(1)), Body: []byte(`{}`), ReceivedAt: t0})
	require.NoError(t, err)
	n, err := s.ProcessInbox(ctx, 10, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error { return fn(ctx, tx) })
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func insert(t *testing.T, s store.Store, ws, ref string, status model.Status, updated time.Time) *model.Shipment {
	t.Helper()
	sh := &model.Shipment{Workspace: ws, Connection: "courier", Provider: "courier", ProviderRef: ref,
		StatusPosition: model.StatusPosition{Status: status}, CreatedAt: updated, UpdatedAt: updated}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertShipment(ctx, sh) })
	return sh
}

func stuckEvents(t *testing.T, s store.Store, ws string) []*model.FeedEvent {
	t.Helper()
	feed, err := s.ListFeed(context.Background(), ws, 0, 1000)
	require.NoError(t, err)
	var out []*model.FeedEvent
	for _, e := range feed {
		if e.Type == model.EventShipmentStuck {
			out = append(out, e)
		}
	}
	return out
}

func newService(t *testing.T, s store.Store, c *clock, batch int) *stuck.Service {
	t.Helper()
	svc, err := stuck.New(stuck.Config{
		Store: s, Workspaces: []string{"acme", "globex"}, Now: c.Now, BatchSize: batch, Interval: time.Hour, LeaseTTL: 3 * time.Second,
		After: map[model.Status]time.Duration{model.StatusInTransit: 5 * day, model.StatusOutForDelivery: 2 * day, model.StatusPending: 0},
	})
	require.NoError(t, err)
	return svc
}

func TestAShipmentIsMarkedOncePerEpisodeWithOneFeedEvent(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	c := &clock{now: t0}
	svc := newService(t, s, c, 10)
	sh := insert(t, s, "acme", "A", model.StatusInTransit, t0)

	c.Add(5*day - time.Minute)
	n, err := svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "not stuck before its status's time is up")

	c.Add(2 * time.Minute)
	n, err = svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, stuckEvents(t, s, "acme"), 1)

	for range 3 {
		c.Add(day)
		n, err = svc.RunOnce(context.Background())
		require.NoError(t, err)
		require.Zero(t, n, "the same episode is marked once")
	}
	require.Len(t, stuckEvents(t, s, "acme"), 1)

	// An update ends the episode; another quiet stretch starts the next.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByID(ctx, "acme", sh.ID)
		if err != nil {
			return err
		}
		got.UpdatedAt = c.Now()
		return tx.UpdateShipment(ctx, got)
	})
	c.Add(4 * day)
	n, err = svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
	c.Add(day + time.Minute)
	n, err = svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n, "a new episode after the update")
	require.Len(t, stuckEvents(t, s, "acme"), 2)
}

func TestEachStatusHasItsOwnTimeAndBatchesCoverEveryShipment(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	c := &clock{now: t0.Add(3 * day)}
	svc := newService(t, s, c, 2)
	for i := range 5 {
		insert(t, s, "acme", fmt.Sprintf("OFD-%d", i), model.StatusOutForDelivery, t0)
	}
	insert(t, s, "acme", "T", model.StatusInTransit, t0)        // 3 days: not yet
	insert(t, s, "acme", "P", model.StatusPending, t0)          // turned off
	insert(t, s, "acme", "D", model.StatusDelivered, t0)        // final
	insert(t, s, "globex", "G", model.StatusOutForDelivery, t0) // its own workspace

	n, err := svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 6, n, "five out for delivery in batches of two, and globex's")
	list, err := s.ListStuck(context.Background(), "acme", 0, 100)
	require.NoError(t, err)
	require.Len(t, list, 5)
	for _, sh := range list {
		require.Equal(t, model.StatusOutForDelivery, sh.Status)
	}
	require.Len(t, stuckEvents(t, s, "globex"), 1)
}

func TestTheServiceScansUnderItsLeaseUntilStopped(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	c := &clock{now: t0.Add(10 * day)}
	svc := newService(t, s, c, 10)
	insert(t, s, "acme", "A", model.StatusInTransit, t0)
	svc.Start(context.Background())
	require.Eventually(t, func() bool {
		list, err := s.ListStuck(context.Background(), "acme", 0, 10)
		return err == nil && len(list) == 1
	}, 10*time.Second, 5*time.Millisecond, "the running service marks the shipment")
	require.Len(t, stuckEvents(t, s, "acme"), 1)
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, svc.Stop(stopCtx))
	leases, err := s.LiveLeases(context.Background(), stuck.LeaseName)
	require.NoError(t, err)
	require.Empty(t, leases, "the lease is given up on stop")
}

func TestConfigIsChecked(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	for name, cfg := range map[string]stuck.Config{
		"NoStore":          {After: map[model.Status]time.Duration{model.StatusInTransit: day}},
		"UnknownStatus":    {Store: s, After: map[model.Status]time.Duration{"lost": day}},
		"NegativeDuration": {Store: s, After: map[model.Status]time.Duration{model.StatusInTransit: -day}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := stuck.New(cfg)
			require.Error(t, err)
		})
	}
}

package retention_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/retention"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// defaults is the documented default policy.
func defaults() map[store.RetentionTable]time.Duration {
	var r config.Retention
	r.SetDefaults()
	return r.Policy()
}

// seed records intake errors received at t0 and t0+80 days, and inbox
// messages received at t0: processed, failed and pending.
func seed(t *testing.T, s store.Store, oldErrors int) {
	t.Helper()
	c := context.Background()
	for i := range oldErrors {
		require.NoError(t, s.RecordIntakeError(c, &model.IntakeError{Workspace: "acme", Connection: "courier", Source: model.SourceFTP,
			Name: fmt.Sprintf("old-%d.json", i), Reason: "bad", Body: []byte("x"), ReceivedAt: t0}))
	}
	require.NoError(t, s.RecordIntakeError(c, &model.IntakeError{Workspace: "acme", Connection: "courier", Source: model.SourceFTP,
		Name: "new.json", Reason: "bad", Body: []byte("x"), ReceivedAt: t0.Add(80 * 24 * time.Hour)}))
	for _, key := range []string{"done", "failed", "pending"} {
		_, _, err := s.AppendInbox(c, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier", DedupKey: key, Body: []byte("{}"), ReceivedAt: t0})
		require.NoError(t, err)
		if key == "pending" {
			continue
		}
		_, err = s.ProcessInbox(c, 1, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
			if key == "failed" {
				return tx.MarkProcessed(ctx, msgs[0].ID, "no mapping")
			}
			return nil
		})
		require.NoError(t, err)
	}
}

func TestRunOncePrunesWhatThePolicyLetsGoInBatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		now        time.Time
		wantErrors int64
		wantInbox  int64
	}{
		{"before any retention has passed nothing goes", t0.Add(29 * 24 * time.Hour), 0, 0},
		{"after 31 days the old intake errors go, the inbox stays", t0.Add(31 * 24 * time.Hour), 5, 0},
		{"after 91 days the processed message goes too, never the failed or pending one", t0.Add(91 * 24 * time.Hour), 5, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := sqlite.OpenTest(t)
			seed(t, s, 5)
			m := metrics.New()
			svc, err := retention.New(retention.Config{Store: s, Policy: defaults(), BatchSize: 2, Metrics: m, Now: func() time.Time { return c.now }})
			require.NoError(t, err)
			got, err := svc.RunOnce(context.Background())
			require.NoError(t, err)
			want := map[string]int64{}
			if c.wantErrors > 0 {
				want["intake_errors"] = c.wantErrors
			}
			if c.wantInbox > 0 {
				want["inbox"] = c.wantInbox
			}
			require.Equal(t, want, got)
			require.Equal(t, float64(c.wantErrors), testutil.ToFloat64(m.RetentionDeleted.WithLabelValues("intake_errors")))
			require.Equal(t, float64(c.wantInbox), testutil.ToFloat64(m.RetentionDeleted.WithLabelValues("inbox")))

			st, err := s.InboxStats(context.Background())
			require.NoError(t, err)
			require.Equal(t, int64(1), st.Pending)
			require.Equal(t, int64(1), st.Failed)
			list, err := s.ListIntakeErrors(context.Background(), store.IntakeErrorFilter{Workspace: "acme", Limit: 100})
			require.NoError(t, err)
			require.Len(t, list, 6-int(c.wantErrors))

			again, err := svc.RunOnce(context.Background())
			require.NoError(t, err)
			require.Empty(t, again, "a second run finds nothing more")
		})
	}
}

// panicky panics when asked to prune one table, counts prunes and records
// the tables whose space it was asked to reclaim.
type panicky struct {
	store.Store
	table     store.RetentionTable
	calls     atomic.Int64
	mu        sync.Mutex
	reclaimed []string
}

func (p *panicky) ReclaimSpace(ctx context.Context, tables []string) error {
	p.mu.Lock()
	p.reclaimed = append(p.reclaimed, tables...)
	p.mu.Unlock()
	return p.Store.ReclaimSpace(ctx, tables)
}

func (p *panicky) Prune(ctx context.Context, table store.RetentionTable, before time.Time, cursor store.PruneCursor, limit int) (store.PruneResult, error) {
	p.calls.Add(1)
	if table == p.table {
		panic("a bug in the feed rule")
	}
	return p.Store.Prune(ctx, table, before, cursor, limit)
}

func TestAPanicIsRecoveredCountedAndTheOtherTablesStillPruned(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	seed(t, s, 3)
	m := metrics.New()
	svc, err := retention.New(retention.Config{Store: &panicky{Store: s, table: store.RetainFeed}, Policy: defaults(), Metrics: m,
		Now: func() time.Time { return t0.Add(31 * 24 * time.Hour) }})
	require.NoError(t, err)
	got, err := svc.RunOnce(context.Background())
	require.ErrorIs(t, err, recovery.ErrPanic)
	require.ErrorContains(t, err, "pruning feed")
	require.Equal(t, map[string]int64{"intake_errors": 3}, got, "the tables after the one that panicked are pruned")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("retention")))
}

func TestOnlyTheLeaseHolderPrunes(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	var wrappers [2]*panicky
	var svcs [2]*retention.Service
	for i := range svcs {
		wrappers[i] = &panicky{Store: s}
		svc, err := retention.New(retention.Config{Store: wrappers[i], Policy: defaults(), Interval: time.Millisecond,
			Holder: fmt.Sprintf("instance-%d", i), LeaseTTL: time.Minute})
		require.NoError(t, err)
		svcs[i] = svc
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Go(func() { svc.Start(ctx) })
	}
	wg.Wait()
	// Both started; several runs of the policy later, one instance has done
	// all of them, while the other waits for the lease (renewed every 20s).
	require.Eventually(t, func() bool { return wrappers[0].calls.Load()+wrappers[1].calls.Load() >= 5*int64(len(defaults())) },
		10*time.Second, 5*time.Millisecond)
	a, b := wrappers[0].calls.Load(), wrappers[1].calls.Load()
	require.True(t, a == 0 || b == 0, "one holder prunes at a time (calls: %d and %d)", a, b)
	for _, svc := range svcs {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, svc.Stop(stopCtx))
		stop()
	}
	owner := 0
	if a == 0 {
		owner = 1
	}
	got, err := s.AcquireLease(context.Background(), retention.LeaseName, fmt.Sprintf("instance-%d", 1-owner), time.Minute)
	require.NoError(t, err)
	require.True(t, got, "a clean stop releases the lease at once")
}

func TestNewRefusesWhatItCannotRun(t *testing.T) {
	t.Parallel()
	s := sqlite.OpenTest(t)
	cases := []struct {
		name string
		cfg  retention.Config
		want string
	}{
		{"no store", retention.Config{}, "a store is required"},
		{"an unknown table", retention.Config{Store: s, Policy: map[store.RetentionTable]time.Duration{"events": time.Hour}}, `unknown table "events"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := retention.New(c.cfg)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestAnEmptyPolicyStartsNothing(t *testing.T) {
	t.Parallel()
	p := &panicky{Store: sqlite.OpenTest(t)}
	svc, err := retention.New(retention.Config{Store: p, Policy: map[store.RetentionTable]time.Duration{store.RetainFeed: 0}})
	require.NoError(t, err)
	svc.Start(context.Background())
	require.NoError(t, svc.Stop(context.Background()))
	got, err := svc.RunOnce(context.Background())
	require.NoError(t, err)
	require.Empty(t, got)
	require.Zero(t, p.calls.Load(), "a table kept forever is never pruned")
	require.False(t, errors.Is(err, recovery.ErrPanic))
}

func TestARunThatDeletedReclaimsTheSpaceOfThoseTables(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"nothing deleted, nothing to reclaim", t0.Add(29 * 24 * time.Hour), nil},
		{"the tables rows were deleted from", t0.Add(91 * 24 * time.Hour), []string{"inbox", "intake_errors"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := &panicky{Store: sqlite.OpenTest(t)}
			seed(t, p.Store, 2)
			svc, err := retention.New(retention.Config{Store: p, Policy: defaults(), Now: func() time.Time { return c.now }})
			require.NoError(t, err)
			_, err = svc.RunOnce(context.Background())
			require.NoError(t, err)
			require.Equal(t, c.want, p.reclaimed)
		})
	}
}

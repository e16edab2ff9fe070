package subscriptions

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// fakeKeeper records the hook URLs it was asked to keep.
type fakeKeeper struct {
	mu     sync.Mutex
	calls  []string
	digest string
	err    error
}

func (k *fakeKeeper) Normalize(*model.InboxMessage) (model.Changes, error) {
	return model.Changes{}, nil
}

func (k *fakeKeeper) KeepSubscriptions(_ context.Context, _ provider.Limiter, hookURL string) (provider.SubscriptionReport, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, hookURL)
	return provider.SubscriptionReport{Created: 1}, k.err
}

func (k *fakeKeeper) SubscriptionDigest() string { return k.digest }

func (k *fakeKeeper) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.calls)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestStepSyncsWhenTheConfigurationChangedOrRepairIsDue(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	clk := &clock{t: time.Now()}
	k := &fakeKeeper{digest: "topics=stock"}
	target := Target{Workspace: "acme", Connection: "wics", Keeper: k}
	svc := func(publicURL string) *Service {
		s, err := New(Config{Cursors: st, Leases: st, Holder: "h", PublicURL: publicURL, Now: clk.now, Targets: []Target{target}})
		require.NoError(t, err)
		return s
	}
	ctx := context.Background()
	s := svc("https://hub.example.com")

	wait, synced, err := s.Step(ctx, target, 0)
	require.NoError(t, err)
	require.True(t, synced, "nothing was applied yet")
	require.Equal(t, time.Hour, wait)
	require.Equal(t, []string{"https://hub.example.com/hooks/acme/wics"}, k.calls)

	t.Run("ARestartWithTheSameConfigurationSendsNothing", func(t *testing.T) {
		clk.add(10 * time.Minute)
		wait, synced, err := svc("https://hub.example.com").Step(ctx, target, 0)
		require.NoError(t, err)
		require.False(t, synced)
		require.InDelta(t, (50 * time.Minute).Seconds(), wait.Seconds(), 1, "the repair stays on its hour")
		require.Equal(t, 1, k.count())
	})
	t.Run("ChangedTopicsReSyncAtOnce", func(t *testing.T) {
		k.digest = "topics=stock,rma"
		_, synced, err := svc("https://hub.example.com").Step(ctx, target, 0)
		require.NoError(t, err)
		require.True(t, synced)
		require.Equal(t, 2, k.count())
	})
	t.Run("AChangedPublicURLReSyncsAtOnce", func(t *testing.T) {
		_, synced, err := svc("https://new.example.com/").Step(ctx, target, 0)
		require.NoError(t, err)
		require.True(t, synced)
		require.Equal(t, "https://new.example.com/hooks/acme/wics", k.calls[len(k.calls)-1])
	})
	t.Run("TheHourlyRepairRunsEvenWhenNothingChanged", func(t *testing.T) {
		s := svc("https://new.example.com/")
		_, synced, err := s.Step(ctx, target, 0)
		require.NoError(t, err)
		require.False(t, synced)
		clk.add(time.Hour)
		_, synced, err = s.Step(ctx, target, 0)
		require.NoError(t, err)
		require.True(t, synced)
	})
	t.Run("AFailureIsNotRecordedAndBacksOff", func(t *testing.T) {
		k.digest = "topics=all"
		k.err = errors.New("wics down")
		s := svc("https://new.example.com/")
		for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			wait, synced, err := s.Step(ctx, target, i)
			require.ErrorContains(t, err, "wics down")
			require.False(t, synced)
			require.Equal(t, want, wait)
		}
		k.err = &provider.RetryAfterError{After: 15 * time.Minute, Err: provider.ErrBudgetExhausted}
		wait, _, err := s.Step(ctx, target, 0)
		require.ErrorIs(t, err, provider.ErrBudgetExhausted)
		require.Equal(t, 15*time.Minute, wait, "a block waits as long as it says")
		k.err = &provider.RetryAfterError{After: 400 * time.Millisecond, Err: provider.ErrBudgetExhausted}
		wait, _, _ = s.Step(ctx, target, 3)
		require.Equal(t, 400*time.Millisecond, wait, "waiting for the budget's turn is no failure: no backoff of minutes")
		k.err = nil
		_, synced, err := s.Step(ctx, target, 0)
		require.NoError(t, err)
		require.True(t, synced, "the failed configuration was never recorded as applied")
	})
}

func TestStartKeepsEachTargetOnOneInstance(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	k := &fakeKeeper{}
	target := Target{Workspace: "acme", Connection: "wics", Keeper: k}
	var svcs []*Service
	for _, holder := range []string{"a", "b"} {
		s, err := New(Config{Cursors: st, Leases: st, Holder: holder, PublicURL: "http://127.0.0.1:1", Targets: []Target{target}})
		require.NoError(t, err)
		s.Start(context.Background())
		svcs = append(svcs, s)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for k.count() == 0 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the subscriptions were never kept")
		}
	}
	for _, s := range svcs {
		require.NoError(t, s.Stop(context.Background()))
	}
	require.Equal(t, 1, k.count(), "the second instance found them applied (or never held the lease)")
}

func TestConfigIsValidated(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	for name, cfg := range map[string]Config{
		"NoPublicURL":       {Cursors: st, Leases: st, Holder: "h"},
		"RelativePublicURL": {Cursors: st, Leases: st, Holder: "h", PublicURL: "hub.example.com"},
		"NoStore":           {Holder: "h", PublicURL: "https://hub"},
	} {
		_, err := New(cfg)
		require.Error(t, err, name)
	}
}

type optOut struct {
	fakeKeeper
	keep bool
}

func (o *optOut) KeepsSubscriptions() bool { return o.keep }

func TestEligibleLeavesOutKeepersThatOptOut(t *testing.T) {
	t.Parallel()
	_, ok := Eligible(&optOut{keep: false})
	require.False(t, ok)
	_, ok = Eligible(&optOut{keep: true})
	require.True(t, ok)
	_, ok = Eligible(&fakeKeeper{})
	require.True(t, ok)
}

package connstatus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/connstatus"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// checker is a connector with a health check whose answer the test sets;
// its check waits on the limiter at urgent priority, which the tracker must
// turn into background.
type checker struct {
	mu    sync.Mutex
	err   error
	calls int
	// block makes a check wait for its context.
	block bool
	rb    *provider.RateBudget
}

func (c *checker) Normalize(*model.InboxMessage) (model.Changes, error) { return model.Changes{}, nil }

func (c *checker) CheckHealth(ctx context.Context, l provider.Limiter) error {
	if err := l.Wait(ctx, provider.PriorityUrgent); err != nil {
		return err
	}
	c.mu.Lock()
	c.calls++
	err, block := c.err, c.block
	c.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (c *checker) set(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

func (c *checker) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// rateLimited is a checker whose provider limits requests.
type rateLimited struct{ checker }

func (r *rateLimited) RateBudget() provider.RateBudget { return *r.rb }

// plain has no health check (a courier).
type plain struct{}

func (plain) Normalize(*model.InboxMessage) (model.Changes, error) { return model.Changes{}, nil }

type conns []*connections.Conn

func (c conns) All() []*connections.Conn { return c }

// fakeStore answers the tracker's two reads.
type fakeStore struct {
	last   map[[2]string]time.Time
	errors []*model.IntakeError
	err    error
}

func (s *fakeStore) LastInboxMessages(_ context.Context, ws string, names []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, n := range names {
		if t, ok := s.last[[2]string{ws, n}]; ok {
			out[n] = t
		}
	}
	return out, s.err
}

func (s *fakeStore) ListIntakeErrors(_ context.Context, f store.IntakeErrorFilter) ([]*model.IntakeError, error) {
	var out []*model.IntakeError
	for _, e := range s.errors {
		if e.Workspace == f.Workspace && e.Connection == f.Connection && (f.Limit == 0 || len(out) < f.Limit) {
			out = append(out, e)
		}
	}
	return out, s.err
}

// limiter records the priorities it is waited on at; exhausted makes it
// refuse like a spent budget.
type limiter struct {
	mu         sync.Mutex
	priorities []provider.Priority
	exhausted  bool
}

func (l *limiter) Wait(_ context.Context, p provider.Priority) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.priorities = append(l.priorities, p)
	if l.exhausted {
		return &provider.RetryAfterError{After: time.Hour, Err: provider.ErrBudgetExhausted}
	}
	return nil
}

func (l *limiter) Blocked(context.Context) (time.Time, error) { return time.Time{}, nil }

// clock is a fake clock: rounds after the first run when the test ticks.
type clock struct {
	tick  chan time.Time
	mu    sync.Mutex
	waits []time.Duration
}

func (c *clock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	return c.tick
}

func health(t *testing.T, tr *connstatus.Tracker, ws, id string) model.ConnectionHealth {
	t.Helper()
	list, err := tr.Connections(context.Background(), ws)
	require.NoError(t, err)
	for _, c := range list {
		if c.ID == id {
			return c.Health
		}
	}
	t.Fatalf("no connection %s/%s", ws, id)
	return model.ConnectionHealth{}
}

func TestHealthIsCheckedAtStartAndEveryInterval(t *testing.T) {
	t.Parallel()
	wics := &checker{}
	lim := &limiter{}
	clk := &clock{tick: make(chan time.Time)}
	tr, err := connstatus.New(connstatus.Options{
		Connections: conns{{Workspace: "acme", ID: "wics", Provider: "wics", Connector: wics}},
		Store:       &fakeStore{},
		Limiters:    func(ws, conn string) provider.Limiter { return lim },
		Now:         func() time.Time { return t0 },
		After:       clk.after,
	})
	require.NoError(t, err)
	require.Equal(t, model.HealthUnknown, health(t, tr, "acme", "wics").Status, "unknown before the first check")

	tr.Start(context.Background())
	t.Cleanup(func() { require.NoError(t, tr.Stop(context.Background())) })
	require.Eventually(t, func() bool { return wics.count() == 1 }, 5*time.Second, time.Millisecond, "a check at start")
	require.Eventually(t, func() bool { return health(t, tr, "acme", "wics").Status == model.HealthHealthy }, 5*time.Second, time.Millisecond)
	h := health(t, tr, "acme", "wics")
	require.Equal(t, t0, *h.CheckedAt)
	require.Empty(t, h.Reason)

	wics.set(errors.New("wics login: 401 Unauthorized"))
	clk.tick <- t0.Add(5 * time.Minute)
	require.Eventually(t, func() bool { return health(t, tr, "acme", "wics").Status == model.HealthUnhealthy }, 5*time.Second, time.Millisecond)
	require.Equal(t, "wics login: 401 Unauthorized", health(t, tr, "acme", "wics").Reason)
	require.Equal(t, 2, wics.count())

	clk.mu.Lock()
	require.Equal(t, connstatus.DefaultInterval, clk.waits[0], "every 5 minutes by default")
	clk.mu.Unlock()
	lim.mu.Lock()
	require.Equal(t, []provider.Priority{provider.PriorityBackground, provider.PriorityBackground}, lim.priorities,
		"a health check takes only what urgent work leaves")
	lim.mu.Unlock()
}

func TestAHealthCheckWithoutBudgetKeepsTheLastResult(t *testing.T) {
	t.Parallel()
	wics := &checker{}
	lim := &limiter{}
	tr, err := connstatus.New(connstatus.Options{
		Connections: conns{{Workspace: "acme", ID: "wics", Provider: "wics", Connector: wics}},
		Store:       &fakeStore{},
		Limiters:    func(string, string) provider.Limiter { return lim },
	})
	require.NoError(t, err)
	tr.CheckAll(context.Background())
	require.Equal(t, model.HealthHealthy, health(t, tr, "acme", "wics").Status)

	lim.mu.Lock()
	lim.exhausted = true
	lim.mu.Unlock()
	wics.set(errors.New("would fail"))
	tr.CheckAll(context.Background())
	require.Equal(t, model.HealthHealthy, health(t, tr, "acme", "wics").Status, "a spent budget says nothing of the login")
	require.Equal(t, 1, wics.count(), "the check did not reach the provider")
}

func TestAHealthCheckThatHangsIsUnhealthyAfterTheTimeout(t *testing.T) {
	t.Parallel()
	wics := &checker{block: true}
	tr, err := connstatus.New(connstatus.Options{
		Connections: conns{{Workspace: "acme", ID: "wics", Provider: "wics", Connector: wics}},
		Store:       &fakeStore{},
		Timeout:     20 * time.Millisecond,
	})
	require.NoError(t, err)
	tr.CheckAll(context.Background())
	h := health(t, tr, "acme", "wics")
	require.Equal(t, model.HealthUnhealthy, h.Status)
	require.Contains(t, h.Reason, "no answer within 20ms")
}

func TestStopEndsAHangingCheckWithoutARecord(t *testing.T) {
	t.Parallel()
	wics := &checker{block: true}
	tr, err := connstatus.New(connstatus.Options{
		Connections: conns{{Workspace: "acme", ID: "wics", Provider: "wics", Connector: wics}},
		Store:       &fakeStore{},
		Timeout:     time.Hour,
	})
	require.NoError(t, err)
	tr.Start(context.Background())
	require.Eventually(t, func() bool { return wics.count() == 1 }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, tr.Stop(ctx))
	require.NoError(t, tr.Stop(ctx), "a second stop is a no-op")
	require.Equal(t, model.HealthUnknown, health(t, tr, "acme", "wics").Status, "stopping is not a failed check")
}

func TestConnectionsShowActivityErrorsAndBudget(t *testing.T) {
	t.Parallel()
	rb := provider.RateBudget{Key: "wics:3f2a", PerMinute: 150, PerDay: 20000}
	wics := &rateLimited{checker: checker{rb: &rb}}
	blocked := t0.Add(5 * time.Minute)
	st := &fakeStore{
		last: map[[2]string]time.Time{{"acme", "wics"}: t0.Add(-time.Minute), {"globex", "courier"}: t0},
		errors: []*model.IntakeError{
			{Workspace: "acme", Connection: "courier", Reason: "bad input: decoding courier JSON", ReceivedAt: t0.Add(-time.Hour)},
		},
	}
	var keys []string
	tr, err := connstatus.New(connstatus.Options{
		Connections: conns{
			{Workspace: "acme", ID: "wics", Provider: "wics", Connector: wics},
			{Workspace: "globex", ID: "courier", Provider: "courier", Connector: plain{}},
			{Workspace: "acme", ID: "courier", Provider: "courier", Connector: plain{}},
		},
		Store: st,
		Budgets: func(_ context.Context, key string) (provider.BudgetStatus, error) {
			keys = append(keys, key)
			return provider.BudgetStatus{Key: key, PerMinute: 150, PerDay: 20000, MinuteLeft: 0, DayLeft: 19000,
				BlockedUntil: blocked, Violations: 1}, nil
		},
		Now: func() time.Time { return t0 },
	})
	require.NoError(t, err)
	tr.CheckAll(context.Background())

	list, err := tr.Connections(context.Background(), "acme")
	require.NoError(t, err)
	checked, last := t0, t0.Add(-time.Minute)
	require.Equal(t, []*model.ConnectionStatus{
		{ID: "wics", Workspace: "acme", Provider: "wics",
			Health:        model.ConnectionHealth{Status: model.HealthHealthy, CheckedAt: &checked},
			LastMessageAt: &last,
			Budget:        &model.ConnectionBudget{PerMinute: 150, PerDay: 20000, MinuteLeft: 0, DayLeft: 19000, BlockedUntil: &blocked, Violations: 1}},
		{ID: "courier", Workspace: "acme", Provider: "courier",
			Health:    model.ConnectionHealth{Status: model.HealthUnknown},
			LastError: &model.ConnectionError{Reason: "bad input: decoding courier JSON", At: t0.Add(-time.Hour)}},
	}, list, "the workspace's connections in configuration order; none of another workspace")
	require.Equal(t, []string{"wics:3f2a"}, keys, "the budget is read by the credential's key")

	none, err := tr.Connections(context.Background(), "initech")
	require.NoError(t, err)
	require.Empty(t, none)

	st.err = errors.New("database is down")
	_, err = tr.Connections(context.Background(), "acme")
	require.ErrorContains(t, err, "database is down")
}

func TestOptionsAreValidated(t *testing.T) {
	t.Parallel()
	_, err := connstatus.New(connstatus.Options{})
	require.ErrorContains(t, err, "connections are required")
	require.ErrorContains(t, err, "a store is required")
	_, err = connstatus.New(connstatus.Options{Connections: conns{}, Store: &fakeStore{}, Interval: -time.Second})
	require.ErrorContains(t, err, "must not be negative")
}

package gcl_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/gcl"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/sim/gclsim"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// clock is a settable clock shared by the simulator and the hub.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time         { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration)    { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock(t time.Time) *clock       { return &clock{t: t} }
func (c *clock) Set(t time.Time)        { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Since(t time.Time) bool { return !c.Now().Before(t) }

type hub struct {
	sim     *gclsim.Sim
	store   store.Store
	watch   *watchStore
	pipe    *pipeline.Pipeline
	svc     *gcl.Service
	clock   *clock
	metrics *metrics.Metrics
	env     provider.PollEnv
	conn    provider.Puller
}

// watchStore is the store as the GCL service sees it: it counts what a
// test waits for (scans, refused budget) and lets a test make inbox commits
// fail or panic.
type watchStore struct {
	store.Store
	// appendHook, when set, runs before every inbox commit; an error fails it.
	appendHook atomic.Pointer[func(m *model.InboxMessage) error]
	scans      atomic.Int64
	panicScans atomic.Int64 // this many scans panic

	dayRefusals atomic.Int64
}

func (w *watchStore) AppendInbox(ctx context.Context, m *model.InboxMessage) (int64, bool, error) {
	if h := w.appendHook.Load(); h != nil {
		if err := (*h)(m); err != nil {
			return 0, false, err
		}
	}
	return w.Store.AppendInbox(ctx, m)
}

func (w *watchStore) ShipmentsUpdatedSince(ctx context.Context, workspace string, since time.Time, afterID int64, limit int) ([]*model.Shipment, error) {
	defer w.scans.Add(1)
	if w.panicScans.Add(-1) >= 0 {
		panic("a bug in the scan")
	}
	return w.Store.ShipmentsUpdatedSince(ctx, workspace, since, afterID, limit)
}

func (w *watchStore) TakeBudgetLeft(ctx context.Context, key string, window time.Duration, limit int) (bool, int, time.Time, error) {
	ok, left, next, err := w.Store.(poll.BudgetCounter).TakeBudgetLeft(ctx, key, window, limit)
	if err == nil && !ok && strings.HasSuffix(key, "/d") {
		w.dayRefusals.Add(1)
	}
	return ok, left, next, err
}

func (w *watchStore) setAppendHook(h func(m *model.InboxMessage) error) { w.appendHook.Store(&h) }

const simKey = "sim-key-0123456789"

// newHub runs a GCL simulator on loopback and a hub (SQLite, pipeline, GCL
// service) pointed at it. clk nil means the real clock.
func newHub(t testing.TB, clk *clock, settings map[string]any, simCfg gclsim.Config) *hub {
	t.Helper()
	registry.RegisterAll()
	simCfg.APIKey = simKey
	if clk != nil {
		simCfg.Now = clk.Now
	}
	sim, err := gclsim.New(simCfg)
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })

	s := map[string]any{"base_url": base, "api_key": simKey, "timeout": "2s", "rate_per_second": 200}
	for k, v := range settings {
		s[k] = v
	}
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "gcl", Provider: "gcl", Settings: s},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	st := sqlite.OpenTest(t)
	now := time.Now
	if clk != nil {
		now = clk.Now
	}
	pipe, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, Now: now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	c, _ := conns.Lookup("acme", "gcl")
	h := &hub{sim: sim, store: st, watch: &watchStore{Store: st}, pipe: pipe, clock: clk, metrics: metrics.New(), conn: c.Connector.(provider.Puller)}
	h.env = provider.PollEnv{Workspace: "acme", Connection: "gcl", Store: h.watch, Holder: "test", Now: now, Logger: slog.New(slog.DiscardHandler), Metrics: h.metrics}
	h.svc = h.newService(t)
	return h
}

// newService builds another GCL service on the hub's store, as a restarted
// hub would.
func (h *hub) newService(t testing.TB) *gcl.Service {
	t.Helper()
	svc, err := h.conn.NewService(h.env)
	require.NoError(t, err)
	g := svc.(*gcl.Service)
	g.Client().Backoff = 10 * time.Millisecond
	return g
}

// start runs a service until the test ends.
func start(t *testing.T, svc *gcl.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	svc.Start(ctx)
	t.Cleanup(func() {
		cancel()
		_ = svc.Stop(context.Background())
	})
}

// tracker reads a tracker back.
func (h *hub) tracker(t *testing.T, id int64) *model.Tracker {
	t.Helper()
	tr, err := h.store.GetTracker(ctxT(t), "acme", id)
	require.NoError(t, err)
	return tr
}

// polled reports, without failing the test, whether a tracker was polled
// and how often it failed: condition functions of require.Eventually run
// on a goroutine of their own, where require must not be called.
func (h *hub) polled(id int64) (polled bool, failures int) {
	tr, err := h.store.GetTracker(context.Background(), "acme", id)
	if err != nil {
		return false, 0
	}
	return tr.LastPolledAt != nil, tr.Failures
}

// bothPolled is the condition that bad was polled and failed, and fine was polled.
func (h *hub) bothPolled(bad, fine int64) func() bool {
	return func() bool {
		_, failures := h.polled(bad)
		ok, _ := h.polled(fine)
		return failures > 0 && ok
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (h *hub) track(t *testing.T, number string) *model.Tracker {
	t.Helper()
	tr := &model.Tracker{Workspace: "acme", Connection: "gcl", TrackingNumber: number, Reference: "ref-" + number, NextPollAt: ptr(time.Now().Add(-time.Second))}
	if h.clock != nil {
		tr.NextPollAt = ptr(h.clock.Now())
	}
	_, err := h.store.CreateTracker(ctxT(t), tr)
	require.NoError(t, err)
	return tr
}

// pollOnce polls a tracker and applies what it committed.
func (h *hub) pollOnce(t *testing.T, tr *model.Tracker) *model.Tracker {
	t.Helper()
	h.svc.PollTracker(ctxT(t), tr)
	_, err := h.pipe.Drain(ctxT(t))
	require.NoError(t, err)
	got, err := h.store.GetTracker(ctxT(t), "acme", tr.ID)
	require.NoError(t, err)
	return got
}

func (h *hub) shipment(t *testing.T, number string) *model.Shipment {
	t.Helper()
	list, err := h.store.ListShipments(ctxT(t), store.ShipmentFilter{Workspace: "acme", Reference: number, Connection: "gcl"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	s, err := h.store.GetShipment(ctxT(t), "acme", list[0].ID)
	require.NoError(t, err)
	return s
}

func (h *hub) feedCount(t *testing.T, typ string) int {
	t.Helper()
	feed, err := h.store.ListFeed(ctxT(t), "acme", 0, 1000)
	require.NoError(t, err)
	n := 0
	for _, e := range feed {
		if e.Type == typ || typ == "" {
			n++
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)

func TestHistoriesBecomeTheRightEventsAndRepeatedPollsAddNothing(t *testing.T) {
	t.Parallel()
	const step = time.Hour
	for i := range 5 {
		number := fmt.Sprintf("TRK%05d", i)
		t.Run(number, func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			h := newHub(t, clk, nil, gclsim.Config{Step: step})
			tr := h.track(t, number)
			want := h.sim.Final(number, t0)
			for range len(want.Checkpoints) {
				tr = h.pollOnce(t, tr)
				require.Equal(t, model.TrackerActive, tr.State)
				before := h.feedCount(t, "")
				tr = h.pollOnce(t, tr) // the same answer again
				require.Equal(t, before, h.feedCount(t, ""), "an unchanged answer adds nothing")
				clk.Add(step)
			}
			s := h.shipment(t, number)
			require.Len(t, s.Events, len(want.Checkpoints), "one event per checkpoint, however often it was served")
			last := want.Checkpoints[0] // newest first
			require.Equal(t, map[string]model.Status{"delivered": model.StatusDelivered, "returned": model.StatusReturned}[last.StatusUID], s.Status)
			require.Equal(t, want.CarrierUID, s.Carrier)
			require.Equal(t, want.ShipmentMethodUID, s.Method)
			require.Equal(t, want.TrackingURL, s.TrackingURL)
			require.Equal(t, want.WeightInGrams, s.Attributes[gcl.AttrWeightInGrams])
			require.Contains(t, s.References, model.Reference{Kind: model.RefMerchant, Value: "ref-" + number})
			for i, e := range s.Events {
				cp := want.Checkpoints[len(want.Checkpoints)-1-i]
				require.Equal(t, cp.StatusUID, e.ProviderCode)
				require.Equal(t, cp.Message, e.Description)
				require.Equal(t, model.SourcePoll, e.Source)
			}
			require.Equal(t, s.Status, tr.Status)
			require.Equal(t, poll.PriorityRecheck, tr.Priority, "a terminal parcel is only looked at once more")
			require.Equal(t, clk.Now().Add(-step).Add(poll.DefaultIntervals.TerminalRecheck), *tr.NextPollAt)
			// The late re-check finds nothing new: the tracker is done.
			clk.Add(poll.DefaultIntervals.TerminalRecheck)
			tr = h.pollOnce(t, tr)
			require.Equal(t, model.TrackerDone, tr.State)
			require.Nil(t, tr.NextPollAt)
		})
	}
}

func TestExpectedDeliveryChangeIsAFeedEvent(t *testing.T) {
	t.Parallel()
	const step = time.Hour
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{Step: step})
	// Find a number whose journey moves its expected delivery date.
	number := ""
	for i := range 200 {
		n := fmt.Sprintf("EDD%04d", i)
		dates := map[string]bool{}
		for _, cp := range h.sim.Final(n, t0).Checkpoints {
			if cp.ExpectedDeliveryDate != "" {
				dates[cp.ExpectedDeliveryDate] = true
			}
		}
		if len(dates) > 1 {
			number = n
			break
		}
	}
	require.NotEmpty(t, number)
	tr := h.track(t, number)
	for range h.sim.JourneyLength(number) {
		tr = h.pollOnce(t, tr)
		clk.Add(step)
	}
	require.Equal(t, 1, h.feedCount(t, model.EventShipmentEDDChanged))
	s := h.shipment(t, number)
	require.NotEmpty(t, s.ExpectedDelivery)
}

func TestNotFoundIsRetriedWithGrowingWaitsThenExpires(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, map[string]any{"expire_after_days": 2}, gclsim.Config{Step: time.Hour})
	tr := h.track(t, "NOTFOUND-1")
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerNotFound, tr.State)
	require.Equal(t, poll.PriorityNotFound, tr.Priority)
	first := tr.NextPollAt.Sub(clk.Now())
	require.InDelta(t, float64(poll.DefaultIntervals.NotFound), float64(first), float64(first)/5)
	s := h.shipment(t, "NOTFOUND-1")
	require.Equal(t, model.StatusPending, s.Status, "the tracked number is visible before the carrier knows it")
	require.Empty(t, s.Events)

	clk.Add(6 * time.Hour)
	tr = h.pollOnce(t, tr)
	require.Greater(t, tr.NextPollAt.Sub(clk.Now()), 2*first, "waits grow while the number stays unknown")
	require.Equal(t, 1, h.feedCount(t, model.EventShipmentCreated), "identical not-found answers are one inbox message")

	clk.Add(2 * 24 * time.Hour)
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerExpired, tr.State)
	require.Nil(t, tr.NextPollAt)
	s = h.shipment(t, "NOTFOUND-1")
	require.Equal(t, model.StatusExpired, s.Status)
	require.Len(t, s.Events, 1)
	require.Equal(t, "expired:not_found", s.Events[0].ProviderCode)
}

func TestALateNumberIsFoundAfterNotFound(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{Step: time.Hour})
	tr := h.track(t, "LATE-7")
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerNotFound, tr.State)
	clk.Add(2 * time.Hour)
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerActive, tr.State)
	require.Nil(t, tr.NotFoundSince)
	require.NotEqual(t, model.StatusPending, h.shipment(t, "LATE-7").Status)
}

func TestErrorsAreRetriedAndBackedOff(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, map[string]any{"max_attempts": 3, "timeout": "300ms"}, gclsim.Config{Step: time.Hour, SlowDelay: 2 * time.Second})

	flaky := h.pollOnce(t, h.track(t, "FAIL-1"))
	require.Equal(t, model.TrackerActive, flaky.State, "a 503 is retried and the retry succeeds")
	require.Zero(t, flaky.Failures)
	require.Equal(t, 2, h.sim.RequestsFor("FAIL-1"))

	down := h.pollOnce(t, h.track(t, "DOWN-1"))
	require.Equal(t, 3, h.sim.RequestsFor("DOWN-1"), "max_attempts requests, then the poll fails")
	require.Equal(t, 1, down.Failures)
	require.Contains(t, down.LastError, "HTTP 500")
	within10 := func(want, got time.Duration) { require.InDelta(t, float64(want), float64(got), float64(want)/10+1) }
	within10(poll.DefaultIntervals.Error, down.NextPollAt.Sub(clk.Now())) // the first failure waits the error interval
	down = h.pollOnce(t, down)
	require.Equal(t, 2, down.Failures)
	within10(2*poll.DefaultIntervals.Error, down.NextPollAt.Sub(clk.Now())) // then twice as long

	slow := h.pollOnce(t, h.track(t, "SLOW-1"))
	require.Equal(t, 1, slow.Failures, "an answer slower than the timeout is a failure")
	require.Contains(t, slow.LastError, "unavailable")

	var list []*model.Shipment
	list, err := h.store.ListShipments(ctxT(t), store.ShipmentFilter{Workspace: "acme", Reference: "DOWN-1"})
	require.NoError(t, err)
	require.Empty(t, list, "a failed poll stores nothing")
}

func TestWrongKeyIsRejectedWithoutRetries(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{})
	h.svc.Client().APIKey = "wrong-key"
	tr := h.pollOnce(t, h.track(t, "TRK1"))
	require.Equal(t, 1, h.sim.RequestsFor("TRK1"))
	require.Contains(t, tr.LastError, "rejected")
	require.NotContains(t, tr.LastError, "wrong-key")
}

func TestRateLimitHoldsUnderManyTrackers(t *testing.T) {
	t.Parallel()
	const (
		trackers  = 80
		perSecond = 25
		perDay    = 60
	)
	h := newHub(t, nil, map[string]any{"rate_per_second": perSecond, "rate_per_day": perDay, "concurrency": 8}, gclsim.Config{Step: time.Hour})
	for i := range trackers {
		h.track(t, fmt.Sprintf("RATE%04d", i))
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	start(t, h.svc)
	// The day's budget is spent once the poller asks for more and is
	// refused, and the polls it granted are done once their trackers are no
	// longer due: from then on nothing more goes out, however much is due.
	settled := func() bool { // runs on Eventually's goroutine: no require
		due, err := h.store.DueTrackers(context.Background(), "acme", "gcl", time.Now(), 1000)
		return err == nil && h.watch.dayRefusals.Load() > 0 && len(due) <= trackers-perDay
	}
	require.Eventually(t, settled, 15*time.Second, 10*time.Millisecond)
	if !time.Now().UTC().Truncate(24 * time.Hour).Equal(day) {
		t.Skip("midnight (UTC) passed during the test: a new day's budget opened")
	}
	require.Equal(t, perDay, h.sim.Requests(), "the daily limit is never exceeded")
	require.Equal(t, float64(perDay), testutil.ToFloat64(h.metrics.ProviderRequests.WithLabelValues("gcl", "acme/gcl", gcl.ResultOK)),
		"every request is counted")
	require.Zero(t, testutil.ToFloat64(h.metrics.RateBudgetRemaining.WithLabelValues("acme/gcl", "day")), "nothing is left of the day")
	// The budget counts requests when they are sent, in fixed one-second
	// windows, and spaces them evenly; the simulator sees them when they
	// arrive, a few milliseconds later on a loaded machine. So any second
	// the simulator observes holds at most the limit, plus one request
	// that left just before a window's end and arrived just after it.
	require.LessOrEqual(t, h.sim.MaxInAnyWindow(time.Second), perSecond+1, "no second carries more than the limit")
	due, err := h.store.DueTrackers(ctxT(t), "acme", "gcl", time.Now(), 1000)
	require.NoError(t, err)
	require.Len(t, due, trackers-perDay, "the rest stay due for the next window")
}

func TestCarrierRuleAttachesOtherConnectionsShipments(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, map[string]any{"attach": []map[string]any{{"carrier": "UPS"}, {"carrier": "dhl", "connection": "ws"}}, "scan_interval": "50ms"}, gclsim.Config{})
	ships := []*model.Shipment{
		{Connection: "ws", ProviderRef: "W1", Carrier: "ups", TrackingNumber: "1ZAAA"},
		{Connection: "ws", ProviderRef: "W2", Carrier: "dhl", TrackingNumber: "JVGL1"},
		{Connection: "other", ProviderRef: "O1", Carrier: "dhl", TrackingNumber: "JVGL2"},
		{Connection: "ws", ProviderRef: "W3", Carrier: "postnl", TrackingNumber: "3SXYZ"},
		{Connection: "ws", ProviderRef: "W4", Carrier: "ups"},
	}
	_, _, err := h.store.AppendInbox(ctxT(t), &model.InboxMessage{Workspace: "acme", Connection: "setup", Provider: "x", Source: model.SourceWebhook, DedupKey: "setup", Body: []byte("{}")})
	require.NoError(t, err)
	_, err = h.store.ProcessInbox(ctxT(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, s := range ships {
			s.Workspace, s.Provider = "acme", "winkelstraat"
			s.StatusPosition = model.StatusPosition{Status: model.StatusInTransit}
			s.CreatedAt, s.UpdatedAt = time.Now(), time.Now()
			if err := tx.InsertShipment(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)

	start(t, h.svc)
	require.Eventually(t, func() bool { return h.sim.RequestsFor("1ZAAA") > 0 && h.sim.RequestsFor("JVGL1") > 0 }, 10*time.Second, 10*time.Millisecond)
	list, err := h.store.ListTrackers(ctxT(t), store.TrackerFilter{Workspace: "acme"})
	require.NoError(t, err)
	got := map[string]int64{}
	for _, tr := range list {
		require.Equal(t, "rule", tr.Origin)
		got[tr.TrackingNumber] = tr.OriginShipment
	}
	require.Equal(t, map[string]int64{"1ZAAA": ships[0].ID, "JVGL1": ships[1].ID}, got)
	require.Positive(t, h.sim.RequestsFor("1ZAAA"), "an attached tracker is polled")

	// The answers are committed with the shipment the rule attached, and
	// applied to it: one parcel is one shipment, not a GCL one beside it.
	for _, tr := range list {
		tr := h.pollOnce(t, tr)
		require.NotNil(t, tr.LastPolledAt)
	}
	own, err := h.store.ListShipments(ctxT(t), store.ShipmentFilter{Workspace: "acme", Connection: "gcl", Limit: 10})
	require.NoError(t, err)
	require.Empty(t, own, "no shipment of the gcl connection")
	for _, sh := range ships[:2] {
		got, err := h.store.GetShipment(ctxT(t), "acme", sh.ID)
		require.NoError(t, err)
		require.NotEmpty(t, got.Events, "GCL's checkpoints are events of %s", sh.ProviderRef)
		for _, e := range got.Events {
			require.Equal(t, "gcl", e.Connection)
			require.Equal(t, "gcl", e.Provider)
		}
	}
}

func TestReprocessRebuildsTrackingFromTheRawAnswers(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{Step: time.Hour})
	tr := h.track(t, gclsim.DocumentNumber)
	h.pollOnce(t, tr)
	before := h.shipment(t, gclsim.DocumentNumber)
	require.Len(t, before.Events, 7)

	n, err := h.store.ResetCanonical(ctxT(t), "acme")
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "one raw answer to replay")
	_, err = h.pipe.Drain(ctxT(t))
	require.NoError(t, err)
	after := h.shipment(t, gclsim.DocumentNumber)
	require.Equal(t, before.Status, after.Status)
	require.Equal(t, before.ExpectedDelivery, after.ExpectedDelivery)
	require.Len(t, after.Events, 7)
	for i := range after.Events {
		require.Equal(t, before.Events[i].DedupKey, after.Events[i].DedupKey)
	}
}

// TestAnErrorObjectOn200FailsThePollAndTheHubKeepsGoing is the crash of
// issue 9: GCL answers HTTP 200 with its error object. The poll fails with
// the error's code, message and details, the tracker backs off, and the
// other trackers are polled as before.
func TestAnErrorObjectOn200FailsThePollAndTheHubKeepsGoing(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, nil, gclsim.Config{Step: time.Hour})
	oops := h.track(t, "OOPS-1")
	fine := h.track(t, "TRK-FINE-1")
	started := time.Now()
	start(t, h.svc)
	require.Eventually(t, h.bothPolled(oops.ID, fine.ID), 10*time.Second, 10*time.Millisecond)
	got := h.tracker(t, oops.ID)
	require.Equal(t, model.TrackerActive, got.State)
	require.Contains(t, got.LastError, `HTTP 200: INTERNAL_ERROR "Tracking temporarily unavailable." (details: code UPSTREAM_TIMEOUT, "The carrier did not answer.", reference req-OOPS-1)`)
	require.Greater(t, got.NextPollAt.Sub(started), poll.DefaultIntervals.Error/2, "the tracker backs off")
	require.Equal(t, 1, h.sim.RequestsFor("OOPS-1"), "an error object on 200 is not retried at once")
	require.Equal(t, model.TrackerActive, h.tracker(t, fine.ID).State)
	require.Zero(t, h.tracker(t, fine.ID).Failures)
	require.Equal(t, 1.0, testutil.ToFloat64(h.metrics.ProviderRequests.WithLabelValues("gcl", "acme/gcl", gcl.ResultBadResponse)))
	require.Equal(t, 1.0, testutil.ToFloat64(h.metrics.ProviderRequests.WithLabelValues("gcl", "acme/gcl", gcl.ResultOK)))
}

// TestEveryErrorAnsweredWith200IsUnderstood runs the simulator with every
// error object on HTTP 200: not found is still not found, a failure is
// still a failure, and nothing panics.
func TestEveryErrorAnsweredWith200IsUnderstood(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{Step: time.Hour, ErrorStatus: http.StatusOK})
	nf := h.pollOnce(t, h.track(t, "NOTFOUND-200"))
	require.Equal(t, model.TrackerNotFound, nf.State)
	require.Equal(t, model.StatusPending, h.shipment(t, "NOTFOUND-200").Status)
	down := h.pollOnce(t, h.track(t, "DOWN-200"))
	require.Equal(t, 1, down.Failures)
	require.Contains(t, down.LastError, "INTERNAL_ERROR")
	h.svc.Client().APIKey = "wrong-key"
	wrong := h.pollOnce(t, h.track(t, "TRK-200"))
	require.Contains(t, wrong.LastError, "UNAUTHORIZED")
	require.NotContains(t, wrong.LastError, "wrong-key")
}

// TestAPanickingPollIsRecoveredCountedAndBackedOff makes one tracker's poll
// panic inside the running service: the process stays up, the panic is
// counted in shiphub_panics_recovered_total, the tracker is backed off like
// a failed poll, and the other trackers are polled.
func TestAPanickingPollIsRecoveredCountedAndBackedOff(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, nil, gclsim.Config{Step: time.Hour})
	h.watch.setAppendHook(func(m *model.InboxMessage) error {
		if m.Meta[gcl.MetaTrackingNumber] == "PANIC-1" {
			panic("a bug reached by an odd answer")
		}
		return nil
	})
	bad := h.track(t, "PANIC-1")
	fine := h.track(t, "TRK-FINE-2")
	started := time.Now()
	start(t, h.svc)
	require.Eventually(t, h.bothPolled(bad.ID, fine.ID), 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 1.0, testutil.ToFloat64(h.metrics.PanicsRecovered.WithLabelValues(poll.ComponentPoller)))
	got := h.tracker(t, bad.ID)
	require.Contains(t, got.LastError, "panic: a bug reached by an odd answer")
	require.Greater(t, got.NextPollAt.Sub(started), poll.DefaultIntervals.Error/2, "backed off via its schedule")
	require.Equal(t, int64(1), got.Polls)
	_, err := h.pipe.Drain(ctxT(t))
	require.NoError(t, err)
	require.NotEmpty(t, h.shipment(t, "TRK-FINE-2").Events, "the other tracker's answer is applied")
}

// TestAnExpiryIsSavedOnlyWithItsEvent makes the expiry record's commit
// fail: the tracker is not saved as expired (no one would ever see why),
// but backs off and expires at a later poll, with its event.
func TestAnExpiryIsSavedOnlyWithItsEvent(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, map[string]any{"expire_after_days": 1}, gclsim.Config{Step: time.Hour})
	tr := h.pollOnce(t, h.track(t, "NOTFOUND-EXP"))
	require.Equal(t, model.TrackerNotFound, tr.State)

	var failing atomic.Bool
	failing.Store(true)
	h.watch.setAppendHook(func(m *model.InboxMessage) error {
		if m.Topic == gcl.TopicExpired && failing.Load() {
			return errors.New("disk full")
		}
		return nil
	})
	clk.Add(25 * time.Hour)
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerNotFound, tr.State, "not expired before its expiry event is committed")
	require.Equal(t, 1, tr.Failures)
	require.Contains(t, tr.LastError, "recording the expiry")
	require.NotNil(t, tr.NextPollAt, "it is polled again")
	require.Empty(t, h.shipment(t, "NOTFOUND-EXP").Events)

	failing.Store(false)
	clk.Set(*tr.NextPollAt)
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerExpired, tr.State)
	s := h.shipment(t, "NOTFOUND-EXP")
	require.Equal(t, model.StatusExpired, s.Status)
	require.Len(t, s.Events, 1)
}

// TestADeletedTrackerIsNotAttachedAgain deletes a tracker that a carrier
// rule attached, then restarts the service, whose scan starts from the
// beginning: the tracker stays deleted. Asking through the API brings it
// back.
func TestADeletedTrackerIsNotAttachedAgain(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, map[string]any{"carriers": []string{"ups"}, "scan_interval": "20ms"}, gclsim.Config{Step: time.Hour})
	_, _, err := h.store.AppendInbox(ctxT(t), &model.InboxMessage{Workspace: "acme", Connection: "setup", Provider: "x", Source: model.SourceWebhook, DedupKey: "setup", Body: []byte("{}")})
	require.NoError(t, err)
	_, err = h.store.ProcessInbox(ctxT(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return tx.InsertShipment(ctx, &model.Shipment{Workspace: "acme", Connection: "ws", Provider: "winkelstraat", ProviderRef: "W1",
			Carrier: "ups", TrackingNumber: "1ZDEL", StatusPosition: model.StatusPosition{Status: model.StatusInTransit},
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
	})
	require.NoError(t, err)
	trackers := func() []*model.Tracker {
		list, err := h.store.ListTrackers(ctxT(t), store.TrackerFilter{Workspace: "acme", TrackingNumber: "1ZDEL"})
		require.NoError(t, err)
		return list
	}
	attached := func() bool { // runs on Eventually's goroutine: no require
		list, err := h.store.ListTrackers(context.Background(), store.TrackerFilter{Workspace: "acme", TrackingNumber: "1ZDEL"})
		return err == nil && len(list) == 1
	}

	first := h.newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	first.Start(ctx)
	require.Eventually(t, attached, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, first.Stop(context.Background()))
	require.NoError(t, h.store.DeleteTracker(ctxT(t), "acme", trackers()[0].ID))

	// A restarted hub scans every shipment again.
	scans := h.watch.scans.Load()
	start(t, h.newService(t))
	require.Eventually(t, func() bool { return h.watch.scans.Load() >= scans+3 }, 10*time.Second, 5*time.Millisecond,
		"the restarted scan has looked at the shipment, and looked again")
	require.Empty(t, trackers(), "a deleted tracker stays deleted for that number")

	created, err := h.store.CreateTracker(ctxT(t), &model.Tracker{Workspace: "acme", Connection: "gcl", TrackingNumber: "1ZDEL", Origin: "api", NextPollAt: ptr(time.Now())})
	require.NoError(t, err)
	require.True(t, created, "the API may track it again")
}

// TestAMalformedCheckpointIsAnIntakeError polls a journey whose first
// checkpoint's createdAt is not RFC 3339: the good checkpoints become
// events, the bad one an intake error, once per new answer.
func TestAMalformedCheckpointIsAnIntakeError(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	h := newHub(t, clk, nil, gclsim.Config{Step: time.Hour})
	tr := h.track(t, "BADCP-1")
	tr = h.pollOnce(t, tr)
	require.Equal(t, model.TrackerActive, tr.State, "the answer is found, not failed")
	list, err := h.store.ListIntakeErrors(ctxT(t), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Empty(t, h.shipment(t, "BADCP-1").Events, "nothing to apply yet")

	clk.Add(time.Hour)
	tr = h.pollOnce(t, tr)
	tr = h.pollOnce(t, tr) // the same answer again
	list, err = h.store.ListIntakeErrors(ctxT(t), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, list, 2, "recorded once per new answer")
	e := list[0]
	require.Equal(t, model.SourcePoll, e.Source)
	require.Equal(t, "gcl", e.Connection)
	require.Equal(t, "GET /v1/tracking/BADCP-1 checkpoints[1]", e.Name)
	require.Contains(t, e.Reason, "createdAt")
	require.Contains(t, string(e.Body), t0.Format("02-01-2006 15:04"))
	s := h.shipment(t, "BADCP-1")
	require.Len(t, s.Events, 1, "the good checkpoint is applied")
	require.Equal(t, model.TrackerActive, tr.State)
}

// TestAPanickingScanIsRecoveredAndTriedAgain makes the carrier-rule scan
// panic twice: each panic is counted, and the next scan attaches the
// tracker all the same.
func TestAPanickingScanIsRecoveredAndTriedAgain(t *testing.T) {
	t.Parallel()
	h := newHub(t, nil, map[string]any{"carriers": []string{"ups"}, "scan_interval": "20ms"}, gclsim.Config{Step: time.Hour})
	h.watch.panicScans.Store(2)
	_, _, err := h.store.AppendInbox(ctxT(t), &model.InboxMessage{Workspace: "acme", Connection: "setup", Provider: "x", Source: model.SourceWebhook, DedupKey: "setup", Body: []byte("{}")})
	require.NoError(t, err)
	_, err = h.store.ProcessInbox(ctxT(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return tx.InsertShipment(ctx, &model.Shipment{Workspace: "acme", Connection: "ws", Provider: "winkelstraat", ProviderRef: "W1",
			Carrier: "ups", TrackingNumber: "1ZPANIC", StatusPosition: model.StatusPosition{Status: model.StatusInTransit},
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
	})
	require.NoError(t, err)
	start(t, h.svc)
	require.Eventually(t, func() bool { return h.sim.RequestsFor("1ZPANIC") > 0 }, 10*time.Second, 10*time.Millisecond,
		"the scan after the panics attaches the tracker, and it is polled")
	require.Equal(t, 2.0, testutil.ToFloat64(h.metrics.PanicsRecovered.WithLabelValues(gcl.ComponentAttach)))
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/insights"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

// insightsNow is the fixed clock of the tests; near the real time, because
// the cookie jar drops a session cookie that expired by the real clock.
var insightsNow = time.Now().UTC().Truncate(time.Minute)

// insightsServer is a dashboard on a fresh SQLite store whose insights
// come from a snapshot service with a fixed clock, and a client signed in
// to workspace acme.
func insightsServer(t *testing.T, seed func(s store.Store)) (*http.Client, string) {
	t.Helper()
	st := sqlite.OpenTest(t)
	if seed != nil {
		seed(st)
	}
	now := func() time.Time { return insightsNow }
	svc, err := insights.New(insights.Config{Store: st, Now: now, Workspaces: []string{"acme"}})
	require.NoError(t, err)
	svc.Refresh(context.Background()) // as Start does before the page is asked
	ui, err := web.New(web.Config{
		Store:    st,
		Keys:     []api.Key{{Workspace: "acme", Secret: "acme-key"}, {Workspace: "globex", Secret: "globex-key"}},
		Now:      now,
		Insights: svc,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	return signIn(t, srv.URL, "acme-key"), srv.URL
}

// signIn signs in with a key and returns a client with the session.
// Unlike web.SignedInClient's, the client follows redirects.
func signIn(t *testing.T, base, key string) *http.Client {
	t.Helper()
	return &http.Client{Jar: web.SignedInClient(t, base, key).Jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	return web.GetPage(t, c, u)
}

// seedInsights puts in two carriers' shipments of acme, with events in
// every window, and a globex shipment that must not show.
func seedInsights(t *testing.T) func(s store.Store) {
	return func(s store.Store) {
		t.Helper()
		ctx := context.Background()
		_, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "setup", Provider: "courier", Source: model.SourceWebhook,
			DedupKey: "seed", Body: []byte("{}"), ReceivedAt: insightsNow})
		require.NoError(t, err)
		h := time.Hour
		type ship struct {
			ws, conn, carrier string
			status            model.Status
			events            []model.Status // one an hour, ending 2 h ago
		}
		ships := []ship{
			{"acme", "courier", "bpost", model.StatusDelivered, []model.Status{model.StatusInfoReceived, model.StatusInTransit, model.StatusInTransit, model.StatusDelivered}},
			{"acme", "courier", "bpost", model.StatusDelivered, []model.Status{model.StatusInTransit, model.StatusFailedAttempt, model.StatusDelivered}},
			{"acme", "wics", "dhl", model.StatusException, []model.Status{model.StatusInTransit, model.StatusException}},
			{"globex", "courier", "globexpress", model.StatusDelivered, []model.Status{model.StatusInTransit, model.StatusDelivered}},
		}
		n, err := s.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
			for i, sp := range ships {
				sh := &model.Shipment{Workspace: sp.ws, Connection: sp.conn, Provider: "courier", ProviderRef: fmt.Sprintf("R%d", i),
					StatusPosition: model.StatusPosition{Status: sp.status}, Carrier: sp.carrier,
					CreatedAt: insightsNow.Add(-10 * h), UpdatedAt: insightsNow.Add(-2 * h)}
				if sp.status == model.StatusDelivered {
					sh.DeliveredAt = ptr(insightsNow.Add(-2 * h))
				}
				if err := tx.InsertShipment(ctx, sh); err != nil {
					return err
				}
				for j, st := range sp.events {
					at := insightsNow.Add(-2*h - time.Duration(len(sp.events)-1-j)*h)
					if _, err := tx.InsertEvent(ctx, sh.ID, &model.Event{Status: st, ProviderCode: string(st), OccurredAt: at, Source: model.SourceWebhook, DedupKey: fmt.Sprint(j)}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
}

func ptr[T any](v T) *T { return &v }

func TestInsightsPage(t *testing.T) {
	t.Parallel()
	t.Run("ShowsTheFiveChartsWithTheirDataTablesAndFigures", func(t *testing.T) {
		t.Parallel()
		c, base := insightsServer(t, seedInsights(t))
		status, body := get(t, c, base+"/ui/insights")
		require.Equal(t, http.StatusOK, status, body)
		require.Contains(t, body, `aria-current="page">Insights`)
		for _, id := range []string{"chart-events-per-hour", "chart-statuses-per-day", "chart-transit", "chart-rates", "chart-first-attempt"} {
			require.Contains(t, body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" id="`+id+`"`, id)
			require.Contains(t, body, `<table id="`+id+`-data">`, "each chart has its data table")
		}
		require.Equal(t, 5, strings.Count(body, `role="img"`))
		require.NotContains(t, body, "No data yet:")
		require.Contains(t, body, "As of <time")
		// Figures in text.
		require.Contains(t, body, "9 events. courier: 7. wics: 2.")
		require.Contains(t, body, "bpost: median 2 h, p90 2 h, over 2 deliveries.")
		require.Contains(t, body, "dhl: 100 % with an exception (1), 0 % with a failed attempt (0), of 1 shipments.")
		require.Contains(t, body, `<strong class="first-rate">50 %</strong> delivered at the first attempt: 1 of 2.`)
		require.NotContains(t, body, "globexpress", "another workspace's carrier is not shown")
		require.Contains(t, body, "How the figures are defined")
	})
	t.Run("WithoutDataSaysNoDataYet", func(t *testing.T) {
		t.Parallel()
		c, base := insightsServer(t, nil)
		status, body := get(t, c, base+"/ui/insights")
		require.Equal(t, http.StatusOK, status, body)
		require.Equal(t, 5, strings.Count(body, `<p class="no-data">No data yet`))
		require.NotContains(t, body, `role="img"`)
	})
	t.Run("TheChartsFragmentIsTheirPartOnly", func(t *testing.T) {
		t.Parallel()
		c, base := insightsServer(t, seedInsights(t))
		status, body := get(t, c, base+"/ui/insights?fragment=charts")
		require.Equal(t, http.StatusOK, status, body)
		require.True(t, strings.HasPrefix(strings.TrimSpace(body), `<div id="insights-charts"`), body)
		require.NotContains(t, body, "<html")
	})
	t.Run("NeedsASignIn", func(t *testing.T) {
		t.Parallel()
		_, base := insightsServer(t, nil)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Get(base + "/ui/insights")
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
	})
}

func TestInsightsPageComputesWithoutAConfiguredSource(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	seedInsights(t)(st)
	ui, err := web.New(web.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: "k"}}, Now: func() time.Time { return insightsNow }})
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	c := signIn(t, srv.URL, "k")
	// The first view may find the snapshot still being computed; it comes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := get(t, c, srv.URL+"/ui/insights?fragment=charts")
		require.Equal(t, http.StatusOK, status)
		if strings.Contains(body, `id="chart-first-attempt"`) {
			break
		}
		require.Contains(t, body, `id="insights-pending"`)
		require.True(t, time.Now().Before(deadline), "the snapshot was never computed")
		runtime.Gosched()
	}
}

// pendingSource is a snapshot still being computed.
type pendingSource struct{}

func (pendingSource) Snapshot(context.Context, string) (*insights.Snapshot, error) {
	return nil, fmt.Errorf("wrapped: %w", insights.ErrPending)
}

func TestInsightsPageSaysWhileTheFirstSnapshotIsComputed(t *testing.T) {
	t.Parallel()
	ui, err := web.New(web.Config{Store: sqlite.OpenTest(t), Keys: []api.Key{{Workspace: "acme", Secret: "k"}}, Insights: pendingSource{}})
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	c := signIn(t, srv.URL, "k")
	status, body := get(t, c, srv.URL+"/ui/insights")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<p class="no-data" id="insights-pending" role="status">`)
	require.Contains(t, body, `hx-trigger="every 2s"`, "it polls for the snapshot")
	require.Contains(t, body, "How the figures are defined")
}

// fullSource answers a snapshot as large as the page shows: 48 hours of
// five connections, 14 days of eight statuses, four carriers.
type fullSource struct{ snap *insights.Snapshot }

func (f fullSource) Snapshot(context.Context, string) (*insights.Snapshot, error) { return f.snap, nil }

func newFullSource(now time.Time) fullSource {
	snap := &insights.Snapshot{Workspace: "acme", AsOf: now, CarriersAsOf: now,
		HoursSince: now.Truncate(time.Hour).Add(-47 * time.Hour), DaysSince: now.Truncate(24 * time.Hour).Add(-13 * 24 * time.Hour), CarriersSince: now.Add(-30 * 24 * time.Hour)}
	for h := range 48 {
		for i, c := range []string{"courier", "ws", "wics", "aa", "gcl"} {
			snap.EventsPerHour = append(snap.EventsPerHour, store.HourCount{Connection: c, Hour: snap.HoursSince.Add(time.Duration(h) * time.Hour), Count: int64(100*i + h)})
		}
	}
	for d := range 14 {
		for i, st := range []model.Status{model.StatusInfoReceived, model.StatusInTransit, model.StatusOutForDelivery, model.StatusFailedAttempt, model.StatusDelivered, model.StatusException, model.StatusReturned, model.StatusUnknown} {
			snap.StatusesPerDay = append(snap.StatusesPerDay, store.DayStatusCount{Day: snap.DaysSince.AddDate(0, 0, d), Status: st, Count: int64(1000*i + d)})
		}
	}
	for i, c := range []string{"bpost", "dhl", "dpd", "postnl"} {
		snap.Transit = append(snap.Transit, store.CarrierTransit{Carrier: c, Shipments: 20000, P50: time.Duration(20+i) * time.Hour, P90: time.Duration(40+i) * time.Hour})
		snap.Rates = append(snap.Rates, store.CarrierRate{Carrier: c, Shipments: 25000, Exceptions: 1250, FailedAttempts: 2500, Delivered: 22000, FirstAttempt: 20000})
	}
	return fullSource{snap: snap}
}

// BenchmarkInsightsPage measures the server time of /ui/insights from a
// full snapshot (the page never aggregates).
func BenchmarkInsightsPage(b *testing.B) {
	ui, err := web.New(web.Config{Store: sqlite.OpenTest(b), Keys: []api.Key{{Workspace: "acme", Secret: "k"}}, Insights: newFullSource(time.Now().UTC())})
	require.NoError(b, err)
	srv := httptest.NewServer(ui.Handler())
	b.Cleanup(srv.Close)
	signin, err := url.Parse(srv.URL + "/ui/signin")
	require.NoError(b, err)
	cookie := web.SignedInClient(b, srv.URL, "k").Jar.Cookies(signin)
	require.NotEmpty(b, cookie)
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, "/ui/insights", nil)
		req.AddCookie(cookie[0])
		w := httptest.NewRecorder()
		ui.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="chart-first-attempt"`) {
			b.Fatalf("status %d", w.Code)
		}
	}
}

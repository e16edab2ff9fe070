package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

var received = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// inboxMessage is a courier message received at received+offset.
func inboxMessage(key string, offset time.Duration) *model.InboxMessage {
	return &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier", Source: model.SourceWebhook,
		DedupKey: key, Body: []byte(`{}`), ReceivedAt: received.Add(offset)}
}

// gauges is what the sampled gauges say.
type gauges struct {
	pending, oldestAge, failed, disabled float64
}

func readGauges(m *metrics.Metrics) gauges {
	return gauges{
		pending:   testutil.ToFloat64(m.InboxPending),
		oldestAge: testutil.ToFloat64(m.InboxOldestPendingSeconds),
		failed:    testutil.ToFloat64(m.InboxFailed),
		disabled:  testutil.ToFloat64(m.EndpointsDisabled),
	}
}

// failingStore fails every query while fail is set.
type failingStore struct {
	server.SampledStore
	fail atomic.Bool
}

var errDown = errors.New("the database is down")

func (f *failingStore) InboxStats(ctx context.Context) (store.InboxStats, error) {
	if f.fail.Load() {
		return store.InboxStats{}, errDown
	}
	return f.SampledStore.InboxStats(ctx)
}

func (f *failingStore) CountDisabledEndpoints(ctx context.Context) (int64, error) {
	if f.fail.Load() {
		return 0, errDown
	}
	return f.SampledStore.CountDisabledEndpoints(ctx)
}

func TestSamplerSetsTheGaugesFromTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := sqlite.OpenTest(t)
	m := metrics.New()
	now := received.Add(10 * time.Minute)
	fs := &failingStore{SampledStore: st}
	smp, err := server.NewSampler(server.SamplerConfig{Store: fs, Metrics: m, Now: func() time.Time { return now }})
	require.NoError(t, err)

	// appendMessages appends messages; process applies the pending ones,
	// failing those whose key is in fail.
	appendMessages := func(msgs ...*model.InboxMessage) {
		for _, msg := range msgs {
			_, dup, err := st.AppendInbox(ctx, msg)
			require.NoError(t, err)
			require.False(t, dup)
		}
	}
	process := func(fail ...string) {
		_, err := st.ProcessInbox(ctx, 100, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
			for _, msg := range msgs {
				for _, f := range fail {
					if msg.DedupKey == f {
						if err := tx.MarkProcessed(ctx, msg.ID, "no mapping"); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	endpoint := func(ws string, disabled bool) *model.Endpoint {
		e := &model.Endpoint{Workspace: ws, URL: fmt.Sprintf("https://%s.example/%d", ws, time.Now().UnixNano()), Events: []string{"*"}, Secret: model.NewSecret()}
		require.NoError(t, st.CreateEndpoint(ctx, e))
		if disabled {
			ok, err := st.DisableEndpoint(ctx, e.ID, "test")
			require.NoError(t, err)
			require.True(t, ok)
		}
		return e
	}

	require.NoError(t, smp.SampleOnce(ctx))
	require.Equal(t, gauges{}, readGauges(m), "an empty store")

	// One applied, one failed, and then two pending, the older received
	// 4 minutes before now; two disabled endpoints in two workspaces.
	appendMessages(inboxMessage("applied", 0), inboxMessage("broken", time.Minute))
	process("broken")
	appendMessages(inboxMessage("pending-1", 6*time.Minute), inboxMessage("pending-2", 8*time.Minute))
	endpoint("acme", false)
	acmeOff := endpoint("acme", true)
	endpoint("globex", true)
	require.NoError(t, smp.SampleOnce(ctx))
	require.Equal(t, gauges{pending: 2, oldestAge: 240, failed: 1, disabled: 2}, readGauges(m))

	// When the database fails, the gauges keep their last values and the
	// error says which ones.
	fs.fail.Store(true)
	err = smp.SampleOnce(ctx)
	require.ErrorIs(t, err, errDown)
	require.ErrorContains(t, err, "sampling the inbox")
	require.ErrorContains(t, err, "sampling the disabled endpoints")
	require.Equal(t, gauges{pending: 2, oldestAge: 240, failed: 1, disabled: 2}, readGauges(m))
	fs.fail.Store(false)

	// The backlog is applied and an endpoint recovered: the age goes back
	// to 0 with nothing pending.
	process()
	_, err = st.RecoverEndpoint(ctx, "acme", acmeOff.ID, received)
	require.NoError(t, err)
	require.NoError(t, smp.SampleOnce(ctx))
	require.Equal(t, gauges{pending: 0, oldestAge: 0, failed: 1, disabled: 1}, readGauges(m))
}

// slowStore answers only when its context ends.
type slowStore struct{ calls atomic.Int64 }

func (s *slowStore) InboxStats(ctx context.Context) (store.InboxStats, error) {
	s.calls.Add(1)
	<-ctx.Done()
	return store.InboxStats{}, ctx.Err()
}

func (s *slowStore) CountDisabledEndpoints(ctx context.Context) (int64, error) {
	s.calls.Add(1)
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestSamplerBoundsEachQueryByItsTimeout(t *testing.T) {
	t.Parallel()
	slow := &slowStore{}
	smp, err := server.NewSampler(server.SamplerConfig{Store: slow, Metrics: metrics.New(), Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	began := time.Now()
	err = smp.SampleOnce(context.Background())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.EqualValues(t, 2, slow.calls.Load(), "a slow first query does not skip the second")
	require.Less(t, time.Since(began), 2*time.Second, "each query ends at its timeout")
}

func TestSamplerSamplesAtStartAndStops(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	_, _, err := st.AppendInbox(context.Background(), inboxMessage("pending", 0))
	require.NoError(t, err)
	m := metrics.New()
	smp, err := server.NewSampler(server.SamplerConfig{Store: st, Metrics: m, Interval: time.Hour})
	require.NoError(t, err)
	smp.Start(context.Background())
	// The interval is an hour: only the sample at start can set the gauge.
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.InboxPending) == 1 }, 10*time.Second, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, smp.Stop(ctx))
	require.NoError(t, smp.Stop(ctx), "stopping twice is harmless")
}

func TestSamplerConfigNeedsAStoreAndMetrics(t *testing.T) {
	t.Parallel()
	_, err := server.NewSampler(server.SamplerConfig{})
	require.ErrorContains(t, err, "a store is required")
	require.ErrorContains(t, err, "metrics are required")
}

func TestAServedHubSamplesItsGaugesAndCountsDeliveries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
database: %q
secrets_key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
workspaces:
  - id: acme
    api_keys: ["key-acme-0123456789abcdef"]
`, "sqlite:"+filepath.Join(dir, "hub.db"))), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	ctx := context.Background()
	s, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	// Before Start: one disabled endpoint, which only the sampler reports.
	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, s.Store.CreateEndpoint(ctx, e))
	_, err = s.Store.DisableEndpoint(ctx, e.ID, "test")
	require.NoError(t, err)
	// And one enabled endpoint on loopback, which the worker refuses to
	// send to (private targets are not allowed): a rejected attempt.
	refused := &model.Endpoint{Workspace: "acme", URL: "http://127.0.0.1:1/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, s.Store.CreateEndpoint(ctx, refused))
	require.NoError(t, s.Store.AppendFeedEvents(ctx, []*model.FeedEvent{{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 1, Data: []byte(`{}`)}}))
	require.NoError(t, s.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(sctx))
	})
	scrape := func() string {
		resp, err := http.Get(s.URL() + "/metrics")
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	const disabled, rejected = "\nshiphub_endpoints_disabled 1\n", "\nshiphub_delivery_attempts_total{result=\"rejected\"} 1\n"
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for body = scrape(); !strings.Contains(body, disabled) || !strings.Contains(body, rejected); body = scrape() {
		require.True(t, time.Now().Before(deadline), "no disabled endpoint from the sampler, or no rejected attempt from the worker:\n%s", body)
		<-tick.C
	}
	require.Contains(t, body, "\nshiphub_inbox_pending 0\n")
	require.Contains(t, body, "\nshiphub_inbox_oldest_pending_age_seconds 0\n")
	require.Contains(t, body, "\nshiphub_inbox_failed 0\n")
}

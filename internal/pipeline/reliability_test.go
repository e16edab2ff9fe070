package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	"github.com/shiphub/shiphub/internal/store"
)

// pipelineFor builds a pipeline on st for the given workspace → connection
// ids, every connection of the fake provider.
func pipelineFor(t *testing.T, st store.Store, m *metrics.Metrics, conns map[string][]string, deferMissing time.Duration) *pipeline.Pipeline {
	t.Helper()
	cfg := &config.Config{}
	for _, ws := range []string{"acme", "globex"} {
		if ids, ok := conns[ws]; ok {
			w := config.Workspace{ID: ws}
			for _, id := range ids {
				w.Connections = append(w.Connections, config.Connection{ID: id, Provider: "fake", Settings: map[string]any{}})
			}
			cfg.Workspaces = append(cfg.Workspaces, w)
		}
	}
	set, err := connections.Build(cfg)
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, Metrics: m, BatchSize: 4, DeferMissing: deferMissing,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return p
}

// appendSeq numbers the appended messages of the (parallel) cases.
var appendSeq atomic.Int64

// appendTo commits one fake message to the inbox without applying it.
func appendTo(t *testing.T, st store.Store, ws, conn, body string) int64 {
	t.Helper()
	seq := appendSeq.Add(1)
	id, _, err := st.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: ws, Connection: conn, Provider: "fake", Source: model.SourceWebhook,
		DedupKey: fmt.Sprintf("%s-%d", t.Name(), seq), ContentType: "application/json", Body: []byte(body), ReceivedAt: time.Now(),
	})
	require.NoError(t, err)
	return id
}

func shipmentOf(t *testing.T, st store.Store, ws, ref string) (*model.Shipment, bool) {
	t.Helper()
	list, err := st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: ws, Reference: ref, Limit: 10})
	require.NoError(t, err)
	if len(list) == 0 {
		return nil, false
	}
	require.Len(t, list, 1)
	s, err := st.GetShipment(context.Background(), ws, list[0].ID)
	require.NoError(t, err)
	return s, true
}

func feedOf(t *testing.T, st store.Store, ws string) []string {
	t.Helper()
	feed, err := st.ListFeed(context.Background(), ws, 0, 1000)
	require.NoError(t, err)
	types := []string{}
	for _, f := range feed {
		types = append(types, f.Type)
	}
	return types
}

func TestReliability(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			t.Run("RebuildingOneWorkspaceLeavesAnotherWorkspacesPendingMessagesToThePipeline", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				p := pipelineFor(t, st, metrics.New(), map[string][]string{"acme": {"c1"}, "globex": {"c1"}}, 0)
				appendTo(t, st, "acme", "c1", msg("A1", ev("picked", model.StatusInTransit, 8)))
				_, err := p.Drain(context.Background())
				require.NoError(t, err)
				appendTo(t, st, "globex", "c1", msg("G1", ev("picked", model.StatusInTransit, 8)))

				rep, err := p.Rebuild(context.Background(), []string{"acme"}, nil)
				require.NoError(t, err)
				require.Equal(t, pipeline.RebuildReport{Messages: 1}, rep, "only acme's message is applied again")
				_, found := shipmentOf(t, st, "globex", "G1")
				require.False(t, found, "the rebuild did not apply globex's pending message")
				stats, err := st.InboxStats(context.Background())
				require.NoError(t, err)
				require.EqualValues(t, 1, stats.Pending)

				_, err = p.Drain(context.Background())
				require.NoError(t, err)
				s, found := shipmentOf(t, st, "globex", "G1")
				require.True(t, found)
				require.Equal(t, model.StatusInTransit, s.Status)
				require.Equal(t, []string{model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged}, feedOf(t, st, "globex"),
					"globex's merchant is told, by the pipeline")
			})

			t.Run("ARebuildIsRefusedWhenTheConfigurationLacksAConnectionOfTheInbox", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				full := pipelineFor(t, st, metrics.New(), map[string][]string{"acme": {"c1", "c2"}}, 0)
				appendTo(t, st, "acme", "c1", msg("A1", ev("picked", model.StatusInTransit, 8)))
				appendTo(t, st, "acme", "c2", msg("B1", ev("delivered", model.StatusDelivered, 9)))
				_, err := full.Drain(context.Background())
				require.NoError(t, err)
				feed := feedOf(t, st, "acme")

				lacking := pipelineFor(t, st, metrics.New(), map[string][]string{"acme": {"c1"}}, 0)
				_, err = lacking.Rebuild(context.Background(), []string{"acme"}, nil)
				require.ErrorIs(t, err, pipeline.ErrMissingConnection)
				require.Contains(t, err.Error(), `connection "c2"`)
				s, found := shipmentOf(t, st, "acme", "B1")
				require.True(t, found)
				require.Equal(t, model.StatusDelivered, s.Status, "nothing was reset")
				require.Equal(t, feed, feedOf(t, st, "acme"), "and nobody was told a delivered shipment is pending again")
			})

			t.Run("ARebuildReportsOnlyItsOwnWorkspacesFailures", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				p := pipelineFor(t, st, metrics.New(), map[string][]string{"acme": {"c1"}, "globex": {"c1"}}, 0)
				appendTo(t, st, "globex", "c1", `{"ref":`)
				appendTo(t, st, "acme", "c1", `{"ref":`)
				appendTo(t, st, "acme", "c1", msg("A1", ev("picked", model.StatusInTransit, 8)))
				_, err := p.Drain(context.Background())
				require.NoError(t, err)
				rep, err := p.Rebuild(context.Background(), []string{"acme"}, nil)
				require.NoError(t, err)
				require.Equal(t, pipeline.RebuildReport{Messages: 2, Failed: 1}, rep)
			})

			t.Run("AMissingConnectionsMessagesStayPendingWithoutHoldingUpTheRestAndApplyOnceItExists", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				m := metrics.New()
				// This instance's configuration does not have c2 yet.
				old := pipelineFor(t, st, m, map[string][]string{"acme": {"c1"}}, 200*time.Millisecond)
				appendTo(t, st, "acme", "c2", msg("N1", ev("picked", model.StatusInTransit, 8)))
				for i := range 4 {
					appendTo(t, st, "acme", "c1", msg(fmt.Sprintf("O%d", i), ev("picked", model.StatusInTransit, 8)))
				}
				appendTo(t, st, "acme", "c2", msg("N1", ev("out", model.StatusOutForDelivery, 9)))
				appendTo(t, st, "acme", "c1", msg("O9", ev("picked", model.StatusInTransit, 8)))
				n, err := old.Drain(context.Background())
				require.NoError(t, err)
				require.Equal(t, 6, n, "the second c2 message was deferred with the first and never handed out")
				for _, ref := range []string{"O0", "O1", "O2", "O3", "O9"} {
					_, found := shipmentOf(t, st, "acme", ref)
					require.True(t, found, "%s is applied: the missing connection holds nothing up", ref)
				}
				stats, err := st.InboxStats(context.Background())
				require.NoError(t, err)
				require.EqualValues(t, 2, stats.Pending, "the missing connection's messages stay pending")
				require.EqualValues(t, 2, stats.Deferred)
				require.Zero(t, stats.Failed, "and are not parked as failed")
				require.Equal(t, 1.0, testutil.ToFloat64(m.Processed.WithLabelValues("fake", "deferred")))

				// The configuration change reaches this instance: c2 exists.
				updated := pipelineFor(t, st, m, map[string][]string{"acme": {"c1", "c2"}}, 200*time.Millisecond)
				ctx := context.Background()
				require.Eventually(t, func() bool {
					_, err := updated.Drain(ctx)
					stats, serr := st.InboxStats(ctx)
					return err == nil && serr == nil && stats.Pending == 0
				}, 10*time.Second, 20*time.Millisecond, "the deferred messages are applied once due")
				s, found := shipmentOf(t, st, "acme", "N1")
				require.True(t, found)
				require.Equal(t, model.StatusOutForDelivery, s.Status)
				require.Len(t, s.Events, 2)
			})

			t.Run("AValueTheDatabaseCannotIndexFailsItsMessageInsteadOfStoppingThePipeline", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				p := pipelineFor(t, st, metrics.New(), map[string][]string{"acme": {"c1"}, "globex": {"c1"}}, 0)
				long := strings.Repeat("B", pipeline.MaxKeyBytes+1)
				bad := map[int64]string{
					appendTo(t, st, "acme", "c1", `{"ref":"S\u0000X","events":[]}`):                                   "NUL byte",
					appendTo(t, st, "acme", "c1", `{"ref_hex":"5332ff","events":[]}`):                                 "not valid UTF-8",
					appendTo(t, st, "acme", "c1", `{"ref":"S3","refs":["`+long+`"],"events":[]}`):                     "over the 512",
					appendTo(t, st, "acme", "c1", `{"ref":"S4","events":[{"code":"x\u0000","status":"in_transit"}]}`): "event key",
					appendTo(t, st, "acme", "c1", `{"ref":"S5","nan_price":true,"events":[]}`):                        "not a finite number",
				}
				appendTo(t, st, "globex", "c1", msg("G1", ev("picked", model.StatusInTransit, 8)))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				n, err := p.Drain(ctx)
				require.NoError(t, err, "the pipeline goes on")
				require.Equal(t, 6, n)
				_, found := shipmentOf(t, st, "globex", "G1")
				require.True(t, found, "another workspace's message is applied")
				failed, err := st.ListFailedInbox(ctx, store.FailedInboxFilter{Workspace: "acme"})
				require.NoError(t, err)
				require.Len(t, failed, len(bad))
				for _, f := range failed {
					require.Contains(t, f.Failure, bad[f.ID])
				}
			})

			t.Run("AMessageTheDatabaseRefusesIsSetAsideAndTheRestApplied", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				refusing := &panickyStore{Store: st, code: "refused", refuse: true}
				p := pipelineFor(t, refusing, metrics.New(), map[string][]string{"acme": {"c1"}}, 0)
				appendTo(t, st, "acme", "c1", msg("S1", ev("picked", model.StatusInTransit, 8)))
				badID := appendTo(t, st, "acme", "c1", msg("P1", ev("refused", model.StatusInTransit, 8)))
				appendTo(t, st, "acme", "c1", msg("S2", ev("picked", model.StatusInTransit, 8)))
				n, err := p.Drain(context.Background())
				require.NoError(t, err, "one refused message does not stop the pipeline")
				require.Equal(t, 3, n)
				for _, ref := range []string{"S1", "S2"} {
					_, found := shipmentOf(t, st, "acme", ref)
					require.True(t, found, "%s is applied", ref)
				}
				_, found := shipmentOf(t, st, "acme", "P1")
				require.False(t, found)
				failed, err := st.ListFailedInbox(context.Background(), store.FailedInboxFilter{Workspace: "acme"})
				require.NoError(t, err)
				require.Len(t, failed, 1)
				require.Equal(t, badID, failed[0].ID)
				require.Contains(t, failed[0].Failure, "the database refuses this value")
			})

			t.Run("WhenTheDatabaseAcceptsNoWritesNothingIsSetAside", func(t *testing.T) {
				t.Parallel()
				st := open(t)
				down := &panickyStore{Store: st, code: "refused", refuse: true, noWrites: true}
				p := pipelineFor(t, down, metrics.New(), map[string][]string{"acme": {"c1"}}, 0)
				appendTo(t, st, "acme", "c1", msg("P1", ev("refused", model.StatusInTransit, 8)))
				_, err := p.Drain(context.Background())
				require.ErrorIs(t, err, errRefused, "the error is returned, to be retried")
				failed, err := st.ListFailedInbox(context.Background(), store.FailedInboxFilter{Workspace: "acme"})
				require.NoError(t, err)
				require.Empty(t, failed, "a database that accepts no writes is not a reason to fail a message")
				stats, err := st.InboxStats(context.Background())
				require.NoError(t, err)
				require.EqualValues(t, 1, stats.Pending)
			})

			t.Run("APanicInNormalizeFailsOnlyItsMessage", func(t *testing.T) {
				t.Parallel()
				testPanicFailsOnlyItsMessage(t, open(t), false)
			})

			t.Run("APanicWhileApplyingRollsBackWhatItsMessageWroteAndFailsOnlyIt", func(t *testing.T) {
				t.Parallel()
				testPanicFailsOnlyItsMessage(t, open(t), true)
			})
		})
	}
}

func testPanicFailsOnlyItsMessage(t *testing.T, st store.Store, inApply bool) {
	m := metrics.New()
	var target store.Store = st
	bad := `{"panic":true,"ref":"P1"}`
	if inApply {
		// The message normalises, creates its shipment, then the store
		// panics on its event: what it wrote must not survive.
		target = &panickyStore{Store: st, code: "boom"}
		bad = msg("P1", ev("boom", model.StatusInTransit, 8))
	}
	p := pipelineFor(t, target, m, map[string][]string{"acme": {"c1"}}, 0)
	appendTo(t, st, "acme", "c1", msg("S1", ev("picked", model.StatusInTransit, 8)))
	badID := appendTo(t, st, "acme", "c1", bad)
	appendTo(t, st, "acme", "c1", msg("S2", ev("picked", model.StatusInTransit, 8)))

	n, err := p.Drain(context.Background())
	require.NoError(t, err, "a panic does not fail the batch for good")
	require.Equal(t, 3, n)
	for _, ref := range []string{"S1", "S2"} {
		_, found := shipmentOf(t, st, "acme", ref)
		require.True(t, found, "%s is applied", ref)
	}
	_, found := shipmentOf(t, st, "acme", "P1")
	require.False(t, found, "nothing the panicking message wrote is kept")
	failed, err := st.ListFailedInbox(context.Background(), store.FailedInboxFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, badID, failed[0].ID)
	require.Contains(t, failed[0].Failure, "panic")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("pipeline")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.Processed.WithLabelValues("fake", "failed")))
	require.Equal(t, 2.0, testutil.ToFloat64(m.Processed.WithLabelValues("fake", "applied")))
	require.Equal(t, []string{
		model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged,
		model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged,
	}, feedOf(t, st, "acme"), "no feed entry of the panicking message")
}

// panickyStore panics in InsertEvent for events with one provider code, as
// a bug in the apply path would, or with refuse returns an error, as a
// database refusing a value would; with noWrites it accepts no other write
// either (its lease writes fail), as a full disk would.
type panickyStore struct {
	store.Store
	code     string
	refuse   bool
	noWrites bool
}

var errRefused = errors.New("the database refuses this value")

func (s *panickyStore) ProcessWorkspaces(ctx context.Context, workspaces []string, limit int, fn func(context.Context, store.Tx, []*model.InboxMessage) error) (int, error) {
	return s.Store.ProcessWorkspaces(ctx, workspaces, limit, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		return fn(ctx, &panickyTx{Tx: tx, s: s}, msgs)
	})
}

func (s *panickyStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if s.noWrites {
		return false, errRefused
	}
	return s.Store.AcquireLease(ctx, name, holder, ttl)
}

type panickyTx struct {
	store.Tx
	s *panickyStore
}

func (t *panickyTx) InsertEvent(ctx context.Context, shipmentID int64, e *model.Event) (bool, error) {
	if e.ProviderCode == t.s.code {
		if t.s.refuse {
			return false, fmt.Errorf("inserting event: %w", errRefused)
		}
		panic(errors.New("apply bug"))
	}
	return t.Tx.InsertEvent(ctx, shipmentID, e)
}

// panicOnce is a store whose first claim panics outside any message, as a
// bug in the store's own code would.
type panicOnce struct {
	store.Store
	panicked atomic.Bool
}

func (s *panicOnce) ProcessWorkspaces(ctx context.Context, workspaces []string, limit int, fn func(context.Context, store.Tx, []*model.InboxMessage) error) (int, error) {
	if !s.panicked.Swap(true) {
		panic("store bug")
	}
	return s.Store.ProcessWorkspaces(ctx, workspaces, limit, fn)
}

func TestAPanicInTheBackgroundLoopIsRecoveredAndTheLoopGoesOn(t *testing.T) {
	t.Parallel()
	st := stores["SQLite"](t)
	m := metrics.New()
	p := pipelineFor(t, &panicOnce{Store: st}, m, map[string][]string{"acme": {"c1"}}, 0)
	appendTo(t, st, "acme", "c1", msg("S1", ev("picked", model.StatusInTransit, 8)))
	p.Start(context.Background())
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	ctx := context.Background()
	require.Eventually(t, func() bool {
		list, err := st.ListShipments(ctx, store.ShipmentFilter{Workspace: "acme", Reference: "S1", Limit: 1})
		return err == nil && len(list) == 1
	}, 10*time.Second, 10*time.Millisecond, "the message is applied after the panic")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("pipeline")))

	_, err := p.Rebuild(ctx, []string{"acme"}, nil)
	require.ErrorContains(t, err, "the pipeline is running", "a running pipeline is not rebuilt under")
	require.NoError(t, p.Stop(ctx))
	rep, err := p.Rebuild(ctx, []string{"acme"}, nil)
	require.NoError(t, err, "once stopped it is")
	require.Equal(t, 1, rep.Messages)
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// The inbound and return tests use changesConnector (inventory_helpers_test.go)
// under a provider name of their own.
func init() {
	provider.Register(provider.Info{Name: "testchanges", New: func(provider.Connection) (provider.Connector, error) {
		return changesConnector{}, nil
	}})
}

// hour is a provider time of the tests' messages.
func atHour(h int) time.Time { return time.Date(2026, 11, 2, h, 0, 0, 0, time.UTC) }

func qty(v float64) *float64 { return &v }

// inboundLife is one announcement's messages: the announcement, two status
// messages and two receipts, one of which restates the first receipt. The
// received status (10:00) is the newest status; the correction of line 2's
// expected quantity (09:00) is newer than the announcement (06:00).
var inboundLife = []model.Changes{
	{Inbound: []model.InboundUpdate{{
		AsOf: atHour(6), Reference: "PO-1", ProviderRef: "A-77", Status: model.InboundAnnounced,
		ProviderStatus: &model.ProviderStatus{Code: "10", Description: "Aangemeld"}, ExpectedAt: ptr(atHour(20)),
		Lines: []model.InboundLineUpdate{{LineNumber: 1, SKU: "WTI-027", Expected: qty(10)}, {LineNumber: 2, SKU: "WTI-028", Expected: qty(5)}},
	}}},
	{Inbound: []model.InboundUpdate{{
		AsOf: atHour(7), Reference: "PO-1", Status: model.InboundReceiving,
		ProviderStatus: &model.ProviderStatus{Code: "20", Description: "In ontvangst"},
	}}},
	{Inbound: []model.InboundUpdate{{
		AsOf: atHour(10), Reference: "PO-1", Status: model.InboundReceived,
		ProviderStatus: &model.ProviderStatus{Code: "30", Description: "Ontvangen"},
	}}},
	{Inbound: []model.InboundUpdate{{
		AsOf: atHour(8), Reference: "PO-1",
		Receipts: []model.Receipt{{ProviderRef: "1175", ReceivedAt: atHour(8), Lines: []model.ReceiptLine{{SKU: "WTI-027", Quantity: 4}}}},
	}}},
	{Inbound: []model.InboundUpdate{{
		AsOf: atHour(9), Reference: "PO-1",
		Lines: []model.InboundLineUpdate{{LineNumber: 2, Expected: qty(6)}},
		Receipts: []model.Receipt{
			{ProviderRef: "1176", ReceivedAt: atHour(9), Lines: []model.ReceiptLine{{SKU: "WTI-027", Quantity: 6}, {SKU: "WTI-028", Quantity: 5, Lot: "L7"}}},
			{ProviderRef: "1175", ReceivedAt: atHour(8), Lines: []model.ReceiptLine{{SKU: "WTI-027", Quantity: 4}}},
		},
	}}},
}

func ptr[T any](v T) *T { return &v }

// orderHarness applies a life's messages in many orders, each order on a
// connection of its own.
type orderHarness struct {
	st     store.Store
	p      *pipeline.Pipeline
	orders [][]int
}

func newOrderHarness(t *testing.T, st store.Store, life []model.Changes, orders [][]int, batchSize int) *orderHarness {
	t.Helper()
	w := config.Workspace{ID: "acme"}
	for i := range orders {
		w.Connections = append(w.Connections, config.Connection{ID: fmt.Sprintf("p%03d", i), Provider: "testchanges", Settings: map[string]any{}})
	}
	set, err := connections.Build(&config.Config{Workspaces: []config.Workspace{w}})
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, BatchSize: batchSize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx := context.Background()
	total := 0
	for i, order := range orders {
		total += len(order)
		for _, m := range order {
			body, err := json.Marshal(life[m])
			require.NoError(t, err)
			_, dup, err := st.AppendInbox(ctx, &model.InboxMessage{
				Workspace: "acme", Connection: fmt.Sprintf("p%03d", i), Provider: "testchanges", Source: model.SourceWebhook,
				DedupKey: fmt.Sprint(m), ContentType: "application/json", Body: body, ReceivedAt: time.Now(),
			})
			require.NoError(t, err)
			require.False(t, dup)
		}
	}
	n, err := p.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, total, n)
	return &orderHarness{st: st, p: p, orders: orders}
}

// feedCounts counts the workspace's feed entries by subject and type.
func feedCounts(t *testing.T, st store.Store) map[int64]map[string]int {
	t.Helper()
	feed, err := st.ListFeed(context.Background(), "acme", 0, 100000)
	require.NoError(t, err)
	out := map[int64]map[string]int{}
	for _, e := range feed {
		if out[e.SubjectID] == nil {
			out[e.SubjectID] = map[string]int{}
		}
		out[e.SubjectID][e.Type]++
	}
	return out
}

// sampleOrders is every order of n messages on SQLite and a fixed sample of
// them on PostgreSQL.
func sampleOrderSets(n, sample int) map[string][][]int {
	all := permutations(n)
	rng := rand.New(rand.NewPCG(10, 2026))
	some := [][]int{all[0], all[len(all)-1]}
	for range sample {
		some = append(some, all[rng.IntN(len(all))])
	}
	return map[string][][]int{"SQLite": all, "PostgreSQL": some}
}

// canonicalInbound is an inbound resource without what legitimately
// depends on arrival: its id, connection and the hub's own times.
func canonicalInbound(t *testing.T, in *model.Inbound) string {
	t.Helper()
	c := *in
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt = 0, "", time.Time{}, time.Time{}
	b, err := json.MarshalIndent(struct {
		*model.Inbound
		FactTimes    map[string]time.Time
		StatedStatus model.InboundStatus
	}{&c, c.FactTimes, c.StatedStatus}, "", "  ")
	require.NoError(t, err)
	return string(b)
}

// TestAnInboundsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn
// applies an announcement, two status messages and two receipts in every
// order (a sample on PostgreSQL) and requires the same final inbound
// resource, each receipt announced once in the feed, and the same state
// again after a rebuild.
func TestAnInboundsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	orders := sampleOrderSets(len(inboundLife), 10)
	batch := map[string]int{"SQLite": 3, "PostgreSQL": 1}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newOrderHarness(t, open(t), inboundLife, orders[name], batch[name])
			ctx := context.Background()
			list, err := h.st.ListInbound(ctx, store.InboundFilter{Workspace: "acme", Limit: len(h.orders) + 1})
			require.NoError(t, err)
			require.Len(t, list, len(h.orders), "one inbound resource per order: the receipts link to the announcement")
			first := list[len(list)-1]
			require.Equal(t, "p000", first.Connection)
			require.Equal(t, model.InboundReceived, first.Status)
			require.Equal(t, "A-77", first.ProviderRef)
			require.Equal(t, &model.ProviderStatus{Code: "30", Description: "Ontvangen"}, first.ProviderStatus)
			require.Equal(t, []model.InboundLine{
				{LineNumber: 1, SKU: "WTI-027", Expected: 10, Received: 10},
				{LineNumber: 2, SKU: "WTI-028", Expected: 6, Received: 5},
			}, first.Lines)
			require.Len(t, first.Receipts, 2, "the receipt reported twice is kept once")
			require.Equal(t, []string{"1175", "1176"}, []string{first.Receipts[0].ProviderRef, first.Receipts[1].ProviderRef})
			want := canonicalInbound(t, first)
			feed := feedCounts(t, h.st)
			states := map[int64]string{}
			for _, in := range list {
				require.Equal(t, want, canonicalInbound(t, in), "connection %s", in.Connection)
				require.Equal(t, 2, feed[in.ID][model.EventInboundReceived], "one inbound.received per receipt, connection %s", in.Connection)
				require.Positive(t, feed[in.ID][model.EventInboundStatusChanged])
				states[in.ID] = canonicalInbound(t, in)
			}

			if name != "SQLite" {
				return
			}
			_, err = h.p.Rebuild(ctx, []string{"acme"}, nil)
			require.NoError(t, err)
			for id, state := range states {
				in, err := h.st.GetInbound(ctx, "acme", id)
				require.NoError(t, err, "a rebuild keeps the id")
				require.Equal(t, state, canonicalInbound(t, in), "a rebuild makes the same state")
			}
		})
	}
}

// TestAReceiptBeforeItsAnnouncementCreatesTheInboundGoods checks the link
// the other way round on its own: a receipt for an unknown announcement
// makes the resource, receiving, and the announcement fills it in.
func TestAReceiptBeforeItsAnnouncementCreatesTheInboundGoods(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newOrderHarness(t, open(t), inboundLife, [][]int{{3}}, 1)
			ctx := context.Background()
			list, err := h.st.ListInbound(ctx, store.InboundFilter{Workspace: "acme", Reference: "PO-1"})
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, model.InboundReceiving, list[0].Status)
			require.Empty(t, list[0].Lines, "nothing announced yet")
			require.Len(t, list[0].Receipts, 1)

			body, err := json.Marshal(inboundLife[0])
			require.NoError(t, err)
			_, _, err = h.st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "p000", Provider: "testchanges",
				Source: model.SourceWebhook, DedupKey: "announcement", ContentType: "application/json", Body: body, ReceivedAt: time.Now()})
			require.NoError(t, err)
			_, err = h.p.Drain(ctx)
			require.NoError(t, err)
			in, err := h.st.GetInbound(ctx, "acme", list[0].ID)
			require.NoError(t, err)
			require.Equal(t, model.InboundReceiving, in.Status, "an announced status does not hide the receipt")
			require.Equal(t, []model.InboundLine{
				{LineNumber: 1, SKU: "WTI-027", Expected: 10, Received: 4},
				{LineNumber: 2, SKU: "WTI-028", Expected: 5, Received: 0},
			}, in.Lines)
		})
	}
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestInboundAndReturnUpdatesTheHubCannotStoreFailTheirMessage sends
// updates the database could not index or the API could not show; each
// message is set aside as failed, with the reason, and nothing of it is
// stored, while the next message is applied.
func TestInboundAndReturnUpdatesTheHubCannotStoreFailTheirMessage(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name    string
		changes model.Changes
		reason  string
	}{
		{"inbound without a key", model.Changes{Inbound: []model.InboundUpdate{{Status: model.InboundReceived}}}, "neither a reference nor a provider reference"},
		{"inbound reference with a NUL byte", model.Changes{Inbound: []model.InboundUpdate{{Reference: "PO\x001"}}}, "NUL byte"},
		{"inbound status outside the taxonomy", model.Changes{Inbound: []model.InboundUpdate{{Reference: "PO-9", Status: "lost"}}}, "canonical statuses"},
		{"receipt reference with a NUL byte", model.Changes{Inbound: []model.InboundUpdate{{Reference: "PO-9", Receipts: []model.Receipt{{ProviderRef: "R\x00"}}}}}, "NUL byte"},
		{"return without a key", model.Changes{Returns: []model.ReturnUpdate{{Status: model.ReturnReceived}}}, "neither a provider reference nor a reference"},
		{"return status outside the taxonomy", model.Changes{Returns: []model.ReturnUpdate{{ProviderRef: "RMA-9", Status: "lost"}}}, "canonical statuses"},
		{"return line sku too long", model.Changes{Returns: []model.ReturnUpdate{{ProviderRef: "RMA-9", Lines: []model.ReturnLine{{SKU: strings.Repeat("x", 600)}}}}}, "bytes long"},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			orders := make([][]int, 1)
			life := make([]model.Changes, 0, len(bad)+1)
			for i, b := range bad {
				life = append(life, b.changes)
				orders[0] = append(orders[0], i)
			}
			life = append(life, model.Changes{Inbound: []model.InboundUpdate{{Reference: "PO-OK"}}})
			orders[0] = append(orders[0], len(bad))
			h := newOrderHarness(t, open(t), life, orders, 1)
			ctx := context.Background()

			failed, err := h.st.ListFailedInbox(ctx, store.FailedInboxFilter{Workspace: "acme", Limit: 100})
			require.NoError(t, err)
			require.Len(t, failed, len(bad))
			for i, f := range failed {
				b := bad[len(bad)-1-i] // newest first
				require.Contains(t, f.Failure, b.reason, b.name)
			}
			inbound, err := h.st.ListInbound(ctx, store.InboundFilter{Workspace: "acme"})
			require.NoError(t, err)
			require.Len(t, inbound, 1, "only the good message made inbound goods")
			require.Equal(t, "PO-OK", inbound[0].Reference)
			returns, err := h.st.ListReturns(ctx, store.ReturnFilter{Workspace: "acme"})
			require.NoError(t, err)
			require.Empty(t, returns)
		})
	}
}

// TestInboundFeedEntriesCarryTheInboundGoods checks what a merchant is told
// of a receipt: the goods appear (inbound.status_changed, receiving) and
// the receipt is announced (inbound.received), each with the goods' JSON.
func TestInboundFeedEntriesCarryTheInboundGoods(t *testing.T) {
	t.Parallel()
	h := newOrderHarness(t, stores["SQLite"](t), inboundLife, [][]int{{3, 4}}, 1)
	feed, err := h.st.ListFeed(context.Background(), "acme", 0, 100)
	require.NoError(t, err)
	var types []string
	for _, e := range feed {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{model.EventInboundStatusChanged, model.EventInboundReceived, model.EventInboundReceived}, types,
		"the goods appear, and each receipt is announced once, however often it is reported")
	var in model.Inbound
	require.NoError(t, json.Unmarshal(feed[2].Data, &in))
	require.Equal(t, feed[2].SubjectID, in.ID)
	require.Equal(t, model.InboundReceiving, in.Status)
	require.Len(t, in.Receipts, 2)
	require.Equal(t, "1176", in.Receipts[1].ProviderRef)
	require.Equal(t, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), in.Receipts[1].ReceivedAt)
}

// TestStatementsOfTheSameInstantEndTheSameInEitherOrder sends two messages
// stated at the same provider time, with different values for every field,
// in both orders: the content decides which wins, not the arrival.
func TestStatementsOfTheSameInstantEndTheSameInEitherOrder(t *testing.T) {
	t.Parallel()
	life := []model.Changes{
		{
			Inbound: []model.InboundUpdate{{AsOf: atHour(9), Reference: "PO-T", ProviderRef: "A-1", Status: model.InboundReceived,
				ProviderStatus: &model.ProviderStatus{Code: "30"}, ExpectedAt: ptr(atHour(20)),
				Lines:    []model.InboundLineUpdate{{LineNumber: 1, SKU: "A", Expected: qty(5)}},
				Receipts: []model.Receipt{{ProviderRef: "R1", ReceivedAt: atHour(9), Lines: []model.ReceiptLine{{SKU: "A", Quantity: 1}}}}}},
			Returns: []model.ReturnUpdate{{AsOf: atHour(9), ProviderRef: "RMA-T", Reference: "O-1", Status: model.ReturnProcessed,
				ProviderStatus: &model.ProviderStatus{Code: "3"}, Label: "https://l.example.com/a",
				Lines: []model.ReturnLine{{LineNumber: 1, SKU: "A", Quantity: 1}}}},
		},
		{
			Inbound: []model.InboundUpdate{{AsOf: atHour(9), Reference: "PO-T", ProviderRef: "A-2", Status: model.InboundReceiving,
				ProviderStatus: &model.ProviderStatus{Code: "20"}, ExpectedAt: ptr(atHour(21)),
				Lines:    []model.InboundLineUpdate{{LineNumber: 1, SKU: "B", Expected: qty(7)}},
				Receipts: []model.Receipt{{ProviderRef: "R1", ReceivedAt: atHour(9), Lines: []model.ReceiptLine{{SKU: "A", Quantity: 2}}}}}},
			Returns: []model.ReturnUpdate{{AsOf: atHour(9), ProviderRef: "RMA-T", Reference: "O-2", Status: model.ReturnReceived,
				ProviderStatus: &model.ProviderStatus{Code: "2"}, Label: "https://l.example.com/b",
				Lines: []model.ReturnLine{{LineNumber: 1, SKU: "B", Quantity: 2}}}},
		},
	}
	h := newOrderHarness(t, stores["SQLite"](t), life, [][]int{{0, 1}, {1, 0}}, 1)
	ctx := context.Background()
	inbound, err := h.st.ListInbound(ctx, store.InboundFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, inbound, 2)
	require.Equal(t, canonicalInbound(t, inbound[0]), canonicalInbound(t, inbound[1]))
	require.Equal(t, model.InboundReceived, inbound[0].Status, "the later status of the lifecycle")
	returns, err := h.st.ListReturns(ctx, store.ReturnFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, returns, 2)
	require.Equal(t, canonicalReturn(t, returns[0]), canonicalReturn(t, returns[1]))
	require.Equal(t, model.ReturnProcessed, returns[0].Status, "the later status of the lifecycle")
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// returnLife is one RMA's messages: the announcement with its answers and
// label, the receipt, a newer statement of the lines (09:00) and an older
// one (07:00) that also restates an older status; the older lines and
// status must lose whichever arrives last.
var returnLife = []model.Changes{
	{Returns: []model.ReturnUpdate{{
		AsOf: atHour(6), ProviderRef: "RMA-1", Reference: "200122", Status: model.ReturnAnnounced,
		Lines: []model.ReturnLine{{LineNumber: 1, SKU: "WTI-027", Quantity: 1, Reason: "te klein",
			Answers: []model.ReturnAnswer{{Question: "Waarom retour?", Answer: "Te klein"}}}},
		Label: "https://labels.example.com/RMA-1.pdf",
	}}},
	{Returns: []model.ReturnUpdate{{
		AsOf: atHour(8), ProviderRef: "RMA-1", Status: model.ReturnReceived,
		ProviderStatus: &model.ProviderStatus{Code: "2", Description: "Ontvangen"},
	}}},
	{Returns: []model.ReturnUpdate{{
		AsOf: atHour(9), ProviderRef: "RMA-1",
		Lines: []model.ReturnLine{
			{LineNumber: 2, SKU: "WTI-028", Quantity: 2},
			{LineNumber: 1, SKU: "WTI-027", Quantity: 1, Reason: "te klein", Answers: []model.ReturnAnswer{{Question: "Waarom retour?", Answer: "Te klein"}}},
		},
	}}},
	{Returns: []model.ReturnUpdate{{
		AsOf: atHour(7), ProviderRef: "RMA-1", Reference: "200122", Status: model.ReturnAnnounced,
		ProviderStatus: &model.ProviderStatus{Code: "1", Description: "Aangemeld"},
		Lines:          []model.ReturnLine{{LineNumber: 1, SKU: "WTI-027", Quantity: 3}},
	}}},
}

// canonicalReturn is a return without what legitimately depends on
// arrival: its id, connection and the hub's own times.
func canonicalReturn(t *testing.T, r *model.Return) string {
	t.Helper()
	c := *r
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt = 0, "", time.Time{}, time.Time{}
	b, err := json.MarshalIndent(struct {
		*model.Return
		FactTimes map[string]time.Time
	}{&c, c.FactTimes}, "", "  ")
	require.NoError(t, err)
	return string(b)
}

// TestAReturnsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn applies
// an RMA's four messages in every order and requires the same final return,
// created once in the feed, and the same state after a rebuild.
func TestAReturnsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	orders := sampleOrderSets(len(returnLife), 8)
	batch := map[string]int{"SQLite": 2, "PostgreSQL": 1}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newOrderHarness(t, open(t), returnLife, orders[name], batch[name])
			ctx := context.Background()
			list, err := h.st.ListReturns(ctx, store.ReturnFilter{Workspace: "acme", Limit: len(h.orders) + 1})
			require.NoError(t, err)
			require.Len(t, list, len(h.orders), "one return per order")
			first := list[len(list)-1]
			require.Equal(t, "p000", first.Connection)
			require.Equal(t, model.ReturnReceived, first.Status)
			require.Equal(t, "200122", first.Reference)
			require.Equal(t, "RMA-1", first.ProviderRef)
			require.Zero(t, first.OrderID, "orders are not linked yet")
			require.Equal(t, &model.ProviderStatus{Code: "2", Description: "Ontvangen"}, first.ProviderStatus)
			require.Equal(t, []model.ReturnLine{
				{LineNumber: 1, SKU: "WTI-027", Quantity: 1, Reason: "te klein", Answers: []model.ReturnAnswer{{Question: "Waarom retour?", Answer: "Te klein"}}},
				{LineNumber: 2, SKU: "WTI-028", Quantity: 2},
			}, first.Lines, "the newest statement of the lines, sorted by line number")
			require.Equal(t, "https://labels.example.com/RMA-1.pdf", first.Label)
			want := canonicalReturn(t, first)
			feed := feedCounts(t, h.st)
			states := map[int64]string{}
			for _, r := range list {
				require.Equal(t, want, canonicalReturn(t, r), "connection %s", r.Connection)
				require.Equal(t, 1, feed[r.ID][model.EventReturnCreated], "connection %s", r.Connection)
				states[r.ID] = canonicalReturn(t, r)
			}

			if name != "SQLite" {
				return
			}
			_, err = h.p.Rebuild(ctx, []string{"acme"}, nil)
			require.NoError(t, err)
			for id, state := range states {
				r, err := h.st.GetReturn(ctx, "acme", id)
				require.NoError(t, err, "a rebuild keeps the id")
				require.Equal(t, state, canonicalReturn(t, r), "a rebuild makes the same state")
			}
		})
	}
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestAReturnLinksToItsOrderWhicheverArrivesFirst applies an order and a
// return of its reference in both orders, on both stores: the return reads
// with the order's id either way, and each feed entry carries the link as
// the transaction that wrote it saw it.
func TestAReturnLinksToItsOrderWhicheverArrivesFirst(t *testing.T) {
	t.Parallel()
	life := []model.Changes{
		{Orders: []model.OrderUpdate{{AsOf: hour(1), Reference: "WT-2508-4", ProviderRef: "10344", Status: model.OrderAccepted}}},
		{Returns: []model.ReturnUpdate{{AsOf: hour(2), Reference: "WT-2508-4", ProviderRef: "RMA-1", Status: model.ReturnAnnounced}}},
		{Returns: []model.ReturnUpdate{{AsOf: hour(3), Reference: "WT-2508-4", ProviderRef: "RMA-1", Status: model.ReturnReceived}}},
	}
	for name, open := range stores {
		for _, tc := range []struct {
			name    string
			arrival []int
			// createdLinked: the order was there when return.created was written.
			createdLinked bool
		}{
			{"OrderFirst", []int{0, 1, 2}, true},
			{"ReturnFirst", []int{1, 0, 2}, false},
			{"OrderLast", []int{1, 2, 0}, false},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				h := newOrderHarness(t, open(t), life, [][]int{tc.arrival}, 1)
				ctx := context.Background()
				orders, err := h.st.ListOrders(ctx, store.OrderFilter{Workspace: "acme"})
				require.NoError(t, err)
				require.Len(t, orders, 1)
				returns, err := h.st.ListReturns(ctx, store.ReturnFilter{Workspace: "acme"})
				require.NoError(t, err)
				require.Len(t, returns, 1)
				require.Equal(t, orders[0].ID, returns[0].OrderID, "the return reads linked to its order")
				got, err := h.st.GetReturn(ctx, "acme", returns[0].ID)
				require.NoError(t, err)
				require.Equal(t, orders[0].ID, got.OrderID)

				feed, err := h.st.ListFeed(ctx, "acme", 0, 100)
				require.NoError(t, err)
				links := map[string]int64{}
				for _, e := range feed {
					if e.Type != model.EventReturnCreated && e.Type != model.EventReturnStatusChanged {
						continue
					}
					var r model.Return
					require.NoError(t, json.Unmarshal(e.Data, &r))
					links[e.Type] = r.OrderID
				}
				require.Len(t, links, 2, "return.created and return.status_changed")
				wantCreated := int64(0)
				if tc.createdLinked {
					wantCreated = orders[0].ID
				}
				require.Equal(t, wantCreated, links[model.EventReturnCreated])
				wantChanged := int64(0)
				if tc.arrival[2] != 0 {
					wantChanged = orders[0].ID // the order came before the status change
				}
				require.Equal(t, wantChanged, links[model.EventReturnStatusChanged])
			})
		}
	}
}

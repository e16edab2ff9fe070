package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// TestTrackingFindsOrdersInboundAndReturns: GET /tracking/{reference}
// answers, beside the shipments, the workspace's orders, inbound goods and
// returns whose reference or provider reference it is, and nothing of
// another workspace.
func TestTrackingFindsOrdersInboundAndReturns(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	ctx := context.Background()
	_, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "wics", Provider: "wics", Source: model.SourceWebhook,
		DedupKey: "seed", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: time.Now()})
	require.NoError(t, err)
	order := func(ws, ref, providerRef string) *model.Order {
		return &model.Order{Resource: model.Resource{Workspace: ws, Connection: "wics", Provider: "wics", ProviderRef: providerRef},
			Reference: ref, Status: model.OrderAccepted, Lines: []model.OrderLine{}}
	}
	acmeOrder, otherOrder, globexOrder := order("acme", "WT-2508-4", "10344"), order("acme", "WT-1", "1"), order("globex", "G-1", "10344")
	acmeInbound := inboundOf("acme", "wics", "WT-2508-4", model.InboundAnnounced)
	acmeInbound.ProviderRef = "10344"
	globexInbound := inboundOf("globex", "wics", "G-PO", model.InboundAnnounced)
	acmeReturn := returnOf("acme", "wics", "RMA-1", "", model.ReturnAnnounced)
	acmeReturn.Reference = "WT-2508-4"
	globexReturn := returnOf("globex", "wics", "RMA-G", "", model.ReturnAnnounced)
	globexReturn.Reference = "WT-2508-4"
	_, err = st.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, o := range []*model.Order{acmeOrder, otherOrder, globexOrder} {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		for _, in := range []*model.Inbound{acmeInbound, globexInbound} {
			if err := tx.InsertInbound(ctx, store.InboundKey(in.Reference, in.ProviderRef), in); err != nil {
				return err
			}
		}
		for _, r := range []*model.Return{acmeReturn, globexReturn} {
			if err := tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	h := newHandler(t, st, slog.New(slog.DiscardHandler))

	type tracking struct {
		Reference string           `json:"reference"`
		Shipments []map[string]any `json:"shipments"`
		Orders    []model.Order    `json:"orders"`
		Inbound   []model.Inbound  `json:"inbound"`
		Returns   []model.Return   `json:"returns"`
	}
	for _, tc := range []struct {
		name                            string
		reference, key                  string
		orders, inbound, returns, links []int64
	}{
		{"TheReferenceFindsEachKind", "WT-2508-4", acmeKey, []int64{acmeOrder.ID}, []int64{acmeInbound.ID}, []int64{acmeReturn.ID}, []int64{acmeOrder.ID}},
		{"TheProviderReferenceFindsOrderAndInbound", "10344", acmeKey, []int64{acmeOrder.ID}, []int64{acmeInbound.ID}, nil, nil},
		{"TheRMANumberFindsTheReturn", "RMA-1", acmeKey, nil, nil, []int64{acmeReturn.ID}, []int64{acmeOrder.ID}},
		{"AnotherWorkspaceSeesItsOwnOnly", "WT-2508-4", globexKey, nil, nil, []int64{globexReturn.ID}, []int64{0}},
		{"AnotherWorkspaceByProviderReference", "10344", globexKey, []int64{globexOrder.ID}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, "/api/v1/tracking/"+url.PathEscape(tc.reference), tc.key)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			tr := decode[tracking](t, r)
			require.Equal(t, tc.reference, tr.Reference)
			require.NotNil(t, tr.Shipments, "the shipments list stays, empty")
			require.Empty(t, tr.Shipments)
			require.NotNil(t, tr.Orders)
			require.NotNil(t, tr.Inbound)
			require.NotNil(t, tr.Returns)
			var orders, inbound, returns, links []int64
			for _, o := range tr.Orders {
				orders = append(orders, o.ID)
				require.NotNil(t, o.ShipmentIDs)
			}
			for _, i := range tr.Inbound {
				inbound = append(inbound, i.ID)
			}
			for _, r := range tr.Returns {
				returns = append(returns, r.ID)
				links = append(links, r.OrderID)
			}
			require.Equal(t, tc.orders, orders)
			require.Equal(t, tc.inbound, inbound)
			require.Equal(t, tc.returns, returns)
			require.Equal(t, tc.links, links, "a return links to its workspace's order of its reference")
		})
	}
	for _, tc := range []struct{ name, reference, key string }{
		{"AnotherWorkspacesReferenceIsNotFound", "WT-1", globexKey},
		{"AnotherWorkspacesRMAIsNotFound", "RMA-1", globexKey},
		{"AnotherWorkspacesInboundIsNotFound", "G-PO", acmeKey},
		{"UnknownReferenceIsNotFound", "NOPE", acmeKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireProblem(t, get(t, h, "/api/v1/tracking/"+url.PathEscape(tc.reference), tc.key), http.StatusNotFound)
		})
	}
}

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

// The order tests use changesConnector (inventory_helpers_test.go) under a
// provider name of their own.
func init() {
	provider.Register(provider.Info{Name: "changes", New: func(provider.Connection) (provider.Connector, error) {
		return changesConnector{}, nil
	}})
}

func orderHour(h int) time.Time { return time.Date(2025, 8, 14, h, 0, 0, 0, time.UTC) }

// orderLife is one order's statements, as a fulfilment warehouse makes
// them: created, an address corrected, picking, a line's description and
// two notes of the same time, and shipped. Most state only some fields,
// and the times are not those of arrival.
var orderLife = []model.OrderUpdate{
	{AsOf: orderHour(1), Reference: "WT-2508-4", ProviderRef: "200122", Status: model.OrderAccepted,
		ProviderStatus:  &model.ProviderStatus{Code: "00", Description: "Aangemaakt"},
		DeliveryAddress: &model.Address{FirstName: "Ada", Street: "Meir", HouseNumber: "1", City: "Antwerpen", Country: "BE"},
		Lines: []model.OrderLineUpdate{
			{LineNumber: 1, SKU: "CS1001", Quantity: qty(2), Status: model.OrderAccepted},
			{LineNumber: 2, SKU: "WTI-027", Quantity: qty(4)},
		}},
	{AsOf: orderHour(3), Reference: "WT-2508-4", Status: model.OrderProcessing,
		ProviderStatus: &model.ProviderStatus{Code: "40", Description: "In behandeling"},
		Lines:          []model.OrderLineUpdate{{LineNumber: 1, QuantityShipped: qty(0), Status: model.OrderProcessing}}},
	{AsOf: orderHour(2), Reference: "WT-2508-4", ShippingMethod: "PostNL", Note: "first note",
		DeliveryAddress: &model.Address{FirstName: "Ada", Street: "Meir", HouseNumber: "12", City: "Antwerpen", Country: "BE"}},
	{AsOf: orderHour(5), Reference: "WT-2508-4", Status: model.OrderShipped,
		ProviderStatus: &model.ProviderStatus{Code: "90", Description: "Verzonden"},
		Lines: []model.OrderLineUpdate{
			{LineNumber: 1, QuantityShipped: qty(2), Status: model.OrderShipped},
			{LineNumber: 2, QuantityShipped: qty(4), Status: model.OrderShipped},
		}},
	{AsOf: orderHour(4), Reference: "WT-2508-4", Note: "note b",
		Lines: []model.OrderLineUpdate{{LineNumber: 2, Description: "Tea, loose", Status: model.OrderProcessing}}},
	{AsOf: orderHour(4), Reference: "WT-2508-4", Note: "note a", ProviderRef: "200122"},
}

// wantOrder is what orderLife makes of the order, whatever the order of
// arrival: the newest statement of every field (of two notes of the same
// time, the greater).
var wantOrder = model.Order{
	Reference: "WT-2508-4", Resource: model.Resource{Workspace: "acme", Provider: "changes", ProviderRef: "200122"},
	Status: model.OrderShipped, ProviderStatus: &model.ProviderStatus{Code: "90", Description: "Verzonden"},
	DeliveryAddress: &model.Address{FirstName: "Ada", Street: "Meir", HouseNumber: "12", City: "Antwerpen", Country: "BE"},
	ShippingMethod:  "PostNL", Note: "note b",
	Lines: []model.OrderLine{
		{LineNumber: 1, SKU: "CS1001", Quantity: 2, QuantityShipped: 2, Status: model.OrderShipped},
		{LineNumber: 2, SKU: "WTI-027", Description: "Tea, loose", Quantity: 4, QuantityShipped: 4, Status: model.OrderShipped},
	},
	ShipmentIDs: []int64{},
}

// orderState is an order without what legitimately depends on arrival:
// its id, connection and the hub's own timestamps.
func orderState(t *testing.T, o *model.Order) string {
	t.Helper()
	c := *o
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt, c.FactTimes = 0, "", time.Time{}, time.Time{}, nil
	b, err := json.MarshalIndent(&c, "", "  ")
	require.NoError(t, err)
	return string(b)
}

// changesPipeline builds a pipeline on st for a workspace whose
// connections c000… (n of them) state change sets.
func changesPipeline(t *testing.T, st store.Store, n, batchSize int) *pipeline.Pipeline {
	t.Helper()
	w := config.Workspace{ID: "acme"}
	for i := range n {
		w.Connections = append(w.Connections, config.Connection{ID: fmt.Sprintf("c%03d", i), Provider: "changes", Settings: map[string]any{}})
	}
	set, err := connections.Build(&config.Config{Workspaces: []config.Workspace{w}})
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, BatchSize: batchSize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return p
}

// commitChanges puts one change set in the inbox of a connection.
func commitOrderChanges(t *testing.T, st store.Store, conn, key string, c model.Changes) {
	t.Helper()
	body, err := json.Marshal(c)
	require.NoError(t, err)
	_, dup, err := st.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: "acme", Connection: conn, Provider: "changes", Source: model.SourceWebhook,
		DedupKey: key, ContentType: "application/json", Body: body, ReceivedAt: time.Now(),
	})
	require.NoError(t, err)
	require.False(t, dup)
}

func onlyOrder(t *testing.T, st store.Store, conn string) *model.Order {
	t.Helper()
	list, err := st.ListOrders(context.Background(), store.OrderFilter{Workspace: "acme", Connection: conn, Limit: 2})
	require.NoError(t, err)
	require.Len(t, list, 1, "connection %s has one order", conn)
	o, err := st.GetOrder(context.Background(), "acme", list[0].ID)
	require.NoError(t, err)
	return o
}

// TestAnOrdersFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn applies
// one order's six statements in every order (720, on SQLite, four messages
// a batch; a fixed sample on PostgreSQL, one a batch), each order of
// arrival on a connection of its own, and requires the same order each
// time: the newest statement of every field of the order and of its lines.
// A rebuild then makes the same orders again, with the same ids.
func TestAnOrdersFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	all := permutations(len(orderLife))
	rng := rand.New(rand.NewPCG(10, 2026))
	sample := [][]int{all[0], all[len(all)-1]}
	for range 14 {
		sample = append(sample, all[rng.IntN(len(all))])
	}
	runs := map[string]struct {
		orders    [][]int
		batchSize int
	}{"SQLite": {all, 4}, "PostgreSQL": {sample, 1}}
	want := orderState(t, &wantOrder)
	for name, open := range stores {
		r := runs[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			p := changesPipeline(t, st, len(r.orders), r.batchSize)
			for i, order := range r.orders {
				for _, m := range order {
					commitOrderChanges(t, st, fmt.Sprintf("c%03d", i), fmt.Sprint(m), model.Changes{Orders: orderLife[m : m+1]})
				}
			}
			ctx := context.Background()
			n, err := p.Drain(ctx)
			require.NoError(t, err)
			require.Equal(t, len(r.orders)*len(orderLife), n)
			ids := map[string]int64{}
			for i, order := range r.orders {
				conn := fmt.Sprintf("c%03d", i)
				o := onlyOrder(t, st, conn)
				require.Equal(t, want, orderState(t, o), "statements applied in the order %v", order)
				ids[conn] = o.ID
			}

			_, err = p.Rebuild(ctx, []string{"acme"}, nil)
			require.NoError(t, err)
			for i := range r.orders {
				conn := fmt.Sprintf("c%03d", i)
				o := onlyOrder(t, st, conn)
				require.Equal(t, ids[conn], o.ID, "a rebuild keeps the order's id")
				require.Equal(t, want, orderState(t, o), "a rebuild makes the same order")
			}
		})
	}
}

// TestAShipmentLinksToItsOrderWhicheverArrivesFirst applies one order and
// one shipment that names it by its reference, in both orders, in separate
// batches and in one, and in one message; the order always lists the
// shipment. A shipment of a connection without the order links to the
// workspace's order of that reference.
func TestAShipmentLinksToItsOrderWhicheverArrivesFirst(t *testing.T) {
	t.Parallel()
	orderMsg := model.Changes{Orders: []model.OrderUpdate{{AsOf: orderHour(1), Reference: "WT-2508-4", Status: model.OrderShipped}}}
	shipMsg := model.Changes{Shipments: []model.ShipmentUpdate{{AsOf: orderHour(2), ProviderRef: "3SDEVC0052846", OrderReference: "WT-2508-4", Carrier: "postnl"}}}
	both := model.Changes{Orders: orderMsg.Orders, Shipments: shipMsg.Shipments}
	cases := []struct {
		name      string
		msgs      []model.Changes
		batchSize int
	}{
		{"OrderFirst", []model.Changes{orderMsg, shipMsg}, 1},
		{"ShipmentFirst", []model.Changes{shipMsg, orderMsg}, 1},
		{"OrderFirstInOneBatch", []model.Changes{orderMsg, shipMsg}, 4},
		{"ShipmentFirstInOneBatch", []model.Changes{shipMsg, orderMsg}, 4},
		{"OneMessage", []model.Changes{both}, 1},
	}
	for name, open := range stores {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				st := open(t)
				p := changesPipeline(t, st, 2, c.batchSize)
				for i, m := range c.msgs {
					commitOrderChanges(t, st, "c000", fmt.Sprint(i), m)
				}
				// The other connection's shipment names the same order.
				commitOrderChanges(t, st, "c001", "other", model.Changes{Shipments: []model.ShipmentUpdate{{ProviderRef: "OTHER-1", OrderReference: "WT-2508-4"}}})
				_, err := p.Drain(context.Background())
				require.NoError(t, err)

				o := onlyOrder(t, st, "c000")
				own, err := st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Connection: "c000"})
				require.NoError(t, err)
				require.Len(t, own, 1)
				other, err := st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Connection: "c001"})
				require.NoError(t, err)
				require.Len(t, other, 1)
				require.Equal(t, []int64{own[0].ID, other[0].ID}, o.ShipmentIDs)
				require.Equal(t, model.OrderShipped, o.Status)
			})
		}
	}
}

// TestTheFeedTellsOfNewOrdersAndOfStatusChangesOnly requires one
// order.created for a new order, an order.status_changed for a newer
// status, and nothing for an older status that arrives late or a change of
// another field.
func TestTheFeedTellsOfNewOrdersAndOfStatusChangesOnly(t *testing.T) {
	t.Parallel()
	st := stores["SQLite"](t)
	p := changesPipeline(t, st, 1, 4)
	steps := []struct {
		u    model.OrderUpdate
		want []string
	}{
		{model.OrderUpdate{AsOf: orderHour(2), Reference: "R-1", Status: model.OrderAccepted}, []string{model.EventOrderCreated}},
		{model.OrderUpdate{AsOf: orderHour(4), Reference: "R-1", Status: model.OrderProcessing}, []string{model.EventOrderStatusChanged}},
		{model.OrderUpdate{AsOf: orderHour(3), Reference: "R-1", Status: model.OrderShipped}, nil},
		{model.OrderUpdate{AsOf: orderHour(5), Reference: "R-1", Note: "a note"}, nil},
		{model.OrderUpdate{AsOf: orderHour(5), Reference: "R-1", Status: model.OrderProcessing, ProviderStatus: &model.ProviderStatus{Code: "40"}}, nil},
	}
	var after int64
	for i, s := range steps {
		commitOrderChanges(t, st, "c000", fmt.Sprint(i), model.Changes{Orders: []model.OrderUpdate{s.u}})
		_, err := p.Drain(context.Background())
		require.NoError(t, err)
		feed, err := st.ListFeed(context.Background(), "acme", after, 100)
		require.NoError(t, err)
		var types []string
		for _, f := range feed {
			types = append(types, f.Type)
			after = f.ID
			var data struct {
				Order model.Order `json:"order"`
			}
			require.NoError(t, json.Unmarshal(f.Data, &data))
			require.Equal(t, "R-1", data.Order.Reference, "the entry carries the order")
			require.Equal(t, s.u.Status, data.Order.Status)
		}
		require.Equal(t, s.want, types, "step %d", i)
	}
	o := onlyOrder(t, st, "c000")
	require.Equal(t, model.OrderProcessing, o.Status, "the late, older shipped changed nothing")
	require.Equal(t, &model.ProviderStatus{Code: "40"}, o.ProviderStatus)
}

// TestAnOrderUpdateTheHubCannotStoreFailsItsMessageAlone feeds updates a
// database would refuse or the API could not show; each message fails and
// nothing of it is applied.
func TestAnOrderUpdateTheHubCannotStoreFailsItsMessageAlone(t *testing.T) {
	t.Parallel()
	bad := []model.OrderUpdate{
		{Reference: ""},
		{Reference: "R\x00"},
		{Reference: "R-1", Status: "lost"},
		{Reference: "R-1", Lines: []model.OrderLineUpdate{{LineNumber: 0, SKU: "X"}}},
		{Reference: "R-1", Lines: []model.OrderLineUpdate{{LineNumber: 1, Status: "gone"}}},
	}
	st := stores["SQLite"](t)
	p := changesPipeline(t, st, 1, 8)
	for i, u := range bad {
		commitOrderChanges(t, st, "c000", fmt.Sprint(i), model.Changes{
			Orders:    []model.OrderUpdate{u},
			Shipments: []model.ShipmentUpdate{{ProviderRef: fmt.Sprintf("S-%d", i)}},
		})
	}
	commitOrderChanges(t, st, "c000", "good", model.Changes{Orders: []model.OrderUpdate{{Reference: "R-OK"}}})
	_, err := p.Drain(context.Background())
	require.NoError(t, err)
	failed, err := st.ListFailedInbox(context.Background(), store.FailedInboxFilter{Workspace: "acme", Limit: 100})
	require.NoError(t, err)
	require.Len(t, failed, len(bad))
	ships, err := st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, ships, "nothing of a refused message is applied")
	o := onlyOrder(t, st, "c000")
	require.Equal(t, "R-OK", o.Reference)
	require.Equal(t, model.OrderAccepted, o.Status, "an order a provider names without a status is accepted")
}

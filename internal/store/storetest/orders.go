package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// orderCases are the cases of the orders' store port.
var orderCases = []conformanceCase{
	{"AnOrderRoundTripsThroughTxUniquePerConnection", testOrderRoundTrip},
	{"ListOrdersFiltersByReferenceOrProviderRefAndPagesWithinAWorkspace", testListOrders},
	{"AShipmentBelongsToTheOrderItsReferenceNamesOwnConnectionFirst", testOrderShipmentLinks},
	{"AnOrdersShipmentsInATransactionSeeItsLinksWrittenBehind", testOrderShipmentsSeePendingLinks},
	{"ResetCanonicalResetsOrdersKeepingTheirIDs", testResetOrders},
}

func order(ws, conn, ref string) *model.Order {
	return &model.Order{
		Resource: model.Resource{
			Workspace: ws, Connection: conn, Provider: "wics", ProviderRef: "P-" + ref,
			CreatedAt: base, UpdatedAt: base,
			FactTimes: map[string]time.Time{"status": base, "lines.1.status": base.Add(time.Minute)},
		},
		Reference:      ref,
		Status:         model.OrderProcessing,
		ProviderStatus: &model.ProviderStatus{Code: "40", Description: "In behandeling"},
		Lines: []model.OrderLine{
			{LineNumber: 1, SKU: "CS1001", Description: "Mug", Quantity: 2, QuantityShipped: 1, Status: model.OrderProcessing,
				ProviderStatus: &model.ProviderStatus{Code: "40"}},
			{LineNumber: 2, SKU: "CS1002", Quantity: 0.5},
		},
		DeliveryAddress: &model.Address{FirstName: "Ada", LastName: "Peeters", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"},
		ShippingMethod:  "PostNL",
		Note:            "ring twice",
		ShipmentIDs:     []int64{},
	}
}

func insertOrders(t *testing.T, s store.Store, orders ...*model.Order) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, o := range orders {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
}

func testOrderRoundTrip(t *testing.T, s store.Store) {
	o := order("acme", "wics", "WT-2508-4")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.InsertOrder(ctx, o))
		require.Positive(t, o.ID)
		got, err := tx.OrderByRef(ctx, "acme", "wics", "WT-2508-4")
		require.NoError(t, err)
		require.Same(t, o, got, "one transaction sees one order")
		_, err = tx.OrderByRef(ctx, "acme", "other", "WT-2508-4")
		require.ErrorIs(t, err, store.ErrNotFound, "the reference is per connection")
		_, err = tx.OrderByRef(ctx, "globex", "wics", "WT-2508-4")
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	})

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.OrderByRef(ctx, "acme", "wics", "WT-2508-4")
		require.NoError(t, err)
		require.Equal(t, o, got, "the order reads back whole, with its fields' times")
		got.Status, got.ProviderStatus = model.OrderShipped, &model.ProviderStatus{Code: "90", Description: "Verzonden"}
		got.ProviderRef = "P-NEW"
		got.Lines = append(got.Lines, model.OrderLine{LineNumber: 3, SKU: "CS1003", Quantity: 1})
		got.FactTimes["lines.3.sku"] = base.Add(time.Hour)
		got.UpdatedAt = base.Add(2 * time.Hour)
		require.NoError(t, tx.UpdateOrder(ctx, got))
		o = got
		return nil
	})

	got, err := s.GetOrder(ctx(t), "acme", o.ID)
	require.NoError(t, err)
	require.Equal(t, o, got, "the update is stored whole")
	_, err = s.GetOrder(ctx(t), "globex", o.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "an order is invisible from another workspace")
	_, err = s.GetOrder(ctx(t), "acme", o.ID+100)
	require.ErrorIs(t, err, store.ErrNotFound)

	// The same reference in another connection or workspace is another
	// order; twice in one connection is refused.
	insertOrders(t, s, order("acme", "other", "WT-2508-4"), order("globex", "wics", "WT-2508-4"))
	appendAll(t, s, message("setup", "setup", "duplicate-order"))
	_, err = s.ProcessInbox(ctx(t), 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return tx.InsertOrder(ctx, order("acme", "wics", "WT-2508-4"))
	})
	require.Error(t, err, "a reference is unique within its connection")
}

func orderIDs(list []*model.Order) []int64 {
	out := make([]int64, len(list))
	for i, o := range list {
		out[i] = o.ID
	}
	return out
}

func testListOrders(t *testing.T, s store.Store) {
	a := order("acme", "wics", "A-1")
	b := order("acme", "wics", "A-2")
	b.Status = model.OrderShipped
	c := order("acme", "ants", "A-3")
	c.ProviderRef = "A-1" // another provider's number that equals a reference
	other := order("globex", "wics", "A-1")
	insertOrders(t, s, a, b, c, other)

	list := func(f store.OrderFilter) []int64 {
		t.Helper()
		f.Workspace = "acme"
		got, err := s.ListOrders(ctx(t), f)
		require.NoError(t, err)
		for _, o := range got {
			require.Equal(t, "acme", o.Workspace)
			require.NotNil(t, o.ShipmentIDs, "shipment_ids is a list, empty when none")
		}
		return orderIDs(got)
	}
	require.Equal(t, []int64{c.ID, b.ID, a.ID}, list(store.OrderFilter{}), "newest first, one workspace")
	require.Equal(t, []int64{c.ID, a.ID}, list(store.OrderFilter{Reference: "A-1"}), "reference or provider reference")
	require.Equal(t, []int64{b.ID}, list(store.OrderFilter{Reference: "P-A-2"}), "by the provider's number")
	require.Equal(t, []int64{b.ID}, list(store.OrderFilter{Status: model.OrderShipped}))
	require.Equal(t, []int64{c.ID}, list(store.OrderFilter{Connection: "ants"}))
	require.Equal(t, []int64{c.ID, b.ID}, list(store.OrderFilter{Limit: 2}))
	require.Equal(t, []int64{a.ID}, list(store.OrderFilter{BeforeID: b.ID}))
	require.Empty(t, list(store.OrderFilter{Reference: "nope"}))
	_, err := s.ListOrders(ctx(t), store.OrderFilter{})
	require.Error(t, err, "a workspace is required")
}

func testOrderShipmentLinks(t *testing.T, s store.Store) {
	// Shipments arrive before any order: the links wait for it.
	own := shipment("acme", "wics", "SH-1")
	foreign := shipment("acme", "carrier", "SH-2")
	elsewhere := shipment("globex", "wics", "SH-3")
	unlinked := shipment("acme", "wics", "SH-4")
	insertShipments(t, s, own, foreign, elsewhere, unlinked)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", own.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "carrier", foreign.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "globex", "wics", elsewhere.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", unlinked.ID, "R-2"))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", unlinked.ID, ""), "an empty reference removes the link")
		return nil
	})
	shipmentsOf := func(o *model.Order) []int64 {
		t.Helper()
		got, err := s.GetOrder(ctx(t), o.Workspace, o.ID)
		require.NoError(t, err)
		return got.ShipmentIDs
	}

	// The first order of R-1 is another connection's: it gets both
	// shipments of acme, as no connection of theirs has the order.
	first := order("acme", "shop", "R-1")
	insertOrders(t, s, first)
	require.Equal(t, []int64{own.ID, foreign.ID}, shipmentsOf(first))

	// The wics connection's own order of R-1 takes its shipment; the
	// carrier's shipment stays with the first order.
	mine := order("acme", "wics", "R-1")
	insertOrders(t, s, mine)
	require.Equal(t, []int64{own.ID}, shipmentsOf(mine))
	require.Equal(t, []int64{foreign.ID}, shipmentsOf(first))
	globex := order("globex", "shop", "R-1")
	insertOrders(t, s, globex)
	require.Equal(t, []int64{elsewhere.ID}, shipmentsOf(globex), "links stay within a workspace")

	// A shipment that names another reference moves; the transaction sees
	// its own changes.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.LinkShipment(ctx, "acme", "carrier", foreign.ID, "R-9"))
		ids, err := tx.OrderShipmentIDs(ctx, first)
		require.NoError(t, err)
		require.Empty(t, ids)
		ids, err = tx.OrderShipmentIDs(ctx, mine)
		require.NoError(t, err)
		require.Equal(t, []int64{own.ID}, ids)
		return nil
	})
	list, err := s.ListOrders(ctx(t), store.OrderFilter{Workspace: "acme", Reference: "R-1"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []int64{own.ID}, list[0].ShipmentIDs, "listings carry the links too")
	require.Equal(t, []int64{}, list[1].ShipmentIDs)
}

// testOrderShipmentsSeePendingLinks: in a batch's transaction (prefetched
// where the store prefetches, so links and new shipments are written
// behind), OrderShipmentIDs answers with every link the transaction wrote
// before it, whether it adds a shipment to the order, moves a stored one
// away from it or moves one the transaction made; and a link to another
// reference leaves the answer alone.
func testOrderShipmentsSeePendingLinks(t *testing.T, s store.Store) {
	stored := shipment("acme", "wics", "SH-1")
	insertShipments(t, s, stored)
	first, other := order("acme", "wics", "R-1"), order("acme", "wics", "R-2")
	insertOrders(t, s, first, other)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.LinkShipment(ctx, "acme", "wics", stored.ID, "R-1")
	})
	fresh := shipment("acme", "wics", "SH-2")
	unrelated := shipment("acme", "wics", "SH-3")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if p, ok := tx.(store.Prefetcher); ok {
			require.NoError(t, p.Prefetch(ctx, store.Prefetch{
				Shipments: []store.RefKey{{Workspace: "acme", Connection: "wics", Reference: "SH-1"},
					{Workspace: "acme", Connection: "wics", Reference: "SH-2"}, {Workspace: "acme", Connection: "wics", Reference: "SH-3"}},
				Orders: []store.RefKey{{Workspace: "acme", Connection: "wics", Reference: "R-1"}, {Workspace: "acme", Connection: "wics", Reference: "R-2"}},
			}))
		}
		shipmentsOf := func(o *model.Order) []int64 {
			t.Helper()
			ids, err := tx.OrderShipmentIDs(ctx, o)
			require.NoError(t, err)
			return ids
		}
		own, err := tx.ShipmentByRef(ctx, "acme", "wics", "SH-1")
		require.NoError(t, err)
		require.Equal(t, stored.ID, own.ID)
		require.Equal(t, []int64{stored.ID}, shipmentsOf(first))

		require.NoError(t, tx.InsertShipment(ctx, fresh))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", fresh.ID, "R-1"))
		require.Equal(t, []int64{stored.ID, fresh.ID}, shipmentsOf(first), "a new shipment linked to the order")

		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", stored.ID, "R-2"))
		require.Equal(t, []int64{fresh.ID}, shipmentsOf(first), "a stored shipment moved to another order")
		require.Equal(t, []int64{stored.ID}, shipmentsOf(other))

		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", fresh.ID, "R-2"))
		require.Empty(t, shipmentsOf(first), "the new shipment moved too")
		require.Equal(t, []int64{stored.ID, fresh.ID}, shipmentsOf(other))

		require.NoError(t, tx.InsertShipment(ctx, unrelated))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", unrelated.ID, "R-7"))
		require.Empty(t, shipmentsOf(first), "a link to another reference")
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", fresh.ID, ""))
		require.Equal(t, []int64{stored.ID}, shipmentsOf(other), "a link removed")
		return nil
	})
	got, err := s.GetOrder(ctx(t), "acme", other.ID)
	require.NoError(t, err)
	require.Equal(t, []int64{stored.ID}, got.ShipmentIDs, "as committed")
	sh, err := s.GetShipment(ctx(t), "acme", unrelated.ID)
	require.NoError(t, err, "the unrelated shipment is stored at the flush")
	require.Equal(t, "SH-3", sh.ProviderRef)
}

func testResetOrders(t *testing.T, s store.Store) {
	o := order("acme", "wics", "R-1")
	kept := order("globex", "wics", "R-1")
	sh := shipment("acme", "wics", "SH-1")
	insertShipments(t, s, sh)
	insertOrders(t, s, o, kept)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.LinkShipment(ctx, "acme", "wics", sh.ID, "R-1")
	})

	_, err := s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	got, err := s.GetOrder(ctx(t), "acme", o.ID)
	require.NoError(t, err, "an order keeps its id through a reset")
	require.Equal(t, "R-1", got.Reference)
	require.Equal(t, o.CreatedAt, got.CreatedAt)
	require.Equal(t, model.OrderAccepted, got.Status, "what a first statement without status makes")
	require.Empty(t, got.Lines)
	require.Empty(t, got.ProviderRef)
	require.Empty(t, got.FactTimes, "a rebuild states every field anew")
	require.Empty(t, got.ShipmentIDs, "links are rebuilt with the shipments")
	other, err := s.GetOrder(ctx(t), "globex", kept.ID)
	require.NoError(t, err)
	require.Equal(t, kept, other, "another workspace is untouched")

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		again, err := tx.OrderByRef(ctx, "acme", "wics", "R-1")
		require.NoError(t, err)
		require.Equal(t, o.ID, again.ID)
		return nil
	})
	_, err = s.ResetCanonical(ctx(t), "")
	require.NoError(t, err)
	other, err = s.GetOrder(ctx(t), "globex", kept.ID)
	require.NoError(t, err)
	require.Equal(t, model.OrderAccepted, other.Status, "a reset of every workspace resets every order")
}

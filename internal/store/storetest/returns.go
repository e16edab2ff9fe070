package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// returnCases are the conformance cases of returns.
var returnCases = []conformanceCase{
	{"AReturnRoundTripsThroughTxWithItsFactTimes", testReturnRoundTrip},
	{"ReturnListsFilterAndPageWithinAWorkspace", testListReturns},
	{"AReturnLinksToTheOrderOfItsReferenceWhicheverArrivesFirst", testReturnOrderLink},
}

func returnFixture(ws, conn, rma string) *model.Return {
	return &model.Return{
		Resource:       model.Resource{Workspace: ws, Connection: conn, Provider: "wics", ProviderRef: rma, FactTimes: map[string]time.Time{"status": base, "lines": base.Add(time.Minute)}},
		Reference:      "200122",
		Status:         model.ReturnAnnounced,
		ProviderStatus: &model.ProviderStatus{Code: "1", Description: "Aangemeld"},
		Lines: []model.ReturnLine{{LineNumber: 1, SKU: "WTI-027", Quantity: 1, Reason: "te klein",
			Answers: []model.ReturnAnswer{{Question: "Waarom?", Answer: "Te klein"}}}},
		Label: "https://labels.example.com/" + rma + ".pdf",
	}
}

func testReturnRoundTrip(t *testing.T, s store.Store) {
	r := returnFixture("acme", "wics", "RMA-1")
	key := store.ReturnKey(r.ProviderRef, r.Reference)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ReturnByKey(ctx, "acme", "wics", key)
		require.ErrorIs(t, err, store.ErrNotFound)
		return tx.InsertReturn(ctx, key, r)
	})
	require.NotZero(t, r.ID)

	var loaded *model.Return
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		loaded, err = tx.ReturnByKey(ctx, "acme", "wics", key)
		require.NoError(t, err)
		_, err = tx.ReturnByKey(ctx, "acme", "other", key)
		require.ErrorIs(t, err, store.ErrNotFound, "the key is the connection's")
		return nil
	})
	require.Equal(t, r, loaded, "every field and the fact times come back")

	loaded.Status = model.ReturnProcessed
	loaded.FactTimes["status"] = base.Add(time.Hour)
	loaded.UpdatedAt = base.Add(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateReturn(ctx, loaded) })

	got, err := s.GetReturn(ctx(t), "acme", r.ID)
	require.NoError(t, err)
	require.Equal(t, loaded, got)
	_, err = s.GetReturn(ctx(t), "globex", r.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another workspace's id is not found")
}

func testListReturns(t *testing.T, s store.Store) {
	a1 := returnFixture("acme", "wics", "RMA-1")
	a2 := returnFixture("acme", "wics", "RMA-2")
	a2.Status, a2.Reference = model.ReturnReceived, "200123"
	a3 := returnFixture("acme", "aa", "RMA-3")
	g1 := returnFixture("globex", "wics", "RMA-1")
	for _, r := range []*model.Return{a1, a2, a3, g1} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r)
		})
	}
	cases := []struct {
		name   string
		filter store.ReturnFilter
		want   []*model.Return
	}{
		{"without filters every return of the workspace comes newest first", store.ReturnFilter{Workspace: "acme"}, []*model.Return{a3, a2, a1}},
		{"the order's reference finds its returns", store.ReturnFilter{Workspace: "acme", Reference: "200122"}, []*model.Return{a3, a1}},
		{"the RMA number finds its return", store.ReturnFilter{Workspace: "acme", Reference: "RMA-2"}, []*model.Return{a2}},
		{"status filters", store.ReturnFilter{Workspace: "acme", Status: model.ReturnReceived}, []*model.Return{a2}},
		{"connection filters", store.ReturnFilter{Workspace: "acme", Connection: "aa"}, []*model.Return{a3}},
		{"limit and before page", store.ReturnFilter{Workspace: "acme", BeforeID: a3.ID, Limit: 1}, []*model.Return{a2}},
		{"another workspace sees its own", store.ReturnFilter{Workspace: "globex"}, []*model.Return{g1}},
		{"nothing matches: an empty list", store.ReturnFilter{Workspace: "acme", Reference: "nope"}, []*model.Return{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListReturns(ctx(t), c.filter)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// testReturnOrderLink: a return's order_id is the order of its reference,
// resolved on read, so a return stored before its order shows the order
// once the order exists; the return's own connection is preferred, another
// workspace's order never links.
func testReturnOrderLink(t *testing.T, s store.Store) {
	order := func(ws, conn, ref string) *model.Order {
		o := &model.Order{Resource: model.Resource{Workspace: ws, Connection: conn, Provider: "wics"}, Reference: ref, Status: model.OrderAccepted}
		inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.InsertOrder(ctx, o) })
		return o
	}
	ret := func(ws, conn, rma, ref string) *model.Return {
		r := returnFixture(ws, conn, rma)
		r.Reference = ref
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r)
		})
		return r
	}
	orderID := func(ws string, id int64) int64 {
		t.Helper()
		got, err := s.GetReturn(ctx(t), ws, id)
		require.NoError(t, err)
		list, err := s.ListReturns(ctx(t), store.ReturnFilter{Workspace: ws, Reference: got.ProviderRef})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, got.OrderID, list[0].OrderID, "get and list agree")
		var inTxID int64
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			inTxID, err = tx.ReturnOrderID(ctx, got)
			return err
		})
		require.Equal(t, got.OrderID, inTxID, "the transaction sees the same link")
		return got.OrderID
	}

	// Order first, then its return.
	o1 := order("acme", "wics", "WT-1")
	r1 := ret("acme", "wics", "RMA-1", "WT-1")
	require.Equal(t, o1.ID, orderID("acme", r1.ID), "order first")

	// Return first: no order yet, then the order arrives.
	r2 := ret("acme", "wics", "RMA-2", "WT-2")
	require.Zero(t, orderID("acme", r2.ID), "no order of the reference yet")
	other := order("globex", "wics", "WT-2")
	require.Zero(t, orderID("acme", r2.ID), "another workspace's order does not link")
	o2 := order("acme", "wics", "WT-2")
	require.Equal(t, o2.ID, orderID("acme", r2.ID), "the order that arrived later links")
	require.NotEqual(t, other.ID, o2.ID)

	// The return's own connection wins over an older order elsewhere.
	older := order("acme", "aa", "WT-3")
	r3 := ret("acme", "wics", "RMA-3", "WT-3")
	require.Equal(t, older.ID, orderID("acme", r3.ID), "without one in its connection, the workspace's first")
	own := order("acme", "wics", "WT-3")
	require.Equal(t, own.ID, orderID("acme", r3.ID), "its own connection's order wins")

	// An update keeps the link derived, not stored.
	got, err := s.GetReturn(ctx(t), "acme", r2.ID)
	require.NoError(t, err)
	got.Status = model.ReturnReceived
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateReturn(ctx, got) })
	require.Equal(t, o2.ID, orderID("acme", r2.ID))
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// inboundCases are the conformance cases of inbound goods.
var inboundCases = []conformanceCase{
	{"InboundRoundTripsThroughTxWithItsFactTimes", testInboundRoundTrip},
	{"InboundListsFilterAndPageWithinAWorkspace", testListInbound},
	{"ResetCanonicalEmptiesInboundAndReturnsButKeepsTheirIDs", testResetInboundReturns},
}

func inboundFixture(ws, conn, ref string) *model.Inbound {
	expected := base.Add(48 * time.Hour)
	return &model.Inbound{
		Resource:       model.Resource{Workspace: ws, Connection: conn, Provider: "wics", ProviderRef: "P-" + ref, FactTimes: map[string]time.Time{"status": base, "lines.1.expected": base.Add(time.Minute)}},
		Reference:      ref,
		Status:         model.InboundReceiving,
		StatedStatus:   model.InboundAnnounced,
		ProviderStatus: &model.ProviderStatus{Code: "10", Description: "Aangemeld"},
		ExpectedAt:     &expected,
		Lines:          []model.InboundLine{{LineNumber: 1, SKU: "WTI-027", Expected: 10, Received: 4}},
		Receipts: []model.Receipt{{ProviderRef: "1175", ReceivedAt: base, Lines: []model.ReceiptLine{
			{SKU: "WTI-027", Quantity: 4, Lot: "L1", BestBefore: &expected},
		}}},
	}
}

func testInboundRoundTrip(t *testing.T, s store.Store) {
	in := inboundFixture("acme", "wics", "PO-1")
	key := store.InboundKey(in.Reference, in.ProviderRef)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InboundByKey(ctx, "acme", "wics", key)
		require.ErrorIs(t, err, store.ErrNotFound)
		return tx.InsertInbound(ctx, key, in)
	})
	require.NotZero(t, in.ID)

	var loaded *model.Inbound
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		loaded, err = tx.InboundByKey(ctx, "acme", "wics", key)
		require.NoError(t, err)
		_, err = tx.InboundByKey(ctx, "acme", "other", key)
		require.ErrorIs(t, err, store.ErrNotFound, "the key is the connection's")
		_, err = tx.InboundByKey(ctx, "globex", "wics", key)
		require.ErrorIs(t, err, store.ErrNotFound, "and the workspace's")
		return nil
	})
	require.Equal(t, in, loaded, "every field, the fact times and the stated status come back")

	loaded.Status, loaded.StatedStatus = model.InboundReceived, model.InboundReceived
	loaded.FactTimes["status"] = base.Add(time.Hour)
	loaded.UpdatedAt = base.Add(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateInbound(ctx, loaded) })

	got, err := s.GetInbound(ctx(t), "acme", in.ID)
	require.NoError(t, err)
	require.Equal(t, model.InboundReceived, got.Status)
	require.Equal(t, base.Add(time.Hour), got.FactTimes["status"])
	require.Equal(t, base.Add(time.Hour), got.UpdatedAt)
	require.Equal(t, in.CreatedAt, got.CreatedAt)
	_, err = s.GetInbound(ctx(t), "globex", in.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another workspace's id is not found")
}

func testListInbound(t *testing.T, s store.Store) {
	a1 := inboundFixture("acme", "wics", "PO-1")
	a2 := inboundFixture("acme", "wics", "PO-2")
	a2.Status = model.InboundAnnounced
	a3 := inboundFixture("acme", "aa", "PO-3")
	g1 := inboundFixture("globex", "wics", "PO-1")
	for _, in := range []*model.Inbound{a1, a2, a3, g1} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.InsertInbound(ctx, store.InboundKey(in.Reference, in.ProviderRef), in)
		})
	}
	cases := []struct {
		name   string
		filter store.InboundFilter
		want   []*model.Inbound
	}{
		{"without filters every row of the workspace comes newest first", store.InboundFilter{Workspace: "acme"}, []*model.Inbound{a3, a2, a1}},
		{"the reference finds its row", store.InboundFilter{Workspace: "acme", Reference: "PO-2"}, []*model.Inbound{a2}},
		{"the provider's number finds its row", store.InboundFilter{Workspace: "acme", Reference: "P-PO-1"}, []*model.Inbound{a1}},
		{"status filters", store.InboundFilter{Workspace: "acme", Status: model.InboundAnnounced}, []*model.Inbound{a2}},
		{"connection filters", store.InboundFilter{Workspace: "acme", Connection: "aa"}, []*model.Inbound{a3}},
		{"limit and before page", store.InboundFilter{Workspace: "acme", BeforeID: a3.ID, Limit: 1}, []*model.Inbound{a2}},
		{"another workspace sees its own", store.InboundFilter{Workspace: "globex"}, []*model.Inbound{g1}},
		{"nothing matches: an empty list", store.InboundFilter{Workspace: "acme", Reference: "nope"}, []*model.Inbound{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListInbound(ctx(t), c.filter)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func testResetInboundReturns(t *testing.T, s store.Store) {
	in := inboundFixture("acme", "wics", "PO-1")
	other := inboundFixture("globex", "wics", "PO-1")
	r := returnFixture("acme", "wics", "RMA-1")
	for _, ws := range []string{"acme", "globex"} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			if ws == "globex" {
				return tx.InsertInbound(ctx, "reference:PO-1", other)
			}
			if err := tx.InsertInbound(ctx, "reference:PO-1", in); err != nil {
				return err
			}
			return tx.InsertReturn(ctx, "provider_ref:RMA-1", r)
		})
	}
	_, err := s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)

	got, err := s.GetInbound(ctx(t), "acme", in.ID)
	require.NoError(t, err, "inbound goods keep their id through a reset")
	require.Empty(t, got.Lines)
	require.Empty(t, got.Receipts)
	require.Empty(t, got.FactTimes, "nothing stated is left")
	require.Empty(t, got.Reference)
	require.Equal(t, in.CreatedAt, got.CreatedAt)
	gr, err := s.GetReturn(ctx(t), "acme", r.ID)
	require.NoError(t, err, "a return keeps its id through a reset")
	require.Empty(t, gr.Lines)
	require.Empty(t, gr.FactTimes)
	kept, err := s.GetInbound(ctx(t), "globex", other.ID)
	require.NoError(t, err)
	require.Equal(t, other, kept, "another workspace keeps its inbound goods")

	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		again, err := tx.InboundByKey(ctx, "acme", "wics", "reference:PO-1")
		require.NoError(t, err, "the rebuild finds the row by its key")
		require.Equal(t, in.ID, again.ID)
		ret, err := tx.ReturnByKey(ctx, "acme", "wics", "provider_ref:RMA-1")
		require.NoError(t, err)
		require.Equal(t, r.ID, ret.ID)
		return nil
	})

	_, err = s.ResetCanonical(ctx(t), "")
	require.NoError(t, err)
	all, err := s.GetInbound(ctx(t), "globex", other.ID)
	require.NoError(t, err)
	require.Empty(t, all.Lines, "a reset of every workspace empties every row")
}

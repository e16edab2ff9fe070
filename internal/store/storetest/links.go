package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// linkCases are the cases of the Tx methods the pipeline links one parcel's
// updates from several connections with (model.ShipmentLink).
var linkCases = []conformanceCase{
	{"AShipmentIsFoundByIDWithinItsWorkspaceOnly", testShipmentByID},
	{"AShipmentIsFoundByTrackingNumberAmongOtherConnections", testShipmentByTrackingNumber},
}

// tracked is a shipment whose tracking number is number, searchable by it
// as the pipeline makes it (a tracking_number reference).
func tracked(ws, conn, ref, number string) *model.Shipment {
	sh := shipment(ws, conn, ref)
	sh.TrackingNumber = number
	sh.References = append(sh.References, model.Reference{Kind: model.RefTrackingNumber, Value: number})
	return sh
}

func testShipmentByID(t *testing.T, s store.Store) {
	sh := shipment("acme", "winkelstraat", "WS-1")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.InsertShipment(ctx, sh))
		got, err := tx.ShipmentByID(ctx, "acme", sh.ID)
		require.NoError(t, err)
		require.Same(t, sh, got, "within its transaction a shipment is one value, however it is found")
		return nil
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByID(ctx, "acme", sh.ID)
		require.NoError(t, err)
		require.Equal(t, sh, got)
		byRef, err := tx.ShipmentByRef(ctx, "acme", "winkelstraat", "WS-1")
		require.NoError(t, err)
		require.Same(t, got, byRef, "found by id, then by reference: the same value")

		// A change made to it is stored like one made after ShipmentByRef.
		got.Carrier = "ups"
		require.NoError(t, tx.UpdateShipment(ctx, got))

		_, err = tx.ShipmentByID(ctx, "globex", sh.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another workspace's id is not found")
		_, err = tx.ShipmentByID(ctx, "acme", sh.ID+1000)
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	})
	got, err := s.GetShipment(ctx(t), "acme", sh.ID)
	require.NoError(t, err)
	require.Equal(t, "ups", got.Carrier)
}

func testShipmentByTrackingNumber(t *testing.T, s store.Store) {
	first := tracked("acme", "winkelstraat", "WS-1", "1Z999")
	second := tracked("acme", "courier", "ORD-2", "1Z999")
	own := tracked("acme", "gcl", "1Z999", "1Z999")
	foreign := tracked("globex", "winkelstraat", "WS-9", "1Z888")
	// A reference of that value on a shipment with another tracking number
	// is not the parcel (an order number that looks like one).
	lookalike := shipment("acme", "courier", "ORD-3", "1Z777")
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, sh := range []*model.Shipment{own, first, second, foreign, lookalike} {
			require.NoError(t, tx.InsertShipment(ctx, sh))
		}
		got, err := tx.ShipmentByTrackingNumber(ctx, "acme", "1Z999", "gcl")
		require.NoError(t, err, "a shipment inserted in the transaction counts before its references are written")
		require.Same(t, first, got)
		return nil
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.ShipmentByTrackingNumber(ctx, "acme", "1Z999", "gcl")
		require.NoError(t, err)
		require.Equal(t, first.ID, got.ID, "the oldest shipment of another connection")
		byRef, err := tx.ShipmentByRef(ctx, "acme", "winkelstraat", "WS-1")
		require.NoError(t, err)
		require.Same(t, got, byRef)

		got, err = tx.ShipmentByTrackingNumber(ctx, "acme", "1Z999", "winkelstraat")
		require.NoError(t, err)
		require.Equal(t, own.ID, got.ID, "except names the one connection left out")

		_, err = tx.ShipmentByTrackingNumber(ctx, "acme", "1Z777", "gcl")
		require.ErrorIs(t, err, store.ErrNotFound, "a reference is not a tracking number")
		_, err = tx.ShipmentByTrackingNumber(ctx, "acme", "1Z888", "gcl")
		require.ErrorIs(t, err, store.ErrNotFound, "another workspace's parcel is not found")
		_, err = tx.ShipmentByTrackingNumber(ctx, "globex", "1Z888", "winkelstraat")
		require.ErrorIs(t, err, store.ErrNotFound, "nor the excepted connection's")
		return nil
	})
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		// A change of tracking number earlier in the transaction counts.
		sh, err := tx.ShipmentByRef(ctx, "acme", "winkelstraat", "WS-1")
		require.NoError(t, err)
		sh.TrackingNumber = "1Z555"
		require.NoError(t, tx.UpdateShipment(ctx, sh))
		got, err := tx.ShipmentByTrackingNumber(ctx, "acme", "1Z999", "gcl")
		require.NoError(t, err)
		require.Equal(t, second.ID, got.ID, "the first one's tracking number changed in this transaction")
		return nil
	})
}

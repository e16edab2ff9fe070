package pipeline_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestAShipmentLinksToTheOrderWhoseIDTheProviderHandsBack: a warehouse that
// gives the parcel a reference of its own still hands back the order id
// shiphub sent (WICS metaFields), and the shipment joins that order, not
// the one its reference names; an unknown id leaves the reference to decide.
func TestAShipmentLinksToTheOrderWhoseIDTheProviderHandsBack(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			p := changesPipeline(t, st, 2, 1)
			commitOrderChanges(t, st, "c000", "order", model.Changes{Orders: []model.OrderUpdate{{AsOf: orderHour(1), Reference: "SHOP-1001", Status: model.OrderAccepted}}})
			commitOrderChanges(t, st, "c001", "decoy", model.Changes{Orders: []model.OrderUpdate{{AsOf: orderHour(1), Reference: "WH-77", Status: model.OrderAccepted}}})
			_, err := p.Drain(context.Background())
			require.NoError(t, err)
			shop := onlyOrder(t, st, "c000")

			commitOrderChanges(t, st, "c001", "by-id", model.Changes{Shipments: []model.ShipmentUpdate{{AsOf: orderHour(2), ProviderRef: "PARCEL-1", OrderReference: "WH-77", OrderID: shop.ID}}})
			commitOrderChanges(t, st, "c001", "unknown-id", model.Changes{Shipments: []model.ShipmentUpdate{{AsOf: orderHour(2), ProviderRef: "PARCEL-2", OrderReference: "WH-77", OrderID: shop.ID + 1000}}})
			_, err = p.Drain(context.Background())
			require.NoError(t, err)

			parcels, err := st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Connection: "c001"})
			require.NoError(t, err)
			ids := map[string]int64{}
			for _, s := range parcels {
				ids[s.ProviderRef] = s.ID
			}
			shop, decoy := onlyOrder(t, st, "c000"), onlyOrder(t, st, "c001")
			require.Equal(t, []int64{ids["PARCEL-1"]}, shop.ShipmentIDs, "the id the provider handed back decides")
			require.Equal(t, []int64{ids["PARCEL-2"]}, decoy.ShipmentIDs, "an id no order has leaves the reference to decide")
		})
	}
}

package pipeline_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	collected := time.Date(2024, 2, 23, 20, 20, 39, 0, time.UTC)
	tests := []struct {
		name        string
		start       model.Shipment
		update      model.ShipmentUpdate
		wantChanged bool
		check       func(t *testing.T, s *model.Shipment)
	}{
		{
			name:        "StatedFieldsReplaceStoredOnes",
			start:       model.Shipment{Carrier: "ups", TrackingNumber: "1Z"},
			update:      model.ShipmentUpdate{Carrier: "dhl"},
			wantChanged: true,
			check: func(t *testing.T, s *model.Shipment) {
				require.Equal(t, "dhl", s.Carrier)
				require.Equal(t, "1Z", s.TrackingNumber, "an empty field keeps what was known")
			},
		},
		{
			name:        "TheSameFactsChangeNothing",
			start:       model.Shipment{Carrier: "ups", References: []model.Reference{{Kind: "order", Value: "A"}}, CollectedAt: &collected},
			update:      model.ShipmentUpdate{Carrier: "ups", References: []model.Reference{{Kind: "order", Value: "A"}}, CollectedAt: &collected},
			wantChanged: false,
		},
		{
			name:        "ReferencesAccumulateWithoutDuplicates",
			start:       model.Shipment{References: []model.Reference{{Kind: "order", Value: "A"}}},
			update:      model.ShipmentUpdate{References: []model.Reference{{Kind: "order", Value: "A"}, {Kind: "barcode", Value: "B"}, {Kind: "container", Value: ""}}},
			wantChanged: true,
			check: func(t *testing.T, s *model.Shipment) {
				require.Equal(t, []model.Reference{{Kind: "order", Value: "A"}, {Kind: "barcode", Value: "B"}}, s.References)
			},
		},
		{
			name:        "AttributesAndAddressesAreCopied",
			update:      model.ShipmentUpdate{Attributes: map[string]string{"x_version": "1"}, ShippingAddress: &model.Address{City: "Vianen"}},
			wantChanged: true,
			check: func(t *testing.T, s *model.Shipment) {
				require.Equal(t, "1", s.Attributes["x_version"])
				require.Equal(t, "Vianen", s.ShippingAddress.City)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.start
			require.Equal(t, tt.wantChanged, pipeline.Merge(&s, &tt.update))
			if tt.check != nil {
				tt.check(t, &s)
			}
		})
	}
}

// statedAt is an update stating facts at hour h of one day.
func statedAt(h int, u model.ShipmentUpdate) model.ShipmentUpdate {
	u.AsOf = time.Date(2024, 5, 1, h, 0, 0, 0, time.UTC)
	return u
}

// TestMergeKeepsTheNewerStatement applies two statements of the same facts
// in both orders: the newer one wins, and of two of the same time the
// greater value, so arrival order never decides.
func TestMergeKeepsTheNewerStatement(t *testing.T) {
	t.Parallel()
	d1 := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	tests := []struct {
		name  string
		older model.ShipmentUpdate
		newer model.ShipmentUpdate
		check func(t *testing.T, s *model.Shipment)
	}{
		{"ALateExpectedDeliveryDoesNotOverturnANewerOne",
			statedAt(8, model.ShipmentUpdate{ExpectedDelivery: "2024-05-03"}), statedAt(9, model.ShipmentUpdate{ExpectedDelivery: "2024-05-04"}),
			func(t *testing.T, s *model.Shipment) { require.Equal(t, "2024-05-04", s.ExpectedDelivery) }},
		{"AnAttributeKeepsItsNewestValue",
			statedAt(8, model.ShipmentUpdate{Attributes: map[string]string{"newlead": "2024-05-02"}}), statedAt(9, model.ShipmentUpdate{Attributes: map[string]string{"newlead": "2024-05-03"}}),
			func(t *testing.T, s *model.Shipment) { require.Equal(t, "2024-05-03", s.Attributes["newlead"]) }},
		{"ATimeFieldKeepsItsNewestValue",
			statedAt(8, model.ShipmentUpdate{CollectedAt: &d1}), statedAt(9, model.ShipmentUpdate{CollectedAt: &d2}),
			func(t *testing.T, s *model.Shipment) { require.Equal(t, d2, *s.CollectedAt) }},
		{"AnOlderStatementStillFillsAFieldTheNewerOneLeftEmpty",
			statedAt(8, model.ShipmentUpdate{Carrier: "ups"}), statedAt(9, model.ShipmentUpdate{TrackingNumber: "1Z"}),
			func(t *testing.T, s *model.Shipment) {
				require.Equal(t, "ups", s.Carrier)
				require.Equal(t, "1Z", s.TrackingNumber)
			}},
		{"OfTwoStatementsOfTheSameTimeTheGreaterValueWins",
			statedAt(9, model.ShipmentUpdate{Carrier: "dhl"}), statedAt(9, model.ShipmentUpdate{Carrier: "ups"}),
			func(t *testing.T, s *model.Shipment) { require.Equal(t, "ups", s.Carrier) }},
		{"AnAddressKeepsItsNewestValue",
			statedAt(8, model.ShipmentUpdate{ShippingAddress: &model.Address{City: "Zonnewijk"}}), statedAt(9, model.ShipmentUpdate{ShippingAddress: &model.Address{City: "Vianen"}}),
			func(t *testing.T, s *model.Shipment) { require.Equal(t, "Vianen", s.ShippingAddress.City) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, order := range [][]model.ShipmentUpdate{{tt.older, tt.newer}, {tt.newer, tt.older}} {
				var s model.Shipment
				for i := range order {
					pipeline.Merge(&s, &order[i])
				}
				tt.check(t, &s)
			}
		})
	}
}

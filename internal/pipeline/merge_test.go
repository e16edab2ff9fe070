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

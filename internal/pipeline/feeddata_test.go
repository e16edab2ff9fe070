package pipeline

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// feedShipment is a shipment whose encoding has what encoding/json
// escapes or could compact differently: HTML characters, a line
// separator, non-ASCII text, nested events.
func feedShipment() *model.Shipment {
	at := time.Date(2026, 12, 1, 10, 30, 0, 123456789, time.UTC)
	return &model.Shipment{
		ID: 42, Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: "3SABC<&>1234",
		StatusPosition: model.StatusPosition{Status: model.StatusInTransit, Substatus: "sorted\u2028at hub", At: at}, ExpectedDelivery: "2026-12-03",
		Carrier: "Pakketdienst «Zuid» & Co", TrackingNumber: "3SABC1234567", CreatedAt: at, UpdatedAt: at.Add(time.Hour),
		Attributes: map[string]string{"x-version": "2 > 1"},
		Events:     []model.Event{{ID: 7, Status: model.StatusInTransit, Labels: map[string]string{"nl": "Gescand in «Utrecht»"}, Description: "<b>Scanned</b> in Utrecht", OccurredAt: at}},
	}
}

// TestWithShipmentEncodesAsMarshal: for every shipment feed type, the data
// withShipment writes are json.Marshal's bytes for the data with the
// shipment set.
func TestWithShipmentEncodesAsMarshal(t *testing.T) {
	t.Parallel()
	s := feedShipment()
	shipment, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		without, with any
	}{
		{"created", ShipmentCreated{}, ShipmentCreated{Shipment: shipment}},
		{"event added", EventAdded{ShipmentID: s.ID, Event: &s.Events[0]}, EventAdded{ShipmentID: s.ID, Event: &s.Events[0], Shipment: shipment}},
		{"status changed", StatusChanged{ShipmentID: s.ID, PreviousStatus: model.StatusPending, Status: s.Status, Substatus: s.Substatus},
			StatusChanged{ShipmentID: s.ID, PreviousStatus: model.StatusPending, Status: s.Status, Substatus: s.Substatus, Shipment: shipment}},
		{"status changed, no substatus", StatusChanged{ShipmentID: s.ID, Status: s.Status}, StatusChanged{ShipmentID: s.ID, Status: s.Status, Shipment: shipment}},
		{"edd changed", EDDChanged{ShipmentID: s.ID, PreviousExpectedDelivery: "2026-12-02", ExpectedDelivery: s.ExpectedDelivery},
			EDDChanged{ShipmentID: s.ID, PreviousExpectedDelivery: "2026-12-02", ExpectedDelivery: s.ExpectedDelivery, Shipment: shipment}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := withShipment(tc.without, shipment)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(tc.with)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("withShipment:\n%s\njson.Marshal:\n%s", got, want)
			}
		})
	}
}

// TestWithShipmentRefusesADataTypeItCannotSplice: a type whose last field
// is not the shipment, or no shipment at all, is an error, not bad JSON.
func TestWithShipmentRefusesADataTypeItCannotSplice(t *testing.T) {
	t.Parallel()
	type shipmentFirst struct {
		Shipment json.RawMessage `json:"shipment"`
		ID       int64           `json:"id"`
	}
	if b, err := withShipment(shipmentFirst{ID: 1}, json.RawMessage(`{}`)); err == nil {
		t.Fatalf("withShipment of a type with the shipment first: %s, want an error", b)
	}
	if b, err := withShipment(ShipmentCreated{}, nil); err == nil {
		t.Fatalf("withShipment without a shipment: %s, want an error", b)
	}
}

// BenchmarkFeedData encodes the three feed events of a new courier
// shipment's first update, as applyUpdate does: withShipment against
// json.Marshal of the data with the shipment in it.
func BenchmarkFeedData(b *testing.B) {
	s := feedShipment()
	shipment, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("withShipment", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range []any{ShipmentCreated{}, EventAdded{ShipmentID: s.ID, Event: &s.Events[0]}, StatusChanged{ShipmentID: s.ID, Status: s.Status}} {
				if _, err := withShipment(d, shipment); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range []any{ShipmentCreated{Shipment: shipment}, EventAdded{ShipmentID: s.ID, Event: &s.Events[0], Shipment: shipment}, StatusChanged{ShipmentID: s.ID, Status: s.Status, Shipment: shipment}} {
				if _, err := json.Marshal(d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

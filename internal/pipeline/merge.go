package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Merge applies the facts of an update to a shipment: a field the update
// states replaces the stored one, a field it leaves empty keeps what the hub
// knew, references and attributes accumulate. Events and status are not
// touched here. It reports whether anything changed.
//
// A stated field replaces the stored one only when the update is at least
// as new as the statement that set it (the field's time in FactTimes):
// messages that arrive late or out of order do not overturn newer facts. Of
// two statements of the same time, the greater value wins, so the outcome
// does not depend on the order of arrival either. An update without a time
// (no AsOf and no events) replaces whatever is stored.
func Merge(s *model.Shipment, u *model.ShipmentUpdate) bool {
	asOf := updateTime(u)
	changed := false
	// wins reports whether the update's statement of field, which differs
	// from the stored value when differs is set and is the greater one when
	// greater is set, replaces the stored one; it records the field's time.
	wins := func(field string, differs, greater bool) bool {
		prev, known := s.FactTimes[field]
		var win bool
		switch {
		case asOf.IsZero():
			win = true
			if known {
				delete(s.FactTimes, field)
				changed = true
			}
			return win
		case !known || asOf.After(prev):
			win = true
		case asOf.Equal(prev):
			win = differs && greater
		}
		if win && (!known || !asOf.Equal(prev)) {
			if s.FactTimes == nil {
				s.FactTimes = map[string]time.Time{}
			}
			s.FactTimes[field] = asOf
			changed = true // the time is stored with the shipment
		}
		return win
	}
	str := func(field string, dst *string, v string) {
		if v != "" && wins(field, *dst != v, v > *dst) && *dst != v {
			*dst = v
			changed = true
		}
	}
	str("carrier", &s.Carrier, u.Carrier)
	str("method", &s.Method, u.Method)
	str("tracking_number", &s.TrackingNumber, u.TrackingNumber)
	str("tracking_url", &s.TrackingURL, u.TrackingURL)
	str("order_reference", &s.OrderReference, u.OrderReference)
	str("po_number", &s.PONumber, u.PONumber)
	str("currency", &s.Currency, u.Currency)
	str("expected_delivery", &s.ExpectedDelivery, u.ExpectedDelivery)

	tm := func(field string, dst **time.Time, v *time.Time) {
		if v == nil {
			return
		}
		differs := *dst == nil || !(*dst).Equal(*v)
		if wins(field, differs, *dst == nil || v.After(**dst)) && differs {
			t := v.UTC()
			*dst = &t
			changed = true
		}
	}
	tm("collected_at", &s.CollectedAt, u.CollectedAt)
	tm("delivered_at", &s.DeliveredAt, u.DeliveredAt)

	if u.Items != nil {
		differs := !slices.EqualFunc(s.Items, u.Items, itemEqual)
		if wins("items", differs, differs && encoded(u.Items) > encoded(s.Items)) && differs {
			s.Items = slices.Clone(u.Items)
			changed = true
		}
	}
	addr := func(field string, dst **model.Address, v *model.Address) {
		if v == nil {
			return
		}
		differs := *dst == nil || **dst != *v
		if wins(field, differs, differs && (*dst == nil || encoded(v) > encoded(*dst))) && differs {
			a := *v
			*dst = &a
			changed = true
		}
	}
	addr("shipping_address", &s.ShippingAddress, u.ShippingAddress)
	addr("origin_address", &s.OriginAddress, u.OriginAddress)

	added := false
	for _, r := range u.References {
		if r.Value != "" && !slices.Contains(s.References, r) {
			s.References = append(s.References, r)
			added = true
		}
	}
	if added {
		// A set, kept in one order whatever order the messages that named
		// them arrived in.
		slices.SortStableFunc(s.References, compareReferences)
		changed = true
	}
	for k, v := range u.Attributes {
		old, ok := s.Attributes[k]
		differs := !ok || old != v
		if wins("attributes."+k, differs, !ok || v > old) && differs {
			if s.Attributes == nil {
				s.Attributes = map[string]string{}
			}
			s.Attributes[k] = v
			changed = true
		}
	}
	if s.Attributes != nil && len(s.Attributes) == 0 {
		s.Attributes = nil
	}
	return changed
}

// updateTime is when an update's facts were stated: its AsOf, or else the
// time of its newest event; zero when it has neither.
func updateTime(u *model.ShipmentUpdate) time.Time {
	if !u.AsOf.IsZero() {
		return u.AsOf.UTC()
	}
	var t time.Time
	for i := range u.Events {
		if u.Events[i].OccurredAt.After(t) {
			t = u.Events[i].OccurredAt
		}
	}
	return t.UTC()
}

// encoded is v as JSON, to order two values of the same time.
func encoded(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// referenceKinds is the order references are kept in: the provider's own
// keys first, then what a carrier or a merchant names the parcel by.
var referenceKinds = []string{
	model.RefOrder, model.RefShipment, model.RefTrackingNumber, model.RefBarcode, model.RefContainer,
	model.RefMerchant, model.RefPONumber, model.RefExternalOrder,
}

func compareReferences(a, b model.Reference) int {
	rank := func(kind string) int {
		if i := slices.Index(referenceKinds, kind); i >= 0 {
			return i
		}
		return len(referenceKinds)
	}
	if c := rank(a.Kind) - rank(b.Kind); c != 0 {
		return c
	}
	if a.Kind != b.Kind {
		return strings.Compare(a.Kind, b.Kind)
	}
	return strings.Compare(a.Value, b.Value)
}

func itemEqual(a, b model.Item) bool {
	return a.SKU == b.SKU && a.ParentSKU == b.ParentSKU && a.MPN == b.MPN && a.Name == b.Name &&
		a.Manufacturer == b.Manufacturer && a.Size == b.Size && a.Quantity == b.Quantity &&
		floatPtrEqual(a.UnitPrice, b.UnitPrice) && floatPtrEqual(a.RowTotal, b.RowTotal)
}

func floatPtrEqual(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

package pipeline

import (
	"slices"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Merge applies the facts of an update to a shipment: a field the update
// states replaces the stored one, a field it leaves empty keeps what the hub
// knew, references and attributes accumulate. Events and status are not
// touched here. It reports whether anything changed.
func Merge(s *model.Shipment, u *model.ShipmentUpdate) bool {
	changed := false
	str := func(dst *string, v string) {
		if v != "" && *dst != v {
			*dst = v
			changed = true
		}
	}
	str(&s.Carrier, u.Carrier)
	str(&s.Method, u.Method)
	str(&s.TrackingNumber, u.TrackingNumber)
	str(&s.TrackingURL, u.TrackingURL)
	str(&s.OrderReference, u.OrderReference)
	str(&s.PONumber, u.PONumber)
	str(&s.Currency, u.Currency)
	str(&s.ExpectedDelivery, u.ExpectedDelivery)

	tm := func(dst **time.Time, v *time.Time) {
		if v != nil && (*dst == nil || !(*dst).Equal(*v)) {
			t := v.UTC()
			*dst = &t
			changed = true
		}
	}
	tm(&s.CollectedAt, u.CollectedAt)
	tm(&s.DeliveredAt, u.DeliveredAt)

	if u.Items != nil && !slices.EqualFunc(s.Items, u.Items, itemEqual) {
		s.Items = slices.Clone(u.Items)
		changed = true
	}
	if u.ShippingAddress != nil && (s.ShippingAddress == nil || *s.ShippingAddress != *u.ShippingAddress) {
		a := *u.ShippingAddress
		s.ShippingAddress = &a
		changed = true
	}
	if u.OriginAddress != nil && (s.OriginAddress == nil || *s.OriginAddress != *u.OriginAddress) {
		a := *u.OriginAddress
		s.OriginAddress = &a
		changed = true
	}
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
		if s.Attributes == nil {
			s.Attributes = map[string]string{}
		}
		if old, ok := s.Attributes[k]; !ok || old != v {
			s.Attributes[k] = v
			changed = true
		}
	}
	if s.Attributes != nil && len(s.Attributes) == 0 {
		s.Attributes = nil
	}
	return changed
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

package model_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shiphub/shiphub/internal/model"
)

// FuzzValidateEventFilter feeds endpoint event filters (merchant input): a
// filter is accepted exactly when it is *, an emitted type, or the resource
// of an emitted type followed by .*; whatever is accepted matches some
// emitted type, so no accepted subscription waits for nothing.
func FuzzValidateEventFilter(f *testing.F) {
	for _, s := range []string{"*", "shipment.*", "shipment.created", "stock.changed", "stock.*", "", ".*", "shipment.", "**"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		err := model.ValidateEventFilter(filter)
		matches := false
		for _, typ := range model.EventTypes {
			matches = matches || model.MatchEventType([]string{filter}, typ)
		}
		resource, _, _ := strings.Cut(filter, ".")
		want := filter == "*" || slices.Contains(model.EventTypes, filter) || (filter == resource+".*" && matches)
		if (err == nil) != want {
			t.Fatalf("ValidateEventFilter(%q) = %v, want accepted=%v", filter, err, want)
		}
		if err == nil && !matches {
			t.Fatalf("%q is accepted but matches no emitted type", filter)
		}
	})
}

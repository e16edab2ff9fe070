package gcl_test

import "github.com/shiphub/shiphub/internal/model"

// shipments is what a test of Normalize looks at: the change set's
// shipment updates (the only kind this provider states), for the golden
// files of updates.
func shipments(c model.Changes, err error) ([]model.ShipmentUpdate, error) {
	return c.Shipments, err
}

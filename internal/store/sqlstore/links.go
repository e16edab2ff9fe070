package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// linkCandidates bounds the shipments ShipmentByTrackingNumber reads for
// one number: a workspace has one shipment of a parcel per connection that
// knows it, and a reference shared by more is not a tracking number.
const linkCandidates = 50

// cached returns the shipment with that id this transaction holds, if any.
func (t *tx) cached(workspace string, id int64) *model.Shipment {
	for _, sh := range t.cache {
		if sh.ID == id && sh.Workspace == workspace {
			return sh
		}
	}
	return nil
}

// ShipmentByID returns one shipment of the workspace, locked for update
// where the database needs it, without events; or ErrNotFound. Within one
// transaction it returns the same *Shipment as ShipmentByRef does.
func (t *tx) ShipmentByID(ctx context.Context, workspace string, id int64) (*model.Shipment, error) {
	if sh := t.cached(workspace, id); sh != nil {
		return sh, nil
	}
	sh, err := scanShipment(t.queryRow(ctx, t.s.q.shipmentByID, id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding shipment %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding shipment %d: %w", id, err)
	}
	t.rememberRefs(sh)
	t.keep(refKey(sh.Workspace, sh.Connection, sh.ProviderRef), sh)
	return sh, nil
}

// ShipmentByTrackingNumber returns the oldest shipment of the workspace,
// of any connection but except, whose tracking number is number, locked
// for update where the database needs it, without events; or ErrNotFound.
// Shipments inserted or changed earlier in the transaction count as they
// stand now.
func (t *tx) ShipmentByTrackingNumber(ctx context.Context, workspace, number, except string) (*model.Shipment, error) {
	var best *model.Shipment
	consider := func(sh *model.Shipment) {
		if sh.Workspace == workspace && sh.Connection != except && sh.TrackingNumber == number && (best == nil || sh.ID < best.ID) {
			best = sh
		}
	}
	for _, sh := range t.cache {
		consider(sh)
	}
	rows, err := t.tx.QueryContext(ctx, t.s.q.shipmentsByRefValue, workspace, number, except, linkCandidates)
	if err != nil {
		return nil, fmt.Errorf("finding the shipment of tracking number %q: %w", number, err)
	}
	var found []*model.Shipment
	for rows.Next() {
		sh, err := scanShipment(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("finding the shipment of tracking number %q: %w", number, err)
		}
		found = append(found, sh)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("finding the shipment of tracking number %q: %w", number, err)
	}
	for _, sh := range found {
		if c := t.cached(workspace, sh.ID); c != nil {
			sh = c // as this transaction changed it
		}
		consider(sh)
	}
	if best == nil {
		return nil, fmt.Errorf("finding the shipment of tracking number %q: %w", number, store.ErrNotFound)
	}
	if t.cached(workspace, best.ID) == nil {
		t.rememberRefs(best)
		t.keep(refKey(best.Workspace, best.Connection, best.ProviderRef), best)
	}
	return best, nil
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
)

// Numbered rows (Dialect.LastID, SQLite): the apply transaction holds the
// only write lock, so it can number new shipments and events itself, after
// the last ids their tables handed out, and write a new shipment once, at
// flush, as it stands, with its events after it. Its events cannot be
// written before it (their foreign key), and deferring the foreign keys is
// no way round that on SQLite: PRAGMA defer_foreign_keys expires every
// prepared statement of the connection, so each transaction would parse
// and plan all of them again.
//
// Once a transaction numbers events, every event it inserts takes a number,
// those of shipments already stored too: SQLite's own next id would be one
// the transaction has handed out and not yet inserted.

// nextID numbers a new row of table after *last, reading the table's last
// id first when *last is still 0.
func (t *tx) nextID(ctx context.Context, table string, last *int64) (int64, error) {
	if *last == 0 {
		if err := t.queryRow(ctx, t.s.dialect.LastID, table).Scan(last); err != nil {
			return 0, fmt.Errorf("reading the last id of %s: %w", table, err)
		}
	}
	*last++
	return *last, nil
}

// insertEventNumbered inserts an event with a number of the transaction's:
// an event of a shipment still to be inserted is kept for flush (a
// duplicate of one kept already is left out); another is inserted at once,
// numbered once the transaction numbers events. ok is false where neither
// applies, and the event is inserted as usual.
func (t *tx) insertEventNumbered(ctx context.Context, shipmentID int64, e *model.Event, doc []byte) (inserted, ok bool, err error) {
	if t.s.dialect.LastID == "" || t.behind {
		return false, false, nil
	}
	if t.pendingShips[shipmentID] == nil {
		if t.lastEventID == 0 {
			return false, false, nil
		}
		_, inserted, err := t.insertID(ctx, t.s.q.eventInsertID, t.lastEventID+1, shipmentID, dedupArg(e.DedupKey), micros(e.OccurredAt), string(doc), string(e.Status))
		if err != nil {
			return false, true, fmt.Errorf("inserting event %q of shipment %d: %w", e.DedupKey, shipmentID, err)
		}
		if inserted {
			t.lastEventID++
			e.ID = t.lastEventID
		}
		return inserted, true, nil
	}
	k := evKey{shipmentID, e.DedupKey}
	if e.DedupKey != "" {
		if t.pendingEvKeys[k] {
			return false, true, nil
		}
		if t.pendingEvKeys == nil {
			t.pendingEvKeys = map[evKey]bool{}
		}
		t.pendingEvKeys[k] = true
	}
	id, err := t.nextID(ctx, "events", &t.lastEventID)
	if err != nil {
		return false, true, fmt.Errorf("inserting event %q of shipment %d: %w", e.DedupKey, shipmentID, err)
	}
	t.newEvents = append(t.newEvents, eventRow{id: id, shipmentID: shipmentID, dedup: e.DedupKey,
		occurredAt: micros(e.OccurredAt), doc: string(doc), status: string(e.Status)})
	e.ID = id
	return true, true, nil
}

// insertNumbered inserts the numbered shipments as they stand, then their
// events, one prepared statement a row: SQLite runs it in process, and a
// multi-row INSERT is a new text, parsed and planned again, for every
// count of rows. Shipments and events go together, so that an event
// inserted later finds its shipment's earlier ones stored.
func (t *tx) insertNumbered(ctx context.Context) error {
	for _, s := range t.newShips {
		doc, err := shipmentDoc(s)
		if err != nil {
			return fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
		}
		if _, err := t.exec(ctx, t.s.q.shipmentInsertID, s.ID, s.Workspace, s.Connection, s.Provider, s.ProviderRef,
			refKey(s.Workspace, s.Connection, s.ProviderRef), string(s.Status), s.EventID, doc, micros(s.CreatedAt), micros(s.UpdatedAt)); err != nil {
			return fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
		}
	}
	for i := range t.newEvents {
		r := &t.newEvents[i]
		if _, err := t.exec(ctx, t.s.q.eventInsertID, r.id, r.shipmentID, dedupArg(r.dedup), r.occurredAt, r.doc, r.status); err != nil {
			return fmt.Errorf("inserting event %q of shipment %d: %w", r.dedup, r.shipmentID, err)
		}
	}
	t.newShips, t.newEvents = t.newShips[:0], t.newEvents[:0]
	clear(t.pendingShips)
	clear(t.pendingEvKeys)
	return nil
}

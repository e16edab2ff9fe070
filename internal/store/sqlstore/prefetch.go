package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Prefetcher = (*tx)(nil)

// evKey is one event dedup key of one shipment.
type evKey struct {
	shipmentID int64
	dedup      string
}

// eventRow is an event written behind: flush inserts it.
type eventRow struct {
	id, shipmentID     int64
	occurredAt         int64
	dedup, doc, status string // an empty dedup is NULL
}

// Prefetch implements store.Prefetcher where the dialect asks for it
// (Dialect.Prefetch); elsewhere it does nothing. It loads and locks the
// shipments, orders and stock rows p names with one statement each (per
// connection for orders and stock), remembers the ones that do not exist,
// reads which of p's event keys those shipments already hold, and
// allocates ids for p.Events new events, so that InsertEvent can write
// them behind. From then on the transaction writes the updates of the
// orders and stock rows it holds behind as well (flush).
func (t *tx) Prefetch(ctx context.Context, p store.Prefetch) error {
	if !t.s.dialect.Prefetch {
		return nil
	}
	ids, err := t.prefetchShipments(ctx, p.Shipments)
	if err != nil {
		return err
	}
	if err := t.prefetchEventKeys(ctx, ids, p.EventKeys); err != nil {
		return err
	}
	if err := t.prefetchOrders(ctx, p.Orders); err != nil {
		return err
	}
	if err := t.prefetchStock(ctx, p.Stock); err != nil {
		return err
	}
	newMutations, err := t.prefetchStockMutations(ctx, p.StockMutations)
	if err != nil {
		return err
	}
	t.behind = true
	if t.eventIDs, err = t.nextIDs(ctx, "events", p.Events); err != nil {
		return err
	}
	// A new shipment is one of those the batch names that is missing.
	if t.shipIDs, err = t.nextIDs(ctx, "shipments", len(t.missing)); err != nil {
		return err
	}
	if t.smIDs, err = t.nextIDs(ctx, "stock_mutations", newMutations); err != nil {
		return err
	}
	return nil
}

// nextIDs allocates n ids of the table's identity column (Dialect.NextIDs),
// in ascending order, as the database's own inserts would number the rows.
func (t *tx) nextIDs(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 || t.s.dialect.NextIDs == "" {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(ctx, t.s.dialect.NextIDs, table, n)
	if err != nil {
		return nil, fmt.Errorf("allocating %d ids of %s: %w", n, table, err)
	}
	defer func() { _ = rows.Close() }()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("allocating %d ids of %s: %w", n, table, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("allocating %d ids of %s: %w", n, table, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// prefetchShipments loads the named shipments into the cache and marks the
// ones missing, returning the ids of those found.
func (t *tx) prefetchShipments(ctx context.Context, names []store.RefKey) ([]int64, error) {
	keys := make([]string, 0, len(names))
	for _, n := range names {
		k := refKey(n.Workspace, n.Connection, n.Reference)
		if _, ok := t.cache[k]; !ok && !t.missing[k] && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+shipmentColumns+` FROM shipments WHERE ref_key = ANY($1) ORDER BY id`+t.s.dialect.LockSuffix, keys)
	if err != nil {
		return nil, fmt.Errorf("loading %d shipments: %w", len(keys), err)
	}
	defer func() { _ = rows.Close() }()
	found := make(map[string]bool, len(keys))
	var ids []int64
	for rows.Next() {
		sh, err := scanShipment(rows)
		if err != nil {
			return nil, fmt.Errorf("loading %d shipments: %w", len(keys), err)
		}
		k := refKey(sh.Workspace, sh.Connection, sh.ProviderRef)
		found[k] = true
		t.rememberRefs(sh)
		t.keep(k, sh)
		ids = append(ids, sh.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading %d shipments: %w", len(keys), err)
	}
	if t.missing == nil {
		t.missing = map[string]bool{}
	}
	for _, k := range keys {
		if !found[k] {
			t.missing[k] = true
		}
	}
	return ids, nil
}

// prefetchEventKeys reads which of the keys the shipments already hold:
// InsertEvent then knows, for those shipments and keys, whether an event
// is new without asking.
func (t *tx) prefetchEventKeys(ctx context.Context, ids []int64, keys []string) error {
	if t.evAsked == nil {
		t.evAsked, t.evShip, t.evHave = map[string]bool{}, map[int64]bool{}, map[evKey]bool{}
	}
	for _, k := range keys {
		t.evAsked[k] = true
	}
	for _, id := range ids {
		t.evShip[id] = true
	}
	if len(ids) == 0 || len(keys) == 0 {
		return nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT shipment_id, dedup_key FROM events WHERE shipment_id = ANY($1) AND dedup_key = ANY($2)`, ids, keys)
	if err != nil {
		return fmt.Errorf("reading the events of %d shipments: %w", len(ids), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var k evKey
		if err := rows.Scan(&k.shipmentID, &k.dedup); err != nil {
			return fmt.Errorf("reading the events of %d shipments: %w", len(ids), err)
		}
		t.evHave[k] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the events of %d shipments: %w", len(ids), err)
	}
	return nil
}

// prefetchOrders loads the named orders into the cache, one statement per
// connection, and marks the ones missing.
func (t *tx) prefetchOrders(ctx context.Context, names []store.RefKey) error {
	byConn := map[[2]string][]string{}
	var conns [][2]string
	for _, n := range names {
		k := refKey(n.Workspace, n.Connection, n.Reference)
		if _, ok := t.orders[k]; ok || t.orderMissing[k] {
			continue
		}
		c := [2]string{n.Workspace, n.Connection}
		if _, ok := byConn[c]; !ok {
			conns = append(conns, c)
		}
		if !slices.Contains(byConn[c], n.Reference) {
			byConn[c] = append(byConn[c], n.Reference)
		}
	}
	for _, c := range conns {
		refs := byConn[c]
		if err := t.prefetchOrdersOf(ctx, c[0], c[1], refs); err != nil {
			return fmt.Errorf("loading %d orders of connection %q: %w", len(refs), c[1], err)
		}
	}
	return nil
}

func (t *tx) prefetchOrdersOf(ctx context.Context, workspace, connection string, refs []string) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE workspace = $1 AND connection = $2 AND reference = ANY($3) ORDER BY id`+t.s.dialect.LockSuffix,
		workspace, connection, refs)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	found := make(map[string]bool, len(refs))
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return err
		}
		found[o.Reference] = true
		t.keepOrder(refKey(o.Workspace, o.Connection, o.Reference), o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if t.orderMissing == nil {
		t.orderMissing = map[string]bool{}
	}
	for _, r := range refs {
		if !found[r] {
			t.orderMissing[refKey(workspace, connection, r)] = true
		}
	}
	return nil
}

// insertEventBehind queues a new event for flush when the transaction
// knows it is not a duplicate and has an id for it; ok is false when the
// event must be inserted at once instead.
func (t *tx) insertEventBehind(shipmentID int64, e *model.Event, doc []byte) (inserted, ok bool) {
	k := evKey{shipmentID, e.DedupKey}
	if e.DedupKey != "" && t.evHave[k] {
		return false, true // stored, or added by this transaction
	}
	if len(t.eventIDs) == 0 {
		return false, false
	}
	if e.DedupKey != "" {
		if !t.evFresh[shipmentID] && !(t.evShip[shipmentID] && t.evAsked[e.DedupKey]) {
			return false, false
		}
		t.evHave[k] = true
	}
	id := t.eventIDs[0]
	t.eventIDs = t.eventIDs[1:]
	t.newEvents = append(t.newEvents, eventRow{id: id, shipmentID: shipmentID, dedup: e.DedupKey,
		occurredAt: micros(e.OccurredAt), doc: string(doc), status: string(e.Status)})
	e.ID = id
	return true, true
}

// flushEvents writes the events written behind with one INSERT of unnested
// arrays: one statement text whatever the count, so the driver prepares
// it once (a multi-row VALUES list is a new statement, and a new prepare
// and plan, for every row count).
func (t *tx) flushEvents(ctx context.Context) error {
	if len(t.newEvents) == 0 {
		return nil
	}
	n := len(t.newEvents)
	ids, ships, occurred := make([]int64, n), make([]int64, n), make([]int64, n)
	dedups := make([]*string, n)
	docs, statuses := make([]string, n), make([]string, n)
	for i := range t.newEvents {
		r := &t.newEvents[i]
		ids[i], ships[i], occurred[i], docs[i], statuses[i] = r.id, r.shipmentID, r.occurredAt, r.doc, r.status
		if r.dedup != "" {
			dedups[i] = &r.dedup
		}
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO events (id, shipment_id, dedup_key, occurred_at, doc, status)`+t.s.dialect.OverrideIDs+
		` SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[])`,
		ids, ships, dedups, occurred, docs, statuses); err != nil {
		return fmt.Errorf("inserting %d events: %w", n, err)
	}
	t.newEvents = t.newEvents[:0]
	return nil
}

// stockKey is the cache key of a stock row. NUL cannot occur in the
// values (the pipeline's checkKey), so the key is unambiguous.
func stockKey(workspace, connection, sku, warehouse string) string {
	return workspace + "\x00" + connection + "\x00" + sku + "\x00" + warehouse
}

func (t *tx) keepStock(s *model.Stock) {
	if t.stock == nil {
		t.stock = map[string]*model.Stock{}
	}
	t.stock[stockKey(s.Workspace, s.Connection, s.SKU, s.Warehouse)] = s
}

// prefetchStock loads the named stock rows into the cache, one statement
// per connection, and marks the ones missing.
func (t *tx) prefetchStock(ctx context.Context, names []store.StockKey) error {
	type conn struct{ workspace, connection string }
	byConn := map[conn][]store.StockKey{}
	var conns []conn
	seen := map[string]bool{}
	for _, n := range names {
		k := stockKey(n.Workspace, n.Connection, n.SKU, n.Warehouse)
		if _, ok := t.stock[k]; ok || t.stockMissing[k] || seen[k] {
			continue
		}
		seen[k] = true
		c := conn{n.Workspace, n.Connection}
		if _, ok := byConn[c]; !ok {
			conns = append(conns, c)
		}
		byConn[c] = append(byConn[c], n)
	}
	if t.stockMissing == nil {
		t.stockMissing = map[string]bool{}
	}
	for _, c := range conns {
		keys := byConn[c]
		skus, whs := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			skus[i], whs[i] = k.SKU, k.Warehouse
		}
		if err := t.prefetchStockOf(ctx, c.workspace, c.connection, skus, whs); err != nil {
			return fmt.Errorf("loading %d stock rows of connection %q: %w", len(keys), c.connection, err)
		}
		for _, k := range keys {
			key := stockKey(k.Workspace, k.Connection, k.SKU, k.Warehouse)
			if _, ok := t.stock[key]; !ok {
				t.stockMissing[key] = true
			}
		}
	}
	return nil
}

func (t *tx) prefetchStockOf(ctx context.Context, workspace, connection string, skus, warehouses []string) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+stockColumns+` FROM stock WHERE workspace = $1 AND connection = $2
		AND (sku, warehouse) IN (SELECT * FROM unnest($3::text[], $4::text[])) ORDER BY id`+t.s.dialect.LockSuffix,
		workspace, connection, skus, warehouses)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		s, err := scanStock(rows)
		if err != nil {
			return err
		}
		t.keepStock(s)
	}
	return rows.Err()
}

// orderBehind queues an update of an order this transaction holds for
// flush; false means it holds another copy, or none, and the update is
// written at once.
func (t *tx) orderBehind(o *model.Order) bool {
	cached, ok := t.orders[refKey(o.Workspace, o.Connection, o.Reference)]
	if !ok || cached.ID != o.ID {
		return false
	}
	if cached != o {
		*cached = *o
	}
	if !slices.Contains(t.dirtyOrders, cached) {
		t.dirtyOrders = append(t.dirtyOrders, cached)
	}
	return true
}

// stockBehind is orderBehind for stock rows.
func (t *tx) stockBehind(s *model.Stock) bool {
	cached, ok := t.stock[stockKey(s.Workspace, s.Connection, s.SKU, s.Warehouse)]
	if !ok || cached.ID != s.ID {
		return false
	}
	if cached != s {
		*cached = *s
	}
	if !slices.Contains(t.dirtyStock, cached) {
		t.dirtyStock = append(t.dirtyStock, cached)
	}
	return true
}

// flushOrders writes the order updates written behind with one UPDATE
// from unnested arrays (see flushEvents).
func (t *tx) flushOrders(ctx context.Context) error {
	if len(t.dirtyOrders) == 0 {
		return nil
	}
	n := len(t.dirtyOrders)
	ids, updated := make([]int64, n), make([]int64, n)
	prefs, statuses, docs := make([]string, n), make([]string, n), make([]string, n)
	for i, o := range t.dirtyOrders {
		doc, err := orderDoc(o)
		if err != nil {
			return fmt.Errorf("updating order %d: %w", o.ID, err)
		}
		ids[i], prefs[i], statuses[i], docs[i], updated[i] = o.ID, o.ProviderRef, string(o.Status), doc, micros(o.UpdatedAt)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE orders SET provider_ref = v.provider_ref, status = v.status, doc = v.doc, updated_at = v.updated_at
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS v (id, provider_ref, status, doc, updated_at)
		WHERE orders.id = v.id`, ids, prefs, statuses, docs, updated); err != nil {
		return fmt.Errorf("updating %d orders: %w", n, err)
	}
	t.dirtyOrders = t.dirtyOrders[:0]
	return nil
}

// flushStock writes the stock updates written behind with one UPDATE from
// unnested arrays (see flushEvents).
func (t *tx) flushStock(ctx context.Context) error {
	if len(t.dirtyStock) == 0 {
		return nil
	}
	n := len(t.dirtyStock)
	ids, updated, docs := make([]int64, n), make([]int64, n), make([]string, n)
	for i, s := range t.dirtyStock {
		doc, err := encodeDoc(storedStock{Stock: s, FactTimes: s.FactTimes})
		if err != nil {
			return fmt.Errorf("updating stock %d: %w", s.ID, err)
		}
		ids[i], docs[i], updated[i] = s.ID, doc, micros(s.UpdatedAt)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE stock SET doc = v.doc, updated_at = v.updated_at
		FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v (id, doc, updated_at) WHERE stock.id = v.id`, ids, docs, updated); err != nil {
		return fmt.Errorf("updating %d stock rows: %w", n, err)
	}
	t.dirtyStock = t.dirtyStock[:0]
	return nil
}

// linkRow is an order link written behind: the order reference a shipment
// names, or none (the link is removed).
type linkRow struct {
	shipmentID                            int64
	workspace, connection, orderReference string
}

func (t *tx) linkBehind(l linkRow) {
	if t.links == nil {
		t.links = map[int64]linkRow{}
	}
	if _, ok := t.links[l.shipmentID]; !ok {
		t.linkOrder = append(t.linkOrder, l.shipmentID)
	}
	t.links[l.shipmentID] = l
}

// insertShipmentBehind gives a new shipment an id, allocated by Prefetch
// or numbered by the transaction (Dialect.LastID, numbered.go), and leaves
// its insert to flushPending; false means it has no id, and it is inserted
// at once.
func (t *tx) insertShipmentBehind(ctx context.Context, s *model.Shipment) (bool, error) {
	switch {
	case t.behind && len(t.shipIDs) > 0:
		s.ID = t.shipIDs[0]
		t.shipIDs = t.shipIDs[1:]
	case !t.behind && t.s.dialect.LastID != "":
		id, err := t.nextID(ctx, "shipments", &t.lastShipID)
		if err != nil {
			return false, fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
		}
		s.ID = id
	default:
		return false, nil
	}
	if t.pendingShips == nil {
		t.pendingShips = map[int64]*model.Shipment{}
	}
	t.pendingShips[s.ID] = s
	t.newShips = append(t.newShips, s)
	if t.behind {
		t.linkedRef(s.ID, "") // a new shipment has no link stored
	}
	t.inserted(s)
	return true, nil
}

// flushPending writes the shipments and order links written behind, for a
// statement that reads them (OrderShipmentIDs) and before the rest of
// flush, whose rows refer to the shipments.
func (t *tx) flushPending(ctx context.Context) error {
	if err := t.flushShipmentInserts(ctx); err != nil {
		return err
	}
	return t.flushLinks(ctx)
}

// flushShipmentInserts inserts the new shipments as they stand, with one
// INSERT of unnested arrays (see flushEvents).
func (t *tx) flushShipmentInserts(ctx context.Context) error {
	if len(t.newShips) == 0 {
		return nil
	}
	if !t.behind {
		return t.insertNumbered(ctx)
	}
	n := len(t.newShips)
	ids, eventIDs, created, updated := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	wss, conns, provs, refs, keys, statuses, docs := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, s := range t.newShips {
		doc, err := shipmentDoc(s)
		if err != nil {
			return fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
		}
		ids[i], wss[i], conns[i], provs[i], refs[i] = s.ID, s.Workspace, s.Connection, s.Provider, s.ProviderRef
		keys[i], statuses[i], eventIDs[i], docs[i] = refKey(s.Workspace, s.Connection, s.ProviderRef), string(s.Status), s.EventID, doc
		created[i], updated[i] = micros(s.CreatedAt), micros(s.UpdatedAt)
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO shipments (id, workspace, connection, provider, provider_ref, ref_key, status, status_event_id, doc, created_at, updated_at)`+
		t.s.dialect.OverrideIDs+` SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[])`,
		ids, wss, conns, provs, refs, keys, statuses, eventIDs, docs, created, updated); err != nil {
		return fmt.Errorf("inserting %d shipments: %w", n, err)
	}
	t.newShips = t.newShips[:0]
	clear(t.pendingShips)
	return nil
}

// flushLinks writes the order links written behind: one DELETE for the
// shipments whose link is removed, one upsert of unnested arrays for the
// others (see flushEvents).
func (t *tx) flushLinks(ctx context.Context) error {
	var gone, ids []int64
	var wss, conns, refs []string
	for _, id := range t.linkOrder {
		l := t.links[id]
		if l.orderReference == "" {
			gone = append(gone, id)
			continue
		}
		ids, wss, conns, refs = append(ids, id), append(wss, l.workspace), append(conns, l.connection), append(refs, l.orderReference)
	}
	if len(gone) > 0 {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM order_shipments WHERE shipment_id = ANY($1)`, gone); err != nil {
			return fmt.Errorf("unlinking %d shipments from their orders: %w", len(gone), err)
		}
	}
	if len(ids) > 0 {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO order_shipments (shipment_id, workspace, connection, order_reference)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
			ON CONFLICT (shipment_id) DO UPDATE SET workspace = excluded.workspace, connection = excluded.connection, order_reference = excluded.order_reference`,
			ids, wss, conns, refs); err != nil {
			return fmt.Errorf("linking %d shipments to their orders: %w", len(ids), err)
		}
	}
	for _, id := range t.linkOrder {
		t.linkedRef(id, t.links[id].orderReference)
	}
	t.linkOrder = t.linkOrder[:0]
	clear(t.links)
	return nil
}

// linkedRef records the order reference shipment id's stored link names
// ("" for none).
func (t *tx) linkedRef(id int64, ref string) {
	if t.linkedRefs == nil {
		t.linkedRefs = map[int64]string{}
	}
	t.linkedRefs[id] = ref
}

// linksPendingFor reports whether a link still to be written may change
// which shipments belong to an order with the reference: one that names
// it, or one of a shipment whose stored link names it or is not known.
func (t *tx) linksPendingFor(reference string) bool {
	for id, l := range t.links {
		if l.orderReference == reference {
			return true
		}
		if stored, ok := t.linkedRefs[id]; !ok || stored == reference {
			return true
		}
	}
	return false
}

// flushUnnested writes the shipment updates, new references and feed
// entries with one statement of unnested arrays each (see flushEvents):
// on PostgreSQL a multi-row VALUES list was a new statement to prepare and
// plan for every row count, a round trip of its own, and the feed's was
// the apply's costliest statement.
func (t *tx) flushUnnested(ctx context.Context) error {
	if n := len(t.order); n > 0 {
		ids, events, updated := make([]int64, n), make([]int64, n), make([]int64, n)
		statuses, docs := make([]string, n), make([]string, n)
		for i, id := range t.order {
			sh := t.dirty[id]
			doc, err := shipmentDoc(sh)
			if err != nil {
				return fmt.Errorf("updating shipment %d: %w", id, err)
			}
			ids[i], statuses[i], events[i], docs[i], updated[i] = id, string(sh.Status), sh.EventID, doc, micros(sh.UpdatedAt)
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE shipments SET status = v.status, status_event_id = v.status_event_id, doc = v.doc, updated_at = v.updated_at
			FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS v (id, status, status_event_id, doc, updated_at)
			WHERE shipments.id = v.id`, ids, statuses, events, docs, updated); err != nil {
			return fmt.Errorf("updating %d shipments: %w", n, err)
		}
	}
	if n := len(t.newRefs); n > 0 {
		wss, values, ids := make([]string, n), make([]string, n), make([]int64, n)
		for i, r := range t.newRefs {
			wss[i], values[i], ids[i] = r.workspace, r.value, r.shipmentID
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO shipment_refs (workspace, value, shipment_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`, wss, values, ids); err != nil {
			return fmt.Errorf("recording %d shipment references: %w", n, err)
		}
	}
	if n := len(t.feed); n > 0 {
		wss, types, data := make([]string, n), make([]string, n), make([]string, n)
		subjects, occurred := make([]int64, n), make([]int64, n)
		for i, e := range t.feed {
			wss[i], types[i], subjects[i], occurred[i], data[i] = e.Workspace, e.Type, e.SubjectID, micros(e.OccurredAt), string(e.Data)
		}
		// The ids come back to queue webhook deliveries by; the identity
		// hands them out in the order the SELECT gives the rows, the
		// arrays' (ORDER BY the ordinality), ascending.
		ids, err := t.insertReturningIDs(ctx, `INSERT INTO feed (workspace, type, subject_id, occurred_at, data, created_at)
			SELECT v.workspace, v.type, v.subject_id, v.occurred_at, v.data, $6::bigint
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) WITH ORDINALITY AS v (workspace, type, subject_id, occurred_at, data, n)
			ORDER BY v.n RETURNING id`, []any{wss, types, subjects, occurred, data, micros(t.s.now())})
		if err != nil {
			return fmt.Errorf("appending %d entries to the feed: %w", n, err)
		}
		if len(ids) != n {
			return fmt.Errorf("appending %d entries to the feed: %d ids came back", n, len(ids))
		}
		for i, e := range t.feed {
			e.ID = ids[i]
		}
	}
	return nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// orderColumns are the order columns an order is read from, in scan order.
const orderColumns = `id, workspace, connection, provider, reference, provider_ref, status, doc, created_at, updated_at`

// orderShipmentsOf lists (order id, shipment id) for the orders whose ids
// fill the placeholder list %s: a shipment belongs to the order of its
// order reference in its own connection or, when its connection has no
// order of that reference, to the workspace's first (lowest id) order of
// that reference. Both stores index every lookup it makes.
const orderShipmentsOf = `SELECT o.id, l.shipment_id FROM orders o
	JOIN order_shipments l ON l.workspace = o.workspace AND l.order_reference = o.reference
	WHERE o.id IN (%s) AND (l.connection = o.connection OR (
		NOT EXISTS (SELECT 1 FROM orders x WHERE x.workspace = l.workspace AND x.connection = l.connection AND x.reference = l.order_reference)
		AND NOT EXISTS (SELECT 1 FROM orders y WHERE y.workspace = o.workspace AND y.reference = o.reference AND y.id < o.id)))
	ORDER BY o.id, l.shipment_id`

// ResetCanonical's statements for orders: an order keeps its id, reference
// and creation time, so ids a merchant stored stay valid, and goes back to
// what a provider's first statement without a status makes of it; an order
// the merchant submitted through the API goes back to that submission,
// pending, and the rebuild states the provider's answers over it again.
const (
	resetAllOrderLinks = `DELETE FROM order_shipments`
	resetWsOrderLinks  = `DELETE FROM order_shipments WHERE workspace = ?`
	resetAllOrders     = `UPDATE orders SET status = CASE WHEN submitted <> '' THEN 'pending' ELSE 'accepted' END,
		provider_ref = '', doc = CASE WHEN submitted <> '' THEN submitted ELSE '{}' END, updated_at = ?`
)

// storedOrder is the stored document of an order: its JSON and, beside it,
// what the API does not show. ShipmentIDs are derived, never stored.
type storedOrder struct {
	*model.Order
	FactTimes map[string]time.Time `json:"fact_times,omitempty"`
	// StatusRanks go with FactTimes: the provider's order of the statuses
	// that set the status fields (model.OrderUpdate.StatusRank).
	StatusRanks map[string]int `json:"status_ranks,omitempty"`
}

func orderDoc(o *model.Order) (string, error) {
	c := *o
	c.ShipmentIDs = nil
	b, err := json.Marshal(storedOrder{Order: &c, FactTimes: o.FactTimes, StatusRanks: o.StatusRanks})
	if err != nil {
		return "", fmt.Errorf("encoding: %w", err)
	}
	return string(b), nil
}

// scanOrder reads orderColumns. The columns win over the document for the
// fields they hold.
func scanOrder(row scanner) (*model.Order, error) {
	var (
		o                             model.Order
		id, created, updated          int64
		ws, conn, prov, ref, pref, st string
		doc                           string
	)
	if err := row.Scan(&id, &ws, &conn, &prov, &ref, &pref, &st, &doc, &created, &updated); err != nil {
		return nil, err
	}
	stored := storedOrder{Order: &o}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding order %d: %w", id, err)
	}
	o.FactTimes, o.StatusRanks = stored.FactTimes, stored.StatusRanks
	o.ID, o.Workspace, o.Connection, o.Provider, o.Reference, o.ProviderRef = id, ws, conn, prov, ref, pref
	o.Status = model.OrderStatus(st)
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	if o.Lines == nil {
		o.Lines = []model.OrderLine{}
	}
	o.ShipmentIDs = []int64{}
	return &o, nil
}

// fillShipmentIDs sets the ShipmentIDs of the orders from the links.
func (s *Store) fillShipmentIDs(ctx context.Context, q querier, orders []*model.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Order, len(orders))
	args := make([]any, len(orders))
	for i, o := range orders {
		byID[o.ID] = o
		args[i] = o.ID
		o.ShipmentIDs = []int64{}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(orders)), ", ")
	rows, err := q.QueryContext(ctx, s.dialect.bind(fmt.Sprintf(orderShipmentsOf, marks)), args...)
	if err != nil {
		return fmt.Errorf("reading the shipments of %d orders: %w", len(orders), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var oid, sid int64
		if err := rows.Scan(&oid, &sid); err != nil {
			return fmt.Errorf("reading the shipments of %d orders: %w", len(orders), err)
		}
		if o := byID[oid]; o != nil {
			o.ShipmentIDs = append(o.ShipmentIDs, sid)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the shipments of %d orders: %w", len(orders), err)
	}
	return nil
}

// GetOrder returns one order of the workspace with its linked shipments,
// or store.ErrNotFound (also when it belongs to another workspace).
func (s *Store) GetOrder(ctx context.Context, workspace string, id int64) (*model.Order, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	// One read transaction, so the order and its links agree.
	rtx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading order %d: %w", id, err)
	}
	defer rollback(rtx)
	o, err := scanOrder(rtx.QueryRowContext(ctx, s.dialect.bind(`SELECT `+orderColumns+` FROM orders WHERE id = ? AND workspace = ?`), id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading order %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading order %d: %w", id, err)
	}
	if err := s.fillShipmentIDs(ctx, rtx, []*model.Order{o}); err != nil {
		return nil, err
	}
	if err := s.fillLastCommands(ctx, rtx, []*model.Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// ListOrders lists orders of one workspace, newest (highest id) first, with
// their linked shipments. Reference matches the reference or the provider
// reference. Limit <= 0 means DefaultLimit.
func (s *Store) ListOrders(ctx context.Context, f store.OrderFilter) ([]*model.Order, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing orders: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var (
		b    strings.Builder
		args = []any{f.Workspace}
	)
	b.WriteString(`SELECT ` + orderColumns + ` FROM orders WHERE workspace = ?`)
	if f.Status != "" {
		b.WriteString(` AND status = ?`)
		args = append(args, string(f.Status))
	}
	if f.Connection != "" {
		b.WriteString(` AND connection = ?`)
		args = append(args, f.Connection)
	}
	if f.BeforeID > 0 {
		b.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	if f.Reference != "" {
		// Each half of the OR on its own index: written as one condition
		// beside connection = ?, SQLite's planner walks every order of the
		// connection (orders_by_connection), a lookup that grows with the
		// connection's orders (an Active Ants sync looks one up per
		// shipment).
		b.WriteString(` AND id IN (SELECT id FROM orders WHERE workspace = ? AND reference = ?` +
			` UNION ALL SELECT id FROM orders WHERE workspace = ? AND provider_ref = ?)`)
		args = append(args, f.Workspace, f.Reference, f.Workspace, f.Reference)
	}
	b.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit)

	rtx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing orders of %q: %w", f.Workspace, err)
	}
	defer rollback(rtx)
	rows, err := rtx.QueryContext(ctx, s.dialect.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("listing orders of %q: %w", f.Workspace, err)
	}
	out := []*model.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("listing orders of %q: %w", f.Workspace, err)
		}
		out = append(out, o)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("listing orders of %q: %w", f.Workspace, err)
	}
	if err := s.fillShipmentIDs(ctx, rtx, out); err != nil {
		return nil, err
	}
	if err := s.fillLastCommands(ctx, rtx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// OrderByRef returns the order with this reference in the connection,
// locked for update where the database needs it.
func (t *tx) OrderByRef(ctx context.Context, workspace, connection, reference string) (*model.Order, error) {
	key := refKey(workspace, connection, reference)
	if o, ok := t.orders[key]; ok {
		return o, nil
	}
	if t.orderMissing[key] {
		return nil, fmt.Errorf("finding order %q of connection %q: %w", reference, connection, store.ErrNotFound)
	}
	o, err := scanOrder(t.tx.QueryRowContext(ctx, t.s.dialect.bind(`SELECT `+orderColumns+
		` FROM orders WHERE workspace = ? AND connection = ? AND reference = ?`+t.s.dialect.LockSuffix), workspace, connection, reference))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding order %q of connection %q: %w", reference, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding order %q of connection %q: %w", reference, connection, err)
	}
	t.keepOrder(key, o)
	return o, nil
}

// OrderRefByID implements store.OrderTx. Orders created in this
// transaction are found too.
func (t *tx) OrderRefByID(ctx context.Context, workspace string, id int64) (string, string, error) {
	for _, o := range t.orders {
		if o.ID == id && o.Workspace == workspace {
			return o.Connection, o.Reference, nil
		}
	}
	var connection, reference string
	err := t.tx.QueryRowContext(ctx, t.s.dialect.bind(`SELECT connection, reference FROM orders WHERE workspace = ? AND id = ?`), workspace, id).
		Scan(&connection, &reference)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("finding order %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("finding order %d: %w", id, err)
	}
	return connection, reference, nil
}

func (t *tx) keepOrder(key string, o *model.Order) {
	if t.orders == nil {
		t.orders = map[string]*model.Order{}
	}
	t.orders[key] = o
}

// InsertOrder stores a new order and sets its ID.
func (t *tx) InsertOrder(ctx context.Context, o *model.Order) error {
	if o.Workspace == "" || o.Connection == "" || o.Reference == "" {
		return errors.New("inserting order: workspace, connection and reference are required")
	}
	now := t.s.now()
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = now
	}
	doc, err := orderDoc(o)
	if err != nil {
		return fmt.Errorf("inserting order %q: %w", o.Reference, err)
	}
	o.ID, err = t.insertOne(ctx, t.s.dialect.bind(`INSERT INTO orders (workspace, connection, provider, reference, provider_ref, status, doc, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`+t.s.dialect.returningID()),
		o.Workspace, o.Connection, o.Provider, o.Reference, o.ProviderRef, string(o.Status), doc, micros(o.CreatedAt), micros(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting order %q: %w", o.Reference, err)
	}
	if o.ShipmentIDs == nil {
		o.ShipmentIDs = []int64{}
	}
	t.keepOrder(refKey(o.Workspace, o.Connection, o.Reference), o)
	return nil
}

// UpdateOrder stores a changed order. A zero UpdatedAt is set to now.
func (t *tx) UpdateOrder(ctx context.Context, o *model.Order) error {
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = t.s.now()
	}
	if t.behind && t.orderBehind(o) {
		return nil
	}
	doc, err := orderDoc(o)
	if err != nil {
		return fmt.Errorf("updating order %d: %w", o.ID, err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE orders SET provider_ref = ?, status = ?, doc = ?, updated_at = ? WHERE id = ? AND workspace = ?`),
		o.ProviderRef, string(o.Status), doc, micros(o.UpdatedAt), o.ID, o.Workspace)
	if err != nil {
		return fmt.Errorf("updating order %d: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("updating order %d: %w", o.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("updating order %d: %w", o.ID, store.ErrNotFound)
	}
	if cached, ok := t.orders[refKey(o.Workspace, o.Connection, o.Reference)]; ok && cached != o && cached.ID == o.ID {
		*cached = *o
	}
	return nil
}

// LinkShipment records the order reference a shipment names.
func (t *tx) LinkShipment(ctx context.Context, workspace, connection string, shipmentID int64, orderReference string) error {
	if t.behind {
		t.linkBehind(linkRow{shipmentID: shipmentID, workspace: workspace, connection: connection, orderReference: orderReference})
		return nil
	}
	if t.pendingShips[shipmentID] != nil {
		// A numbered shipment (numbered.go): the link's foreign key needs
		// its row.
		if err := t.flushShipmentInserts(ctx); err != nil {
			return fmt.Errorf("linking shipment %d to order %q: %w", shipmentID, orderReference, err)
		}
	}
	var err error
	if orderReference == "" {
		_, err = t.tx.ExecContext(ctx, t.s.dialect.bind(`DELETE FROM order_shipments WHERE shipment_id = ?`), shipmentID)
	} else {
		_, err = t.tx.ExecContext(ctx, t.s.dialect.bind(`INSERT INTO order_shipments (shipment_id, workspace, connection, order_reference) VALUES (?, ?, ?, ?)
			ON CONFLICT (shipment_id) DO UPDATE SET workspace = excluded.workspace, connection = excluded.connection, order_reference = excluded.order_reference`),
			shipmentID, workspace, connection, orderReference)
	}
	if err != nil {
		return fmt.Errorf("linking shipment %d to order %q: %w", shipmentID, orderReference, err)
	}
	return nil
}

// OrderShipmentIDs returns the ids of the shipments that belong to the
// order, as this transaction sees them. It reads the stored links, which
// only the links written behind for the order's reference could make
// stale (a link belongs to an order by reference); only then are they and
// the new shipments (their foreign keys) written first, so a batch of
// orders and unrelated shipments keeps its inserts for the flush.
func (t *tx) OrderShipmentIDs(ctx context.Context, o *model.Order) ([]int64, error) {
	if t.linksPendingFor(o.Reference) {
		if err := t.flushPending(ctx); err != nil {
			return nil, err
		}
	}
	c := &model.Order{Resource: model.Resource{ID: o.ID}}
	if err := t.s.fillShipmentIDs(ctx, t.tx, []*model.Order{c}); err != nil {
		return nil, err
	}
	return c.ShipmentIDs, nil
}

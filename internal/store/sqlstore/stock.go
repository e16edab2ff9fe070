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

// Products, stock levels and stock mutations. Each row keeps its resource
// as a JSON document with the fields' provider times beside it; the columns
// hold the identity and what listings filter and page by, and win over the
// document for those. Writes go straight to the database: these kinds are
// rarer than shipment updates, so they need no write-behind.

const (
	productColumns  = `id, workspace, connection, provider, sku, doc, created_at, updated_at`
	stockColumns    = `id, workspace, connection, provider, sku, warehouse, doc, created_at, updated_at`
	mutationColumns = `id, workspace, connection, provider, sku, occurred_at, doc, created_at`
)

// storedProduct, storedStock and storedMutation are the stored documents:
// the resource's JSON and, beside it, what the API does not show.
type storedProduct struct {
	*model.Product
	FactTimes map[string]time.Time `json:"fact_times,omitempty"`
}

type storedStock struct {
	*model.Stock
	FactTimes map[string]time.Time `json:"fact_times,omitempty"`
}

func encodeDoc(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding: %w", err)
	}
	return string(b), nil
}

func scanProduct(row scanner) (*model.Product, error) {
	var (
		p                model.Product
		doc              string
		created, updated int64
		id               int64
		ws, conn, prov   string
		sku              string
	)
	if err := row.Scan(&id, &ws, &conn, &prov, &sku, &doc, &created, &updated); err != nil {
		return nil, err
	}
	stored := storedProduct{Product: &p}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding product %d: %w", id, err)
	}
	p.FactTimes = stored.FactTimes
	p.ID, p.Workspace, p.Connection, p.Provider, p.SKU = id, ws, conn, prov, sku
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if p.Barcodes == nil {
		p.Barcodes = []string{}
	}
	return &p, nil
}

func scanStock(row scanner) (*model.Stock, error) {
	var (
		s                   model.Stock
		doc                 string
		created, updated    int64
		id                  int64
		ws, conn, prov, sku string
		warehouse           string
	)
	if err := row.Scan(&id, &ws, &conn, &prov, &sku, &warehouse, &doc, &created, &updated); err != nil {
		return nil, err
	}
	stored := storedStock{Stock: &s}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding stock %d: %w", id, err)
	}
	s.FactTimes = stored.FactTimes
	s.ID, s.Workspace, s.Connection, s.Provider, s.SKU, s.Warehouse = id, ws, conn, prov, sku, warehouse
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

func scanMutation(row scanner) (*model.StockMutation, error) {
	var (
		m                   model.StockMutation
		doc                 string
		occurred, created   int64
		id                  int64
		ws, conn, prov, sku string
	)
	if err := row.Scan(&id, &ws, &conn, &prov, &sku, &occurred, &doc, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, fmt.Errorf("decoding stock mutation %d: %w", id, err)
	}
	m.ID, m.Workspace, m.Connection, m.Provider, m.SKU = id, ws, conn, prov, sku
	m.OccurredAt, m.CreatedAt = fromMicros(occurred), fromMicros(created)
	m.UpdatedAt = m.CreatedAt
	return &m, nil
}

// ProductBySKU returns the connection's product of the SKU, locked for
// update where the database needs it.
func (t *tx) ProductBySKU(ctx context.Context, workspace, connection, sku string) (*model.Product, error) {
	q := t.s.dialect.bind(`SELECT ` + productColumns + ` FROM products WHERE workspace = ? AND connection = ? AND sku = ?` + t.s.dialect.LockSuffix)
	p, err := scanProduct(t.tx.QueryRowContext(ctx, q, workspace, connection, sku))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding product %q of connection %q: %w", sku, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding product %q of connection %q: %w", sku, connection, err)
	}
	return p, nil
}

// InsertProduct stores a new product and sets its ID. Zero CreatedAt and
// UpdatedAt are set to now.
func (t *tx) InsertProduct(ctx context.Context, p *model.Product) error {
	if p.Workspace == "" || p.Connection == "" || p.SKU == "" {
		return errors.New("inserting product: workspace, connection and sku are required")
	}
	t.stamp(&p.Resource)
	doc, err := encodeDoc(storedProduct{Product: p, FactTimes: p.FactTimes})
	if err != nil {
		return fmt.Errorf("inserting product %q: %w", p.SKU, err)
	}
	p.ID, err = t.insertOne(ctx, t.s.dialect.bind(`INSERT INTO products (workspace, connection, provider, sku, doc, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`+t.s.dialect.returningID()),
		p.Workspace, p.Connection, p.Provider, p.SKU, doc, micros(p.CreatedAt), micros(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting product %q: %w", p.SKU, err)
	}
	return nil
}

// UpdateProduct stores a changed product. A zero UpdatedAt is set to now.
func (t *tx) UpdateProduct(ctx context.Context, p *model.Product) error {
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = t.s.now()
	}
	doc, err := encodeDoc(storedProduct{Product: p, FactTimes: p.FactTimes})
	if err != nil {
		return fmt.Errorf("updating product %d: %w", p.ID, err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE products SET doc = ?, updated_at = ? WHERE id = ? AND workspace = ?`),
		doc, micros(p.UpdatedAt), p.ID, p.Workspace)
	return affectedOne(res, err, fmt.Sprintf("updating product %d", p.ID))
}

// StockByKey returns the connection's stock row of the SKU in the
// warehouse, locked for update where the database needs it.
func (t *tx) StockByKey(ctx context.Context, workspace, connection, sku, warehouse string) (*model.Stock, error) {
	key := stockKey(workspace, connection, sku, warehouse)
	if s, ok := t.stock[key]; ok {
		return s, nil
	}
	if t.stockMissing[key] {
		return nil, fmt.Errorf("finding stock of %q in warehouse %q of connection %q: %w", sku, warehouse, connection, store.ErrNotFound)
	}
	q := t.s.dialect.bind(`SELECT ` + stockColumns + ` FROM stock WHERE workspace = ? AND connection = ? AND sku = ? AND warehouse = ?` + t.s.dialect.LockSuffix)
	s, err := scanStock(t.tx.QueryRowContext(ctx, q, workspace, connection, sku, warehouse))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding stock of %q in warehouse %q of connection %q: %w", sku, warehouse, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding stock of %q in warehouse %q of connection %q: %w", sku, warehouse, connection, err)
	}
	return s, nil
}

// InsertStock stores a new stock row and sets its ID. Zero CreatedAt and
// UpdatedAt are set to now.
func (t *tx) InsertStock(ctx context.Context, s *model.Stock) error {
	if s.Workspace == "" || s.Connection == "" || s.SKU == "" {
		return errors.New("inserting stock: workspace, connection and sku are required")
	}
	t.stamp(&s.Resource)
	doc, err := encodeDoc(storedStock{Stock: s, FactTimes: s.FactTimes})
	if err != nil {
		return fmt.Errorf("inserting stock of %q: %w", s.SKU, err)
	}
	s.ID, err = t.insertOne(ctx, t.s.dialect.bind(`INSERT INTO stock (workspace, connection, provider, sku, warehouse, doc, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+t.s.dialect.returningID()),
		s.Workspace, s.Connection, s.Provider, s.SKU, s.Warehouse, doc, micros(s.CreatedAt), micros(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting stock of %q: %w", s.SKU, err)
	}
	if t.behind {
		t.keepStock(s)
	}
	return nil
}

// UpdateStock stores a changed stock row. A zero UpdatedAt is set to now.
func (t *tx) UpdateStock(ctx context.Context, s *model.Stock) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = t.s.now()
	}
	if t.behind && t.stockBehind(s) {
		return nil
	}
	doc, err := encodeDoc(storedStock{Stock: s, FactTimes: s.FactTimes})
	if err != nil {
		return fmt.Errorf("updating stock %d: %w", s.ID, err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE stock SET doc = ?, updated_at = ? WHERE id = ? AND workspace = ?`),
		doc, micros(s.UpdatedAt), s.ID, s.Workspace)
	return affectedOne(res, err, fmt.Sprintf("updating stock %d", s.ID))
}

// InsertStockMutation appends a stock mutation unless the connection has
// one with the same dedup key. A zero CreatedAt is set to now.
func (t *tx) InsertStockMutation(ctx context.Context, m *model.StockMutation, dedupKey string) (bool, error) {
	if m.Workspace == "" || m.Connection == "" || m.SKU == "" || dedupKey == "" {
		return false, errors.New("inserting stock mutation: workspace, connection, sku and dedup key are required")
	}
	t.stamp(&m.Resource)
	m.UpdatedAt = m.CreatedAt
	doc, err := encodeDoc(m)
	if err != nil {
		return false, fmt.Errorf("inserting stock mutation %q: %w", dedupKey, err)
	}
	if t.behind {
		if inserted, ok := t.insertMutationBehind(m, dedupKey, doc); ok {
			return inserted, nil
		}
	}
	id, inserted, err := t.insertID(ctx, t.s.dialect.bind(`INSERT INTO stock_mutations (workspace, connection, provider, dedup_key, sku, occurred_at, doc, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, connection, dedup_key) DO NOTHING`+t.s.dialect.returningID()),
		m.Workspace, m.Connection, m.Provider, dedupKey, m.SKU, micros(m.OccurredAt), doc, micros(m.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("inserting stock mutation %q: %w", dedupKey, err)
	}
	if !inserted {
		return false, nil
	}
	m.ID = id
	return true, nil
}

// stamp sets a new resource's zero CreatedAt and UpdatedAt to now.
func (t *tx) stamp(r *model.Resource) {
	now := t.s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
}

// affectedOne turns an UPDATE's outcome into an error: store.ErrNotFound
// when it changed no row.
func affectedOne(res sql.Result, err error, doing string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", doing, store.ErrNotFound)
	}
	return nil
}

// GetProduct returns one product of the workspace, or store.ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, workspace string, id int64) (*model.Product, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	p, err := scanProduct(s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+productColumns+` FROM products WHERE id = ? AND workspace = ?`), id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading product %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading product %d: %w", id, err)
	}
	return p, nil
}

// listing builds a workspace-scoped SELECT: conditions are added with
// where, and finish adds the order and the limit.
type listing struct {
	b    strings.Builder
	args []any
}

func newListing(columns, table, workspace string) *listing {
	l := &listing{args: []any{workspace}}
	l.b.WriteString(`SELECT ` + columns + ` FROM ` + table + ` WHERE workspace = ?`)
	return l
}

// where adds a condition with its arguments.
func (l *listing) where(cond string, args ...any) {
	l.b.WriteString(` AND ` + cond)
	l.args = append(l.args, args...)
}

// whereEq adds column = v when v is not empty.
func (l *listing) whereEq(column, v string) {
	if v != "" {
		l.where(column+` = ?`, v)
	}
}

// finish adds the order and the limit (<= 0 means DefaultLimit) and
// returns the statement, bound to the dialect, with its arguments.
func (l *listing) finish(d Dialect, order string, limit int) (string, []any) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	l.b.WriteString(` ORDER BY ` + order + ` LIMIT ?`)
	return d.bind(l.b.String()), append(l.args, limit)
}

func runListing[T any](ctx context.Context, s *Store, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// productListSQL, stockListSQL and mutationListSQL are the statements of
// the listings, newest first.
func productListSQL(d Dialect, f store.ProductFilter) (string, []any) {
	l := newListing(productColumns, "products", f.Workspace)
	l.whereEq("sku", f.SKU)
	l.whereEq("connection", f.Connection)
	if f.BeforeID > 0 {
		l.where(`id < ?`, f.BeforeID)
	}
	return l.finish(d, `id DESC`, f.Limit)
}

func stockListSQL(d Dialect, f store.StockFilter) (string, []any) {
	l := newListing(stockColumns, "stock", f.Workspace)
	l.whereEq("sku", f.SKU)
	l.whereEq("connection", f.Connection)
	if f.Warehouse != nil {
		l.where(`warehouse = ?`, *f.Warehouse)
	}
	if f.BeforeID > 0 {
		l.where(`id < ?`, f.BeforeID)
	}
	return l.finish(d, `id DESC`, f.Limit)
}

func mutationListSQL(d Dialect, f store.StockMutationFilter) (string, []any) {
	l := newListing(mutationColumns, "stock_mutations", f.Workspace)
	l.whereEq("sku", f.SKU)
	l.whereEq("connection", f.Connection)
	if f.BeforeID > 0 {
		// A row value, so that both databases continue with a range of
		// the index instead of skipping what came before.
		l.where(`(occurred_at, id) < (?, ?)`, micros(f.Before), f.BeforeID)
	}
	return l.finish(d, `occurred_at DESC, id DESC`, f.Limit)
}

// ListProducts lists products of one workspace, newest (highest id) first.
// Limit <= 0 means DefaultLimit.
func (s *Store) ListProducts(ctx context.Context, f store.ProductFilter) ([]*model.Product, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing products: workspace is required")
	}
	q, args := productListSQL(s.dialect, f)
	out, err := runListing(ctx, s, q, args, scanProduct)
	if err != nil {
		return nil, fmt.Errorf("listing products of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// ListStock lists stock rows of one workspace, newest (highest id) first.
// Limit <= 0 means DefaultLimit.
func (s *Store) ListStock(ctx context.Context, f store.StockFilter) ([]*model.Stock, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing stock: workspace is required")
	}
	q, args := stockListSQL(s.dialect, f)
	out, err := runListing(ctx, s, q, args, scanStock)
	if err != nil {
		return nil, fmt.Errorf("listing stock of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// ListStockMutations lists stock mutations of one workspace, newest first
// by occurred_at, then id. Limit <= 0 means DefaultLimit.
func (s *Store) ListStockMutations(ctx context.Context, f store.StockMutationFilter) ([]*model.StockMutation, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing stock mutations: workspace is required")
	}
	q, args := mutationListSQL(s.dialect, f)
	out, err := runListing(ctx, s, q, args, scanMutation)
	if err != nil {
		return nil, fmt.Errorf("listing stock mutations of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// resetInventory is ResetCanonical's part for these kinds, in its
// transaction: products and stock rows keep their ids (a merchant may have
// stored them) and lose their fields and figures, which the rebuild states
// again; stock mutations are deleted, because the rebuild appends them again
// from the inbox. An empty workspace means every workspace.
func (s *Store) resetInventory(ctx context.Context, wtx *sql.Tx, workspace string) error {
	now := micros(s.now())
	for _, st := range []struct {
		what, query string
		args        []any
	}{
		{"products", `UPDATE products SET doc = '{}', updated_at = ?`, []any{now}},
		{"stock", `UPDATE stock SET doc = '{}', updated_at = ?`, []any{now}},
		{"stock mutations", `DELETE FROM stock_mutations`, nil},
	} {
		q, args := st.query, st.args
		if workspace != "" {
			q += ` WHERE workspace = ?`
			args = append(args, workspace)
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(q), args...); err != nil {
			return fmt.Errorf("clearing %s: %w", st.what, err)
		}
	}
	return nil
}

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

// returnColumns are the return columns a return is read from, in scan order.
const returnColumns = `id, workspace, connection, provider, doc, created_at, updated_at`

var _ store.Returns = (*Store)(nil)

// returnOrdersOf lists (return id, order id) for the returns whose ids fill
// the placeholder list %s: a return belongs to the order of its reference
// in its own connection or, when its connection has no order of that
// reference, to the workspace's first (lowest id) order of that reference.
// The link is resolved on every read, never stored, so a return applied
// before its order shows the order as soon as the order exists. Both
// stores index both lookups (the orders' unique key, orders_by_reference).
const returnOrdersOf = `SELECT r.id, COALESCE(
		(SELECT o.id FROM orders o WHERE o.workspace = r.workspace AND o.connection = r.connection AND o.reference = r.reference),
		(SELECT MIN(o.id) FROM orders o WHERE o.workspace = r.workspace AND o.reference = r.reference))
	FROM returns r WHERE r.id IN (%s) AND r.reference <> ''`

// storedReturn is the stored document: the resource's JSON and, beside
// it, what the API does not show.
type storedReturn struct {
	*model.Return
	FactTimes map[string]time.Time `json:"fact_times,omitempty"`
}

func returnDoc(r *model.Return) (string, error) {
	c := *r
	c.OrderID = 0 // derived on read (returnOrdersOf), never stored
	b, err := json.Marshal(storedReturn{Return: &c, FactTimes: r.FactTimes})
	if err != nil {
		return "", fmt.Errorf("encoding: %w", err)
	}
	return string(b), nil
}

// scanReturn reads returnColumns. The columns win over the document for
// the identity and the hub's times.
func scanReturn(row scanner) (*model.Return, error) {
	var (
		r                model.Return
		doc              string
		created, updated int64
	)
	var id int64
	var ws, conn, prov string
	if err := row.Scan(&id, &ws, &conn, &prov, &doc, &created, &updated); err != nil {
		return nil, err
	}
	stored := storedReturn{Return: &r}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding return %d: %w", id, err)
	}
	r.FactTimes = stored.FactTimes
	r.ID, r.Workspace, r.Connection, r.Provider = id, ws, conn, prov
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	r.OrderID = 0
	if r.Lines == nil {
		r.Lines = []model.ReturnLine{}
	}
	return &r, nil
}

// fillReturnOrders sets the OrderID of the returns from the orders of their
// references (returnOrdersOf), or zero when there is none.
func (s *Store) fillReturnOrders(ctx context.Context, q querier, returns []*model.Return) error {
	if len(returns) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Return, len(returns))
	args := make([]any, len(returns))
	for i, r := range returns {
		byID[r.ID] = r
		args[i] = r.ID
		r.OrderID = 0
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(returns)), ", ")
	rows, err := q.QueryContext(ctx, s.dialect.bind(fmt.Sprintf(returnOrdersOf, marks)), args...)
	if err != nil {
		return fmt.Errorf("reading the orders of %d returns: %w", len(returns), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var rid int64
		var oid sql.NullInt64
		if err := rows.Scan(&rid, &oid); err != nil {
			return fmt.Errorf("reading the orders of %d returns: %w", len(returns), err)
		}
		if r := byID[rid]; r != nil && oid.Valid {
			r.OrderID = oid.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the orders of %d returns: %w", len(returns), err)
	}
	return nil
}

// ReturnOrderID returns the id of the order the return belongs to, as this
// transaction sees it, or zero when there is none yet.
func (t *tx) ReturnOrderID(ctx context.Context, r *model.Return) (int64, error) {
	c := &model.Return{Resource: model.Resource{ID: r.ID}}
	if err := t.s.fillReturnOrders(ctx, t.tx, []*model.Return{c}); err != nil {
		return 0, err
	}
	return c.OrderID, nil
}

// ReturnByKey returns the connection's return with this lookup
// key, locked for update where the database needs it.
func (t *tx) ReturnByKey(ctx context.Context, workspace, connection, key string) (*model.Return, error) {
	r, err := scanReturn(t.tx.QueryRowContext(ctx, t.s.dialect.bind(`SELECT `+returnColumns+` FROM returns
		WHERE workspace = ? AND connection = ? AND lookup_key = ?`+t.s.dialect.LockSuffix), workspace, connection, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding return %q of connection %q: %w", key, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding return %q of connection %q: %w", key, connection, err)
	}
	return r, nil
}

// InsertReturn stores a new return and sets its ID.
func (t *tx) InsertReturn(ctx context.Context, key string, r *model.Return) error {
	if r.Workspace == "" || r.Connection == "" || key == "" {
		return errors.New("inserting return: workspace, connection and key are required")
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	doc, err := returnDoc(r)
	if err != nil {
		return fmt.Errorf("inserting return %q: %w", key, err)
	}
	var id int64
	id, err = t.insertOne(ctx, t.s.dialect.bind(`INSERT INTO returns (workspace, connection, provider, lookup_key,
		reference, provider_ref, status, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+t.s.dialect.returningID()),
		r.Workspace, r.Connection, r.Provider, key, r.Reference, r.ProviderRef, string(r.Status), doc,
		micros(r.CreatedAt), micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting return %q: %w", key, err)
	}
	r.ID = id
	return nil
}

// UpdateReturn stores a changed return. A zero UpdatedAt is set
// to now.
func (t *tx) UpdateReturn(ctx context.Context, r *model.Return) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = t.s.now()
	}
	doc, err := returnDoc(r)
	if err != nil {
		return fmt.Errorf("updating return %d: %w", r.ID, err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE returns SET reference = ?, provider_ref = ?, status = ?, doc = ?, updated_at = ?
		WHERE id = ? AND workspace = ?`), r.Reference, r.ProviderRef, string(r.Status), doc, micros(r.UpdatedAt), r.ID, r.Workspace)
	if err != nil {
		return fmt.Errorf("updating return %d: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("updating return %d: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("updating return %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

// GetReturn returns one return of the workspace, or
// store.ErrNotFound.
func (s *Store) GetReturn(ctx context.Context, workspace string, id int64) (*model.Return, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	r, err := scanReturn(s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+returnColumns+` FROM returns WHERE id = ? AND workspace = ?`), id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading return %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading return %d: %w", id, err)
	}
	if err := s.fillReturnOrders(ctx, s.reader, []*model.Return{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ListReturns lists a workspace's returns, newest first. Limit <= 0
// means DefaultLimit.
func (s *Store) ListReturns(ctx context.Context, f store.ReturnFilter) ([]*model.Return, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing return: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	query, args := listQuery(s.dialect, `SELECT `+returnColumns+` FROM returns`, f.Workspace, f.Reference, f.Connection, string(f.Status), f.BeforeID, limit)
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing return of %q: %w", f.Workspace, err)
	}
	defer func() { _ = rows.Close() }()
	list := []*model.Return{}
	for rows.Next() {
		r, err := scanReturn(rows)
		if err != nil {
			return nil, fmt.Errorf("listing return of %q: %w", f.Workspace, err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing return of %q: %w", f.Workspace, err)
	}
	_ = rows.Close()
	if err := s.fillReturnOrders(ctx, s.reader, list); err != nil {
		return nil, err
	}
	return list, nil
}

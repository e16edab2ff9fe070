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

// inboundColumns are the inbound columns a resource is read from, in scan order.
const inboundColumns = `id, workspace, connection, provider, doc, created_at, updated_at`

var _ store.Inbound = (*Store)(nil)

// storedInbound is the stored document: the resource's JSON and, beside
// it, what the API does not show.
type storedInbound struct {
	*model.Inbound
	FactTimes    map[string]time.Time `json:"fact_times,omitempty"`
	StatedStatus model.InboundStatus  `json:"stated_status,omitempty"`
	StatusRank   int                  `json:"status_rank,omitempty"`
}

func inboundDoc(in *model.Inbound) (string, error) {
	b, err := json.Marshal(storedInbound{Inbound: in, FactTimes: in.FactTimes, StatedStatus: in.StatedStatus, StatusRank: in.StatusRank})
	if err != nil {
		return "", fmt.Errorf("encoding: %w", err)
	}
	return string(b), nil
}

// scanInbound reads inboundColumns. The columns win over the document for
// the identity and the hub's times.
func scanInbound(row scanner) (*model.Inbound, error) {
	var (
		in               model.Inbound
		doc              string
		created, updated int64
	)
	var id int64
	var ws, conn, prov string
	if err := row.Scan(&id, &ws, &conn, &prov, &doc, &created, &updated); err != nil {
		return nil, err
	}
	stored := storedInbound{Inbound: &in}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding inbound %d: %w", id, err)
	}
	in.FactTimes, in.StatedStatus, in.StatusRank = stored.FactTimes, stored.StatedStatus, stored.StatusRank
	in.ID, in.Workspace, in.Connection, in.Provider = id, ws, conn, prov
	in.CreatedAt, in.UpdatedAt = fromMicros(created), fromMicros(updated)
	if in.Lines == nil {
		in.Lines = []model.InboundLine{}
	}
	if in.Receipts == nil {
		in.Receipts = []model.Receipt{}
	}
	return &in, nil
}

// InboundByKey returns the connection's inbound resource with this lookup
// key, locked for update where the database needs it.
func (t *tx) InboundByKey(ctx context.Context, workspace, connection, key string) (*model.Inbound, error) {
	in, err := scanInbound(t.tx.QueryRowContext(ctx, t.s.dialect.bind(`SELECT `+inboundColumns+` FROM inbound
		WHERE workspace = ? AND connection = ? AND lookup_key = ?`+t.s.dialect.LockSuffix), workspace, connection, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding inbound %q of connection %q: %w", key, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding inbound %q of connection %q: %w", key, connection, err)
	}
	return in, nil
}

// InsertInbound stores a new inbound resource and sets its ID.
func (t *tx) InsertInbound(ctx context.Context, key string, in *model.Inbound) error {
	if in.Workspace == "" || in.Connection == "" || key == "" {
		return errors.New("inserting inbound: workspace, connection and key are required")
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	if in.CreatedAt.IsZero() {
		in.CreatedAt = now
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = now
	}
	doc, err := inboundDoc(in)
	if err != nil {
		return fmt.Errorf("inserting inbound %q: %w", key, err)
	}
	var id int64
	id, err = t.insertOne(ctx, t.s.dialect.bind(`INSERT INTO inbound (workspace, connection, provider, lookup_key,
		reference, provider_ref, status, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+t.s.dialect.returningID()),
		in.Workspace, in.Connection, in.Provider, key, in.Reference, in.ProviderRef, string(in.Status), doc,
		micros(in.CreatedAt), micros(in.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting inbound %q: %w", key, err)
	}
	in.ID = id
	return nil
}

// UpdateInbound stores a changed inbound resource. A zero UpdatedAt is set
// to now.
func (t *tx) UpdateInbound(ctx context.Context, in *model.Inbound) error {
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = t.s.now()
	}
	doc, err := inboundDoc(in)
	if err != nil {
		return fmt.Errorf("updating inbound %d: %w", in.ID, err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE inbound SET reference = ?, provider_ref = ?, status = ?, doc = ?, updated_at = ?
		WHERE id = ? AND workspace = ?`), in.Reference, in.ProviderRef, string(in.Status), doc, micros(in.UpdatedAt), in.ID, in.Workspace)
	if err != nil {
		return fmt.Errorf("updating inbound %d: %w", in.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("updating inbound %d: %w", in.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("updating inbound %d: %w", in.ID, store.ErrNotFound)
	}
	return nil
}

// GetInbound returns one inbound resource of the workspace, or
// store.ErrNotFound.
func (s *Store) GetInbound(ctx context.Context, workspace string, id int64) (*model.Inbound, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	in, err := scanInbound(s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+inboundColumns+` FROM inbound WHERE id = ? AND workspace = ?`), id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading inbound %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading inbound %d: %w", id, err)
	}
	return in, nil
}

// ListInbound lists a workspace's inbound goods, newest first. Limit <= 0
// means DefaultLimit.
func (s *Store) ListInbound(ctx context.Context, f store.InboundFilter) ([]*model.Inbound, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing inbound: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	query, args := listQuery(s.dialect, `SELECT `+inboundColumns+` FROM inbound`, f.Workspace, f.Reference, f.Connection, string(f.Status), f.BeforeID, limit)
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing inbound of %q: %w", f.Workspace, err)
	}
	defer func() { _ = rows.Close() }()
	list := []*model.Inbound{}
	for rows.Next() {
		in, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("listing inbound of %q: %w", f.Workspace, err)
		}
		list = append(list, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing inbound of %q: %w", f.Workspace, err)
	}
	return list, nil
}

// resetInboundReturns is ResetCanonical's part for inbound goods and
// returns: each row keeps its id, lookup key and creation time, so ids a
// merchant stored stay valid and the rebuild applies the messages to the
// same rows, and loses everything the messages stated. A row that no message
// states any more stays, empty, like a shipment.
func (s *Store) resetInboundReturns(ctx context.Context, wtx *sql.Tx, workspace string, now int64) error {
	for _, table := range []string{"inbound", "returns"} {
		q := `UPDATE ` + table + ` SET reference = '', provider_ref = '', status = 'announced', doc = '{}', updated_at = ?`
		args := []any{now}
		if workspace != "" {
			q += ` WHERE workspace = ?`
			args = append(args, workspace)
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(q), args...); err != nil {
			return fmt.Errorf("resetting canonical state: clearing %s: %w", table, err)
		}
	}
	return nil
}

// listQuery is the listing of inbound goods or returns (sel selects the
// columns FROM the table, which it names last): a workspace's rows, newest first, filtered by
// reference (the reference or the provider's number), connection and
// status, continued before beforeID. Each filter has its index
// (migration 00012).
func listQuery(d Dialect, sel, workspace, reference, connection, status string, beforeID int64, limit int) (string, []any) {
	var b strings.Builder
	args := []any{workspace}
	b.WriteString(sel + ` WHERE workspace = ?`)
	if reference != "" {
		// Each side from its own index: with OR, a planner without
		// statistics walks the workspace's rows in id order instead.
		table := sel[strings.LastIndex(sel, " ")+1:]
		b.WriteString(` AND id IN (SELECT id FROM ` + table + ` WHERE workspace = ? AND reference = ?
			UNION SELECT id FROM ` + table + ` WHERE workspace = ? AND provider_ref = ?)`)
		args = append(args, workspace, reference, workspace, reference)
	}
	if connection != "" {
		b.WriteString(` AND connection = ?`)
		args = append(args, connection)
	}
	if status != "" {
		b.WriteString(` AND status = ?`)
		args = append(args, status)
	}
	if beforeID > 0 {
		b.WriteString(` AND id < ?`)
		args = append(args, beforeID)
	}
	b.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit)
	return d.bind(b.String()), args
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// DefaultLimit is the page size of ListShipments and ListFeed when the
// caller gives none.
const DefaultLimit = 100

// GetShipment returns one shipment of the workspace with its events, ordered
// by occurred_at then id, or store.ErrNotFound (also when the shipment
// belongs to another workspace).
func (s *Store) GetShipment(ctx context.Context, workspace string, id int64) (*model.Shipment, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	// One read transaction, so the shipment and its events agree.
	rtx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading shipment %d: %w", id, err)
	}
	defer rollback(rtx)

	sh, err := scanShipment(rtx.QueryRowContext(ctx, s.q.shipmentGet, id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading shipment %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading shipment %d: %w", id, err)
	}
	rows, err := rtx.QueryContext(ctx, s.q.eventsOf, id)
	if err != nil {
		return nil, fmt.Errorf("reading events of shipment %d: %w", id, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var (
			e      model.Event
			eid    int64
			dedup  sql.NullString
			doc    string
			decErr error
		)
		if err := rows.Scan(&eid, &dedup, &doc); err != nil {
			return nil, fmt.Errorf("reading events of shipment %d: %w", id, err)
		}
		if decErr = json.Unmarshal([]byte(doc), &e); decErr != nil {
			return nil, fmt.Errorf("decoding event %d of shipment %d: %w", eid, id, decErr)
		}
		e.ID, e.DedupKey = eid, dedup.String
		sh.Events = append(sh.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events of shipment %d: %w", id, err)
	}
	return sh, nil
}

// ListShipments lists shipments of one workspace, newest (highest id) first,
// or, with a range of update times, last updated first; without events.
// Reference matches any one of a shipment's references or its provider
// reference; UpdatedFrom is inclusive, UpdatedTo exclusive. Every
// combination of the equality filters reads one index range in id order,
// and a range of update times one range of index entries in update order,
// stopping after the page (migration 00022). Limit <= 0 means DefaultLimit.
func (s *Store) ListShipments(ctx context.Context, f store.ShipmentFilter) ([]*model.Shipment, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing shipments: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var (
		b    strings.Builder
		args = []any{f.Workspace}
	)
	// A range of update times lists in update order (see ShipmentFilter):
	// shipments_by_update_filters holds every column filtered on after the
	// time, so the page's ids are found by walking the range newest first
	// in that index alone, filtering there, and stopping after a page; only
	// the page's rows are then read.
	dated := !f.UpdatedFrom.IsZero() || !f.UpdatedTo.IsZero()
	if dated {
		b.WriteString(`SELECT ` + shipmentColumns + ` FROM shipments WHERE id IN (SELECT id FROM shipments WHERE workspace = ?`)
	} else {
		b.WriteString(`SELECT ` + shipmentColumns + ` FROM shipments WHERE workspace = ?`)
	}
	if f.Status != "" {
		b.WriteString(` AND status = ?`)
		args = append(args, string(f.Status))
	}
	if f.Connection != "" {
		b.WriteString(` AND connection = ?`)
		args = append(args, f.Connection)
	}
	if f.Provider != "" {
		b.WriteString(` AND provider = ?`)
		args = append(args, f.Provider)
	}
	if !f.UpdatedFrom.IsZero() {
		b.WriteString(` AND updated_at >= ?`)
		args = append(args, micros(f.UpdatedFrom))
	}
	if !f.UpdatedTo.IsZero() {
		b.WriteString(` AND updated_at < ?`)
		args = append(args, micros(f.UpdatedTo))
	}
	switch {
	case dated && f.BeforeID > 0 && !f.BeforeUpdatedAt.IsZero():
		b.WriteString(` AND (updated_at < ? OR (updated_at = ? AND id < ?))`)
		at := micros(f.BeforeUpdatedAt)
		args = append(args, at, at, f.BeforeID)
	case f.BeforeID > 0:
		b.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	if f.Reference != "" {
		b.WriteString(` AND id IN (SELECT shipment_id FROM shipment_refs WHERE workspace = ? AND value = ?)`)
		args = append(args, f.Workspace, f.Reference)
	}
	if dated {
		b.WriteString(` ORDER BY updated_at DESC, id DESC LIMIT ?) ORDER BY updated_at DESC, id DESC`)
	} else {
		b.WriteString(` ORDER BY id DESC LIMIT ?`)
	}
	args = append(args, limit)

	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("listing shipments of %q: %w", f.Workspace, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*model.Shipment{}
	for rows.Next() {
		sh, err := scanShipment(rows)
		if err != nil {
			return nil, fmt.Errorf("listing shipments of %q: %w", f.Workspace, err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing shipments of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// ListFeed lists feed events of a workspace with id > after, oldest first.
// limit <= 0 means DefaultLimit.
func (s *Store) ListFeed(ctx context.Context, workspace string, after int64, limit int) ([]*model.FeedEvent, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := s.reader.QueryContext(ctx, s.q.feedList, workspace, after, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the feed of %q: %w", workspace, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*model.FeedEvent{}
	for rows.Next() {
		var (
			e    model.FeedEvent
			at   int64
			data string
		)
		if err := rows.Scan(&e.ID, &e.Workspace, &e.Type, &e.SubjectID, &at, &data); err != nil {
			return nil, fmt.Errorf("listing the feed of %q: %w", workspace, err)
		}
		e.OccurredAt = fromMicros(at)
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the feed of %q: %w", workspace, err)
	}
	return out, nil
}

// ResetCanonical deletes the shipments, events and feed of a workspace (of
// every workspace when it is empty) and marks its inbox messages pending
// again, failed ones included, in one transaction. It returns how many
// messages are to be reprocessed. Feed ids are never reused, so a consumer
// paging with after=<last id> sees the rebuilt entries as new ones.
func (s *Store) ResetCanonical(ctx context.Context, workspace string) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("resetting canonical state: %w", err)
	}
	defer rollback(wtx)
	if s.dialect.ProcessLock != "" {
		if _, err := wtx.ExecContext(ctx, s.dialect.ProcessLock); err != nil {
			return 0, fmt.Errorf("resetting canonical state: taking the processing lock: %w", err)
		}
	}
	steps := []struct{ what, all, ws string }{
		{"events", s.q.resetAllEvents, s.q.resetWsEvents},
		{"references", s.q.resetAllRefs, s.q.resetWsRefs},
		{"shipments", s.q.resetAllShips, s.q.resetWsShips},
		// Orders keep their id, reference and creation time (orders.go).
		{"order links", resetAllOrderLinks, s.dialect.bind(resetWsOrderLinks)},
		{"orders", s.dialect.bind(resetAllOrders), s.dialect.bind(resetAllOrders + ` WHERE workspace = ?`)},
		{"inbox", s.q.resetAllInbox, s.q.resetWsInbox},
	}
	if err := s.resetInventory(ctx, wtx, workspace); err != nil {
		return 0, fmt.Errorf("resetting canonical state: %w", err)
	}
	var messages int64
	now := micros(s.now())
	for _, st := range steps {
		var res sql.Result
		switch {
		case workspace == "" && (st.what == "shipments" || st.what == "orders"):
			res, err = wtx.ExecContext(ctx, st.all, now)
		case workspace == "":
			res, err = wtx.ExecContext(ctx, st.all)
		case st.what == "shipments" || st.what == "orders":
			res, err = wtx.ExecContext(ctx, st.ws, now, workspace)
		default:
			res, err = wtx.ExecContext(ctx, st.ws, workspace)
		}
		if err != nil {
			return 0, fmt.Errorf("resetting canonical state: clearing %s: %w", st.what, err)
		}
		if st.what == "inbox" {
			if messages, err = res.RowsAffected(); err != nil {
				return 0, fmt.Errorf("resetting canonical state: counting messages: %w", err)
			}
		}
	}
	if err := s.resetInboundReturns(ctx, wtx, workspace, now); err != nil {
		return 0, err
	}
	if err := wtx.Commit(); err != nil {
		return 0, fmt.Errorf("resetting canonical state: committing: %w", err)
	}
	return messages, nil
}

// CountShipments counts a workspace's shipments by status.
func (s *Store) CountShipments(ctx context.Context, workspace string) (map[model.Status]int64, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT status, COUNT(*) FROM shipments WHERE workspace = ? GROUP BY status`), workspace)
	if err != nil {
		return nil, fmt.Errorf("counting shipments of %q: %w", workspace, err)
	}
	defer func() { _ = rows.Close() }()
	counts := map[model.Status]int64{}
	for rows.Next() {
		var (
			status string
			n      int64
		)
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("counting shipments of %q: %w", workspace, err)
		}
		counts[model.Status(status)] = n
	}
	return counts, rows.Err()
}

// AppendFeedEvents adds feed entries, and their deliveries, in one
// transaction of their own.
func (s *Store) AppendFeedEvents(ctx context.Context, events []*model.FeedEvent) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if len(events) == 0 {
		return nil
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("appending to the feed: %w", err)
	}
	defer rollback(wtx)
	t := &tx{s: s, tx: wtx}
	for _, e := range events {
		if err := t.AppendFeed(ctx, e); err != nil {
			return err
		}
	}
	if err := t.flush(ctx); err != nil {
		return fmt.Errorf("appending to the feed: %w", err)
	}
	if err := wtx.Commit(); err != nil {
		return fmt.Errorf("appending to the feed: committing: %w", err)
	}
	if t.queued > 0 {
		s.signalQueued()
	}
	return nil
}

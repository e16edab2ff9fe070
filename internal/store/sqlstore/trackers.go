package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// trackerColumns are the tracker columns a tracker is read from, in scan order.
const trackerColumns = `id, workspace, connection, tracking_number, reference, origin, origin_shipment, state, status,
	expected_delivery, priority, next_poll_at, last_polled_at, last_change_at, not_found_since, polls, failures,
	last_error, created_at, updated_at`

var _ store.Trackers = (*Store)(nil)

// CreateTracker inserts a tracker unless the connection tracks the number
// already; the conditional insert makes two concurrent requests for one
// number end with one tracker. A deleted number (a row in
// tracker_tombstones) is inserted only for the API, which clears the row;
// the insert's own condition keeps a concurrent delete from being undone
// by a carrier rule.
func (s *Store) CreateTracker(ctx context.Context, t *model.Tracker) (bool, error) {
	if s.isClosed.Load() {
		return false, store.ErrClosed
	}
	if t == nil || t.Workspace == "" || t.Connection == "" || t.TrackingNumber == "" {
		return false, errors.New("creating a tracker: workspace, connection and tracking number are required")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if t.State == "" {
		t.State = model.TrackerActive
	}
	if t.Status == "" {
		t.Status = model.StatusPending
	}
	if t.Origin == "" {
		t.Origin = "api"
	}
	if t.Origin == "api" {
		if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`DELETE FROM tracker_tombstones
			WHERE workspace = ? AND connection = ? AND tracking_number = ?`), t.Workspace, t.Connection, t.TrackingNumber); err != nil {
			return false, fmt.Errorf("creating tracker of %q: clearing its deletion: %w", t.TrackingNumber, err)
		}
	}
	var id int64
	err := s.writer.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO trackers (workspace, connection, tracking_number, reference,
		origin, origin_shipment, state, status, expected_delivery, priority, next_poll_at, last_polled_at, last_change_at,
		not_found_since, polls, failures, last_error, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM tracker_tombstones WHERE workspace = ? AND connection = ? AND tracking_number = ?)
		ON CONFLICT (workspace, connection, tracking_number) DO NOTHING
		RETURNING id`),
		t.Workspace, t.Connection, t.TrackingNumber, t.Reference, t.Origin, t.OriginShipment, string(t.State),
		string(t.Status), t.ExpectedDelivery, t.Priority, nullMicros(t.NextPollAt), nullMicros(t.LastPolledAt),
		nullMicros(t.LastChangeAt), nullMicros(t.NotFoundSince), t.Polls, t.Failures, t.LastError,
		micros(now), micros(now), t.Workspace, t.Connection, t.TrackingNumber).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		existing, err := s.queryTrackers(ctx, s.writer, s.dialect.bind(`SELECT `+trackerColumns+` FROM trackers
			WHERE workspace = ? AND connection = ? AND tracking_number = ?`), t.Workspace, t.Connection, t.TrackingNumber)
		if err != nil {
			return false, fmt.Errorf("reading existing tracker of %q: %w", t.TrackingNumber, err)
		}
		if len(existing) == 0 {
			var one int
			err := s.writer.QueryRowContext(ctx, s.dialect.bind(`SELECT 1 FROM tracker_tombstones
				WHERE workspace = ? AND connection = ? AND tracking_number = ?`), t.Workspace, t.Connection, t.TrackingNumber).Scan(&one)
			if err == nil {
				return false, fmt.Errorf("creating tracker of %q: %w", t.TrackingNumber, store.ErrTrackerDeleted)
			}
			// Deleted between the two statements; the caller may retry.
			return false, fmt.Errorf("creating tracker of %q: it was deleted concurrently", t.TrackingNumber)
		}
		*t = *existing[0]
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating tracker of %q: %w", t.TrackingNumber, err)
	}
	t.ID, t.CreatedAt, t.UpdatedAt = id, now, now
	return true, nil
}

// GetTracker returns one tracker of the workspace, or store.ErrNotFound.
func (s *Store) GetTracker(ctx context.Context, workspace string, id int64) (*model.Tracker, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	list, err := s.queryTrackers(ctx, s.reader, s.dialect.bind(`SELECT `+trackerColumns+` FROM trackers WHERE id = ? AND workspace = ?`), id, workspace)
	if err != nil {
		return nil, fmt.Errorf("reading tracker %d: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("reading tracker %d: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// ListTrackers lists a workspace's trackers, newest first. Limit <= 0 means
// DefaultLimit.
func (s *Store) ListTrackers(ctx context.Context, f store.TrackerFilter) ([]*model.Tracker, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing trackers: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var (
		b    strings.Builder
		args = []any{f.Workspace}
	)
	b.WriteString(`SELECT ` + trackerColumns + ` FROM trackers WHERE workspace = ?`)
	if f.Connection != "" {
		b.WriteString(` AND connection = ?`)
		args = append(args, f.Connection)
	}
	if f.TrackingNumber != "" {
		b.WriteString(` AND tracking_number = ?`)
		args = append(args, f.TrackingNumber)
	}
	if f.State != "" {
		b.WriteString(` AND state = ?`)
		args = append(args, string(f.State))
	}
	if f.BeforeID > 0 {
		b.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	b.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit)
	list, err := s.queryTrackers(ctx, s.reader, s.dialect.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("listing trackers of %q: %w", f.Workspace, err)
	}
	return list, nil
}

// DeleteTracker removes a tracker of the workspace, or returns
// store.ErrNotFound, and records its number in tracker_tombstones in the
// same transaction, so a carrier rule does not bring it back.
func (s *Store) DeleteTracker(ctx context.Context, workspace string, id int64) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("deleting tracker %d: %w", id, err)
	}
	defer rollback(wtx)
	var connection, number string
	err = wtx.QueryRowContext(ctx, s.dialect.bind(`DELETE FROM trackers WHERE id = ? AND workspace = ?
		RETURNING connection, tracking_number`), id, workspace).Scan(&connection, &number)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("deleting tracker %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("deleting tracker %d: %w", id, err)
	}
	if _, err := wtx.ExecContext(ctx, s.dialect.bind(`INSERT INTO tracker_tombstones (workspace, connection, tracking_number, deleted_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace, connection, tracking_number) DO UPDATE SET deleted_at = excluded.deleted_at`),
		workspace, connection, number, micros(s.now())); err != nil {
		return fmt.Errorf("deleting tracker %d: remembering the deletion: %w", id, err)
	}
	if err := wtx.Commit(); err != nil {
		return fmt.Errorf("deleting tracker %d: %w", id, err)
	}
	return nil
}

// DueTrackers lists a connection's due trackers, most useful first. The
// partial index trackers_due finds them without touching resting ones.
func (s *Store) DueTrackers(ctx context.Context, workspace, connection string, now time.Time, limit int) ([]*model.Tracker, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	list, err := s.queryTrackers(ctx, s.reader, s.dialect.bind(`SELECT `+trackerColumns+` FROM trackers
		WHERE workspace = ? AND connection = ? AND next_poll_at IS NOT NULL AND next_poll_at <= ?
		ORDER BY priority, next_poll_at, id LIMIT ?`), workspace, connection, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("listing due trackers of %s/%s: %w", workspace, connection, err)
	}
	return list, nil
}

// SaveTrackerPoll stores a tracker's state and schedule after a poll.
func (s *Store) SaveTrackerPoll(ctx context.Context, t *model.Tracker) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.execOne(ctx, fmt.Sprintf("saving poll of tracker %d", t.ID), `UPDATE trackers SET state = ?, status = ?, expected_delivery = ?,
		priority = ?, next_poll_at = ?, last_polled_at = ?, last_change_at = ?, not_found_since = ?, polls = ?,
		failures = ?, last_error = ?, updated_at = ? WHERE id = ? AND workspace = ?`,
		string(t.State), string(t.Status), t.ExpectedDelivery, t.Priority, nullMicros(t.NextPollAt),
		nullMicros(t.LastPolledAt), nullMicros(t.LastChangeAt), nullMicros(t.NotFoundSince), t.Polls, t.Failures,
		t.LastError, micros(now), t.ID, t.Workspace)
	if err != nil {
		return err
	}
	t.UpdatedAt = now
	return nil
}

// ShipmentsUpdatedSince pages through a workspace's shipments in
// (updated_at, id) order. Limit <= 0 means DefaultLimit. The page's start
// is "updated_at >= since" and a filter of the rows at since itself: with
// "updated_at > since OR (updated_at = since AND id > afterID)" alone,
// PostgreSQL read the index from the workspace's first shipment (a page at
// 100,000 shipments filtered out 37,500 rows).
func (s *Store) ShipmentsUpdatedSince(ctx context.Context, workspace string, since time.Time, afterID int64, limit int) ([]*model.Shipment, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	at := micros(since)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+shipmentColumns+`, updated_at FROM shipments
		WHERE workspace = ? AND updated_at >= ? AND (updated_at > ? OR id > ?)
		ORDER BY updated_at, id LIMIT ?`), workspace, at, at, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing shipments of %q updated since %s: %w", workspace, since, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*model.Shipment{}
	for rows.Next() {
		var updated int64
		sh, err := scanShipment(withUpdatedAt{rows, &updated})
		if err != nil {
			return nil, fmt.Errorf("listing shipments of %q updated since %s: %w", workspace, since, err)
		}
		sh.UpdatedAt = fromMicros(updated)
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing shipments of %q updated since %s: %w", workspace, since, err)
	}
	return out, nil
}

// withUpdatedAt scans the shipment columns and one more, updated_at.
type withUpdatedAt struct {
	rows    *sql.Rows
	updated *int64
}

func (w withUpdatedAt) Scan(dest ...any) error {
	return w.rows.Scan(append(dest, w.updated)...)
}

// queryTrackers runs a query selecting trackerColumns.
func (s *Store) queryTrackers(ctx context.Context, q querier, query string, args ...any) ([]*model.Tracker, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := []*model.Tracker{}
	for rows.Next() {
		var (
			t                               model.Tracker
			state, status                   string
			next, polled, changed, notFound sql.NullInt64
			created, updated                int64
		)
		if err := rows.Scan(&t.ID, &t.Workspace, &t.Connection, &t.TrackingNumber, &t.Reference, &t.Origin,
			&t.OriginShipment, &state, &status, &t.ExpectedDelivery, &t.Priority, &next, &polled, &changed,
			&notFound, &t.Polls, &t.Failures, &t.LastError, &created, &updated); err != nil {
			return nil, err
		}
		t.State, t.Status = model.TrackerState(state), model.Status(status)
		t.NextPollAt, t.LastPolledAt = nullTime(next), nullTime(polled)
		t.LastChangeAt, t.NotFoundSince = nullTime(changed), nullTime(notFound)
		t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// nullMicros stores an optional time: nil is NULL.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

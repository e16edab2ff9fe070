package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var _ store.DeliveryLog = (*Store)(nil)

// ListEndpointDeliveries lists one endpoint's deliveries in one status,
// newest first, from the index on (endpoint_id, status, created_at) (on
// PostgreSQL the pending ones from deliveries_pending_subject, sorted).
func (s *Store) ListEndpointDeliveries(ctx context.Context, f store.EndpointDeliveryFilter) ([]*model.Delivery, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Status == "" {
		return nil, errors.New("listing an endpoint's deliveries: a status is required")
	}
	switch f.Status {
	case model.DeliveryPending, model.DeliverySucceeded, model.DeliveryFailed:
	default:
		return nil, fmt.Errorf("listing an endpoint's deliveries: unknown status %q", f.Status)
	}
	// The status is written into the text (one of the three above), not
	// bound: PostgreSQL's deliveries_by_endpoint holds only finished
	// deliveries (migration 00026), and a generic plan of "status = $2"
	// could not use it.
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE endpoint_id = ? AND status = '` + f.Status + `' AND workspace = ?`
	args := []any{f.EndpointID, f.Workspace}
	if f.BeforeID > 0 {
		at := micros(f.BeforeCreated)
		q += ` AND created_at <= ? AND (created_at < ? OR id < ?)`
		args = append(args, at, at, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of endpoint %d: %w", f.EndpointID, err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of endpoint %d: %w", f.EndpointID, err)
	}
	return out, nil
}

// ListDeliveryAttempts returns the newest attempts of the given deliveries.
// It orders by attempted_at, which no index holds, so that the planner
// reads the few deliveries' attempts by delivery_id and sorts them,
// instead of walking the whole attempts table backwards by id until
// enough match (which PostgreSQL picks for ORDER BY id … LIMIT); and it
// names the ids on the deliveries' side too, or PostgreSQL hashes every
// delivery of the workspace to check the few attempts' workspace.
func (s *Store) ListDeliveryAttempts(ctx context.Context, workspace string, deliveryIDs []int64, limit int) ([]model.DeliveryAttempt, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	out := []model.DeliveryAttempt{}
	if len(deliveryIDs) == 0 {
		return out, nil
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	args := make([]any, 0, 2*len(deliveryIDs)+2)
	for range 2 {
		for _, id := range deliveryIDs {
			args = append(args, id)
		}
	}
	args = append(args, workspace, limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT a.id, a.delivery_id, a.attempted_at, a.duration_us, a.status_code, a.error, a.response
		FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE a.delivery_id IN (`+placeholders(len(deliveryIDs))+`) AND d.id IN (`+placeholders(len(deliveryIDs))+`) AND d.workspace = ?
		ORDER BY a.attempted_at DESC, a.id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("listing attempts of %d deliveries: %w", len(deliveryIDs), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var (
			a      model.DeliveryAttempt
			at, us int64
		)
		if err := rows.Scan(&a.ID, &a.DeliveryID, &at, &us, &a.StatusCode, &a.Error, &a.Response); err != nil {
			return nil, fmt.Errorf("reading delivery attempts: %w", err)
		}
		a.AttemptedAt, a.DurationMS = fromMicros(at), float64(us)/1000
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading delivery attempts: %w", err)
	}
	return out, nil
}

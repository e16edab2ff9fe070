package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// stuckOpen is the term of the stuck scan's partial index
// (shipments_stuck_scan) that leaves final statuses out; the scan's query
// repeats it word for word, so that SQLite sees the index applies.
const stuckOpen = `status NOT IN ('delivered', 'returned', 'cancelled', 'expired')`

// stuckUnmarked selects shipments not marked for their current episode
// (the other term of shipments_stuck_scan).
const stuckUnmarked = `(stuck_at IS NULL OR stuck_at < updated_at)`

// stuckNow selects the shipments stuck now (the partial index shipments_stuck).
const stuckNow = `stuck_at >= updated_at`

// actionRequiredTerm selects the shipments whose current status asks for
// action, word for word as the partial index shipments_action_required has
// it (see migration 00020 for why the substring is exact).
func (d Dialect) actionRequiredTerm() string {
	if d.Name == "postgres" {
		return `strpos(doc, '"action_required":true') > 0`
	}
	return `instr(doc, '"action_required":true') > 0`
}

// extraScan scans a row's leading columns with scanShipment's scanner and
// the trailing ones into extra.
type extraScan struct {
	row   scanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }

// MarkStuck marks up to scan.Limit stuck shipments and appends a
// shipment.stuck feed event for each, in one transaction. A shipment is
// marked only if its updated_at is still the one the scan read, so a
// pipeline update that commits in between wins: the shipment was not stuck.
func (s *Store) MarkStuck(ctx context.Context, scan store.StuckScan) ([]*model.Shipment, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if scan.Workspace == "" || scan.Status == "" {
		return nil, errors.New("marking stuck shipments: workspace and status are required")
	}
	for _, f := range store.StuckFinal {
		if scan.Status == f {
			return nil, nil
		}
	}
	limit := scan.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("marking stuck %s shipments of %q: %w", scan.Status, scan.Workspace, err)
	}
	defer rollback(wtx)

	type candidate struct {
		sh      *model.Shipment
		updated int64
	}
	var found []candidate
	err = func() error {
		rows, err := wtx.QueryContext(ctx, s.dialect.bind(`SELECT `+shipmentColumns+`, updated_at FROM shipments
			WHERE workspace = ? AND status = ? AND `+stuckOpen+` AND `+stuckUnmarked+` AND updated_at < ?
			ORDER BY updated_at, id LIMIT ?`),
			scan.Workspace, string(scan.Status), micros(scan.Before), limit)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var c candidate
			if c.sh, err = scanShipment(extraScan{rows, []any{&c.updated}}); err != nil {
				return err
			}
			found = append(found, c)
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("finding stuck %s shipments of %q: %w", scan.Status, scan.Workspace, err)
	}

	t := &tx{s: s, tx: wtx}
	mark := s.dialect.bind(`UPDATE shipments SET stuck_at = ? WHERE id = ? AND updated_at = ?`)
	marked := make([]*model.Shipment, 0, len(found))
	for _, c := range found {
		res, err := wtx.ExecContext(ctx, mark, micros(scan.Now), c.sh.ID, c.updated)
		if err != nil {
			return nil, fmt.Errorf("marking shipment %d stuck: %w", c.sh.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return nil, fmt.Errorf("marking shipment %d stuck: %w", c.sh.ID, err)
			}
			continue // updated meanwhile: not stuck after all
		}
		c.sh.UpdatedAt = fromMicros(c.updated)
		shipment, err := json.Marshal(c.sh)
		if err != nil {
			return nil, fmt.Errorf("encoding shipment %d: %w", c.sh.ID, err)
		}
		data, err := json.Marshal(model.ShipmentStuck{ShipmentID: c.sh.ID, Status: c.sh.Status, StuckSince: c.sh.UpdatedAt, Shipment: shipment})
		if err != nil {
			return nil, fmt.Errorf("encoding %s of shipment %d: %w", model.EventShipmentStuck, c.sh.ID, err)
		}
		if err := t.AppendFeed(ctx, &model.FeedEvent{Workspace: scan.Workspace, Type: model.EventShipmentStuck, SubjectID: c.sh.ID, OccurredAt: scan.Now, Data: data}); err != nil {
			return nil, err
		}
		marked = append(marked, c.sh)
	}
	if err := t.flush(ctx); err != nil {
		return nil, fmt.Errorf("appending %s events: %w", model.EventShipmentStuck, err)
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("marking stuck %s shipments of %q: committing: %w", scan.Status, scan.Workspace, err)
	}
	if t.queued > 0 {
		s.signalQueued()
	}
	return marked, nil
}

// ListStuck lists the workspace's shipments stuck now, newest first.
func (s *Store) ListStuck(ctx context.Context, workspace string, beforeID int64, limit int) ([]*model.Shipment, error) {
	return s.listShipmentsWhere(ctx, "stuck", workspace, stuckNow, beforeID, limit)
}

// ListActionRequired lists the workspace's shipments whose status asks for
// action, newest first.
func (s *Store) ListActionRequired(ctx context.Context, workspace string, beforeID int64, limit int) ([]*model.Shipment, error) {
	return s.listShipmentsWhere(ctx, "action-required", workspace, s.dialect.actionRequiredTerm(), beforeID, limit)
}

// listShipmentsWhere lists a workspace's shipments that meet term (SQL of
// this package, never input), newest first, with their updated_at.
func (s *Store) listShipmentsWhere(ctx context.Context, what, workspace, term string, beforeID int64, limit int) ([]*model.Shipment, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	// PostgreSQL cannot estimate term (a comparison of two columns, a
	// substring), so until its statistics see the partial index's true
	// size it may walk the primary key backwards instead, through every
	// newer shipment (measured: 47-85 ms at 100,000 when none matches).
	// On PostgreSQL the partial indexes are therefore keyed by -id
	// (migration 00020), an order no other index has: the query asks for
	// that order, and only they can give it. SQLite picks them itself.
	query, after := `id < ? ORDER BY id DESC`, beforeID
	if s.dialect.Name == "postgres" {
		query, after = `-id > ? ORDER BY -id`, -beforeID
	}
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+shipmentColumns+`, updated_at FROM shipments
		WHERE workspace = ? AND `+term+` AND `+query+` LIMIT ?`), workspace, after, limit)
	if err != nil {
		return nil, fmt.Errorf("listing %s shipments of %q: %w", what, workspace, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*model.Shipment{}
	for rows.Next() {
		var updated int64
		sh, err := scanShipment(extraScan{rows, []any{&updated}})
		if err != nil {
			return nil, fmt.Errorf("listing %s shipments of %q: %w", what, workspace, err)
		}
		sh.UpdatedAt = fromMicros(updated)
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing %s shipments of %q: %w", what, workspace, err)
	}
	return out, nil
}

// CountOverview counts a workspace's resources by status and what needs
// action, in one read transaction. No count reads a workspace's shipments:
// their counts by status are kept by triggers (shipment_counts), stuck and
// action-required ones are counted from the partial indexes of migration
// 00020, and the other tables from their (workspace, status, …) index.
func (s *Store) CountOverview(ctx context.Context, workspace string) (*store.OverviewCounts, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	rtx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("counting the overview of %q: %w", workspace, err)
	}
	defer rollback(rtx)
	byStatus := func(table string, put func(status string, n int64)) error {
		rows, err := rtx.QueryContext(ctx, s.dialect.bind(`SELECT status, COUNT(*) FROM `+table+` WHERE workspace = ? GROUP BY status`), workspace)
		if err != nil {
			return fmt.Errorf("counting %s of %q: %w", table, workspace, err)
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var (
				status string
				n      int64
			)
			if err := rows.Scan(&status, &n); err != nil {
				return fmt.Errorf("counting %s of %q: %w", table, workspace, err)
			}
			put(status, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("counting %s of %q: %w", table, workspace, err)
		}
		return nil
	}
	count := func(what, query string, into *int64) error {
		if err := rtx.QueryRowContext(ctx, s.dialect.bind(query), workspace).Scan(into); err != nil {
			return fmt.Errorf("counting %s of %q: %w", what, workspace, err)
		}
		return nil
	}
	c := &store.OverviewCounts{
		Shipments: map[model.Status]int64{}, Orders: map[model.OrderStatus]int64{}, Inbound: map[model.InboundStatus]int64{},
		Returns: map[model.ReturnStatus]int64{}, Commands: map[model.CommandStatus]int64{},
	}
	for _, step := range []func() error{
		func() error {
			// shipment_counts is kept by triggers (migration 00020): a
			// workspace's shipments are too many to count per page view.
			rows, err := rtx.QueryContext(ctx, s.dialect.bind(`SELECT status, n FROM shipment_counts WHERE workspace = ? AND n <> 0`), workspace)
			if err != nil {
				return fmt.Errorf("counting shipments of %q: %w", workspace, err)
			}
			defer func() { _ = rows.Close() }()
			for rows.Next() {
				var (
					status string
					n      int64
				)
				if err := rows.Scan(&status, &n); err != nil {
					return fmt.Errorf("counting shipments of %q: %w", workspace, err)
				}
				c.Shipments[model.Status(status)] = n
			}
			return rows.Err()
		},
		func() error {
			return byStatus("orders", func(v string, n int64) { c.Orders[model.OrderStatus(v)] = n })
		},
		func() error {
			return byStatus("inbound", func(v string, n int64) { c.Inbound[model.InboundStatus(v)] = n })
		},
		func() error {
			return byStatus("returns", func(v string, n int64) { c.Returns[model.ReturnStatus(v)] = n })
		},
		func() error {
			return byStatus("commands", func(v string, n int64) { c.Commands[model.CommandStatus(v)] = n })
		},
		func() error {
			return count("action-required shipments", `SELECT COUNT(*) FROM shipments WHERE workspace = ? AND `+s.dialect.actionRequiredTerm(), &c.ActionRequired)
		},
		func() error {
			return count("stuck shipments", `SELECT COUNT(*) FROM shipments WHERE workspace = ? AND `+stuckNow, &c.Stuck)
		},
		func() error {
			return count("dead deliveries", `SELECT COUNT(*) FROM deliveries WHERE workspace = ? AND status = '`+model.DeliveryFailed+`'`, &c.DeadDeliveries)
		},
		func() error {
			return count("intake errors", `SELECT COUNT(*) FROM intake_errors WHERE workspace = ?`, &c.IntakeErrors)
		},
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

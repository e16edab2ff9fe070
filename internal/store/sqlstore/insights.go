package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Insights = (*Store)(nil)

const (
	microsPerHour = int64(time.Hour / time.Microsecond)
	microsPerDay  = 24 * microsPerHour
)

// carrierStatuses are the statuses that show a carrier has the parcel: the
// first event of one of them starts the transit time.
const carrierStatuses = `('in_transit', 'out_for_delivery', 'available_for_pickup', 'failed_attempt', 'delivered')`

// problemStatuses is the WHERE term of the partial index events_problems
// (migration 00021), written exactly as there: SQLite uses a partial index
// only for a query that repeats its condition.
const problemStatuses = `e.status IN ('exception', 'failed_attempt')`

// docField is the SQL of one top-level string field of a shipment's JSON
// document (NULL when absent). On PostgreSQL the document is read as json,
// not jsonb: json only parses it, jsonb also builds it, which is a third
// slower for a field or two (at 100,000 shipments 2.3 s against 3.6 s for
// three fields). Parsing documents is what the carrier aggregates spend
// their time on there; a column of the carrier would save it.
func (d Dialect) docField(column, field string) string {
	if d.Name == "postgres" {
		return fmt.Sprintf("(%s::json ->> '%s')", column, field)
	}
	return fmt.Sprintf("json_extract(%s, '$.%s')", column, field)
}

// EventsPerHour reads the window's events through events_by_time and each
// one's shipment by its primary key, for the workspace and the connection.
func (s *Store) EventsPerHour(ctx context.Context, workspace string, since time.Time) ([]store.HourCount, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	q := s.dialect.bind(fmt.Sprintf(`SELECT s.connection, e.occurred_at / %d AS bucket, count(*)
		FROM events e JOIN shipments s ON s.id = e.shipment_id
		WHERE e.occurred_at >= ? AND s.workspace = ?
		GROUP BY s.connection, bucket ORDER BY bucket, s.connection`, microsPerHour))
	rows, err := s.reader.QueryContext(ctx, q, micros(since), workspace)
	if err != nil {
		return nil, fmt.Errorf("counting events per hour of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.HourCount
	for rows.Next() {
		var c store.HourCount
		var bucket int64
		if err := rows.Scan(&c.Connection, &bucket, &c.Count); err != nil {
			return nil, fmt.Errorf("counting events per hour of %s: %w", workspace, err)
		}
		c.Hour = fromMicros(bucket * microsPerHour)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting events per hour of %s: %w", workspace, err)
	}
	return out, nil
}

// StatusesPerDay reads the window's events like EventsPerHour, grouped by
// the status column (migration 00021) instead of the document's.
func (s *Store) StatusesPerDay(ctx context.Context, workspace string, since time.Time) ([]store.DayStatusCount, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	q := s.dialect.bind(fmt.Sprintf(`SELECT e.status, e.occurred_at / %d AS bucket, count(*)
		FROM events e JOIN shipments s ON s.id = e.shipment_id
		WHERE e.occurred_at >= ? AND s.workspace = ?
		GROUP BY bucket, e.status ORDER BY bucket, e.status`, microsPerDay))
	rows, err := s.reader.QueryContext(ctx, q, micros(since), workspace)
	if err != nil {
		return nil, fmt.Errorf("counting statuses per day of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.DayStatusCount
	for rows.Next() {
		var c store.DayStatusCount
		var bucket int64
		var status string
		if err := rows.Scan(&status, &bucket, &c.Count); err != nil {
			return nil, fmt.Errorf("counting statuses per day of %s: %w", workspace, err)
		}
		c.Status = model.Status(status)
		c.Day = fromMicros(bucket * microsPerDay)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting statuses per day of %s: %w", workspace, err)
	}
	return out, nil
}

// TransitTimes reads the workspace's delivered shipments updated in the
// window (a delivery updates its shipment, so one delivered in the window
// was updated in it) through shipments_by_update_filters (both stores plan
// it there), and for each the first carrier event through
// events_by_shipment; the percentiles are taken here. Shipments delivered
// before since are then left out.
func (s *Store) TransitTimes(ctx context.Context, workspace string, since time.Time) ([]store.CarrierTransit, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	d := s.dialect
	// The first delivered event ends a shipment the provider gave no
	// delivered_at (the courier does not); it is read for those only. A
	// join grouped by shipment instead reads each event once but took
	// twice as long on SQLite.
	deliveredAt := d.docField("s.doc", "delivered_at")
	q := d.bind(fmt.Sprintf(`SELECT %s, s.provider, %s, %s,
		(SELECT min(e.occurred_at) FROM events e WHERE e.shipment_id = s.id AND e.status IN %s),
		CASE WHEN %s IS NULL THEN (SELECT min(e.occurred_at) FROM events e WHERE e.shipment_id = s.id AND e.status = 'delivered') END
		FROM shipments s WHERE s.workspace = ? AND s.status = 'delivered' AND s.updated_at >= ?`,
		d.docField("s.doc", "carrier"), deliveredAt, d.docField("s.doc", "collected_at"), carrierStatuses, deliveredAt))
	rows, err := s.reader.QueryContext(ctx, q, workspace, micros(since))
	if err != nil {
		return nil, fmt.Errorf("reading transit times of %s: %w", workspace, err)
	}
	defer rows.Close()
	samples := map[string][]time.Duration{}
	for rows.Next() {
		var carrier, delivered, collected sql.NullString
		var provider string
		var firstScan, deliveredEvent sql.NullInt64
		if err := rows.Scan(&carrier, &provider, &delivered, &collected, &firstScan, &deliveredEvent); err != nil {
			return nil, fmt.Errorf("reading transit times of %s: %w", workspace, err)
		}
		end, ok := docTime(delivered)
		if !ok && deliveredEvent.Valid {
			end, ok = fromMicros(deliveredEvent.Int64), true
		}
		if !ok || end.Before(since) {
			continue
		}
		start, ok := docTime(collected)
		if !ok && firstScan.Valid {
			start, ok = fromMicros(firstScan.Int64), true
		}
		if !ok || start.After(end) {
			continue
		}
		c := carrierOf(carrier, provider)
		samples[c] = append(samples[c], end.Sub(start))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading transit times of %s: %w", workspace, err)
	}
	out := make([]store.CarrierTransit, 0, len(samples))
	for c, ds := range samples {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		out = append(out, store.CarrierTransit{Carrier: c, Shipments: int64(len(ds)), P50: percentile(ds, 50), P90: percentile(ds, 90)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Carrier < out[j].Carrier })
	return out, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// CarrierRates reads the workspace's shipments updated in the window
// through shipments_by_update_filters, then their exception and failed-attempt
// events through the partial index events_problems, which holds only
// those: neither read parses an event's document.
func (s *Store) CarrierRates(ctx context.Context, workspace string, since time.Time) ([]store.CarrierRate, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	d := s.dialect
	type problems struct {
		exception   bool
		firstFailed sql.NullInt64
	}
	byShipment := map[int64]*problems{}
	pq := d.bind(fmt.Sprintf(`SELECT e.shipment_id, e.status, min(e.occurred_at)
		FROM events e JOIN shipments s ON s.id = e.shipment_id
		WHERE %s AND s.workspace = ? AND s.updated_at >= ?
		GROUP BY e.shipment_id, e.status`, problemStatuses))
	rows, err := s.reader.QueryContext(ctx, pq, workspace, micros(since))
	if err != nil {
		return nil, fmt.Errorf("reading problem events of %s: %w", workspace, err)
	}
	for rows.Next() {
		var id, first int64
		var status string
		if err := rows.Scan(&id, &status, &first); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading problem events of %s: %w", workspace, err)
		}
		p := byShipment[id]
		if p == nil {
			p = &problems{}
			byShipment[id] = p
		}
		if model.Status(status) == model.StatusException {
			p.exception = true
		} else {
			p.firstFailed = sql.NullInt64{Int64: first, Valid: true}
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("reading problem events of %s: %w", workspace, err)
	}

	sq := d.bind(fmt.Sprintf(`SELECT s.id, %s, s.provider, s.status, %s FROM shipments s
		WHERE s.workspace = ? AND s.updated_at >= ?`, d.docField("s.doc", "carrier"), d.docField("s.doc", "delivered_at")))
	rows, err = s.reader.QueryContext(ctx, sq, workspace, micros(since))
	if err != nil {
		return nil, fmt.Errorf("reading carrier rates of %s: %w", workspace, err)
	}
	defer rows.Close()
	rates := map[string]*store.CarrierRate{}
	for rows.Next() {
		var id int64
		var carrier, delivered sql.NullString
		var provider, status string
		if err := rows.Scan(&id, &carrier, &provider, &status, &delivered); err != nil {
			return nil, fmt.Errorf("reading carrier rates of %s: %w", workspace, err)
		}
		c := carrierOf(carrier, provider)
		r := rates[c]
		if r == nil {
			r = &store.CarrierRate{Carrier: c}
			rates[c] = r
		}
		r.Shipments++
		p := byShipment[id]
		if p != nil && p.exception {
			r.Exceptions++
		}
		if p != nil && p.firstFailed.Valid {
			r.FailedAttempts++
		}
		if model.Status(status) != model.StatusDelivered {
			continue
		}
		r.Delivered++
		switch at, ok := docTime(delivered); {
		case p == nil || !p.firstFailed.Valid:
			r.FirstAttempt++
		case ok && !fromMicros(p.firstFailed.Int64).Before(at):
			// The failed attempt was reported after the delivery: the
			// delivery was still the first attempt.
			r.FirstAttempt++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading carrier rates of %s: %w", workspace, err)
	}
	out := make([]store.CarrierRate, 0, len(rates))
	for _, r := range rates {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Carrier < out[j].Carrier })
	return out, nil
}

// carrierOf is a shipment's carrier, or its provider when it names none.
func carrierOf(carrier sql.NullString, provider string) string {
	if carrier.Valid && carrier.String != "" {
		return carrier.String
	}
	return provider
}

// docTime parses a time of a shipment's document (RFC 3339).
func docTime(v sql.NullString) (time.Time, bool) {
	if !v.Valid || v.String == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v.String)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

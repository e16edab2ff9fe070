package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Webhooks = (*Store)(nil)

const endpointColumns = `id, workspace, url, events, description, headers, secret, previous_secret, previous_secret_until,
	source, config_key, disabled_at, disabled_reason, failing_since, created_at, updated_at`

const deliveryColumns = `id, workspace, endpoint_id, feed_id, event_type, subject, status, attempts, next_attempt_at,
	last_status_code, last_error, created_at, updated_at, delivered_at`

// queuedSignal returns the store's delivery signal channel, made on first use.
func (s *Store) queuedSignal() chan struct{} {
	s.queuedOnce.Do(func() { s.queued = make(chan struct{}, 1) })
	return s.queued
}

// DeliveriesQueued signals after this process committed new deliveries.
func (s *Store) DeliveriesQueued() <-chan struct{} { return s.queuedSignal() }

func (s *Store) signalQueued() {
	select {
	case s.queuedSignal() <- struct{}{}:
	default:
	}
}

// placeholders returns "?, ?, …" with n placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// queueDeliveries writes one pending delivery per flushed feed event and
// matching endpoint of its workspace, in the apply transaction: the
// transactional outbox. A disabled endpoint gets its rows as dead letters,
// so recovering it later re-sends what it missed.
func (t *tx) queueDeliveries(ctx context.Context, feed []*model.FeedEvent) error {
	if len(feed) == 0 {
		return nil
	}
	var workspaces []string
	for _, e := range feed {
		if !slices.Contains(workspaces, e.Workspace) {
			workspaces = append(workspaces, e.Workspace)
		}
	}
	args := make([]any, len(workspaces))
	for i, w := range workspaces {
		args[i] = w
	}
	rows, err := t.tx.QueryContext(ctx, t.s.dialect.bind(`SELECT id, workspace, events, disabled_at IS NOT NULL FROM endpoints WHERE workspace IN (`+placeholders(len(args))+`) ORDER BY id`), args...)
	if err != nil {
		return fmt.Errorf("loading endpoints: %w", err)
	}
	type ep struct {
		id        int64
		workspace string
		events    []string
		disabled  bool
	}
	var eps []ep
	for rows.Next() {
		var (
			e      ep
			events string
		)
		if err := rows.Scan(&e.id, &e.workspace, &events, &e.disabled); err != nil {
			_ = rows.Close()
			return fmt.Errorf("loading endpoints: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &e.events); err != nil {
			_ = rows.Close()
			return fmt.Errorf("decoding the event filters of endpoint %d: %w", e.id, err)
		}
		eps = append(eps, e)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("loading endpoints: %w", err)
	}
	if len(eps) == 0 {
		return nil
	}
	now := micros(t.s.now())
	var b strings.Builder
	vals := make([]any, 0, 10*flushChunk)
	n := 0
	write := func() error {
		if n == 0 {
			return nil
		}
		q := `INSERT INTO deliveries (workspace, endpoint_id, feed_id, event_type, subject, status, next_attempt_at, last_error, created_at, updated_at) VALUES ` + b.String()
		if _, err := t.tx.ExecContext(t.s.stmtCtx(ctx), t.s.dialect.bind(q), vals...); err != nil {
			return fmt.Errorf("queueing %d deliveries: %w", n, err)
		}
		t.queued += n
		b.Reset()
		vals, n = vals[:0], 0
		return nil
	}
	for _, e := range feed {
		for _, p := range eps {
			if p.workspace != e.Workspace || !model.MatchEventType(p.events, e.Type) {
				continue
			}
			status, lastErr := model.DeliveryPending, ""
			if p.disabled {
				status, lastErr = model.DeliveryFailed, "endpoint disabled"
			}
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			vals = append(vals, e.Workspace, p.id, e.ID, e.Type, model.Subject(e.Type, e.SubjectID), status, now, lastErr, now, now)
			n++
			if n == flushChunk {
				if err := write(); err != nil {
					return err
				}
			}
		}
	}
	return write()
}

// scanEndpoint reads endpointColumns and opens the secrets.
func (s *Store) scanEndpoint(row scanner) (*model.Endpoint, error) {
	var (
		e                        model.Endpoint
		events, headers          string
		prevUntil, created, upd  int64
		disabledAt, failingSince sql.NullInt64
	)
	if err := row.Scan(&e.ID, &e.Workspace, &e.URL, &events, &e.Description, &headers, &e.Secret, &e.PreviousSecret, &prevUntil,
		&e.Source, &e.ConfigKey, &disabledAt, &e.DisabledReason, &failingSince, &created, &upd); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
		return nil, fmt.Errorf("decoding the event filters of endpoint %d: %w", e.ID, err)
	}
	headers, err := s.openSecret(e.Workspace, headerContext, headers)
	if err != nil {
		return nil, fmt.Errorf("opening the headers of endpoint %d: %w", e.ID, err)
	}
	if headers != "" {
		if err := json.Unmarshal([]byte(headers), &e.Headers); err != nil {
			return nil, fmt.Errorf("decoding the headers of endpoint %d: %w", e.ID, err)
		}
	}
	if prevUntil > 0 {
		e.PreviousSecretUntil = fromMicros(prevUntil)
	}
	if e.Secret, err = s.openSecret(e.Workspace, secretContext, e.Secret); err != nil {
		return nil, fmt.Errorf("opening the secret of endpoint %d: %w", e.ID, err)
	}
	if e.PreviousSecret, err = s.openSecret(e.Workspace, secretContext, e.PreviousSecret); err != nil {
		return nil, fmt.Errorf("opening the previous secret of endpoint %d: %w", e.ID, err)
	}
	e.DisabledAt, e.FailingSince = nullTime(disabledAt), nullTime(failingSince)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(upd)
	return &e, nil
}

// nullTime reads an optional time back: NULL is nil.
func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// endpointDocs encodes an endpoint's documents for storage. The headers are
// sealed like the secret: custom headers often carry the receiver's own
// credentials (an Authorization or token header).
func (s *Store) endpointDocs(e *model.Endpoint) (events, headers string, err error) {
	ev, err := json.Marshal(e.Events)
	if err != nil {
		return "", "", fmt.Errorf("encoding event filters: %w", err)
	}
	if len(e.Headers) > 0 {
		h, err := json.Marshal(e.Headers)
		if err != nil {
			return "", "", fmt.Errorf("encoding headers: %w", err)
		}
		if headers, err = s.sealSecret(e.Workspace, headerContext, string(h)); err != nil {
			return "", "", fmt.Errorf("sealing headers: %w", err)
		}
	}
	return string(ev), headers, nil
}

// CreateEndpoint stores a new endpoint and sets its ID and times.
func (s *Store) CreateEndpoint(ctx context.Context, e *model.Endpoint) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if e.Workspace == "" || e.URL == "" || e.Secret == "" {
		return errors.New("creating an endpoint: workspace, url and secret are required")
	}
	if e.Source == "" {
		e.Source = model.EndpointFromAPI
	}
	return s.insertEndpoint(ctx, s.writer, e)
}

func (s *Store) insertEndpoint(ctx context.Context, q querier, e *model.Endpoint) error {
	events, headers, err := s.endpointDocs(e)
	if err != nil {
		return fmt.Errorf("creating an endpoint: %w", err)
	}
	sealed, err := s.sealSecret(e.Workspace, secretContext, e.Secret)
	if err != nil {
		return fmt.Errorf("creating an endpoint: %w", err)
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	e.CreatedAt, e.UpdatedAt = now, now
	err = q.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO endpoints (workspace, url, events, description, headers, secret, source, config_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		e.Workspace, e.URL, events, e.Description, headers, sealed, e.Source, e.ConfigKey, micros(now), micros(now)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("creating an endpoint of %q: %w", e.Workspace, err)
	}
	return nil
}

// SyncConfigEndpoints makes the workspace's configured endpoints exactly eps.
func (s *Store) SyncConfigEndpoints(ctx context.Context, workspace string, eps []*model.Endpoint) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("syncing configured endpoints of %q: %w", workspace, err)
	}
	defer rollback(wtx)
	existing, err := s.queryEndpoints(ctx, wtx, `SELECT `+endpointColumns+` FROM endpoints WHERE workspace = ? AND source = 'config' ORDER BY id`, workspace)
	if err != nil {
		return fmt.Errorf("syncing configured endpoints of %q: %w", workspace, err)
	}
	byKey := map[string]*model.Endpoint{}
	for _, e := range existing {
		byKey[e.ConfigKey] = e
	}
	keep := map[int64]bool{}
	now := micros(s.now())
	for _, want := range eps {
		want.Workspace, want.Source = workspace, model.EndpointFromConfig
		if want.ConfigKey == "" {
			want.ConfigKey = want.URL
		}
		have, ok := byKey[want.ConfigKey]
		if !ok {
			if want.Secret == "" {
				want.Secret = model.NewSecret()
			}
			if err := s.insertEndpoint(ctx, wtx, want); err != nil {
				return fmt.Errorf("syncing configured endpoints: %w", err)
			}
			keep[want.ID] = true
			continue
		}
		keep[have.ID] = true
		want.ID = have.ID
		secret := have.Secret
		if want.Secret != "" {
			secret = want.Secret
		}
		if have.URL == want.URL && slices.Equal(have.Events, want.Events) && have.Description == want.Description &&
			maps.Equal(have.Headers, want.Headers) && have.Secret == secret {
			continue
		}
		events, headers, err := s.endpointDocs(want)
		if err != nil {
			return fmt.Errorf("syncing configured endpoints: %w", err)
		}
		sealed, err := s.sealSecret(workspace, secretContext, secret)
		if err != nil {
			return fmt.Errorf("syncing configured endpoint %d: %w", have.ID, err)
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET url = ?, events = ?, description = ?, headers = ?, secret = ?, updated_at = ? WHERE id = ?`),
			want.URL, events, want.Description, headers, sealed, now, have.ID); err != nil {
			return fmt.Errorf("syncing configured endpoint %d: %w", have.ID, err)
		}
	}
	for _, e := range existing {
		if keep[e.ID] {
			continue
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(`DELETE FROM endpoints WHERE id = ?`), e.ID); err != nil {
			return fmt.Errorf("deleting configured endpoint %d: %w", e.ID, err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return fmt.Errorf("syncing configured endpoints of %q: %w", workspace, err)
	}
	s.endpoints.invalidate()
	return nil
}

func (s *Store) queryEndpoints(ctx context.Context, q querier, query string, args ...any) ([]*model.Endpoint, error) {
	rows, err := q.QueryContext(ctx, s.dialect.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := []*model.Endpoint{}
	for rows.Next() {
		e, err := s.scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetEndpoint returns one endpoint of the workspace, secrets included.
func (s *Store) GetEndpoint(ctx context.Context, workspace string, id int64) (*model.Endpoint, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	e, err := s.scanEndpoint(s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+endpointColumns+` FROM endpoints WHERE workspace = ? AND id = ?`), workspace, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading endpoint %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading endpoint %d: %w", id, err)
	}
	return e, nil
}

// ListEndpoints lists the workspace's endpoints, oldest first.
func (s *Store) ListEndpoints(ctx context.Context, workspace string) ([]*model.Endpoint, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	out, err := s.queryEndpoints(ctx, s.reader, `SELECT `+endpointColumns+` FROM endpoints WHERE workspace = ? ORDER BY id`, workspace)
	if err != nil {
		return nil, fmt.Errorf("listing endpoints of %q: %w", workspace, err)
	}
	return out, nil
}

// execOne runs a write that must touch one row; none is ErrNotFound.
func (s *Store) execOne(ctx context.Context, doing string, query string, args ...any) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(query), args...)
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

// DeleteEndpoint deletes an endpoint; its deliveries and their log cascade.
func (s *Store) DeleteEndpoint(ctx context.Context, workspace string, id int64) error {
	defer s.endpoints.invalidate()
	return s.execOne(ctx, fmt.Sprintf("deleting endpoint %d", id), `DELETE FROM endpoints WHERE workspace = ? AND id = ?`, workspace, id)
}

// RotateEndpointSecret replaces the secret, keeping the old one until graceUntil.
func (s *Store) RotateEndpointSecret(ctx context.Context, workspace string, id int64, secret string, graceUntil time.Time) error {
	if secret == "" {
		return errors.New("rotating an endpoint secret: the new secret is empty")
	}
	// The current secret moves to previous_secret still sealed: both are
	// sealed for the same workspace.
	sealed, err := s.sealSecret(workspace, secretContext, secret)
	if err != nil {
		return fmt.Errorf("rotating the secret of endpoint %d: %w", id, err)
	}
	defer s.endpoints.invalidate()
	return s.execOne(ctx, fmt.Sprintf("rotating the secret of endpoint %d", id),
		`UPDATE endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?, updated_at = ? WHERE workspace = ? AND id = ?`,
		micros(graceUntil), sealed, micros(s.now()), workspace, id)
}

// DisableEndpoint marks the endpoint disabled and its pending deliveries dead letters.
func (s *Store) DisableEndpoint(ctx context.Context, id int64, reason string) (bool, error) {
	if s.isClosed.Load() {
		return false, store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("disabling endpoint %d: %w", id, err)
	}
	defer rollback(wtx)
	now := micros(s.now())
	res, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL`), now, reason, now, id)
	if err != nil {
		return false, fmt.Errorf("disabling endpoint %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE deliveries SET status = 'failed', last_error = ?, locked_until = 0, updated_at = ? WHERE endpoint_id = ? AND status = 'pending'`),
		"endpoint disabled: "+reason, now, id); err != nil {
		return false, fmt.Errorf("disabling endpoint %d: failing its pending deliveries: %w", id, err)
	}
	if err := wtx.Commit(); err != nil {
		return false, fmt.Errorf("disabling endpoint %d: %w", id, err)
	}
	s.endpoints.invalidate()
	return true, nil
}

// RecoverEndpoint enables the endpoint and requeues its dead letters since.
func (s *Store) RecoverEndpoint(ctx context.Context, workspace string, id int64, since time.Time) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("recovering endpoint %d: %w", id, err)
	}
	defer rollback(wtx)
	now := micros(s.now())
	res, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET disabled_at = NULL, disabled_reason = '', failing_since = NULL, updated_at = ? WHERE workspace = ? AND id = ?`), now, workspace, id)
	if err != nil {
		return 0, fmt.Errorf("recovering endpoint %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = store.ErrNotFound
		}
		return 0, fmt.Errorf("recovering endpoint %d: %w", id, err)
	}
	res, err = wtx.ExecContext(ctx, s.dialect.bind(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = 0, updated_at = ?
		WHERE endpoint_id = ? AND status = 'failed' AND created_at >= ?`), now, now, id, micros(since))
	if err != nil {
		return 0, fmt.Errorf("recovering endpoint %d: requeueing dead letters: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("recovering endpoint %d: %w", id, err)
	}
	if err := wtx.Commit(); err != nil {
		return 0, fmt.Errorf("recovering endpoint %d: %w", id, err)
	}
	s.endpoints.invalidate()
	s.signalQueued()
	return n, nil
}

// ClaimAlert records an alert about the endpoint unless one was recorded
// within interval; the conditional update makes check and record atomic.
func (s *Store) ClaimAlert(ctx context.Context, endpointID int64, interval time.Duration) (bool, error) {
	if s.isClosed.Load() {
		return false, store.ErrClosed
	}
	now := s.now()
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET last_alert_at = ? WHERE id = ? AND (last_alert_at IS NULL OR last_alert_at <= ?)`),
		micros(now), endpointID, micros(now.Add(-interval)))
	if err != nil {
		return false, fmt.Errorf("recording an alert for endpoint %d: %w", endpointID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("recording an alert for endpoint %d: %w", endpointID, err)
	}
	return n == 1, nil
}

// claimHead is the time the head of a delivery's subject (its earliest
// pending delivery to the same endpoint) is next tried, when that head is
// an earlier delivery waiting for a retry, not in flight; otherwise 0. Its
// one placeholder is now.
const claimHead = `SELECT CASE WHEN h.locked_until <= ? THEN h.next_attempt_at ELSE 0 END FROM deliveries h
	WHERE h.endpoint_id = deliveries.endpoint_id AND h.subject = deliveries.subject AND h.status = 'pending' AND h.id < deliveries.id
	ORDER BY h.id LIMIT 1`

// parkBatch bounds how many blocked deliveries one claim parks, so one
// claim transaction stays short when a large backlog first becomes due.
const parkBatch = 2000

// park moves the blocked deliveries the claim just read past behind the
// head of their subject, when that head waits for a retry: a later delivery
// of a subject cannot go before its head does, so it is due no earlier than
// the head's next attempt. Without this, every claim would read a failing
// endpoint's whole backlog again (due, but turned away by the ordering
// check) on every cycle; with it, each blocked delivery is read once per
// attempt of its head. A head in flight (claimed, locked_until in the
// future) parks nothing: it may succeed at once.
//
// Only the part of the due range the claim read is looked at: up to its
// last claimed delivery when it claimed its limit (full), else all of it.
// So parking costs about what the claim itself cost, and at most parkBatch
// rows are parked per range.
//
// Only a retry is a head that waits, and a retry is a pending delivery
// already attempted and due in the future; with none (a healthy queue) park
// does not look at the range at all (it read every blocked delivery on every
// claim: 18 % of the claim's CPU in the end-to-end run).
func (s *Store) park(ctx context.Context, wtx *sql.Tx, now time.Time, claimed []*model.Delivery, full bool) error {
	n := micros(now)
	if retrying, err := s.anyPending(ctx, wtx, anyRetryingSQL, n); err != nil {
		return fmt.Errorf("claiming deliveries: looking for retries: %w", err)
	} else if !retrying {
		return nil
	}
	args := []any{n} // claimHead in SET
	if !full {
		args = append(args, n, n, n, n)
	} else {
		// The claim read the due range up to its last claimed delivery,
		// in (next_attempt_at, id) order. Two ranges, each one an index
		// range: a single "(a < x OR (a = x AND id < y))" would leave the
		// planner the whole due range when many rows share a time.
		last := claimed[0]
		for _, d := range claimed[1:] {
			if d.NextAttemptAt.After(*last.NextAttemptAt) || (d.NextAttemptAt.Equal(*last.NextAttemptAt) && d.ID > last.ID) {
				last = d
			}
		}
		at := micros(*last.NextAttemptAt)
		args = append(args, at, n, n, n, at, last.ID, n, n, n)
	}
	if _, err := s.execTx(ctx, wtx, s.parkSQL(full), args...); err != nil {
		return fmt.Errorf("claiming deliveries: parking the backlog of waiting subjects: %w", err)
	}
	return nil
}

// Whether any pending delivery due after now (the one placeholder) was
// attempted before (a retry, which parking waits behind) or not (a parked
// delivery, which unparking releases). Both read the due index from now on,
// which a healthy queue leaves empty. They are a row or none, not
// EXISTS: PostgreSQL plans a statement prepared this often once for any
// now, and for "EXISTS (… next_attempt_at > $1 …)" that generic plan was a
// sequential scan of deliveries (17 ms at 60,000 rows, on every claim and
// every record: the PostgreSQL server's CPU was the end-to-end limit); the
// ORDER BY … LIMIT 1 keeps it on the due index (0.04 ms) whatever now is.
const (
	anyRetryingSQL = `SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at > ? AND attempts > 0 ORDER BY next_attempt_at LIMIT 1`
	anyParkedSQL   = `SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at > ? AND attempts = 0 ORDER BY next_attempt_at LIMIT 1`
)

// anyPending runs anyRetryingSQL or anyParkedSQL: whether it finds a row.
func (s *Store) anyPending(ctx context.Context, wtx *sql.Tx, query string, now int64) (bool, error) {
	rows, err := s.queryTx(ctx, wtx, s.dialect.bind(query), now)
	if err != nil {
		return false, err
	}
	defer func() { _ = rows.Close() }()
	found := rows.Next()
	if err := rows.Err(); err != nil {
		return false, err
	}
	return found, rows.Close()
}

// beginRelaxed begins a writer transaction that does not wait for its own
// fsync (SQLite: synchronous=NORMAL for it, PostgreSQL: synchronous_commit
// off), for the delivery claims and attempt records: losing one in a power
// cut (never in a crash of the process: the database has it) only makes
// deliveries due again that were claimed or sent, so they are sent again,
// which at-least-once delivery allows and receivers deduplicate by
// webhook-id. A later durable commit (an inbox append) makes it durable
// too: SQLite's WAL and PostgreSQL's log are flushed in order. done must be
// called after the transaction ended.
func (s *Store) beginRelaxed(ctx context.Context) (*sql.Tx, func(), error) {
	if before, after := s.dialect.ApplyPragmas[0], s.dialect.ApplyPragmas[1]; before != "" {
		// Pin the connection so the pragmas apply to this transaction only.
		conn, err := s.writer.Conn(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("taking the writer: %w", err)
		}
		if _, err := conn.ExecContext(ctx, before); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("%s: %w", before, err)
		}
		done := func() {
			// Restore even when ctx has ended: the connection is reused.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), after)
			conn.Close()
		}
		wtx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			done()
			return nil, nil, err
		}
		return wtx, done, nil
	}
	if s.relaxed != nil {
		wtx, err := s.relaxed.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		return wtx, func() {}, nil
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	if setup := cmp.Or(s.dialect.RelaxedSetup, s.dialect.ApplySetup); setup != "" {
		if _, err := wtx.ExecContext(ctx, setup); err != nil {
			rollback(wtx)
			return nil, nil, fmt.Errorf("%s: %w", setup, err)
		}
	}
	return wtx, func() {}, nil
}

// skipLocked is the suffix of a claim's inner SELECT: on PostgreSQL the
// candidate rows are locked, and rows other claims hold are passed over.
func (s *Store) skipLocked() string {
	if s.dialect.LockSuffix == "" {
		return ""
	}
	return s.dialect.LockSuffix + " SKIP LOCKED"
}

// claimSQL is ClaimDeliveries' claiming statement. Its text is fixed per
// dialect, so SQLite prepares it once (prepareHot): its parse cost more
// than its run in a profile of the delivery phase.
//
// The limit is bound as CAST(? AS INTEGER), not a bare ?: SQLite (3.47 and
// later) reads a bare LIMIT parameter's bound value while it plans, and so
// marks the statement to be prepared again whenever that parameter is
// bound, that is on every claim (sqlite3Reprepare was 6 % of the delivery
// phase's CPU). An expression it does not look into; the plan is the same.
//
// On PostgreSQL the claimed ids are an array (id = ANY(ARRAY(…))), not
// "id IN (…)": the generic plan of the prepared statement, which does not
// know the limit, joined "id IN (…)" to a sequential scan of deliveries
// (16 ms at 75,000 rows against 0.5 ms); an array is an index scan of the
// primary key whatever the limit (TestDeliveryStatementsHaveIndexedGenericPlans).
//
// The ordering check (NOT EXISTS an earlier pending delivery of the
// subject) can only be read through deliveries_pending_subject on
// PostgreSQL: deliveries_by_endpoint holds finished deliveries only
// (migration 00026), because before a table's first ANALYZE the planner ran
// the check through it, over every pending delivery of the endpoint for
// each candidate (TestClaimBeforeTheFirstAnalyze).
//
// On PostgreSQL the NOT EXISTS ends with OFFSET 0, which keeps it a
// subquery run for each candidate with the candidate's endpoint, subject
// and id as its index condition. Planned as an anti join, it was the
// planner's to choose how to read the inner side, and with statistics
// from when few deliveries were pending (a backlog that built up since the
// last ANALYZE) it read the whole of deliveries_pending_subject for each
// candidate: 1.4 s a claim over 60,000 pending deliveries, against 0.6 ms
// as a subquery; during a soak at 300 messages a second the deliveries
// fell behind that way and did not catch up.
func (s *Store) claimSQL() string {
	open, end, fence := `id IN (`, `)`, ``
	if s.dialect.LockSuffix != "" {
		open, end, fence = `id = ANY(ARRAY(`, `))`, ` OFFSET 0`
	}
	return s.dialect.bind(`UPDATE deliveries SET locked_until = ? WHERE ` + open + `
		SELECT d.id FROM deliveries d
		WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.locked_until <= ?
		AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.subject = d.subject AND p.status = 'pending' AND p.id < d.id` + fence + `)
		ORDER BY d.next_attempt_at, d.id LIMIT CAST(? AS INTEGER)` + s.skipLocked() + end + `
		RETURNING ` + deliveryColumns)
}

// parkSQL is park's statement, for a claim that took its limit (full) or
// not; like claimSQL, its text is fixed and SQLite prepares it once.
func (s *Store) parkSQL(full bool) string {
	head := strings.ReplaceAll(claimHead, "deliveries.", "d.")
	// parkBatch is written into the text, not bound: a bound LIMIT makes
	// SQLite prepare the statement again on each run (see claimSQL).
	//
	// The ORDER BY is the due index's order, so the range is read on
	// deliveries_due whatever the statistics say. Without it, PostgreSQL
	// with statistics from before a backlog (every partial index on the
	// pending deliveries believed near empty) walked the whole of
	// deliveries_pending_subject instead, filtering on the range: 30,983
	// rows read for a range of 657 (11 ms against 1.5 ms at 30,000
	// pending; TestDeliveryPlansWithStaleStatistics).
	blocked := func(rng string) string {
		return `SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND ` + rng + ` AND d.locked_until <= ? AND (` + head + `) > ?
			ORDER BY d.next_attempt_at, d.id LIMIT ` + strconv.Itoa(parkBatch) + s.skipLocked()
	}
	where := `id IN (` + blocked(`d.next_attempt_at <= ?`) + `)`
	if full {
		// The claim read the due range up to its last claimed delivery,
		// in (next_attempt_at, id) order. Two ranges, each one an index
		// range: a single "(a < x OR (a = x AND id < y))" would leave the
		// planner the whole due range when many rows share a time.
		where = `id IN (` + blocked(`d.next_attempt_at < ?`) + `) OR id IN (` + blocked(`d.next_attempt_at = ? AND d.id < ?`) + `)`
	}
	if s.dialect.LockSuffix != "" {
		// PostgreSQL: "id IN (…) OR id IN (…)" became a sequential scan
		// of deliveries filtered by two hashed subplans (190 ms on 30,000
		// rows); arrays of the ids are an index scan of the primary key
		// (10 ms). The placeholders keep their order.
		where = `id = ANY(ARRAY(` + blocked(`d.next_attempt_at <= ?`) + `))`
		if full {
			where = `id = ANY(ARRAY(` + blocked(`d.next_attempt_at < ?`) + `) || ARRAY(` + blocked(`d.next_attempt_at = ? AND d.id < ?`) + `))`
		}
	}
	return s.dialect.bind(`UPDATE deliveries SET next_attempt_at = (` + claimHead + `) WHERE ` + where)
}

// ClaimDeliveries takes due deliveries for sending. On PostgreSQL the
// candidate rows are locked with SKIP LOCKED, so concurrent claims from
// other instances pass over them instead of waiting or taking them too; on
// SQLite the single writer serialises claims. The ordering rule is the NOT
// EXISTS: a later delivery of a subject waits while an earlier one is
// pending, in flight or retrying.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*store.DeliveryJob, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = 100
	}
	now := s.now()
	wtx, done, err := s.beginRelaxed(ctx)
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	defer done()
	defer rollback(wtx)
	rows, err := s.queryTx(ctx, wtx, s.claimSQL(), micros(now.Add(lease)), micros(now), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	dels, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	if err := s.park(ctx, wtx, now, dels, len(dels) == limit); err != nil {
		return nil, err
	}
	if len(dels) == 0 {
		// Commit what was parked.
		if err := wtx.Commit(); err != nil {
			return nil, fmt.Errorf("claiming deliveries: %w", err)
		}
		return nil, nil
	}
	slices.SortFunc(dels, func(a, b *model.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	feedIDs, epIDs := make([]int64, 0, len(dels)), []int64{}
	for _, d := range dels {
		feedIDs = append(feedIDs, d.EventID)
		if !slices.Contains(epIDs, d.EndpointID) {
			epIDs = append(epIDs, d.EndpointID)
		}
	}
	epByID, err := s.claimEndpoints(ctx, wtx, epIDs)
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: loading endpoints: %w", err)
	}
	feedByID := make(map[int64]*model.FeedEvent, len(feedIDs))
	frows, err := s.queryTx(ctx, wtx, s.claimFeedSQL(), s.idsArg(feedIDs))
	if err != nil {
		return nil, fmt.Errorf("claiming deliveries: loading events: %w", err)
	}
	for frows.Next() {
		var (
			e    model.FeedEvent
			at   int64
			data string
		)
		if err := frows.Scan(&e.ID, &e.Workspace, &e.Type, &e.SubjectID, &at, &data); err != nil {
			_ = frows.Close()
			return nil, fmt.Errorf("claiming deliveries: loading events: %w", err)
		}
		e.OccurredAt, e.Data = fromMicros(at), json.RawMessage(data)
		feedByID[e.ID] = &e
	}
	if err := frows.Close(); err != nil {
		return nil, fmt.Errorf("claiming deliveries: loading events: %w", err)
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	jobs := make([]*store.DeliveryJob, 0, len(dels))
	for _, d := range dels {
		ep, ev := epByID[d.EndpointID], feedByID[d.EventID]
		if ep == nil || ev == nil {
			continue // Deleted under us (cascades make this momentary).
		}
		jobs = append(jobs, &store.DeliveryJob{Delivery: *d, Endpoint: ep, Event: ev})
	}
	return jobs, nil
}

// idsIn is the predicate "col is one of a list of ids" with one
// placeholder, whose argument is idsArg of the list: a statement text that
// does not change with the number of ids, so it is prepared once (SQLite:
// prepareHot; PostgreSQL: pgx's statement cache), where "IN (?, ?, …)" was
// parsed anew for every batch size. SQLite reads the ids from a JSON array
// (json_each), PostgreSQL from a bigint array.
func (s *Store) idsIn(col string) string {
	if s.dialect.SingleWriter {
		return col + ` IN (SELECT value FROM json_each(?))`
	}
	return col + ` = ANY(?)`
}

// idsArg is the argument of an idsIn predicate.
func (s *Store) idsArg(ids []int64) any {
	if !s.dialect.SingleWriter {
		return ids
	}
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// claimFeedSQL reads the feed entries of claimed deliveries.
func (s *Store) claimFeedSQL() string {
	return s.dialect.bind(`SELECT id, workspace, type, subject_id, occurred_at, data FROM feed WHERE ` + s.idsIn("id"))
}

// claimEndpointsSQL reads claimed deliveries' endpoints in full.
func (s *Store) claimEndpointsSQL() string {
	return s.dialect.bind(`SELECT ` + endpointColumns + ` FROM endpoints WHERE ` + s.idsIn("id"))
}

// claimEndpointVersionsSQL reads what tells a cached endpoint from the
// stored one: updated_at, which every change of the endpoint's own fields
// sets (CreateEndpoint, SyncConfigEndpoints, RotateEndpointSecret,
// DisableEndpoint, RecoverEndpoint; a deleted endpoint has no row), and
// failing_since, which RecordAttempts sets without it.
func (s *Store) claimEndpointVersionsSQL() string {
	return s.dialect.bind(`SELECT id, updated_at, failing_since FROM endpoints WHERE ` + s.idsIn("id"))
}

// endpointCacheTTL is how long a cached endpoint is used while its
// updated_at is unchanged. The updated_at check alone sees every change made
// through a store, this process's or another instance's; the TTL bounds
// what it cannot see: two changes of one endpoint stamped with the same
// microsecond (two instances whose clocks differ), after which the older
// one would otherwise stay cached.
const endpointCacheTTL = 30 * time.Second

// endpointCache keeps the endpoints ClaimDeliveries read, opened: their
// secrets and headers decrypted, their filters decoded. Loading them in full
// on every claim (a query, JSON and two or three AES-GCM opens an endpoint)
// cost more than checking that they are unchanged.
type endpointCache struct {
	mu sync.Mutex
	m  map[int64]cachedEndpoint
}

type cachedEndpoint struct {
	ep       *model.Endpoint
	updated  int64 // updated_at it was read at (unix micros)
	loadedAt time.Time
}

// claimEndpoints returns the endpoints of ids that exist, by id: from the
// cache when their updated_at is the one cached (with failing_since as
// stored now), else read in full and cached. A job's endpoint is shared
// with the cache and later jobs: its callers only read it.
func (s *Store) claimEndpoints(ctx context.Context, wtx *sql.Tx, ids []int64) (map[int64]*model.Endpoint, error) {
	rows, err := s.queryTx(ctx, wtx, s.claimEndpointVersionsSQL(), s.idsArg(ids))
	if err != nil {
		return nil, err
	}
	type version struct {
		updated int64
		failing sql.NullInt64
	}
	versions := make(map[int64]version, len(ids))
	for rows.Next() {
		var (
			id int64
			v  version
		)
		if err := rows.Scan(&id, &v.updated, &v.failing); err != nil {
			_ = rows.Close()
			return nil, err
		}
		versions[id] = v
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	now := time.Now()
	out := make(map[int64]*model.Endpoint, len(ids))
	var load []int64
	c := &s.endpoints
	c.mu.Lock()
	for _, id := range ids {
		v, ok := versions[id]
		if !ok {
			delete(c.m, id) // deleted
			continue
		}
		ce, ok := c.m[id]
		if !ok || ce.updated != v.updated || now.Sub(ce.loadedAt) >= endpointCacheTTL {
			load = append(load, id)
			continue
		}
		if !sameTime(ce.ep.FailingSince, v.failing) {
			ep := *ce.ep
			ep.FailingSince = nullTime(v.failing)
			ce.ep = &ep
			c.m[id] = ce
		}
		out[id] = ce.ep
	}
	c.mu.Unlock()
	if len(load) == 0 {
		return out, nil
	}
	eps, err := s.queryEndpoints(ctx, wtx, s.claimEndpointsSQL(), s.idsArg(load))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]cachedEndpoint{}
	}
	for _, e := range eps {
		out[e.ID] = e
		c.m[e.ID] = cachedEndpoint{ep: e, updated: micros(e.UpdatedAt), loadedAt: now}
	}
	return out, nil
}

// invalidate drops every cached endpoint. The store's own endpoint writes
// call it after they commit, so this process never relies on updated_at
// alone for its own changes (two of them could share a microsecond when
// the clock steps back).
func (c *endpointCache) invalidate() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// sameTime reports whether an endpoint's optional time is the stored one.
func sameTime(t *time.Time, v sql.NullInt64) bool {
	if t == nil || !v.Valid {
		return t == nil && !v.Valid
	}
	return micros(*t) == v.Int64
}

func scanDeliveries(rows *sql.Rows) ([]*model.Delivery, error) {
	defer func() { _ = rows.Close() }()
	var out []*model.Delivery
	for rows.Next() {
		var (
			d                  model.Delivery
			next, created, upd int64
			delivered          sql.NullInt64
		)
		if err := rows.Scan(&d.ID, &d.Workspace, &d.EndpointID, &d.EventID, &d.EventType, &d.Subject, &d.Status, &d.Attempts, &next,
			&d.LastStatusCode, &d.LastError, &created, &upd, &delivered); err != nil {
			return nil, err
		}
		if d.Status == model.DeliveryPending {
			t := fromMicros(next)
			d.NextAttemptAt = &t
		}
		d.CreatedAt, d.UpdatedAt, d.DeliveredAt = fromMicros(created), fromMicros(upd), nullTime(delivered)
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = []*model.Delivery{}
	}
	return out, nil
}

// nextDueSQL is the earliest time a pending delivery becomes claimable:
// the later of its next_attempt_at and locked_until, the least of them.
// "MIN(CASE …) FROM deliveries WHERE status = 'pending'" read every
// pending delivery (a sequential scan, 21 ms at 65,000 pending, on every
// idle turn of the worker while a backlog is parked). Instead it walks the
// due index to the first delivery not in flight (locked_until <=
// next_attempt_at): its next_attempt_at is the answer unless a delivery in
// flight frees earlier, and every such delivery is due before it, so the
// second part reads only the in-flight ones, at most the worker's slots.
const nextDueSQL = `WITH f (at) AS (SELECT next_attempt_at FROM deliveries WHERE status = 'pending' AND locked_until <= next_attempt_at
		ORDER BY next_attempt_at LIMIT 1)
	SELECT MIN(at) FROM (SELECT at FROM f UNION ALL
		SELECT MIN(locked_until) FROM deliveries WHERE status = 'pending'
		AND next_attempt_at < COALESCE((SELECT at FROM f), 9223372036854775807)) AS a`

// NextDeliveryDue returns when the earliest pending delivery becomes claimable.
func (s *Store) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	if s.isClosed.Load() {
		return time.Time{}, false, store.ErrClosed
	}
	var at sql.NullInt64
	err := s.reader.QueryRowContext(ctx, nextDueSQL).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("finding the next due delivery: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(at.Int64), true, nil
}

// RecordAttempts stores attempt outcomes, their log and endpoint health in
// one transaction, with a few multi-row statements.
func (s *Store) RecordAttempts(ctx context.Context, results []store.AttemptResult) ([]store.EndpointHealth, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if len(results) == 0 {
		return nil, nil
	}
	now := micros(s.now())
	wtx, done, err := s.beginRelaxed(ctx)
	if err != nil {
		return nil, fmt.Errorf("recording delivery attempts: %w", err)
	}
	defer done()
	defer rollback(wtx)
	updated := map[int64]bool{}
	// Unparking is for deliveries parked behind a head these results may
	// finish; with none parked anywhere (a healthy queue) it is skipped.
	parked, err := s.anyPending(ctx, wtx, anyParkedSQL, now)
	if err != nil {
		return nil, fmt.Errorf("recording delivery attempts: looking for parked deliveries: %w", err)
	}
	if s.stmts != nil {
		// SQLite: one prepared statement a row. Without round trips a
		// prepared single-row statement costs less than parsing a
		// multi-row one, whose text changes with the batch size.
		if err := s.recordRows(ctx, wtx, results, updated, now, parked); err != nil {
			return nil, err
		}
	}
	if s.stmts == nil {
		if err := s.recordUnnested(ctx, wtx, results, updated, now); err != nil {
			return nil, err
		}
	}

	if s.stmts == nil && parked {
		if err := s.unpark(ctx, wtx, results, updated, now); err != nil {
			return nil, err
		}
	}

	// Endpoint health follows each endpoint's latest attempt.
	latest := map[int64]store.AttemptResult{}
	var order []int64
	for _, r := range results {
		if _, seen := latest[r.EndpointID]; !seen {
			order = append(order, r.EndpointID)
		}
		latest[r.EndpointID] = r
	}
	var healthy []int64
	var failing []any
	started := map[int64]bool{}
	for _, id := range order {
		r := latest[id]
		if r.Healthy {
			healthy = append(healthy, id)
			continue
		}
		failing = append(failing, id)
		res, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL`), micros(r.Attempt.AttemptedAt), id)
		if err != nil {
			return nil, fmt.Errorf("recording the failure of endpoint %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			started[id] = true
		}
	}
	if len(healthy) > 0 {
		if _, err := s.execTx(ctx, wtx, s.endpointsRecoveredSQL(), s.idsArg(healthy)); err != nil {
			return nil, fmt.Errorf("recording endpoint recovery: %w", err)
		}
	}
	var health []store.EndpointHealth
	for _, id := range healthy {
		health = append(health, store.EndpointHealth{EndpointID: id})
	}
	if len(failing) > 0 {
		rows, err := wtx.QueryContext(ctx, s.dialect.bind(`SELECT id, workspace, url, failing_since FROM endpoints WHERE failing_since IS NOT NULL AND id IN (`+placeholders(len(failing))+`)`), failing...)
		if err != nil {
			return nil, fmt.Errorf("reading endpoint health: %w", err)
		}
		for rows.Next() {
			var (
				h     store.EndpointHealth
				since int64
			)
			if err := rows.Scan(&h.EndpointID, &h.Workspace, &h.URL, &since); err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("reading endpoint health: %w", err)
			}
			h.FailingSince, h.StartedFailing = fromMicros(since), started[h.EndpointID]
			health = append(health, h)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("reading endpoint health: %w", err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("recording %d delivery attempts: %w", len(results), err)
	}
	return health, nil
}

// recordUnnested is RecordAttempts' delivery updates and attempt log on
// PostgreSQL: one statement each, from unnested arrays, whose text does
// not change with the number of results (a multi-row VALUES list was a
// new statement to prepare and plan for every batch size).
func (s *Store) recordUnnested(ctx context.Context, wtx *sql.Tx, results []store.AttemptResult, updated map[int64]bool, now int64) error {
	n := len(results)
	ids, next, delivered := make([]int64, n), make([]int64, n), make([]*int64, n)
	statuses, errs := make([]string, n), make([]string, n)
	codes := make([]int32, n)
	for i, r := range results {
		if r.Status == model.DeliverySucceeded {
			at := micros(r.Attempt.AttemptedAt)
			delivered[i] = &at
		}
		due := r.NextAttemptAt
		if due.IsZero() {
			due = r.Attempt.AttemptedAt
		}
		ids[i], statuses[i], next[i], codes[i], errs[i] = r.DeliveryID, string(r.Status), micros(due), int32(r.Attempt.StatusCode), r.Attempt.Error
	}
	// status COLLATE "C" is the same test as status = 'pending' (the
	// statuses are ASCII words), which PostgreSQL's planner cannot match
	// to the partial indexes' "WHERE status = 'pending'": it leaves it the
	// primary key only, looked up for each result. With statistics from
	// before a backlog, which believe those indexes near empty, it hashed
	// the whole of deliveries_pending_subject for the join instead (14 ms
	// for 8 results at 30,000 pending, 0.06 ms now;
	// TestDeliveryPlansWithStaleStatistics).
	rows, err := wtx.QueryContext(ctx, `UPDATE deliveries SET status = v.status, attempts = deliveries.attempts + 1, next_attempt_at = v.next_attempt_at, locked_until = 0,
		last_status_code = v.last_status_code, last_error = v.last_error, delivered_at = COALESCE(v.delivered_at, deliveries.delivered_at), updated_at = $7
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::integer[], $5::text[], $6::bigint[]) AS v (id, status, next_attempt_at, last_status_code, last_error, delivered_at)
		WHERE deliveries.id = v.id AND deliveries.status COLLATE "C" = 'pending' RETURNING deliveries.id`,
		ids, statuses, next, codes, errs, delivered, now)
	if err != nil {
		return fmt.Errorf("recording %d delivery attempts: %w", n, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return fmt.Errorf("recording delivery attempts: %w", err)
		}
		updated[id] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("recording delivery attempts: %w", err)
	}

	var logged []int64
	var at, took []int64
	var logCodes []int32
	var logErrs, responses []string
	for _, r := range results {
		if !updated[r.DeliveryID] {
			continue
		}
		a := r.Attempt
		logged, at, took = append(logged, r.DeliveryID), append(at, micros(a.AttemptedAt)), append(took, int64(a.DurationMS*1000))
		logCodes, logErrs, responses = append(logCodes, int32(a.StatusCode)), append(logErrs, a.Error), append(responses, a.Response)
	}
	if len(logged) == 0 {
		return nil
	}
	if _, err := wtx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_us, status_code, error, response)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::integer[], $5::text[], $6::text[])`,
		logged, at, took, logCodes, logErrs, responses); err != nil {
		return fmt.Errorf("logging %d delivery attempts: %w", len(logged), err)
	}
	return nil
}

// endpointsRecoveredSQL clears the failure of endpoints whose latest
// attempt succeeded; its text is fixed (idsIn), so it is prepared once.
func (s *Store) endpointsRecoveredSQL() string {
	return s.dialect.bind(`UPDATE endpoints SET failing_since = NULL WHERE failing_since IS NOT NULL AND ` + s.idsIn("id"))
}

// Row-at-a-time statements of RecordAttempts, prepared once on SQLite.
const (
	recordAttemptSQL = `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, locked_until = 0,
		last_status_code = ?, last_error = ?, delivered_at = COALESCE(?, delivered_at), updated_at = ?
		WHERE id = ? AND status = 'pending'`
	logAttemptSQL = `INSERT INTO delivery_attempts (delivery_id, attempted_at, duration_us, status_code, error, response) VALUES (?, ?, ?, ?, ?, ?)`
	unparkOneSQL  = `UPDATE deliveries SET next_attempt_at = ? FROM (SELECT endpoint_id, subject FROM deliveries WHERE id = ?) AS f
		WHERE deliveries.endpoint_id = f.endpoint_id AND deliveries.subject = f.subject AND deliveries.id > ?
		AND deliveries.status = 'pending' AND deliveries.attempts = 0 AND deliveries.next_attempt_at > ?`
)

// recordRows is RecordAttempts' delivery updates, attempt log and
// unparking with the prepared single-row statements (SQLite): the same
// writes as the multi-row statements, in the same transaction.
func (s *Store) recordRows(ctx context.Context, wtx *sql.Tx, results []store.AttemptResult, updated map[int64]bool, now int64, parked bool) error {
	upd, ok1 := s.prepared(recordAttemptSQL)
	ins, ok2 := s.prepared(logAttemptSQL)
	unp, ok3 := s.prepared(unparkOneSQL)
	if !ok1 || !ok2 || !ok3 {
		return errors.New("recording delivery attempts: statements not prepared")
	}
	ctx = s.stmtCtx(ctx)
	upd, ins, unp = wtx.StmtContext(ctx, upd), wtx.StmtContext(ctx, ins), wtx.StmtContext(ctx, unp)
	for _, r := range results {
		var delivered any
		if r.Status == model.DeliverySucceeded {
			delivered = micros(r.Attempt.AttemptedAt)
		}
		next := r.NextAttemptAt
		if next.IsZero() {
			next = r.Attempt.AttemptedAt
		}
		// Exec, not RETURNING: SQLite writes a RETURNING statement's rows
		// to a temporary table before handing them out; the count of
		// changed rows says the same here.
		res, err := upd.ExecContext(ctx, r.Status, micros(next), r.Attempt.StatusCode, r.Attempt.Error, delivered, now, r.DeliveryID)
		if err != nil {
			return fmt.Errorf("recording the attempt of delivery %d: %w", r.DeliveryID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("recording the attempt of delivery %d: %w", r.DeliveryID, err)
		} else if n == 0 {
			continue // No longer pending: recorded before, or requeued.
		}
		updated[r.DeliveryID] = true
		a := r.Attempt
		if _, err := ins.ExecContext(ctx, r.DeliveryID, micros(a.AttemptedAt), int64(a.DurationMS*1000), a.StatusCode, a.Error, a.Response); err != nil {
			return fmt.Errorf("logging the attempt of delivery %d: %w", r.DeliveryID, err)
		}
	}
	for _, r := range results {
		if parked && updated[r.DeliveryID] && r.Status != model.DeliveryPending {
			if _, err := unp.ExecContext(ctx, now, r.DeliveryID, r.DeliveryID, now); err != nil {
				return fmt.Errorf("recording delivery attempts: releasing the deliveries waiting behind %d: %w", r.DeliveryID, err)
			}
		}
	}
	return nil
}

// unpark makes the parked deliveries of the subjects whose head these
// results finished (delivered or dead-lettered) due now: ClaimDeliveries
// parked them behind a retry of that head which no longer comes. Parked
// deliveries are the never-attempted pending ones due in the future; no
// other delivery is.
func (s *Store) unpark(ctx context.Context, wtx *sql.Tx, results []store.AttemptResult, updated map[int64]bool, now int64) error {
	var ids []int64
	for _, r := range results {
		if updated[r.DeliveryID] && r.Status != model.DeliveryPending {
			ids = append(ids, r.DeliveryID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// Each finished head's later deliveries are searched for in
	// deliveries_pending_subject by its endpoint, subject and id: LATERAL
	// with OFFSET 0 keeps that a search per head. As a join of the heads
	// to deliveries ("UPDATE … FROM f WHERE …", the statement before), the
	// planner, from statistics taken when few deliveries were pending,
	// walked every pending delivery and probed the heads for each: 3.0 s
	// for 8 heads at 110,000 pending (TestUnparkPlanWithStaleStatistics),
	// in every record while an endpoint's backlog is parked.
	if _, err := wtx.ExecContext(ctx, s.dialect.bind(unparkSQL), now, now, s.idsArg(ids)); err != nil {
		return fmt.Errorf("recording delivery attempts: releasing the deliveries waiting behind them: %w", err)
	}
	return nil
}

// unparkSQL is unpark's statement (PostgreSQL): now, now, the finished
// heads' ids.
const unparkSQL = `UPDATE deliveries SET next_attempt_at = ? WHERE id = ANY(ARRAY(
	SELECT p.id FROM deliveries f, LATERAL (SELECT q.id FROM deliveries q
		WHERE q.endpoint_id = f.endpoint_id AND q.subject = f.subject AND q.id > f.id
		AND q.status = 'pending' AND q.attempts = 0 AND q.next_attempt_at > ? OFFSET 0) p
	WHERE f.id = ANY(?)))`

// ListDeliveries lists deliveries of a workspace, newest first.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]*model.Delivery, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE workspace = ?`
	args := []any{f.Workspace}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.EndpointID > 0 {
		q += ` AND endpoint_id = ?`
		args = append(args, f.EndpointID)
	}
	if f.BeforeID > 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of %q: %w", f.Workspace, err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// GetDelivery returns one delivery of the workspace with its attempt log.
func (s *Store) GetDelivery(ctx context.Context, workspace string, id int64) (*model.Delivery, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+deliveryColumns+` FROM deliveries WHERE workspace = ? AND id = ?`), workspace, id)
	if err != nil {
		return nil, fmt.Errorf("reading delivery %d: %w", id, err)
	}
	dels, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("reading delivery %d: %w", id, err)
	}
	if len(dels) == 0 {
		return nil, fmt.Errorf("reading delivery %d: %w", id, store.ErrNotFound)
	}
	d := dels[0]
	arows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT id, attempted_at, duration_us, status_code, error, response FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("reading the log of delivery %d: %w", id, err)
	}
	defer func() { _ = arows.Close() }()
	d.Log = []model.DeliveryAttempt{}
	for arows.Next() {
		var (
			a      model.DeliveryAttempt
			at, us int64
		)
		if err := arows.Scan(&a.ID, &at, &us, &a.StatusCode, &a.Error, &a.Response); err != nil {
			return nil, fmt.Errorf("reading the log of delivery %d: %w", id, err)
		}
		a.DeliveryID, a.AttemptedAt, a.DurationMS = id, fromMicros(at), float64(us)/1000
		d.Log = append(d.Log, a)
	}
	if err := arows.Err(); err != nil {
		return nil, fmt.Errorf("reading the log of delivery %d: %w", id, err)
	}
	return d, nil
}

// RetryDelivery puts a dead letter back in the queue for a new round.
func (s *Store) RetryDelivery(ctx context.Context, workspace string, id int64) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	now := micros(s.now())
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = 0, updated_at = ?
		WHERE workspace = ? AND id = ? AND status = 'failed'
		AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.disabled_at IS NULL)`), now, now, workspace, id)
	if err != nil {
		return fmt.Errorf("retrying delivery %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("retrying delivery %d: %w", id, err)
	}
	if n == 1 {
		s.signalQueued()
		return nil
	}
	d, err := s.GetDelivery(ctx, workspace, id)
	if err != nil {
		return fmt.Errorf("retrying delivery %d: %w", id, err)
	}
	if d.Status != model.DeliveryFailed {
		return fmt.Errorf("retrying delivery %d: it is %s, not a dead letter: %w", id, d.Status, store.ErrConflict)
	}
	return fmt.Errorf("retrying delivery %d: its endpoint is disabled; recover the endpoint instead: %w", id, store.ErrConflict)
}

// insertReturningIDs runs a multi-row INSERT … RETURNING id and returns the
// ids in ascending order, which is the order of its VALUES rows.
func (t *tx) insertReturningIDs(ctx context.Context, query string, args []any) ([]int64, error) {
	rows, err := t.tx.QueryContext(ctx, t.s.dialect.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

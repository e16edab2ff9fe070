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

// SQLDB returns the database every write goes through (on SQLite the one
// writer connection), for the command queue (package commands), whose River
// jobs live in the same database and are inserted in the store's
// transactions.
func (s *Store) SQLDB() *sql.DB { return s.writer }

// DialectName names the database ("sqlite", "postgres"), so the command
// queue picks the River driver for it.
func (s *Store) DialectName() string { return s.dialect.Name }

var _ store.Commands = (*Store)(nil)

// commandColumns are the columns a command is read from, in scan order.
const commandColumns = `id, workspace, connection, provider, kind, subject_id, status, attempts, last_error, next_attempt_at, payload, created_at, updated_at`

// subjectType is the resource a command kind concerns: the part before the
// dot ("order" for order.create).
func subjectType(k model.CommandKind) string {
	t, _, _ := strings.Cut(string(k), ".")
	return t
}

func scanCommand(row scanner) (*model.Command, error) {
	var (
		c                model.Command
		kind, status     string
		payload          string
		next             sql.NullInt64
		created, updated int64
	)
	if err := row.Scan(&c.ID, &c.Workspace, &c.Connection, &c.Provider, &kind, &c.SubjectID, &status, &c.Attempts,
		&c.LastError, &next, &payload, &created, &updated); err != nil {
		return nil, err
	}
	c.Kind, c.Status = model.CommandKind(kind), model.CommandStatus(status)
	if next.Valid {
		t := fromMicros(next.Int64)
		c.NextAttemptAt = &t
	}
	if payload != "" {
		c.Payload = json.RawMessage(payload)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// beginFeedTx begins a write transaction that appends to the feed. On
// PostgreSQL it first takes the lock the pipeline applies messages under:
// feed ids must grow in commit order (ListFeed's consumers page by the last
// id they saw), and only one transaction at a time appending guarantees it.
func (s *Store) beginFeedTx(ctx context.Context) (*sql.Tx, error) {
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.dialect.ProcessLock != "" {
		if _, err := wtx.ExecContext(ctx, s.dialect.ProcessLock); err != nil {
			rollback(wtx)
			return nil, fmt.Errorf("taking the feed lock: %w", err)
		}
	}
	return wtx, nil
}

// SubmitCommand implements store.Commands. A product.upsert whose SKU the
// connection already has is an update: its subject is the existing product,
// not ErrDuplicateReference. A new order is announced with order.created,
// as the pipeline announces the orders it creates.
func (s *Store) SubmitCommand(ctx context.Context, sub *store.Submission, enqueue store.EnqueueFunc) (*store.SubmitResult, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if sub.Workspace == "" || sub.Connection == "" || sub.Kind == "" {
		return nil, errors.New("submitting a command: workspace, connection and kind are required")
	}
	// A concurrent submission with the same key may commit first; the
	// second attempt then finds its key and replays it.
	for attempt := 0; ; attempt++ {
		res, raced, err := s.submitOnce(ctx, sub, enqueue)
		if err != nil {
			return nil, fmt.Errorf("submitting %s command of %q: %w", sub.Kind, sub.Connection, err)
		}
		if !raced || attempt > 0 {
			if raced {
				return nil, fmt.Errorf("submitting %s command of %q: idempotency key %q is being used concurrently", sub.Kind, sub.Connection, sub.IdempotencyKey)
			}
			return res, nil
		}
	}
}

// submitOnce is one transaction of SubmitCommand. raced reports that the
// idempotency key was committed by another submission meanwhile: nothing
// was committed, and a new attempt will replay that one.
func (s *Store) submitOnce(ctx context.Context, sub *store.Submission, enqueue store.EnqueueFunc) (res *store.SubmitResult, raced bool, err error) {
	now := sub.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	wtx, err := s.beginFeedTx(ctx)
	if err != nil {
		return nil, false, err
	}
	defer rollback(wtx)
	t := &tx{s: s, tx: wtx}

	if sub.IdempotencyKey != "" {
		var (
			hash             string
			cmdID, subjectID int64
		)
		err := wtx.QueryRowContext(ctx, s.dialect.bind(`SELECT request_hash, command_id, subject_id FROM idempotency_keys WHERE workspace = ? AND key = ?`),
			sub.Workspace, sub.IdempotencyKey).Scan(&hash, &cmdID, &subjectID)
		switch {
		case err == nil:
			if hash != sub.RequestHash {
				return nil, false, store.ErrIdempotencyKeyReused
			}
			cmd, err := scanCommand(wtx.QueryRowContext(ctx, s.dialect.bind(`SELECT `+commandColumns+` FROM commands WHERE id = ?`), cmdID))
			if err != nil {
				return nil, false, fmt.Errorf("reading command %d of idempotency key %q: %w", cmdID, sub.IdempotencyKey, err)
			}
			return &store.SubmitResult{Command: cmd, SubjectID: subjectID, Replayed: true}, false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, fmt.Errorf("reading idempotency key %q: %w", sub.IdempotencyKey, err)
		}
	}

	subjectID, err := s.insertSubject(ctx, t, sub, now)
	if err != nil {
		return nil, false, err
	}
	cmd := &model.Command{
		Workspace: sub.Workspace, Connection: sub.Connection, Provider: sub.Provider, Kind: sub.Kind,
		SubjectID: subjectID, Status: model.CommandQueued, Payload: sub.Payload, CreatedAt: now, UpdatedAt: now,
	}
	err = wtx.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO commands (workspace, connection, provider, kind, subject_type, subject_id, status, attempts, payload, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id`),
		cmd.Workspace, cmd.Connection, cmd.Provider, string(cmd.Kind), subjectType(cmd.Kind), cmd.SubjectID, string(cmd.Status),
		string(cmd.Payload), micros(now), micros(now)).Scan(&cmd.ID)
	if err != nil {
		return nil, false, fmt.Errorf("inserting the command: %w", err)
	}
	if sub.IdempotencyKey != "" {
		var k string
		err := wtx.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO idempotency_keys (workspace, key, request_hash, command_id, subject_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, key) DO NOTHING RETURNING key`),
			sub.Workspace, sub.IdempotencyKey, sub.RequestHash, cmd.ID, subjectID, micros(now)).Scan(&k)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("recording idempotency key %q: %w", sub.IdempotencyKey, err)
		}
	}
	if sub.Order != nil {
		if err := appendOrderCreated(ctx, t, sub.Order, cmd, now); err != nil {
			return nil, false, err
		}
	}
	if err := t.flush(ctx); err != nil {
		return nil, false, err
	}
	if enqueue != nil {
		if err := enqueue(ctx, wtx, cmd); err != nil {
			return nil, false, fmt.Errorf("enqueueing command %d: %w", cmd.ID, err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return nil, false, fmt.Errorf("committing: %w", err)
	}
	if t.queued > 0 {
		s.signalQueued()
	}
	return &store.SubmitResult{Command: cmd, SubjectID: subjectID}, false, nil
}

// insertSubject stores the submission's new subject and returns its id, or
// returns the id of the existing subject it names.
func (s *Store) insertSubject(ctx context.Context, t *tx, sub *store.Submission, now time.Time) (int64, error) {
	switch {
	case sub.Order != nil:
		o := sub.Order
		o.Workspace, o.Connection = sub.Workspace, sub.Connection
		if o.Provider == "" {
			o.Provider = sub.Provider
		}
		if o.Status == "" {
			o.Status = model.OrderPending
		}
		if _, err := t.OrderByRef(ctx, o.Workspace, o.Connection, o.Reference); err == nil {
			return 0, fmt.Errorf("order %q: %w", o.Reference, store.ErrDuplicateReference)
		} else if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		stampAt(&o.Resource, now)
		if err := t.InsertOrder(ctx, o); err != nil {
			return 0, err
		}
		// The submission is kept apart from the document the provider's
		// messages change, for a rebuild to start from (ResetCanonical).
		if _, err := t.tx.ExecContext(ctx, t.s.dialect.bind(`UPDATE orders SET submitted = doc WHERE id = ?`), o.ID); err != nil {
			return 0, fmt.Errorf("keeping the submitted order: %w", err)
		}
		return o.ID, nil
	case sub.Product != nil:
		p := sub.Product
		p.Workspace, p.Connection = sub.Workspace, sub.Connection
		if p.Provider == "" {
			p.Provider = sub.Provider
		}
		existing, err := t.ProductBySKU(ctx, p.Workspace, p.Connection, p.SKU)
		if err == nil {
			// An upsert of a known SKU updates it at the provider; what the
			// provider then says about it comes back through the inbox.
			*p = *existing
			return existing.ID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		stampAt(&p.Resource, now)
		if err := t.InsertProduct(ctx, p); err != nil {
			return 0, err
		}
		return p.ID, nil
	case sub.Inbound != nil:
		in := sub.Inbound
		in.Workspace, in.Connection = sub.Workspace, sub.Connection
		if in.Provider == "" {
			in.Provider = sub.Provider
		}
		if in.Reference == "" {
			return 0, errors.New("inbound goods need a reference")
		}
		if in.Status == "" {
			in.Status = model.InboundAnnounced
		}
		key := store.InboundKey(in.Reference, "")
		if _, err := t.InboundByKey(ctx, in.Workspace, in.Connection, key); err == nil {
			return 0, fmt.Errorf("inbound %q: %w", in.Reference, store.ErrDuplicateReference)
		} else if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		stampAt(&in.Resource, now)
		if in.Lines == nil {
			in.Lines = []model.InboundLine{}
		}
		if in.Receipts == nil {
			in.Receipts = []model.Receipt{}
		}
		if err := t.InsertInbound(ctx, key, in); err != nil {
			return 0, err
		}
		return in.ID, nil
	case sub.SubjectID > 0:
		if err := s.checkSubject(ctx, t.tx, sub.Workspace, sub.Kind, sub.SubjectID); err != nil {
			return 0, err
		}
		return sub.SubjectID, nil
	default:
		return 0, errors.New("a submission needs a subject: a new one, or the id of an existing one")
	}
}

// checkSubject makes sure the existing subject a command names is the
// workspace's.
func (s *Store) checkSubject(ctx context.Context, q querier, workspace string, kind model.CommandKind, id int64) error {
	table := map[string]string{"order": "orders", "product": "products", "inbound": "inbound", "return": "returns"}[subjectType(kind)]
	if table == "" {
		return fmt.Errorf("command kind %q names no known subject", kind)
	}
	var one int
	err := q.QueryRowContext(ctx, s.dialect.bind(`SELECT 1 FROM `+table+` WHERE id = ? AND workspace = ?`), id, workspace).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %d: %w", subjectType(kind), id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("finding %s %d: %w", subjectType(kind), id, err)
	}
	return nil
}

func stampAt(r *model.Resource, now time.Time) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
}

// appendOrderCreated announces an order a submission created, with the
// data the pipeline's order.created carries ({"order": …}).
func appendOrderCreated(ctx context.Context, t *tx, o *model.Order, cmd *model.Command, now time.Time) error {
	c := *o
	c.LastCommand = cmd.Ref()
	if c.ShipmentIDs == nil {
		c.ShipmentIDs = []int64{}
	}
	order, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("encoding order %d: %w", o.ID, err)
	}
	data, err := json.Marshal(struct {
		Order json.RawMessage `json:"order"`
	}{order})
	if err != nil {
		return fmt.Errorf("encoding order.created: %w", err)
	}
	return t.AppendFeed(ctx, &model.FeedEvent{Workspace: o.Workspace, Type: model.EventOrderCreated, SubjectID: o.ID, OccurredAt: now, Data: data})
}

// GetCommand implements store.Commands.
func (s *Store) GetCommand(ctx context.Context, workspace string, id int64) (*model.Command, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	c, err := scanCommand(s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+commandColumns+` FROM commands WHERE id = ? AND workspace = ?`), id, workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading command %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading command %d: %w", id, err)
	}
	return c, nil
}

// ListCommands implements store.Commands. Limit <= 0 means DefaultLimit.
func (s *Store) ListCommands(ctx context.Context, f store.CommandFilter) ([]*model.Command, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Workspace == "" {
		return nil, errors.New("listing commands: workspace is required")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var (
		b    strings.Builder
		args = []any{f.Workspace}
	)
	b.WriteString(`SELECT ` + commandColumns + ` FROM commands WHERE workspace = ?`)
	if f.Status != "" {
		b.WriteString(` AND status = ?`)
		args = append(args, string(f.Status))
	}
	if f.Connection != "" {
		b.WriteString(` AND connection = ?`)
		args = append(args, f.Connection)
	}
	switch {
	case f.SubjectID > 0:
		// Kind names the subject's resource: every command of the
		// subject, whatever its kind.
		if f.Kind == "" {
			return nil, errors.New("listing commands: a subject id needs a kind, which names its resource")
		}
		b.WriteString(` AND subject_type = ? AND subject_id = ?`)
		args = append(args, subjectType(f.Kind), f.SubjectID)
	case f.Kind != "":
		b.WriteString(` AND kind = ?`)
		args = append(args, string(f.Kind))
	}
	if f.BeforeID > 0 {
		b.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	b.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("listing commands of %q: %w", f.Workspace, err)
	}
	out := []*model.Command{}
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("listing commands of %q: %w", f.Workspace, err)
		}
		out = append(out, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("listing commands of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// StartCommand implements store.Commands. A command found running is
// started again: its worker died before recording the attempt's outcome
// (the queue rescued its job), and the attempt is counted anew.
func (s *Store) StartCommand(ctx context.Context, id int64, now time.Time) (*model.Command, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	c, err := scanCommand(s.writer.QueryRowContext(ctx, s.dialect.bind(`UPDATE commands SET status = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND status IN (?, ?, ?) RETURNING `+commandColumns),
		string(model.CommandRunning), micros(now), id, string(model.CommandQueued), string(model.CommandFailed), string(model.CommandRunning)))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("starting command %d: %w", id, err)
	}
	var status string
	err = s.writer.QueryRowContext(ctx, s.dialect.bind(`SELECT status FROM commands WHERE id = ?`), id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("starting command %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("starting command %d: %w", id, err)
	}
	return nil, fmt.Errorf("starting command %d, which is %s: %w", id, status, store.ErrConflict)
}

// FinishCommand implements store.Commands. Only a running command can
// finish; another is ErrConflict (the API retried it meanwhile, say).
func (s *Store) FinishCommand(ctx context.Context, id int64, o store.CommandOutcome) (*model.Command, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	switch o.Status {
	case model.CommandSucceeded, model.CommandFailed, model.CommandDead:
	default:
		return nil, fmt.Errorf("finishing command %d: %q is not an outcome", id, o.Status)
	}
	if o.Status == model.CommandFailed && o.NextAttemptAt.IsZero() {
		return nil, fmt.Errorf("finishing command %d: a failed attempt needs the time of the next", id)
	}
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var wtx *sql.Tx
	var err error
	if o.Status == model.CommandSucceeded {
		wtx, err = s.writer.BeginTx(ctx, nil)
	} else {
		wtx, err = s.beginFeedTx(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("finishing command %d: %w", id, err)
	}
	defer rollback(wtx)
	t := &tx{s: s, tx: wtx}
	var next any
	if o.Status == model.CommandFailed {
		next = micros(o.NextAttemptAt)
	}
	c, err := scanCommand(wtx.QueryRowContext(ctx, s.dialect.bind(`UPDATE commands SET status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
		WHERE id = ? AND status = ? RETURNING `+commandColumns),
		string(o.Status), o.Error, next, micros(now), id, string(model.CommandRunning)))
	if errors.Is(err, sql.ErrNoRows) {
		var status string
		err = wtx.QueryRowContext(ctx, s.dialect.bind(`SELECT status FROM commands WHERE id = ?`), id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("finishing command %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("finishing command %d: %w", id, err)
		}
		return nil, fmt.Errorf("finishing command %d, which is %s: %w", id, status, store.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("finishing command %d: %w", id, err)
	}
	if o.Status != model.CommandSucceeded {
		typ := model.EventCommandFailed
		if o.Status == model.CommandDead {
			typ = model.EventCommandDead
		}
		data, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("finishing command %d: encoding: %w", id, err)
		}
		if err := t.AppendFeed(ctx, &model.FeedEvent{Workspace: c.Workspace, Type: typ, SubjectID: c.ID, OccurredAt: now, Data: data}); err != nil {
			return nil, fmt.Errorf("finishing command %d: %w", id, err)
		}
		if o.Status == model.CommandDead && c.Kind == model.CommandOrderCreate {
			if err := rejectOrder(ctx, t, c, now); err != nil {
				return nil, fmt.Errorf("finishing command %d: %w", id, err)
			}
		}
	}
	if err := t.flush(ctx); err != nil {
		return nil, fmt.Errorf("finishing command %d: %w", id, err)
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("finishing command %d: committing: %w", id, err)
	}
	if t.queued > 0 {
		s.signalQueued()
	}
	return c, nil
}

// rejectOrder makes the order of a dead order.create rejected, with
// order.status_changed, unless the provider has meanwhile said something of
// it (then it has the order after all, and its word stands).
func rejectOrder(ctx context.Context, t *tx, c *model.Command, now time.Time) error {
	o, err := scanOrder(t.tx.QueryRowContext(ctx, t.s.dialect.bind(`SELECT `+orderColumns+` FROM orders WHERE id = ? AND workspace = ?`+t.s.dialect.LockSuffix), c.SubjectID, c.Workspace))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading order %d: %w", c.SubjectID, err)
	}
	if o.Status != model.OrderPending {
		return nil
	}
	before := o.Status
	o.Status = model.OrderRejected
	o.LastCommand = c.Ref()
	o.UpdatedAt = now
	if err := t.UpdateOrder(ctx, o); err != nil {
		return err
	}
	ids, err := t.OrderShipmentIDs(ctx, o)
	if err != nil {
		return err
	}
	o.ShipmentIDs = ids
	order, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding order %d: %w", o.ID, err)
	}
	data, err := json.Marshal(struct {
		OrderID        int64             `json:"order_id"`
		PreviousStatus model.OrderStatus `json:"previous_status"`
		Status         model.OrderStatus `json:"status"`
		Order          json.RawMessage   `json:"order"`
	}{o.ID, before, o.Status, order})
	if err != nil {
		return fmt.Errorf("encoding order.status_changed: %w", err)
	}
	return t.AppendFeed(ctx, &model.FeedEvent{Workspace: o.Workspace, Type: model.EventOrderStatusChanged, SubjectID: o.ID, OccurredAt: now, Data: data})
}

// RetryCommand implements store.Commands. The attempts are kept; the
// error and the next attempt's time are cleared.
func (s *Store) RetryCommand(ctx context.Context, workspace string, id int64, enqueue store.EnqueueFunc) (*model.Command, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("retrying command %d: %w", id, err)
	}
	defer rollback(wtx)
	now := s.now().UTC().Truncate(time.Microsecond)
	c, err := scanCommand(wtx.QueryRowContext(ctx, s.dialect.bind(`UPDATE commands SET status = ?, next_attempt_at = NULL, updated_at = ?
		WHERE id = ? AND workspace = ? AND status IN (?, ?) RETURNING `+commandColumns),
		string(model.CommandQueued), micros(now), id, workspace, string(model.CommandFailed), string(model.CommandDead)))
	if errors.Is(err, sql.ErrNoRows) {
		var status string
		err = wtx.QueryRowContext(ctx, s.dialect.bind(`SELECT status FROM commands WHERE id = ? AND workspace = ?`), id, workspace).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("retrying command %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("retrying command %d: %w", id, err)
		}
		return nil, fmt.Errorf("retrying command %d, which is %s: %w", id, status, store.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("retrying command %d: %w", id, err)
	}
	if enqueue != nil {
		if err := enqueue(ctx, wtx, c); err != nil {
			return nil, fmt.Errorf("retrying command %d: enqueueing: %w", id, err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("retrying command %d: committing: %w", id, err)
	}
	return c, nil
}

// fillLastCommands sets the LastCommand of the orders: the newest command
// whose subject each is.
func (s *Store) fillLastCommands(ctx context.Context, q querier, orders []*model.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Order, len(orders))
	args := make([]any, 0, len(orders)+2)
	args = append(args, orders[0].Workspace, "order")
	for _, o := range orders {
		byID[o.ID] = o
		o.LastCommand = nil
		args = append(args, o.ID)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(orders)), ", ")
	rows, err := q.QueryContext(ctx, s.dialect.bind(`SELECT c.subject_id, c.id, c.status, c.last_error FROM commands c
		WHERE c.workspace = ? AND c.subject_type = ? AND c.subject_id IN (`+marks+`)
		AND c.id = (SELECT MAX(x.id) FROM commands x WHERE x.workspace = c.workspace AND x.subject_type = c.subject_type AND x.subject_id = c.subject_id)`), args...)
	if err != nil {
		return fmt.Errorf("reading the last commands of %d orders: %w", len(orders), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var (
			oid int64
			ref model.CommandRef
		)
		if err := rows.Scan(&oid, &ref.ID, &ref.Status, &ref.Error); err != nil {
			return fmt.Errorf("reading the last commands of %d orders: %w", len(orders), err)
		}
		if o := byID[oid]; o != nil {
			o.LastCommand = &ref
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the last commands of %d orders: %w", len(orders), err)
	}
	return nil
}

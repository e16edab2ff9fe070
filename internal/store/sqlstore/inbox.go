package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// appendReq is one AppendInbox call waiting for the committer. Its fields are
// copied from the caller's message, so the caller may reuse the message as
// soon as AppendInbox returns, even on a cancelled context.
type appendReq struct {
	ctx                                  context.Context
	workspace, connection, provider      string
	source, topic, dedupKey, contentType string
	meta                                 string
	body                                 []byte
	receivedAt                           int64
	done                                 chan appendRes // buffered: the committer never blocks on it
}

// key identifies the message for deduplication.
func (r *appendReq) key() string {
	return r.workspace + "\x00" + r.connection + "\x00" + r.dedupKey
}

type appendRes struct {
	id        int64
	duplicate bool
	err       error
}

// AppendInbox commits one raw inbound message durably before returning.
// Concurrent calls are group-committed by one committer goroutine: it takes
// whatever is queued, inserts it in one transaction and answers every caller,
// so the cost of a durable commit is shared. A failed commit fails every
// message in it (the intake answers 503 and the provider retries).
//
// The message's Body is read after AppendInbox returns when the context is
// cancelled mid-wait; callers must not modify it afterwards. A zero
// ReceivedAt means now. Times are kept to the microsecond.
func (s *Store) AppendInbox(ctx context.Context, m *model.InboxMessage) (int64, bool, error) {
	if m == nil {
		return 0, false, errors.New("appending to the inbox: nil message")
	}
	if m.Workspace == "" || m.Connection == "" {
		return 0, false, errors.New("appending to the inbox: message has no workspace or connection")
	}
	if m.DedupKey == "" {
		return 0, false, errors.New("appending to the inbox: message has no dedup key")
	}
	meta, err := marshalMeta(m.Meta)
	if err != nil {
		return 0, false, fmt.Errorf("appending to the inbox: encoding meta: %w", err)
	}
	body := m.Body
	if body == nil {
		body = []byte{}
	}
	received := m.ReceivedAt
	if received.IsZero() {
		received = s.now()
	}
	r := &appendReq{
		ctx:         ctx,
		workspace:   m.Workspace,
		connection:  m.Connection,
		provider:    m.Provider,
		source:      string(m.Source),
		topic:       m.Topic,
		dedupKey:    m.DedupKey,
		contentType: m.ContentType,
		meta:        meta,
		body:        body,
		receivedAt:  micros(received),
		done:        make(chan appendRes, 1),
	}

	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return 0, false, store.ErrClosed
	}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return 0, false, fmt.Errorf("appending to the inbox: %w", ctx.Err())
	}
	s.mu.RUnlock()
	s.appending.Add(1)
	defer s.appending.Add(-1)

	select {
	case res := <-r.done:
		return res.id, res.duplicate, res.err
	case <-ctx.Done():
		return 0, false, fmt.Errorf("appending to the inbox: %w", ctx.Err())
	}
}

// commitLoop is the committer goroutine: it runs until Close closes reqs and
// everything queued before has been committed; commit is commitBatch.
//
// A commit takes every append queued when it starts, and, when that is
// fewer than half the largest of the last commits (a burst whose callers
// are still on their way back with their next messages), waits up to
// CommitLinger for more. Without the wait, 32 clients posting one message
// after another were committed ten or so at a time: the first of the
// clients just answered started the next commit alone, the others queued
// for the one after. Every commit costs its fsync and the fixed part of
// its transaction, and on SQLite it holds the one writer.
func (s *Store) commitLoop(commit func([]*appendReq)) {
	defer close(s.committed)
	batch := make([]*appendReq, 0, s.maxBatch)
	var (
		recent [8]int // sizes of the last commits
		next   int
		linger *time.Timer
	)
	for first := range s.reqs {
		batch = append(batch[:0], first)
		closed := s.drain(&batch)
		if want := slices.Max(recent[:]) / 2; !closed && s.commitLinger > 0 && len(batch) < want {
			if linger == nil {
				linger = time.NewTimer(s.commitLinger)
			} else {
				linger.Reset(s.commitLinger)
			}
			s.drainUntil(&batch, want, linger.C)
			linger.Stop()
		}
		recent[next] = len(batch)
		next = (next + 1) % len(recent)
		commit(batch)
		clear(batch)
	}
}

// drain adds the queued appends to batch, up to maxBatch, without waiting;
// it reports whether reqs was closed.
func (s *Store) drain(batch *[]*appendReq) bool {
	for len(*batch) < s.maxBatch {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return true
			}
			*batch = append(*batch, r)
		default:
			return false
		}
	}
	return false
}

// drainUntil adds appends to batch as they come until it holds want of
// them (or maxBatch) or deadline fires, then those queued by then. A closed
// reqs ends it too: commitLoop's range then ends after this batch.
func (s *Store) drainUntil(batch *[]*appendReq, want int, deadline <-chan time.Time) {
	for len(*batch) < min(want, s.maxBatch) {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return
			}
			*batch = append(*batch, r)
		case <-deadline:
			s.drain(batch)
			return
		}
	}
	s.drain(batch)
}

// commitBatch inserts a batch in one transaction and answers its callers.
// When the INSERT itself fails and the batch holds more than one message, each
// message is retried alone, so one message the database refuses does not fail
// the others it happened to share a commit with. A failure to begin or commit
// (the database is down, the disk is full) fails the whole batch at once.
func (s *Store) commitBatch(batch []*appendReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() != nil {
			// The caller has given up and was told so; committing its
			// message would acknowledge nobody.
			r.done <- appendRes{err: r.ctx.Err()}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	results, err := s.insertBatch(live)
	var refused *refusedError
	if errors.As(err, &refused) && len(live) > 1 {
		for _, r := range live {
			res, err := s.insertBatch([]*appendReq{r})
			if err != nil {
				r.done <- appendRes{err: err}
				continue
			}
			r.done <- res[0]
		}
		return
	}
	for i, r := range live {
		if err != nil {
			r.done <- appendRes{err: err}
			continue
		}
		r.done <- results[i]
	}
}

// refusedError marks a batch whose INSERT statement failed on an open
// transaction: possibly because of one message's content, so worth retrying
// message by message.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// insertBatch inserts the messages of one group commit, reporting for each
// its id and whether it was a duplicate, in the batch's order.
func (s *Store) insertBatch(batch []*appendReq) ([]appendRes, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.commitTimeout)
	defer cancel()

	// The first message with a key is inserted; later ones in the same
	// batch are duplicates of it.
	firstOf := make(map[string]int, len(batch))
	unique := make([]*appendReq, 0, len(batch))
	for i, r := range batch {
		if _, ok := firstOf[r.key()]; !ok {
			firstOf[r.key()] = i
			unique = append(unique, r)
		}
	}
	if !s.dialect.SingleWriter {
		// The batches of other instances insert side by side, and an
		// INSERT waits for one that holds a key it inserts too: in the same
		// order everywhere, two batches never wait for each other (a
		// deadlock PostgreSQL breaks after a second by failing one, whose
		// messages are then inserted one by one). Within a batch the order
		// is the goroutines' anyway.
		slices.SortFunc(unique, func(a, b *appendReq) int {
			return cmp.Or(strings.Compare(a.workspace, b.workspace), strings.Compare(a.connection, b.connection), strings.Compare(a.dedupKey, b.dedupKey))
		})
	}

	// On SQLite the batch is one transaction on the writer. Elsewhere the
	// INSERT is a transaction of its own: one round trip where BEGIN, the
	// INSERT and COMMIT were three, and the look-ups of duplicates below
	// see what it and other instances committed.
	var q interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	} = s.writer
	var tx *sql.Tx
	if s.dialect.SingleWriter {
		var err error
		if tx, err = s.writer.BeginTx(ctx, nil); err != nil {
			return nil, fmt.Errorf("appending to the inbox: beginning %s transaction: %w", s.dialect.Name, err)
		}
		defer rollback(tx)
		q = tx
	}

	args := make([]any, 0, len(unique)*10)
	for _, r := range unique {
		args = append(args, r.workspace, r.connection, r.provider, r.source, r.topic, r.dedupKey, r.contentType, r.meta, r.body, r.receivedAt)
	}
	rows, err := q.QueryContext(ctx, s.insertInboxSQL(len(unique)), args...)
	if err != nil {
		err = fmt.Errorf("appending to the inbox: inserting %d messages: %w", len(unique), err)
		if ctx.Err() == nil {
			err = &refusedError{err}
		}
		return nil, err
	}
	inserted := make(map[string]int64, len(unique))
	for rows.Next() {
		var (
			id                        int64
			workspace, conn, dedupKey string
		)
		if err := rows.Scan(&id, &workspace, &conn, &dedupKey); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("appending to the inbox: reading inserted ids: %w", err)
		}
		inserted[workspace+"\x00"+conn+"\x00"+dedupKey] = id
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("appending to the inbox: reading inserted ids: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("appending to the inbox: reading inserted ids: %w", err)
	}

	results := make([]appendRes, len(batch))
	existing := map[string]int64{}
	for i, r := range batch {
		k := r.key()
		if first := firstOf[k]; first != i {
			results[i] = appendRes{id: results[first].id, duplicate: true}
			continue
		}
		if id, ok := inserted[k]; ok {
			results[i] = appendRes{id: id}
			continue
		}
		id, ok := existing[k]
		if !ok {
			if err := q.QueryRowContext(ctx, s.q.inboxExisting, r.workspace, r.connection, r.dedupKey).Scan(&id); err != nil {
				return nil, fmt.Errorf("appending to the inbox: looking up duplicate %q: %w", r.dedupKey, err)
			}
			existing[k] = id
		}
		results[i] = appendRes{id: id, duplicate: true}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("appending to the inbox: committing %d messages: %w", len(unique), err)
		}
	}
	return results, nil
}

// insertInboxSQL returns the INSERT of n inbox rows, built once per n.
func (s *Store) insertInboxSQL(n int) string {
	if q, ok := s.insertSQL[n]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString(s.q.inboxInsertHead)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.q.inboxInsertTuple)
	}
	b.WriteString(s.q.inboxInsertTail)
	q := s.dialect.bind(b.String())
	s.insertSQL[n] = q
	return q
}

// ProcessInbox claims up to limit pending inbox messages, oldest first, and
// calls fn with them inside one write transaction. When fn returns nil, every
// message it was given that fn did not mark itself is marked processed, and
// everything commits together; when fn fails, nothing it wrote is kept and the
// messages stay pending. limit <= 0 means 100.
//
// On SQLite the transaction holds the single writer connection, so appends
// wait for it: keep batches small. fn must not call AppendInbox (it would wait
// for the connection fn holds), and must not use tx after returning. On
// PostgreSQL only one instance processes at a time; the others get 0.
func (s *Store) ProcessInbox(ctx context.Context, limit int, fn func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error) (int, error) {
	return s.ProcessWorkspaces(ctx, nil, limit, fn)
}

// ProcessWorkspaces is ProcessInbox restricted to the pending messages of
// the given workspaces; none means every workspace. Deferred messages whose
// time has come are made pending again first; the others are not handed out.
func (s *Store) ProcessWorkspaces(ctx context.Context, workspaces []string, limit int, fn func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error) (int, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	if limit <= 0 {
		limit = 100
	}
	limit = s.writerTurns().applyBatch(ctx, limit)
	var sqlTx *sql.Tx
	if before, after := s.dialect.ApplyPragmas[0], s.dialect.ApplyPragmas[1]; before != "" {
		// Pin the connection so the pragmas apply to this transaction only.
		conn, err := s.writer.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("processing the inbox: taking the writer: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, before); err != nil {
			return 0, fmt.Errorf("processing the inbox: %s: %w", before, err)
		}
		defer func() {
			// Restore even when ctx has ended: the connection is reused.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), after)
		}()
		sqlTx, err = conn.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("processing the inbox: beginning transaction: %w", err)
		}
	} else {
		var err error
		sqlTx, err = s.writer.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("processing the inbox: beginning transaction: %w", err)
		}
	}
	defer rollback(sqlTx)

	if s.dialect.ApplySetup != "" {
		if _, err := sqlTx.ExecContext(ctx, s.dialect.ApplySetup); err != nil {
			return 0, fmt.Errorf("processing the inbox: %s: %w", s.dialect.ApplySetup, err)
		}
	}
	if s.dialect.TryProcessLock != "" {
		var held bool
		if err := sqlTx.QueryRowContext(ctx, s.dialect.TryProcessLock).Scan(&held); err != nil {
			return 0, fmt.Errorf("processing the inbox: taking the processing lock: %w", err)
		}
		if !held {
			return 0, nil
		}
	}

	if _, err := sqlTx.ExecContext(s.stmtCtx(ctx), s.q.inboxWake, micros(s.now())); err != nil {
		return 0, fmt.Errorf("processing the inbox: waking deferred messages: %w", err)
	}
	query, args := s.q.inboxPending, []any{limit}
	if len(workspaces) > 0 {
		query, args = s.pendingOfSQL(workspaces, limit)
	}
	msgs, err := s.queryInbox(ctx, sqlTx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("processing the inbox: reading pending messages: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	t := &tx{s: s, tx: sqlTx}
	if err := fn(ctx, t, msgs); err != nil {
		return 0, err
	}
	if err := t.flush(ctx); err != nil {
		return 0, fmt.Errorf("processing the inbox: %w", err)
	}
	if err := s.markBatchProcessed(ctx, sqlTx, msgs); err != nil {
		return 0, err
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, fmt.Errorf("processing the inbox: committing %d messages: %w", len(msgs), err)
	}
	if t.queued > 0 {
		s.signalQueued()
	}
	return len(msgs), nil
}

// pendingOfSQL is the pending query restricted to some workspaces. The
// workspace comparison stays off the indexes (Dialect.NoIndex): walking
// inbox_pending in id order and skipping other workspaces' messages beats
// sorting every message of the workspace for each batch.
func (s *Store) pendingOfSQL(workspaces []string, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT ` + inboxColumns + ` FROM inbox WHERE processed_at IS NULL AND deferred_until IS NULL AND ` + s.dialect.NoIndex + `workspace IN (`)
	args := make([]any, 0, len(workspaces)+1)
	for i, ws := range workspaces {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, ws)
	}
	b.WriteString(") ORDER BY id LIMIT ?")
	return s.dialect.bind(b.String()), append(args, limit)
}

// writerTurns is how apply shares SQLite's one writer connection with the
// appends (AppendInbox's group commits) that queue for it meanwhile.
// Acknowledging a provider quickly matters more than applying its message
// quickly: the inbox absorbs a burst and the pipeline catches up when it
// passes. Go's pool hands the writer to its waiters in no particular order,
// and on PostgreSQL apply and its deliveries take the CPU (the hub's and the
// database server's) that the appends need, so apply gives the appends
// their turn itself, in three steps:
//
//   - Before each batch, apply waits while appends are waiting for their
//     commit, at most maxApplyYield. At a steady rate that is a few
//     milliseconds (until the next group commit answers them); under a
//     burst it leaves the intake the machine.
//   - If appends are still waiting after that, the flood is sustained. On
//     SQLite each of them will wait for the whole apply transaction, so
//     apply takes at most applyBatchUnderAppends messages, and the
//     transaction stays short. With no append waiting it takes its full
//     batch.
//   - A batch after a yield that ran its whole length does not yield at
//     all, so that a sustained flood slows the pipeline down but never
//     stops it: it applies at least two batches every maxApplyYield.
//
// The cap trades apply's efficiency during a flood for the
// acknowledgements: measured (BENCHMARKS.md), intake 1.73x with it, apply
// 1.02x, and 1.10x the CPU per message for the shorter transactions. The
// longer yield, 200 ms where it was 20 ms and on SQLite alone, gave the
// end-to-end benchmark's intake 1.18x on SQLite and 1.31x on PostgreSQL,
// its end-to-end rate 1.01-1.03x (the ninth round).
type writerTurns struct {
	// singleWriter is Dialect.SingleWriter.
	singleWriter bool
	// appendsWaiting is how many AppendInbox calls wait for their commit.
	appendsWaiting func() int64
	// yieldedInFull is set when a yield ran its whole length with appends
	// still waiting, so that the next batch takes its turn at once; the
	// store keeps it between batches.
	yieldedInFull *atomic.Bool
	// now and pause are the clock of the yield: time.Now and time.Sleep,
	// or a test's.
	now   func() time.Time
	pause func(time.Duration)
}

// maxApplyYield bounds how long apply gives way to appends before it
// takes its turn.
const maxApplyYield = 200 * time.Millisecond

// applyYieldPoll is how often apply looks again whether appends are still
// waiting while it yields.
const applyYieldPoll = 250 * time.Microsecond

// applyBatchUnderAppends caps an apply transaction's batch on SQLite while
// appends still wait for the writer after the yield: the time an append
// waits behind apply is that transaction's length.
const applyBatchUnderAppends = 8

// writerTurns is the store's policy, on its own counter of waiting appends.
func (s *Store) writerTurns() writerTurns {
	return writerTurns{singleWriter: s.dialect.SingleWriter, appendsWaiting: s.appending.Load, yieldedInFull: &s.applyYieldedInFull,
		now: time.Now, pause: time.Sleep}
}

// applyBatch yields to waiting appends (see writerTurns) and returns how
// many messages the apply transaction about to begin may take, at most
// limit. It returns early, without more yielding, when ctx ends.
func (p writerTurns) applyBatch(ctx context.Context, limit int) int {
	if p.appendsWaiting() == 0 {
		p.yieldedInFull.Store(false)
		return limit
	}
	if !p.yieldedInFull.Swap(false) {
		deadline := p.now().Add(maxApplyYield)
		for p.appendsWaiting() > 0 && p.now().Before(deadline) && ctx.Err() == nil {
			p.pause(applyYieldPoll)
		}
		if p.appendsWaiting() > 0 && ctx.Err() == nil {
			p.yieldedInFull.Store(true)
		}
	}
	if p.singleWriter && p.appendsWaiting() > 0 {
		return min(limit, applyBatchUnderAppends)
	}
	return limit
}

// markBatchProcessed marks the messages processed that fn did not mark or
// defer, with one statement whose text does not change with their number
// (idsIn): an "IN (?, ?, …)" list was a new statement to prepare and plan
// for every batch size.
func (s *Store) markBatchProcessed(ctx context.Context, sqlTx *sql.Tx, msgs []*model.InboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	if _, err := sqlTx.ExecContext(s.stmtCtx(ctx), s.dialect.bind(`UPDATE inbox SET processed_at = ? WHERE processed_at IS NULL AND deferred_until IS NULL AND `+s.idsIn("id")),
		micros(s.now()), s.idsArg(ids)); err != nil {
		return fmt.Errorf("processing the inbox: marking messages processed: %w", err)
	}
	return nil
}

// GetInbox returns one raw message, or store.ErrNotFound.
func (s *Store) GetInbox(ctx context.Context, id int64) (*model.InboxMessage, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	msgs, err := s.queryInbox(ctx, s.reader, s.q.inboxGet, id)
	if err != nil {
		return nil, fmt.Errorf("reading inbox message %d: %w", id, err)
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("reading inbox message %d: %w", id, store.ErrNotFound)
	}
	return msgs[0], nil
}

// InboxStats counts inbox messages by state. Failed messages are not
// pending; deferred ones are. Every count comes from a trigger-kept total or
// a partial index, so the cost grows with the backlog, never with the
// history.
func (s *Store) InboxStats(ctx context.Context) (store.InboxStats, error) {
	if s.isClosed.Load() {
		return store.InboxStats{}, store.ErrClosed
	}
	var st store.InboxStats
	var ready int64
	if err := s.reader.QueryRowContext(ctx, s.q.inboxStats).Scan(&st.Total, &ready, &st.Deferred, &st.Failed); err != nil {
		return st, fmt.Errorf("counting the inbox: %w", err)
	}
	st.Pending = ready + st.Deferred
	if st.Pending > 0 {
		var oldest sql.NullInt64
		err := s.reader.QueryRowContext(ctx, s.q.inboxOldest).Scan(&oldest)
		switch {
		case err != nil:
			return st, fmt.Errorf("finding the oldest pending message: %w", err)
		case oldest.Valid:
			st.OldestPending = fromMicros(oldest.Int64)
		}
		// Not valid: processed between the two queries.
	}
	return st, nil
}

// ListFailedInbox lists a workspace's failed messages, newest first.
func (s *Store) ListFailedInbox(ctx context.Context, f store.FailedInboxFilter) ([]*store.FailedMessage, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT ` + s.q.inboxFailedCols + ` FROM inbox WHERE workspace = ? AND failure IS NOT NULL`
	args := []any{f.Workspace}
	if f.Connection != "" {
		q += ` AND connection = ?`
		args = append(args, f.Connection)
	}
	if f.BeforeID > 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("listing failed inbox messages of %q: %w", f.Workspace, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*store.FailedMessage{}
	for rows.Next() {
		var (
			fm       store.FailedMessage
			failedAt sql.NullInt64
		)
		if err := scanInbox(rows, &fm.InboxMessage, &fm.Failure, &failedAt); err != nil {
			return nil, fmt.Errorf("listing failed inbox messages of %q: %w", f.Workspace, err)
		}
		if failedAt.Valid {
			fm.FailedAt = fromMicros(failedAt.Int64)
		}
		out = append(out, &fm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing failed inbox messages of %q: %w", f.Workspace, err)
	}
	return out, nil
}

// RetryInbox makes one failed message of the workspace pending again.
func (s *Store) RetryInbox(ctx context.Context, workspace string, id int64) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	res, err := s.writer.ExecContext(ctx, s.q.inboxRetry, id, workspace)
	if err != nil {
		return fmt.Errorf("retrying inbox message %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("retrying inbox message %d: %w", id, err)
	} else if n == 1 {
		return nil
	}
	var failed bool
	err = s.writer.QueryRowContext(ctx, s.q.inboxInWorkspace, id, workspace).Scan(&failed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("retrying inbox message %d: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("retrying inbox message %d: %w", id, err)
	case failed:
		// Failed again between the two statements: it was retried.
		return nil
	}
	return fmt.Errorf("retrying inbox message %d: it has not failed: %w", id, store.ErrConflict)
}

// InboxConnections lists the connections the workspace's inbox holds
// messages of. It walks the unique index (workspace, connection, dedup key)
// one connection at a time, so it reads one entry per connection, not per
// message.
func (s *Store) InboxConnections(ctx context.Context, workspace string) ([]string, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	q := s.dialect.bind(`SELECT MIN(connection) FROM inbox WHERE workspace = ? AND connection > ?`)
	var out []string
	last := ""
	for {
		var next sql.NullString
		if err := s.reader.QueryRowContext(ctx, q, workspace, last).Scan(&next); err != nil {
			return nil, fmt.Errorf("listing the inbox connections of %q: %w", workspace, err)
		}
		if !next.Valid {
			return out, nil
		}
		out = append(out, next.String)
		last = next.String
	}
}

// RetryFailedInbox makes every failed message of the workspace, or of one
// of its connections, pending again.
func (s *Store) RetryFailedInbox(ctx context.Context, workspace, connection string) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	q := `UPDATE inbox SET processed_at = NULL, failure = NULL, deferred_until = NULL WHERE workspace = ? AND failure IS NOT NULL`
	args := []any{workspace}
	if connection != "" {
		q += ` AND connection = ?`
		args = append(args, connection)
	}
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(q), args...)
	if err != nil {
		return 0, fmt.Errorf("retrying the failed inbox messages of %q: %w", workspace, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("retrying the failed inbox messages of %q: %w", workspace, err)
	}
	return n, nil
}

// DeferConnection sets the connection's pending messages aside until the
// given time, those of the batch in progress included (markBatchProcessed
// leaves deferred messages alone).
func (t *tx) DeferConnection(ctx context.Context, workspace, connection string, until time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q.inboxDefer, micros(until), workspace, connection)
	if err != nil {
		return 0, fmt.Errorf("deferring the messages of connection %q: %w", connection, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("deferring the messages of connection %q: %w", connection, err)
	}
	return n, nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryInbox runs a query selecting inboxColumns.
func (s *Store) queryInbox(ctx context.Context, q querier, query string, args ...any) ([]*model.InboxMessage, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var msgs []*model.InboxMessage
	for rows.Next() {
		var m model.InboxMessage
		if err := scanInbox(rows, &m); err != nil {
			return nil, err
		}
		msgs = append(msgs, &m)
	}
	return msgs, rows.Err()
}

// scanInbox scans one row of inboxColumns, followed by extra columns, into m.
func scanInbox(rows *sql.Rows, m *model.InboxMessage, extra ...any) error {
	var (
		source   string
		meta     string
		received int64
	)
	dest := append([]any{&m.ID, &m.Workspace, &m.Connection, &m.Provider, &source, &m.Topic, &m.DedupKey, &m.ContentType, &meta, &m.Body, &received}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	m.Source = model.Source(source)
	m.ReceivedAt = fromMicros(received)
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &m.Meta); err != nil {
			return fmt.Errorf("decoding meta of message %d: %w", m.ID, err)
		}
	}
	if m.Body == nil {
		m.Body = []byte{}
	}
	return nil
}

// marshalMeta stores a nil or empty map as "", so it reads back as nil.
func marshalMeta(meta map[string]string) (string, error) {
	if len(meta) == 0 {
		return "", nil
	}
	b, err := json.Marshal(meta)
	return string(b), err
}

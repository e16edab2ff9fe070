package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

var _ store.RateBudgets = (*Store)(nil)

const rateStateColumns = `key, next_slot, day_start, day_used, urgent_until, blocked_until, violations`

// rateTakeSQL is the whole take in one statement: the row lock (PostgreSQL)
// or the single writer (SQLite) makes check and move atomic, so slots handed
// to concurrent instances are always Interval apart. Every right-hand side
// reads the row as it was before the update. Parameters, in order: now,
// interval (slot), day ×2, urgent flag, now, interval (urgent_until),
// key, now, day, day limit ×2, now+max wait, urgent flag, now, now+horizon.
const rateTakeSQL = `UPDATE rate_budgets SET
	next_slot = CASE WHEN next_slot > ? THEN next_slot ELSE ? END + ?,
	day_used = CASE WHEN day_start < ? THEN 1 ELSE day_used + 1 END,
	day_start = CASE WHEN day_start < ? THEN ? ELSE day_start END,
	urgent_until = CASE WHEN ? = 1 AND (CASE WHEN next_slot > ? THEN next_slot ELSE ? END) + ? > urgent_until
		THEN (CASE WHEN next_slot > ? THEN next_slot ELSE ? END) + ? ELSE urgent_until END
	WHERE key = ?
	AND blocked_until <= ?
	AND (day_start < ? OR ? = 0 OR day_used < ?)
	AND next_slot <= ?
	AND (? = 1 OR (urgent_until <= ? AND next_slot <= ?))
	RETURNING ` + rateStateColumns

// TakeRateSlot hands out the budget's next slot if the take's conditions
// hold. A budget's row is created on its first take that is refused (an
// update finds no row), so a granted take costs one statement.
func (s *Store) TakeRateSlot(ctx context.Context, t store.RateTake) (store.RateGrant, error) {
	if s.isClosed.Load() {
		return store.RateGrant{}, store.ErrClosed
	}
	if t.Key == "" || t.Interval < 0 || t.DayLimit < 0 {
		return store.RateGrant{}, errors.New("taking a rate slot: a key, and no negative interval or day limit, are required")
	}
	now, iv, day := micros(t.Now), t.Interval.Microseconds(), zeroMicros(t.Day)
	urgent := 0
	if t.Urgent {
		urgent = 1
	}
	args := []any{now, now, iv, day, day, day, urgent, now, now, iv, now, now, iv,
		t.Key, now, day, t.DayLimit, t.DayLimit, now + t.MaxWait.Microseconds(), urgent, now, now + t.Horizon.Microseconds()}
	take := func() (store.RateGrant, bool, error) {
		st, err := scanRateState(s.writer.QueryRowContext(ctx, s.dialect.bind(rateTakeSQL), args...))
		if errors.Is(err, sql.ErrNoRows) {
			return store.RateGrant{}, false, nil
		}
		if err != nil {
			return store.RateGrant{}, false, fmt.Errorf("taking a slot of rate budget %q: %w", t.Key, err)
		}
		return store.RateGrant{Granted: true, Slot: st.NextSlot.Add(-t.Interval), State: st}, true, nil
	}
	g, ok, err := take()
	if err != nil || ok {
		return g, err
	}
	// Refused, or no row yet: make sure the row exists and read it, then
	// try once more (a new row grants at once).
	st, err := s.ensureRateBudget(ctx, t.Key)
	if err != nil {
		return store.RateGrant{}, err
	}
	g, ok, err = take()
	if err != nil || ok {
		return g, err
	}
	return store.RateGrant{State: st}, nil
}

// ensureRateBudget creates the budget's row if it is missing and returns it.
func (s *Store) ensureRateBudget(ctx context.Context, key string) (store.RateState, error) {
	st, err := scanRateState(s.writer.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO rate_budgets (key) VALUES (?)
		ON CONFLICT (key) DO UPDATE SET key = excluded.key
		RETURNING `+rateStateColumns), key))
	if err != nil {
		return store.RateState{}, fmt.Errorf("creating rate budget %q: %w", key, err)
	}
	return st, nil
}

// NoteRateDemand raises the budget's urgent_until to until.
func (s *Store) NoteRateDemand(ctx context.Context, key string, until time.Time) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	u := zeroMicros(until)
	if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`INSERT INTO rate_budgets (key, urgent_until) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET urgent_until = CASE WHEN rate_budgets.urgent_until > ? THEN rate_budgets.urgent_until ELSE ? END`),
		key, u, u, u); err != nil {
		return fmt.Errorf("noting demand on rate budget %q: %w", key, err)
	}
	return nil
}

// BlockRateBudget records a block. It reads the row and writes the new
// level and end back only if the row is unchanged (compare and swap), and
// tries again otherwise, so two instances recording blocks at once both
// escalate.
func (s *Store) BlockRateBudget(ctx context.Context, b store.RateBlock) (store.RateState, error) {
	if s.isClosed.Load() {
		return store.RateState{}, store.ErrClosed
	}
	if b.Key == "" {
		return store.RateState{}, errors.New("blocking a rate budget: a key is required")
	}
	for range 100 {
		st, err := s.ensureRateBudget(ctx, b.Key)
		if err != nil {
			return store.RateState{}, err
		}
		next := b.Apply(st)
		res, err := s.writer.ExecContext(ctx, s.dialect.bind(`UPDATE rate_budgets SET blocked_until = ?, violations = ?
			WHERE key = ? AND blocked_until = ? AND violations = ?`),
			zeroMicros(next.BlockedUntil), next.Violations, b.Key, zeroMicros(st.BlockedUntil), st.Violations)
		if err != nil {
			return store.RateState{}, fmt.Errorf("blocking rate budget %q: %w", b.Key, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return store.RateState{}, fmt.Errorf("blocking rate budget %q: %w", b.Key, err)
		} else if n == 1 {
			return next, nil
		}
		if err := ctx.Err(); err != nil {
			return store.RateState{}, err
		}
	}
	return store.RateState{}, fmt.Errorf("blocking rate budget %q: too much contention", b.Key)
}

// RateBudgetState reads the budget's row.
func (s *Store) RateBudgetState(ctx context.Context, key string) (store.RateState, error) {
	if s.isClosed.Load() {
		return store.RateState{}, store.ErrClosed
	}
	st, err := scanRateState(s.writer.QueryRowContext(ctx, s.dialect.bind(`SELECT `+rateStateColumns+` FROM rate_budgets WHERE key = ?`), key))
	if errors.Is(err, sql.ErrNoRows) {
		return store.RateState{Key: key}, nil
	}
	if err != nil {
		return store.RateState{}, fmt.Errorf("reading rate budget %q: %w", key, err)
	}
	return st, nil
}

func scanRateState(row *sql.Row) (store.RateState, error) {
	var (
		st                                  store.RateState
		next, dayStart, urgent, blockedTill int64
	)
	if err := row.Scan(&st.Key, &next, &dayStart, &st.DayUsed, &urgent, &blockedTill, &st.Violations); err != nil {
		return store.RateState{}, err
	}
	st.NextSlot, st.DayStart, st.UrgentUntil, st.BlockedUntil = fromZeroMicros(next), fromZeroMicros(dayStart), fromZeroMicros(urgent), fromZeroMicros(blockedTill)
	return st, nil
}

// fromZeroMicros is fromMicros with 0 read as the zero time.
func fromZeroMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicros(v)
}

// zeroMicros is micros with the zero time stored as 0.
func zeroMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

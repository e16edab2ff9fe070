package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/store"
)

// AcquireLease takes or renews the named lease for holder. The upsert only
// overwrites a row that holder already has or whose lease has expired, so
// two instances racing for a free lease cannot both get it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if s.isClosed.Load() {
		return false, store.ErrClosed
	}
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("acquiring a lease: name, holder and a positive ttl are required")
	}
	now := s.now()
	var got string
	err := s.writer.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING holder`), name, holder, micros(now.Add(ttl)), micros(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquiring lease %q: %w", name, err)
	}
	return got == holder, nil
}

// ReleaseLease gives the lease up if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder); err != nil {
		return fmt.Errorf("releasing lease %q: %w", name, err)
	}
	return nil
}

// LiveLeases lists the unexpired leases whose name starts with prefix. The
// prefix is matched with a range on the primary key, not LIKE, so no
// character of it is a wildcard.
func (s *Store) LiveLeases(ctx context.Context, prefix string) ([]store.Lease, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	q := `SELECT name, holder, expires_at FROM leases WHERE expires_at > ?`
	args := []any{micros(s.now())}
	if prefix != "" {
		q += ` AND name >= ? AND SUBSTR(name, 1, ?) = ?`
		args = append(args, prefix, utf8.RuneCountInString(prefix), prefix)
	}
	rows, err := s.writer.QueryContext(ctx, s.dialect.bind(q+` ORDER BY name`), args...)
	if err != nil {
		return nil, fmt.Errorf("listing leases %q: %w", prefix, err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.Lease
	for rows.Next() {
		var (
			l       store.Lease
			expires int64
		)
		if err := rows.Scan(&l.Name, &l.Holder, &expires); err != nil {
			return nil, fmt.Errorf("listing leases %q: %w", prefix, err)
		}
		l.ExpiresAt = fromMicros(expires)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing leases %q: %w", prefix, err)
	}
	return out, nil
}

// budgetRetention is how long past windows are kept before TakeBudget
// deletes them: longer than the longest window in use (a day).
const budgetRetention = 48 * time.Hour

// TakeBudget counts one use of key in the current window if the window has
// room. The conditional upsert makes check and count one atomic statement, so
// concurrent instances never both take the last unit.
func (s *Store) TakeBudget(ctx context.Context, key string, window time.Duration, limit int) (bool, time.Time, error) {
	granted, _, next, err := s.TakeBudgetLeft(ctx, key, window, limit)
	return granted, next, err
}

// TakeBudgetLeft is TakeBudget that also reports how many units the window
// has left after this take (0 when it refused), for the rate budget gauge.
func (s *Store) TakeBudgetLeft(ctx context.Context, key string, window time.Duration, limit int) (bool, int, time.Time, error) {
	if s.isClosed.Load() {
		return false, 0, time.Time{}, store.ErrClosed
	}
	if key == "" || window <= 0 || limit <= 0 {
		return false, 0, time.Time{}, errors.New("taking budget: key, a positive window and a positive limit are required")
	}
	now := s.now()
	start := now.Truncate(window)
	next := start.Add(window)
	var used int
	err := s.writer.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO budgets (key, window_start, used) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET used = budgets.used + 1
		WHERE budgets.used < ?
		RETURNING used`), key, micros(start), limit).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, next, nil
	}
	if err != nil {
		return false, 0, time.Time{}, fmt.Errorf("taking budget %q: %w", key, err)
	}
	left := max(limit-used, 0)
	if used == 1 {
		// A new window: forget this key's old ones.
		if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`DELETE FROM budgets WHERE key = ? AND window_start < ?`), key, micros(now.Add(-budgetRetention))); err != nil {
			return true, left, next, fmt.Errorf("pruning budget %q: %w", key, err)
		}
	}
	return true, left, next, nil
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/store"
)

// CountDisabledEndpoints counts the disabled endpoints of every workspace.
func (s *Store) CountDisabledEndpoints(ctx context.Context) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM endpoints WHERE disabled_at IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting disabled endpoints: %w", err)
	}
	return n, nil
}

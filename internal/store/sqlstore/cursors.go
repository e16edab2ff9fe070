package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Cursors = (*Store)(nil)

// GetCursor reads one cursor.
func (s *Store) GetCursor(ctx context.Context, workspace, connection, name string) (store.Cursor, error) {
	if s.isClosed.Load() {
		return store.Cursor{}, store.ErrClosed
	}
	c := store.Cursor{Workspace: workspace, Connection: connection, Name: name}
	var at int64
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT value, updated_at FROM sync_cursors
		WHERE workspace = ? AND connection = ? AND name = ?`), workspace, connection, name).Scan(&c.Value, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Cursor{}, fmt.Errorf("cursor %s of %s/%s: %w", name, workspace, connection, store.ErrNotFound)
	}
	if err != nil {
		return store.Cursor{}, fmt.Errorf("reading cursor %s of %s/%s: %w", name, workspace, connection, err)
	}
	c.UpdatedAt = fromMicros(at)
	return c, nil
}

// SaveCursor upserts one cursor.
func (s *Store) SaveCursor(ctx context.Context, c *store.Cursor) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if c == nil || c.Workspace == "" || c.Connection == "" || c.Name == "" {
		return errors.New("saving a cursor: workspace, connection and name are required")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`INSERT INTO sync_cursors (workspace, connection, name, value, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace, connection, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
		c.Workspace, c.Connection, c.Name, c.Value, micros(now)); err != nil {
		return fmt.Errorf("saving cursor %s of %s/%s: %w", c.Name, c.Workspace, c.Connection, err)
	}
	c.UpdatedAt = now
	return nil
}

// ListCursors lists a connection's cursors by name.
func (s *Store) ListCursors(ctx context.Context, workspace, connection string) ([]store.Cursor, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT name, value, updated_at FROM sync_cursors
		WHERE workspace = ? AND connection = ? ORDER BY name`), workspace, connection)
	if err != nil {
		return nil, fmt.Errorf("listing cursors of %s/%s: %w", workspace, connection, err)
	}
	defer rows.Close()
	var out []store.Cursor
	for rows.Next() {
		c := store.Cursor{Workspace: workspace, Connection: connection}
		var at int64
		if err := rows.Scan(&c.Name, &c.Value, &at); err != nil {
			return nil, fmt.Errorf("listing cursors of %s/%s: %w", workspace, connection, err)
		}
		c.UpdatedAt = fromMicros(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing cursors of %s/%s: %w", workspace, connection, err)
	}
	return out, nil
}

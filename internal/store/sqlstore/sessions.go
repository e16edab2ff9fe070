package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

var _ store.Sessions = (*Store)(nil)

// CreateSession stores a new dashboard session.
func (s *Store) CreateSession(ctx context.Context, ses *store.Session) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if ses == nil || ses.TokenHash == "" || ses.Workspace == "" || ses.CSRF == "" {
		return errors.New("creating a session: token hash, workspace and csrf token are required")
	}
	lang := ses.Lang
	if lang == "" {
		lang = "en"
	}
	if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`INSERT INTO ui_sessions
		(token_hash, workspace, csrf, lang, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		ses.TokenHash, ses.Workspace, ses.CSRF, lang, micros(ses.CreatedAt), micros(ses.ExpiresAt)); err != nil {
		return fmt.Errorf("creating a session of %q: %w", ses.Workspace, err)
	}
	return nil
}

// GetSession reads one session by its token's hash (its primary key).
func (s *Store) GetSession(ctx context.Context, tokenHash string) (*store.Session, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	ses := store.Session{TokenHash: tokenHash}
	var created, expires int64
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT workspace, csrf, lang, created_at, expires_at
		FROM ui_sessions WHERE token_hash = ?`), tokenHash).Scan(&ses.Workspace, &ses.CSRF, &ses.Lang, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading a session: %w", err)
	}
	ses.CreatedAt, ses.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &ses, nil
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if _, err := s.writer.ExecContext(ctx, s.dialect.bind(`DELETE FROM ui_sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("deleting a session: %w", err)
	}
	return nil
}

// SetSessionLang sets a session's label language.
func (s *Store) SetSessionLang(ctx context.Context, tokenHash, lang string) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(`UPDATE ui_sessions SET lang = ? WHERE token_hash = ?`), lang, tokenHash)
	if err != nil {
		return fmt.Errorf("setting a session's language: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("session: %w", store.ErrNotFound)
	}
	return nil
}

// PruneSessions deletes the sessions expired by the given time, by the
// expiry index.
func (s *Store) PruneSessions(ctx context.Context, expiredBy time.Time) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	res, err := s.writer.ExecContext(ctx, s.dialect.bind(`DELETE FROM ui_sessions WHERE expires_at <= ?`), micros(expiredBy))
	if err != nil {
		return 0, fmt.Errorf("pruning expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// LastFeedID is the newest feed id of a workspace, from the feed's
// (workspace, id) index.
func (s *Store) LastFeedID(ctx context.Context, workspace string) (int64, error) {
	if s.isClosed.Load() {
		return 0, store.ErrClosed
	}
	var id sql.NullInt64
	if err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT max(id) FROM feed WHERE workspace = ?`), workspace).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the end of the feed of %q: %w", workspace, err)
	}
	return id.Int64, nil
}

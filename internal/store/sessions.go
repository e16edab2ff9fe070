package store

import (
	"context"
	"time"
)

// Sessions keeps the dashboard's signed-in browsers (package web), so that
// a session survives a restart and holds on every instance that shares the
// database. The store never sees a session's token: the dashboard keeps
// only its SHA-256 (TokenHash), so a copy of the table opens no session.
type Sessions interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session whose token hashes to tokenHash, or
	// ErrNotFound. It returns expired sessions as well: the caller compares
	// ExpiresAt with its own clock.
	GetSession(ctx context.Context, tokenHash string) (*Session, error)
	// DeleteSession removes a session (sign-out); a missing one is no error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// SetSessionLang sets the language of provider labels the session
	// shows, or returns ErrNotFound.
	SetSessionLang(ctx context.Context, tokenHash, lang string) error
	// PruneSessions deletes the sessions that expired at or before the
	// given time and reports how many.
	PruneSessions(ctx context.Context, expiredBy time.Time) (int64, error)
	// LastFeedID is the id of the newest feed event of the workspace, 0
	// when it has none: where the dashboard's live stream starts to follow
	// the feed. It is one probe of the feed's (workspace, id) index.
	LastFeedID(ctx context.Context, workspace string) (int64, error)
}

// Session is one signed-in dashboard browser.
type Session struct {
	// TokenHash is the hex SHA-256 of the session's cookie token.
	TokenHash string
	// Workspace is the only workspace the session sees.
	Workspace string
	// CSRF is the token the session's forms carry back.
	CSRF string
	// Lang is the language of provider labels: en, nl or fr.
	Lang      string
	CreatedAt time.Time
	// ExpiresAt is the session's absolute end.
	ExpiresAt time.Time
}

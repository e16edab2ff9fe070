-- +goose Up
-- Dashboard sessions (package web): one row per signed-in browser. The
-- cookie's token is never stored, only its SHA-256 in hex, so the table
-- opens no session. expires_at is absolute (unix microseconds); expired
-- rows are pruned on sign-in, by the expiry index.
CREATE TABLE ui_sessions (
	token_hash TEXT    NOT NULL PRIMARY KEY,
	workspace  TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	lang       TEXT    NOT NULL DEFAULT 'en',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX ui_sessions_by_expiry ON ui_sessions (expires_at);

-- +goose Down
DROP TABLE ui_sessions;

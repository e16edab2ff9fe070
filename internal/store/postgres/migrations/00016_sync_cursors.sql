-- +goose Up
-- Sync cursors are the small durable state of a connection's background
-- sync, one row per (workspace, connection, name): a reconciliation's
-- watermark ("reconcile.order"), the digest of the webhook subscriptions
-- last made to match ("subscriptions"). A row is written only after what it
-- records is committed, so a crash repeats work rather than skipping it.
CREATE TABLE sync_cursors (
	workspace  TEXT   NOT NULL,
	connection TEXT   NOT NULL,
	name       TEXT   NOT NULL,
	value      TEXT   NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (workspace, connection, name)
);

-- +goose Down
DROP TABLE sync_cursors;

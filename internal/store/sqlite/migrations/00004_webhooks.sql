-- +goose Up
-- Merchant webhook endpoints, from the API or the configuration (source,
-- config_key). Secrets are sealed with the configured secrets_key
-- (internal/secrets; plaintext rows from before are sealed at start).
CREATE TABLE endpoints (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace             TEXT    NOT NULL,
	url                   TEXT    NOT NULL,
	events                TEXT    NOT NULL,
	description           TEXT    NOT NULL DEFAULT '',
	headers               TEXT    NOT NULL DEFAULT '',
	secret                TEXT    NOT NULL,
	previous_secret       TEXT    NOT NULL DEFAULT '',
	previous_secret_until BIGINT  NOT NULL DEFAULT 0,
	source                TEXT    NOT NULL,
	config_key            TEXT    NOT NULL DEFAULT '',
	disabled_at           BIGINT,
	disabled_reason       TEXT    NOT NULL DEFAULT '',
	failing_since         BIGINT,
	last_alert_at         BIGINT,
	created_at            BIGINT  NOT NULL,
	updated_at            BIGINT  NOT NULL
);
CREATE INDEX endpoints_by_workspace ON endpoints (workspace, id);

-- The delivery queue: one row per feed event and endpoint, written with the
-- event (transactional outbox). locked_until hides a claimed row from other
-- claims while it is being sent.
CREATE TABLE deliveries (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace        TEXT    NOT NULL,
	endpoint_id      INTEGER NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
	feed_id          INTEGER NOT NULL REFERENCES feed (id) ON DELETE CASCADE,
	event_type       TEXT    NOT NULL,
	subject          TEXT    NOT NULL,
	status           TEXT    NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  BIGINT  NOT NULL,
	locked_until     BIGINT  NOT NULL DEFAULT 0,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT    NOT NULL DEFAULT '',
	created_at       BIGINT  NOT NULL,
	updated_at       BIGINT  NOT NULL,
	delivered_at     BIGINT
);
-- Due work, in due order, without scanning finished deliveries.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
-- The ordering check: an earlier pending delivery of the same subject.
CREATE INDEX deliveries_pending_subject ON deliveries (endpoint_id, subject, id) WHERE status = 'pending';
CREATE INDEX deliveries_by_workspace ON deliveries (workspace, id);
CREATE INDEX deliveries_by_status ON deliveries (workspace, status, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status, created_at);
CREATE INDEX deliveries_by_feed ON deliveries (feed_id);

-- Every attempt, with a bounded excerpt of the answer.
CREATE TABLE delivery_attempts (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	attempted_at BIGINT  NOT NULL,
	duration_us  BIGINT  NOT NULL,
	status_code  INTEGER NOT NULL,
	error        TEXT    NOT NULL DEFAULT '',
	response     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, id);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE endpoints;

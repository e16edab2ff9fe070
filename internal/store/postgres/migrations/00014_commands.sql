-- +goose Up
-- Commands are the requests shiphub makes of providers on a merchant's
-- behalf. A command commits in the same transaction as the subject it
-- creates (an order, a product, inbound goods) and its queue job (River's
-- own tables, migrated by package commands), so none exists without the
-- others. subject_type is the resource before the dot of kind, so an
-- order's last command is one index lookup.
CREATE TABLE commands (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace       TEXT    NOT NULL,
	connection      TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	subject_type    TEXT    NOT NULL,
	subject_id      BIGINT  NOT NULL,
	status          TEXT    NOT NULL,
	attempts        BIGINT  NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	next_attempt_at BIGINT,
	payload         TEXT    NOT NULL DEFAULT '',
	created_at      BIGINT  NOT NULL,
	updated_at      BIGINT  NOT NULL
);
CREATE INDEX commands_by_workspace  ON commands (workspace, id);
CREATE INDEX commands_by_status     ON commands (workspace, status, id);
CREATE INDEX commands_by_connection ON commands (workspace, connection, id);
CREATE INDEX commands_by_subject    ON commands (workspace, subject_type, subject_id, id);

-- An Idempotency-Key names the first submission made with it, so that the
-- same request again gets the same answer and queues nothing. request_hash
-- tells a replay from a different request that reuses the key.
CREATE TABLE idempotency_keys (
	workspace    TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	request_hash TEXT    NOT NULL,
	command_id   BIGINT  NOT NULL REFERENCES commands (id) ON DELETE CASCADE,
	subject_id   BIGINT  NOT NULL,
	created_at   BIGINT  NOT NULL,
	PRIMARY KEY (workspace, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE commands;

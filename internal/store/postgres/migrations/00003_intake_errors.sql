-- +goose Up
-- Intake errors are inbound messages refused after they were received (an
-- FTP file that does not parse): what arrived, why it was refused and where
-- its bytes were kept. They never reach the inbox.
CREATE TABLE intake_errors (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace   TEXT   NOT NULL,
	connection  TEXT   NOT NULL,
	source      TEXT   NOT NULL,
	name        TEXT   NOT NULL,
	reason      TEXT   NOT NULL,
	ref         TEXT   NOT NULL DEFAULT '',
	size        BIGINT NOT NULL,
	body        BYTEA  NOT NULL,
	received_at BIGINT NOT NULL
);
CREATE INDEX intake_errors_by_workspace ON intake_errors (workspace, id);

-- +goose Down
DROP TABLE intake_errors;

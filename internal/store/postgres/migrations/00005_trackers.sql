-- +goose Up
-- Trackers are the parcels a pull connection (GCL) polls, with their
-- adaptive schedule: next_poll_at survives restarts and moves between
-- instances with the poller's lease. NULL means no longer polled.
CREATE TABLE trackers (
	id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace         TEXT    NOT NULL,
	connection        TEXT    NOT NULL,
	tracking_number   TEXT    NOT NULL,
	reference         TEXT    NOT NULL DEFAULT '',
	origin            TEXT    NOT NULL DEFAULT 'api',
	origin_shipment   BIGINT  NOT NULL DEFAULT 0,
	state             TEXT    NOT NULL,
	status            TEXT    NOT NULL,
	expected_delivery TEXT    NOT NULL DEFAULT '',
	priority          INTEGER NOT NULL DEFAULT 0,
	next_poll_at      BIGINT,
	last_polled_at    BIGINT,
	last_change_at    BIGINT,
	not_found_since   BIGINT,
	polls             BIGINT  NOT NULL DEFAULT 0,
	failures          INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT    NOT NULL DEFAULT '',
	created_at        BIGINT  NOT NULL,
	updated_at        BIGINT  NOT NULL,
	UNIQUE (workspace, connection, tracking_number)
);
-- The poller's question: what is due on this connection?
CREATE INDEX trackers_due ON trackers (workspace, connection, next_poll_at) WHERE next_poll_at IS NOT NULL;
CREATE INDEX trackers_by_workspace ON trackers (workspace, id);

-- +goose Down
DROP TABLE trackers;

-- The schema of shiphub on PostgreSQL. Times are unix microseconds (BIGINT),
-- JSON documents are TEXT (kept byte for byte, unlike JSONB). Identity ids
-- are never reused, so feed consumers can page by id.

-- +goose Up
CREATE TABLE inbox (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace    TEXT   NOT NULL,
	connection   TEXT   NOT NULL,
	provider     TEXT   NOT NULL,
	source       TEXT   NOT NULL,
	topic        TEXT   NOT NULL DEFAULT '',
	dedup_key    TEXT   NOT NULL,
	content_type TEXT   NOT NULL DEFAULT '',
	meta         TEXT   NOT NULL DEFAULT '',
	body         BYTEA  NOT NULL,
	received_at  BIGINT NOT NULL,
	processed_at BIGINT,
	failure      TEXT,
	UNIQUE (workspace, connection, dedup_key)
);
-- Pending messages, oldest first, without scanning the processed ones.
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;
-- Failed messages, counted by InboxStats.
CREATE INDEX inbox_failed ON inbox (id) WHERE failure IS NOT NULL;

CREATE TABLE shipments (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace       TEXT   NOT NULL,
	connection      TEXT   NOT NULL,
	provider        TEXT   NOT NULL,
	provider_ref    TEXT   NOT NULL,
	status          TEXT   NOT NULL,
	status_event_id BIGINT NOT NULL DEFAULT 0,
	doc             TEXT   NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	-- ref_key is workspace, connection and provider_ref joined by "/" (ids cannot contain one): the
	-- pipeline finds a shipment by it for every message, and one unique
	-- column leaves the planner no other index to pick before statistics
	-- exist (PostgreSQL scanned a whole connection through
	-- shipments_by_connection while its table was young).
	ref_key         TEXT   NOT NULL UNIQUE
);
CREATE INDEX shipments_by_workspace  ON shipments (workspace, id);
CREATE INDEX shipments_by_status     ON shipments (workspace, status, id);
CREATE INDEX shipments_by_connection ON shipments (workspace, connection, id);

CREATE TABLE shipment_refs (
	workspace   TEXT   NOT NULL,
	value       TEXT   NOT NULL,
	shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
	PRIMARY KEY (workspace, value, shipment_id)
);
CREATE INDEX shipment_refs_by_shipment ON shipment_refs (shipment_id);

CREATE TABLE events (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	shipment_id BIGINT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
	dedup_key   TEXT,
	occurred_at BIGINT NOT NULL,
	doc         TEXT   NOT NULL,
	UNIQUE (shipment_id, dedup_key)
);
CREATE INDEX events_by_shipment ON events (shipment_id, occurred_at, id);

CREATE TABLE feed (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace   TEXT   NOT NULL,
	type        TEXT   NOT NULL,
	subject_id  BIGINT NOT NULL,
	occurred_at BIGINT NOT NULL,
	data        TEXT   NOT NULL
);
CREATE INDEX feed_by_workspace ON feed (workspace, id);

-- +goose Down
DROP TABLE feed;
DROP TABLE events;
DROP TABLE shipment_refs;
DROP TABLE shipments;
DROP TABLE inbox;

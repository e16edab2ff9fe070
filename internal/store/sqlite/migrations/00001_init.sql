-- The schema of shiphub on SQLite. Times are unix microseconds, JSON
-- documents are TEXT. Canonical tables use AUTOINCREMENT so ids deleted by
-- ResetCanonical are never handed out again (feed consumers page by id).

-- +goose Up
CREATE TABLE inbox (
	id           INTEGER PRIMARY KEY,
	workspace    TEXT    NOT NULL,
	connection   TEXT    NOT NULL,
	provider     TEXT    NOT NULL,
	source       TEXT    NOT NULL,
	topic        TEXT    NOT NULL DEFAULT '',
	dedup_key    TEXT    NOT NULL,
	content_type TEXT    NOT NULL DEFAULT '',
	meta         TEXT    NOT NULL DEFAULT '',
	body         BLOB    NOT NULL,
	received_at  INTEGER NOT NULL,
	processed_at INTEGER,
	failure      TEXT,
	UNIQUE (workspace, connection, dedup_key)
);
-- Pending messages, oldest first, without scanning the processed ones.
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;
-- Failed messages, counted by InboxStats.
CREATE INDEX inbox_failed ON inbox (id) WHERE failure IS NOT NULL;

CREATE TABLE shipments (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace       TEXT    NOT NULL,
	connection      TEXT    NOT NULL,
	provider        TEXT    NOT NULL,
	provider_ref    TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	status_event_id INTEGER NOT NULL DEFAULT 0,
	doc             TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
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
	workspace   TEXT    NOT NULL,
	value       TEXT    NOT NULL,
	shipment_id INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
	PRIMARY KEY (workspace, value, shipment_id)
) WITHOUT ROWID;
CREATE INDEX shipment_refs_by_shipment ON shipment_refs (shipment_id);

CREATE TABLE events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	shipment_id INTEGER NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
	dedup_key   TEXT,
	occurred_at INTEGER NOT NULL,
	doc         TEXT    NOT NULL,
	UNIQUE (shipment_id, dedup_key)
);
CREATE INDEX events_by_shipment ON events (shipment_id, occurred_at, id);

CREATE TABLE feed (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace   TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	subject_id  INTEGER NOT NULL,
	occurred_at INTEGER NOT NULL,
	data        TEXT    NOT NULL
);
CREATE INDEX feed_by_workspace ON feed (workspace, id);

-- +goose Down
DROP TABLE feed;
DROP TABLE events;
DROP TABLE shipment_refs;
DROP TABLE shipments;
DROP TABLE inbox;

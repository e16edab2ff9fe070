-- +goose Up
-- Inbound goods (announcements with their receipts) and returns. Each row
-- is one resource of a connection, found by lookup_key (see
-- store.InboundKey and store.ReturnKey); doc is its JSON document with the
-- provider's times of its fields. reference, provider_ref and status are
-- copies of the document's for the API's filters.
CREATE TABLE inbound (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace    TEXT    NOT NULL,
	connection   TEXT    NOT NULL,
	provider     TEXT    NOT NULL,
	lookup_key   TEXT    NOT NULL,
	reference    TEXT    NOT NULL DEFAULT '',
	provider_ref TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL,
	doc          TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (workspace, connection, lookup_key)
);
CREATE INDEX inbound_by_workspace ON inbound (workspace, id);
CREATE INDEX inbound_by_connection ON inbound (workspace, connection, id);
CREATE INDEX inbound_by_status ON inbound (workspace, status, id);
CREATE INDEX inbound_by_reference ON inbound (workspace, reference, id);
CREATE INDEX inbound_by_provider_ref ON inbound (workspace, provider_ref, id);

CREATE TABLE returns (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace    TEXT    NOT NULL,
	connection   TEXT    NOT NULL,
	provider     TEXT    NOT NULL,
	lookup_key   TEXT    NOT NULL,
	reference    TEXT    NOT NULL DEFAULT '',
	provider_ref TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL,
	doc          TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (workspace, connection, lookup_key)
);
CREATE INDEX returns_by_workspace ON returns (workspace, id);
CREATE INDEX returns_by_connection ON returns (workspace, connection, id);
CREATE INDEX returns_by_status ON returns (workspace, status, id);
CREATE INDEX returns_by_reference ON returns (workspace, reference, id);
CREATE INDEX returns_by_provider_ref ON returns (workspace, provider_ref, id);

-- +goose Down
DROP TABLE returns;
DROP TABLE inbound;

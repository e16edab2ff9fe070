-- +goose Up
-- Products, stock levels and stock mutations (DESIGN.md, "Fulfilment
-- contract"). Each row keeps its resource as a JSON document, with the
-- provider's time of every stated field beside it (fact_times), so that a
-- statement arriving late never replaces a newer one; the columns hold the
-- identity and what the API filters and pages by.
CREATE TABLE products (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace  TEXT    NOT NULL,
	connection TEXT    NOT NULL,
	provider   TEXT    NOT NULL,
	sku        TEXT    NOT NULL,
	doc        TEXT    NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (workspace, connection, sku)
);
CREATE INDEX products_by_workspace  ON products (workspace, id);
CREATE INDEX products_by_sku        ON products (workspace, sku, id);
CREATE INDEX products_by_connection ON products (workspace, connection, id);

-- One row per sku, connection and warehouse ('' when the provider has one).
CREATE TABLE stock (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace  TEXT    NOT NULL,
	connection TEXT    NOT NULL,
	provider   TEXT    NOT NULL,
	sku        TEXT    NOT NULL,
	warehouse  TEXT    NOT NULL DEFAULT '',
	doc        TEXT    NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (workspace, connection, sku, warehouse)
);
CREATE INDEX stock_by_workspace  ON stock (workspace, id);
CREATE INDEX stock_by_sku        ON stock (workspace, sku, id);
CREATE INDEX stock_by_connection ON stock (workspace, connection, id);
CREATE INDEX stock_by_warehouse  ON stock (workspace, warehouse, id);

-- Append-only: the same mutation reported twice (same dedup_key) is one row.
-- Listed newest first by occurred_at, then id.
CREATE TABLE stock_mutations (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace   TEXT    NOT NULL,
	connection  TEXT    NOT NULL,
	provider    TEXT    NOT NULL,
	dedup_key   TEXT    NOT NULL,
	sku         TEXT    NOT NULL,
	occurred_at INTEGER NOT NULL,
	doc         TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (workspace, connection, dedup_key)
);
CREATE INDEX stock_mutations_by_time       ON stock_mutations (workspace, occurred_at, id);
CREATE INDEX stock_mutations_by_sku        ON stock_mutations (workspace, sku, occurred_at, id);
CREATE INDEX stock_mutations_by_connection ON stock_mutations (workspace, connection, occurred_at, id);

-- +goose Down
DROP TABLE stock_mutations;
DROP TABLE stock;
DROP TABLE products;

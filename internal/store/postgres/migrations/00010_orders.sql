-- +goose Up
-- Orders are keyed by the merchant's reference within a connection; the
-- provider's own number is kept beside it, and both are searchable. The
-- document holds the lines and the provider's time of every stated field.
CREATE TABLE orders (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace    TEXT    NOT NULL,
	connection   TEXT    NOT NULL,
	provider     TEXT    NOT NULL,
	reference    TEXT    NOT NULL,
	provider_ref TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL,
	doc          TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	updated_at   BIGINT  NOT NULL,
	UNIQUE (workspace, connection, reference)
);
CREATE INDEX orders_by_workspace    ON orders (workspace, id);
CREATE INDEX orders_by_status       ON orders (workspace, status, id);
CREATE INDEX orders_by_connection   ON orders (workspace, connection, id);
CREATE INDEX orders_by_reference    ON orders (workspace, reference, id);
CREATE INDEX orders_by_provider_ref ON orders (workspace, provider_ref, id);

-- The order reference each shipment names (its OrderReference). Which
-- order a shipment belongs to is worked out from it when an order is read:
-- the order of that reference in the shipment's own connection, else the
-- first order of the workspace with that reference. So the link is the
-- same whether the order or the shipment arrived first.
CREATE TABLE order_shipments (
	shipment_id     BIGINT NOT NULL PRIMARY KEY REFERENCES shipments (id) ON DELETE CASCADE,
	workspace       TEXT    NOT NULL,
	connection      TEXT    NOT NULL,
	order_reference TEXT    NOT NULL
);
CREATE INDEX order_shipments_by_reference ON order_shipments (workspace, order_reference, shipment_id);

-- +goose Down
DROP TABLE order_shipments;
DROP TABLE orders;

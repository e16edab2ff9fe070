-- +goose Up
-- The dashboard's lists filter by connection and status at once: with an
-- index on each alone, a page of one connection's orders in one status
-- walks every order of the status (or the connection) to find 51.
CREATE INDEX orders_by_connection_status  ON orders  (workspace, connection, status, id);
CREATE INDEX inbound_by_connection_status ON inbound (workspace, connection, status, id);
CREATE INDEX returns_by_connection_status ON returns (workspace, connection, status, id);

-- +goose Down
DROP INDEX returns_by_connection_status;
DROP INDEX inbound_by_connection_status;
DROP INDEX orders_by_connection_status;

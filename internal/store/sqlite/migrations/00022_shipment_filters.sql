-- +goose Up
-- The dashboard's shipment list filters by status, provider and connection
-- together and pages by id, newest first (ListShipments). Each equality
-- combination reads one index range in id order and stops after a page:
-- status alone (shipments_by_status), connection alone
-- (shipments_by_connection), and these. A connection has one provider, so
-- connection with provider reads the connection's ranges.
CREATE INDEX shipments_by_provider            ON shipments (workspace, provider, id);
CREATE INDEX shipments_by_provider_status     ON shipments (workspace, provider, status, id);
CREATE INDEX shipments_by_connection_status   ON shipments (workspace, connection, status, id);

-- +goose Down
DROP INDEX shipments_by_connection_status;
DROP INDEX shipments_by_provider_status;
DROP INDEX shipments_by_provider;

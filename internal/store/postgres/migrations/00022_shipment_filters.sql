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
-- A range of update times lists by update, newest first: this index walks
-- the range in that order and holds every other column filtered on, so a
-- page costs the index entries up to its last row (all of the range at
-- worst, for a rare combination), never a sort, and only the page's rows
-- are read from the table.
CREATE INDEX shipments_by_update_filters      ON shipments (workspace, updated_at, id, status, provider, connection);

-- +goose Down
DROP INDEX shipments_by_update_filters;
DROP INDEX shipments_by_connection_status;
DROP INDEX shipments_by_provider_status;
DROP INDEX shipments_by_provider;

-- +goose Up
-- shipments_by_update (workspace, updated_at, id), from 00008, is a prefix
-- of shipments_by_update_filters (workspace, updated_at, id, status,
-- provider, connection), from 00022: every read that walks the one (the
-- carrier rules' ShipmentsUpdatedSince, the insights' window of updates, a
-- dashboard range of update times) walks the other in the same order over
-- the same range, and no query names it. Each shipment written or updated
-- (updated_at changes with every status) maintained both.
DROP INDEX shipments_by_update;

-- +goose Down
CREATE INDEX shipments_by_update ON shipments (workspace, updated_at, id);

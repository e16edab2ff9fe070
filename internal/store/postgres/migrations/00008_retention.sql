-- +goose Up
-- The retention policy (internal/retention) deletes old rows in small
-- batches. Each index below holds only the rows a policy may delete, in the
-- order it deletes them, so a batch reads what it deletes and nothing else:
-- no pending, retrying, failed or dead-lettered row is ever scanned again.

-- When a feed entry was written, which retention counts from (occurred_at is
-- the provider's time and may be old for a late message). Existing entries
-- count from their event's time.
ALTER TABLE feed ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
UPDATE feed SET created_at = occurred_at;
CREATE INDEX feed_by_age ON feed (created_at, id);

-- Processed messages (not pending, not failed) by age.
CREATE INDEX inbox_processed_by_age ON inbox (received_at, id) WHERE processed_at IS NOT NULL AND failure IS NULL;
-- Delivered deliveries by delivery time.
CREATE INDEX deliveries_delivered_by_age ON deliveries (delivered_at, id) WHERE status = 'succeeded';
CREATE INDEX intake_errors_by_age ON intake_errors (received_at, id);
-- Trackers that are no longer polled, by their last change.
CREATE INDEX trackers_finished_by_age ON trackers (updated_at, id) WHERE state IN ('done', 'expired');
-- Finished shipments by their last change (the shipments retention, off by default).
CREATE INDEX shipments_finished_by_age ON shipments (updated_at, id) WHERE status IN ('delivered', 'returned', 'cancelled');

-- Carrier rules page through a workspace's shipments by (updated_at, id)
-- (ShipmentsUpdatedSince), which read and sorted the whole workspace. The
-- other periodic scans have theirs: the inbox's pending messages
-- (inbox_pending), due deliveries (deliveries_due, with the backlog parked
-- out of it), due trackers (trackers_due: the few due rows, then sorted by
-- priority) and a workspace's feed (feed_by_workspace).
CREATE INDEX shipments_by_update ON shipments (workspace, updated_at, id);

-- +goose Down
DROP INDEX shipments_by_update;
DROP INDEX shipments_finished_by_age;
DROP INDEX trackers_finished_by_age;
DROP INDEX intake_errors_by_age;
DROP INDEX deliveries_delivered_by_age;
DROP INDEX inbox_processed_by_age;
DROP INDEX feed_by_age;
ALTER TABLE feed DROP COLUMN created_at;

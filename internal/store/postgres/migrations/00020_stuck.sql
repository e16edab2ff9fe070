-- +goose Up
-- stuck_at is when the stuck scan last found the shipment without an update
-- for too long (dashboard.stuck_after); NULL when it never did. The shipment
-- is stuck while stuck_at >= updated_at: its next update ends the episode.
ALTER TABLE shipments ADD COLUMN stuck_at BIGINT;

-- The stuck scan: per workspace and open status, the shipments not marked
-- for their current episode, oldest update first. Final statuses are left
-- out, so most shipments (delivered ones) are not in it.
CREATE INDEX shipments_stuck_scan ON shipments (workspace, status, updated_at, id)
	WHERE status NOT IN ('delivered', 'returned', 'cancelled', 'expired') AND (stuck_at IS NULL OR stuck_at < updated_at);

-- The shipments stuck now, for the overview's list and count.
CREATE INDEX shipments_stuck ON shipments (workspace, id) WHERE stuck_at >= updated_at;

-- The shipments whose current status asks the merchant to act. The flag is
-- in the stored document only; its compact JSON has the key once, at the
-- top level (events are stored apart, and a string value cannot hold the
-- unescaped quotes), so the substring is exact.
CREATE INDEX shipments_action_required ON shipments (workspace, id) WHERE strpos(doc, '"action_required":true') > 0;

-- +goose Down
DROP INDEX shipments_action_required;
DROP INDEX shipments_stuck;
DROP INDEX shipments_stuck_scan;
ALTER TABLE shipments DROP COLUMN stuck_at;

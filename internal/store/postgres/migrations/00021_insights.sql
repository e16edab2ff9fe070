-- +goose Up
-- The insights page aggregates events by their canonical status, which
-- lives in the event's document. A column of its own, written with the
-- event, lets the aggregates read it without parsing a million documents.
ALTER TABLE events ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE events SET status = COALESCE(doc::jsonb->>'status', '');
-- Events per hour and statuses per day read a window of occurred_at.
CREATE INDEX events_by_time ON events (occurred_at);
-- The exception, failed-attempt and first-attempt rates look for the few
-- events that went wrong; the index holds only those.
CREATE INDEX events_problems ON events (shipment_id, status, occurred_at)
	WHERE status IN ('exception', 'failed_attempt');
-- The carrier aggregates read the shipments updated in a window through
-- shipments_by_update (00008).

-- +goose Down
DROP INDEX events_problems;
DROP INDEX events_by_time;
ALTER TABLE events DROP COLUMN status;

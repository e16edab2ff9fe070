-- +goose Up
-- stuck_at is when the stuck scan last found the shipment without an update
-- for too long (dashboard.stuck_after); NULL when it never did. The shipment
-- is stuck while stuck_at >= updated_at: its next update ends the episode.
ALTER TABLE shipments ADD COLUMN stuck_at INTEGER;

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
CREATE INDEX shipments_action_required ON shipments (workspace, id) WHERE instr(doc, '"action_required":true') > 0;

-- shipment_counts counts each workspace's shipments by status, kept by
-- triggers on whoever inserts, deletes or changes the status of a shipment
-- (the pipeline, a rebuild, retention), so the overview need not count a
-- workspace's shipments on every page view.
CREATE TABLE shipment_counts (
	workspace TEXT    NOT NULL,
	status    TEXT    NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (workspace, status)
) WITHOUT ROWID;
INSERT INTO shipment_counts (workspace, status, n) SELECT workspace, status, COUNT(*) FROM shipments GROUP BY workspace, status;
-- +goose StatementBegin
CREATE TRIGGER shipment_counts_insert AFTER INSERT ON shipments BEGIN
	INSERT OR IGNORE INTO shipment_counts (workspace, status, n) VALUES (NEW.workspace, NEW.status, 0);
	UPDATE shipment_counts SET n = n + 1 WHERE workspace = NEW.workspace AND status = NEW.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER shipment_counts_delete AFTER DELETE ON shipments BEGIN
	UPDATE shipment_counts SET n = n - 1 WHERE workspace = OLD.workspace AND status = OLD.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER shipment_counts_update AFTER UPDATE OF status ON shipments WHEN OLD.status <> NEW.status BEGIN
	UPDATE shipment_counts SET n = n - 1 WHERE workspace = OLD.workspace AND status = OLD.status;
	INSERT OR IGNORE INTO shipment_counts (workspace, status, n) VALUES (NEW.workspace, NEW.status, 0);
	UPDATE shipment_counts SET n = n + 1 WHERE workspace = NEW.workspace AND status = NEW.status;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER shipment_counts_update;
DROP TRIGGER shipment_counts_delete;
DROP TRIGGER shipment_counts_insert;
DROP TABLE shipment_counts;
DROP INDEX shipments_action_required;
DROP INDEX shipments_stuck;
DROP INDEX shipments_stuck_scan;
ALTER TABLE shipments DROP COLUMN stuck_at;

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

-- The shipments stuck now, for the overview's list and count. Keyed by -id,
-- newest first, an order no other index has: the planner cannot estimate
-- the predicate, and would otherwise walk the primary key backwards through
-- a workspace's every shipment to find the few (sqlstore/stuck.go).
CREATE INDEX shipments_stuck ON shipments (workspace, (-id)) WHERE stuck_at >= updated_at;

-- The shipments whose current status asks the merchant to act. The flag is
-- in the stored document only; its compact JSON has the key once, at the
-- top level (events are stored apart, and a string value cannot hold the
-- unescaped quotes), so the substring is exact.
CREATE INDEX shipments_action_required ON shipments (workspace, (-id)) WHERE strpos(doc, '"action_required":true') > 0;

-- shipment_counts counts each workspace's shipments by status, kept by
-- triggers on whoever inserts, deletes or changes the status of a shipment
-- (the pipeline, a rebuild, retention), so the overview need not count a
-- workspace's shipments on every page view. Inserts and deletes are counted
-- per statement (the pipeline and retention write many rows in one); a
-- status change per row, and only when the status changed, so the
-- pipeline's updates that leave the status alone cost nothing.
CREATE TABLE shipment_counts (
	workspace TEXT   NOT NULL,
	status    TEXT   NOT NULL,
	n         BIGINT NOT NULL,
	PRIMARY KEY (workspace, status)
);
INSERT INTO shipment_counts (workspace, status, n) SELECT workspace, status, COUNT(*) FROM shipments GROUP BY workspace, status;
-- +goose StatementBegin
CREATE FUNCTION shipment_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO shipment_counts (workspace, status, n)
		SELECT workspace, status, COUNT(*) FROM shipments_new GROUP BY workspace, status ORDER BY workspace, status
		ON CONFLICT (workspace, status) DO UPDATE SET n = shipment_counts.n + EXCLUDED.n;
	RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION shipment_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE shipment_counts c SET n = c.n - d.n
		FROM (SELECT workspace, status, COUNT(*) AS n FROM shipments_old GROUP BY workspace, status) d
		WHERE c.workspace = d.workspace AND c.status = d.status;
	RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION shipment_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE shipment_counts SET n = n - 1 WHERE workspace = OLD.workspace AND status = OLD.status;
	INSERT INTO shipment_counts (workspace, status, n) VALUES (NEW.workspace, NEW.status, 1)
		ON CONFLICT (workspace, status) DO UPDATE SET n = shipment_counts.n + 1;
	RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER shipment_counts_insert AFTER INSERT ON shipments REFERENCING NEW TABLE AS shipments_new
	FOR EACH STATEMENT EXECUTE FUNCTION shipment_counts_insert();
CREATE TRIGGER shipment_counts_delete AFTER DELETE ON shipments REFERENCING OLD TABLE AS shipments_old
	FOR EACH STATEMENT EXECUTE FUNCTION shipment_counts_delete();
CREATE TRIGGER shipment_counts_update AFTER UPDATE OF status ON shipments
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION shipment_counts_update();

-- +goose Down
DROP TRIGGER shipment_counts_update ON shipments;
DROP TRIGGER shipment_counts_delete ON shipments;
DROP TRIGGER shipment_counts_insert ON shipments;
DROP FUNCTION shipment_counts_update();
DROP FUNCTION shipment_counts_delete();
DROP FUNCTION shipment_counts_insert();
DROP TABLE shipment_counts;
DROP INDEX shipments_action_required;
DROP INDEX shipments_stuck;
DROP INDEX shipments_stuck_scan;
ALTER TABLE shipments DROP COLUMN stuck_at;

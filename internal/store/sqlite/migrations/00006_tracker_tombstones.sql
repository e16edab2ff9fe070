-- +goose Up
-- A tracker deleted through the API stays deleted for its number: a carrier
-- rule that selects the shipment again does not attach a new tracker while
-- the number has a row here. Creating the tracker through the API again
-- removes the row. One row per deleted number, replaced on a second delete.
CREATE TABLE tracker_tombstones (
	workspace       TEXT    NOT NULL,
	connection      TEXT    NOT NULL,
	tracking_number TEXT    NOT NULL,
	deleted_at      INTEGER NOT NULL,
	PRIMARY KEY (workspace, connection, tracking_number)
);

-- +goose Down
DROP TABLE tracker_tombstones;

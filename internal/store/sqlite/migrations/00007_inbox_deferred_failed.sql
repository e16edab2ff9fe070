-- +goose Up
-- A message whose connection this instance does not have (yet) is set aside
-- until deferred_until instead of being marked failed: it stays pending and
-- is handed out again once that time has passed. The pending index leaves
-- deferred messages out, so a claim never reads past them.
ALTER TABLE inbox ADD COLUMN deferred_until INTEGER;
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL AND deferred_until IS NULL;
-- Deferred messages by when they are due (to wake them) and by id (to find
-- the oldest pending message); both hold only the few deferred rows.
CREATE INDEX inbox_deferred ON inbox (deferred_until) WHERE deferred_until IS NOT NULL;
CREATE INDEX inbox_deferred_by_id ON inbox (id) WHERE deferred_until IS NOT NULL;
-- Failed messages, listed newest first per workspace and counted by InboxStats.
DROP INDEX inbox_failed;
CREATE INDEX inbox_failed ON inbox (workspace, id) WHERE failure IS NOT NULL;

-- inbox_total counts the inbox's rows, kept by triggers on whoever inserts or
-- deletes (appends, retention), so InboxStats need not count the table.
CREATE TABLE inbox_total (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	n   INTEGER NOT NULL
);
INSERT INTO inbox_total (one, n) SELECT 1, COUNT(*) FROM inbox;
-- +goose StatementBegin
CREATE TRIGGER inbox_total_insert AFTER INSERT ON inbox BEGIN
	UPDATE inbox_total SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER inbox_total_delete AFTER DELETE ON inbox BEGIN
	UPDATE inbox_total SET n = n - 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER inbox_total_delete;
DROP TRIGGER inbox_total_insert;
DROP TABLE inbox_total;
DROP INDEX inbox_failed;
CREATE INDEX inbox_failed ON inbox (id) WHERE failure IS NOT NULL;
DROP INDEX inbox_deferred_by_id;
DROP INDEX inbox_deferred;
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;
ALTER TABLE inbox DROP COLUMN deferred_until;

-- +goose Up
-- A message whose connection this instance does not have (yet) is set aside
-- until deferred_until instead of being marked failed: it stays pending and
-- is handed out again once that time has passed. The pending index leaves
-- deferred messages out, so a claim never reads past them.
ALTER TABLE inbox ADD COLUMN deferred_until BIGINT;
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL AND deferred_until IS NULL;
-- Deferred messages by when they are due (to wake them) and by id (to find
-- the oldest pending message); both hold only the few deferred rows.
CREATE INDEX inbox_deferred ON inbox (deferred_until) WHERE deferred_until IS NOT NULL;
CREATE INDEX inbox_deferred_by_id ON inbox (id) WHERE deferred_until IS NOT NULL;
-- Failed messages, listed newest first per workspace and counted by InboxStats.
DROP INDEX inbox_failed;
CREATE INDEX inbox_failed ON inbox (workspace, id) WHERE failure IS NOT NULL;

-- inbox_total counts the inbox's rows, kept by statement triggers on whoever
-- inserts or deletes (appends, retention), so InboxStats need not count the
-- table.
CREATE TABLE inbox_total (
	one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
	n   BIGINT  NOT NULL
);
INSERT INTO inbox_total (one, n) SELECT TRUE, COUNT(*) FROM inbox;
-- +goose StatementBegin
CREATE FUNCTION inbox_total_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE inbox_total SET n = n + (SELECT COUNT(*) FROM inbox_new);
	RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION inbox_total_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE inbox_total SET n = n - (SELECT COUNT(*) FROM inbox_old);
	RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER inbox_total_insert AFTER INSERT ON inbox REFERENCING NEW TABLE AS inbox_new
	FOR EACH STATEMENT EXECUTE FUNCTION inbox_total_insert();
CREATE TRIGGER inbox_total_delete AFTER DELETE ON inbox REFERENCING OLD TABLE AS inbox_old
	FOR EACH STATEMENT EXECUTE FUNCTION inbox_total_delete();

-- +goose Down
DROP TRIGGER inbox_total_delete ON inbox;
DROP TRIGGER inbox_total_insert ON inbox;
DROP FUNCTION inbox_total_delete();
DROP FUNCTION inbox_total_insert();
DROP TABLE inbox_total;
DROP INDEX inbox_failed;
CREATE INDEX inbox_failed ON inbox (id) WHERE failure IS NOT NULL;
DROP INDEX inbox_deferred_by_id;
DROP INDEX inbox_deferred;
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;
ALTER TABLE inbox DROP COLUMN deferred_until;

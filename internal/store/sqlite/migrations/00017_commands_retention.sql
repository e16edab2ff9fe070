-- +goose Up
-- Retention prunes finished commands by their last change (RetainCommands).
CREATE INDEX commands_by_updated ON commands (updated_at, id);

-- +goose Down
DROP INDEX commands_by_updated;

-- +goose Up
-- The retention rule of stock mutations reads them oldest recorded first.
CREATE INDEX stock_mutations_by_age ON stock_mutations (created_at, id);

-- +goose Down
DROP INDEX stock_mutations_by_age;

-- +goose Up
-- PostgreSQL's 00027 stops ANALYZE from gathering statistics on the JSON
-- documents and raw bodies, which no query filters on. SQLite's ANALYZE
-- (not run by the hub) keeps statistics of indexes only: nothing to
-- change here; the version keeps both stores' migrations numbered alike.
SELECT 1;

-- +goose Down
SELECT 1;

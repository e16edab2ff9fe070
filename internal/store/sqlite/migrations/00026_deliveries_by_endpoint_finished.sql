-- +goose Up
-- PostgreSQL's 00026 makes deliveries_by_endpoint hold only finished
-- deliveries, so its planner cannot take it for the claim's ordering check
-- before a table's first ANALYZE. SQLite plans that check on
-- deliveries_pending_subject without statistics, and would not use a
-- "status <> 'pending'" index for "status = 'failed'" (a partial index
-- serves only a query that names its condition): nothing changes here;
-- the version keeps both stores' migrations numbered alike.
SELECT 1;

-- +goose Down
SELECT 1;

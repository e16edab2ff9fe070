-- +goose Up
-- deliveries_by_endpoint holds only finished deliveries: the pending ones of
-- an endpoint are in deliveries_pending_subject (endpoint_id, subject, id).
-- With the pending ones in it too, the planner, before the first ANALYZE
-- of a table filled since (a new hub's first burst), ran the delivery
-- claim's subject-ordering check through it, reading every pending
-- delivery of the endpoint for each candidate: a claim over 50,000 pending
-- deliveries of one endpoint took more than a minute
-- (TestClaimBeforeTheFirstAnalyze). An endpoint's dead letters and
-- successes are still listed from it, newest first; its pending ones are
-- sorted from deliveries_pending_subject.
DROP INDEX deliveries_by_endpoint;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status, created_at) WHERE status <> 'pending';

-- +goose Down
DROP INDEX deliveries_by_endpoint;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status, created_at);

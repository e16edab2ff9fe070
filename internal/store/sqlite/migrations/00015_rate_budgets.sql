-- +goose Up
-- Rate budgets pace the requests to a provider per credential (package
-- budget), in one row that every hub instance on the database shares:
-- next_slot is the earliest start the next request may be given (each take
-- moves it on by 60 s / the minute's limit, so no sliding minute ever holds
-- more than the limit), the day's count sits beside it, and a block the
-- provider imposed (with its escalation level) holds every instance back
-- at once. urgent_until is how long urgent work is known to want the
-- budget: background work takes nothing before then. Times are unix
-- microseconds.
CREATE TABLE rate_budgets (
	key           TEXT    NOT NULL PRIMARY KEY,
	next_slot     BIGINT  NOT NULL DEFAULT 0,
	day_start     BIGINT  NOT NULL DEFAULT 0,
	day_used      INTEGER NOT NULL DEFAULT 0,
	urgent_until  BIGINT  NOT NULL DEFAULT 0,
	blocked_until BIGINT  NOT NULL DEFAULT 0,
	violations    INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE rate_budgets;

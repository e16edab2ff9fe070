-- +goose Up
-- Leases divide scheduled work between hub instances sharing the database:
-- the holder renews before expires_at; when an instance dies its leases
-- expire and another takes the work over.
CREATE TABLE leases (
	name       TEXT   NOT NULL PRIMARY KEY,
	holder     TEXT   NOT NULL,
	expires_at BIGINT NOT NULL
);

-- Budgets count requests to a provider per fixed time window, so a rate
-- limit (WICS: 150 a minute, 20,000 a day) is shared by every instance
-- instead of multiplied by them.
CREATE TABLE budgets (
	key          TEXT    NOT NULL,
	window_start BIGINT  NOT NULL,
	used         INTEGER NOT NULL,
	PRIMARY KEY (key, window_start)
);

-- +goose Down
DROP TABLE budgets;
DROP TABLE leases;

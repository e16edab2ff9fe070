-- +goose Up
-- ANALYZE samples up to 30,000 rows of a table and, for every column,
-- sorts the sampled values to find the common ones and a histogram. The
-- JSON documents and raw bodies are the widest columns and no query filters
-- on them (a partial index's strpos(doc, …) predicate is not estimated from
-- the column's statistics), so their statistics were work thrown away: in
-- the end-to-end benchmark the statistics keeper's ANALYZE runs were 15 %
-- of the server's CPU, and a 60,000-row feed analyses in 61–66 ms without
-- its data column's statistics against 106–186 ms with them.
ALTER TABLE inbox ALTER COLUMN body SET STATISTICS 0;
ALTER TABLE inbox ALTER COLUMN meta SET STATISTICS 0;
ALTER TABLE shipments ALTER COLUMN doc SET STATISTICS 0;
ALTER TABLE events ALTER COLUMN doc SET STATISTICS 0;
ALTER TABLE feed ALTER COLUMN data SET STATISTICS 0;

-- +goose Down
ALTER TABLE inbox ALTER COLUMN body SET STATISTICS -1;
ALTER TABLE inbox ALTER COLUMN meta SET STATISTICS -1;
ALTER TABLE shipments ALTER COLUMN doc SET STATISTICS -1;
ALTER TABLE events ALTER COLUMN doc SET STATISTICS -1;
ALTER TABLE feed ALTER COLUMN data SET STATISTICS -1;

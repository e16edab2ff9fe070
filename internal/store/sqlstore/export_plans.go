package sqlstore

import "context"

// DeliveryStatementsForPlanTests returns the fixed-text statements of the
// delivery worker's claim and record cycle, by name, as this store sends
// them (its dialect's placeholders). It is for the PostgreSQL plan tests
// (package postgres_test), which check each statement's generic plan: they
// cannot reach the unexported builders, and a statement text copied into a
// test would go on passing after the real one changed. The statements whose
// text is built per call (the multi-row attempt record, unparking) the tests
// take from what the store sends instead. Nothing else should call it.
//
// The names and their placeholders, in order:
//   - "claim": lease end, now, now, limit
//   - "park", "park full": see park
//   - "any retrying", "any parked": now
//   - "claim feed", "claim endpoints", "claim endpoint versions",
//     "endpoints recovered": the ids (idsArg)
//   - "next due" (NextDeliveryDue): none
//   - "unpark" (PostgreSQL's; SQLite unparks one head at a time): now,
//     now, the finished heads' ids (idsArg)
func (s *Store) DeliveryStatementsForPlanTests() map[string]string {
	statements := map[string]string{
		"claim":                   s.claimSQL(),
		"park":                    s.parkSQL(false),
		"park full":               s.parkSQL(true),
		"any retrying":            s.dialect.bind(anyRetryingSQL),
		"any parked":              s.dialect.bind(anyParkedSQL),
		"claim feed":              s.claimFeedSQL(),
		"claim endpoints":         s.claimEndpointsSQL(),
		"claim endpoint versions": s.claimEndpointVersionsSQL(),
		"endpoints recovered":     s.endpointsRecoveredSQL(),
		"next due":                nextDueSQL,
	}
	if !s.dialect.SingleWriter {
		statements["unpark"] = s.dialect.bind(unparkSQL)
	}
	return statements
}

// PreparedPlansForTests reports how PostgreSQL planned the statements
// prepared on one of the connections of the delivery claims and attempt
// records (Options.Relaxed, or the writer) whose text contains substr:
// generic plans and custom plans (pg_prepared_statements). With a pool of
// one connection that is every run of such a statement the store made. It
// is for the PostgreSQL tests of how the store's transactions are planned;
// nothing else should call it.
func (s *Store) PreparedPlansForTests(ctx context.Context, substr string) (generic, custom int64, err error) {
	db := s.writer
	if s.relaxed != nil {
		db = s.relaxed
	}
	err = db.QueryRowContext(ctx, `SELECT COALESCE(sum(generic_plans), 0), COALESCE(sum(custom_plans), 0)
		FROM pg_prepared_statements WHERE strpos(statement, $1) > 0`, substr).Scan(&generic, &custom)
	return generic, custom, err
}

// RelaxedSettingsForTests returns the values of the named settings inside
// a transaction of the delivery claims and attempt records (beginRelaxed),
// for the PostgreSQL tests of the relaxed pool (package postgres_test),
// which cannot begin one otherwise. Nothing else should call it.
func (s *Store) RelaxedSettingsForTests(ctx context.Context, names ...string) ([]string, error) {
	wtx, done, err := s.beginRelaxed(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer rollback(wtx)
	values := make([]string, len(names))
	for i, name := range names {
		if err := wtx.QueryRowContext(ctx, s.dialect.bind(`SELECT current_setting(?)`), name).Scan(&values[i]); err != nil {
			return nil, err
		}
	}
	return values, nil
}

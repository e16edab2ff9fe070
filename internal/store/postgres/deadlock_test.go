package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// TestInstancesAppendingTheSameKeysDoNotDeadlock runs two stores on one
// database, as two hub instances would, and has both append the same keys
// at once, one instance's callers in the opposite order of the other's, as
// a provider retrying a burst through another instance would. Each batch's
// INSERT waits for the other's on a key both insert; inserted in arrival
// order, two such batches wait for each other, and PostgreSQL fails one
// after deadlock_timeout (its messages then go in one by one). In one order
// they never do: the database counts no deadlock, every key is stored once
// and every append of it answers the same id.
func TestInstancesAppendingTheSameKeysDoNotDeadlock(t *testing.T) {
	t.Parallel()
	dbURL := postgres.TestDatabase(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		s, err := postgres.New(ctx, postgres.Config{URL: dbURL})
		require.NoError(t, err)
		return s
	}
	a, b := open(), open()
	const rounds, keys = 20, 40
	type result struct {
		id  int64
		dup bool
		err error
	}
	results := make([][2][keys]result, rounds)
	for round := range rounds {
		var wg sync.WaitGroup
		for i := range keys {
			for side, s := range []*postgres.Store{a, b} {
				k := i
				if side == 1 {
					k = keys - 1 - i
				}
				wg.Go(func() {
					id, dup, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier",
						DedupKey: fmt.Sprintf("r%d-k%02d", round, k), Body: []byte("{}")})
					results[round][side][k] = result{id, dup, err}
				})
			}
		}
		wg.Wait()
	}
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	for round := range rounds {
		for k := range keys {
			ra, rb := results[round][0][k], results[round][1][k]
			require.NoError(t, ra.err)
			require.NoError(t, rb.err)
			require.Equal(t, ra.id, rb.id, "round %d, key %d: both appends answer the one row", round, k)
			require.NotEqual(t, ra.dup, rb.dup, "round %d, key %d: exactly one of the two is new", round, k)
		}
	}

	// A backend reports its deadlocks to the statistics when it exits, so
	// read them once the stores' connections are gone.
	db, err := sql.Open("pgx", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.Eventually(t, func() bool {
		var others int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&others)
		return err == nil && others == 0
	}, 30*time.Second, 20*time.Millisecond, "the stores' connections did not end")
	var deadlocks int64
	require.NoError(t, db.QueryRowContext(ctx, `SELECT pg_stat_force_next_flush(), deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(new(any), &deadlocks))
	require.Zero(t, deadlocks, "deadlocks between the two instances' appends")
}

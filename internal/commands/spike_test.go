package commands

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

type spikeArgs struct{ N int }

func (spikeArgs) Kind() string { return "spike" }

type spikeWorker struct {
	river.WorkerDefaults[spikeArgs]
	done chan int
}

func (w *spikeWorker) Work(ctx context.Context, j *river.Job[spikeArgs]) error {
	w.done <- j.Args.N
	return nil
}

func spike(t *testing.T, db *sql.DB, drv riverdriver.Driver[*sql.Tx]) {
	ctx := context.Background()
	m, err := rivermigrate.New(drv, nil)
	require.NoError(t, err)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
	w := &spikeWorker{done: make(chan int, 10)}
	ws := river.NewWorkers()
	river.AddWorker(ws, w)
	c, err := river.NewClient(drv, &river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, Workers: ws, PollOnly: true, FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	_, err = c.InsertTx(ctx, tx, spikeArgs{N: 7}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	require.NoError(t, err)
	res, err := c.InsertTx(ctx, tx, spikeArgs{N: 7}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	require.NoError(t, err)
	require.True(t, res.UniqueSkippedAsDuplicate)
	require.NoError(t, tx.Commit())
	select {
	case n := <-w.done:
		require.Equal(t, 7, n)
	case <-time.After(10 * time.Second):
		t.Fatal("not worked")
	}
	require.NoError(t, c.Stop(ctx))
}

func TestSpikeSQLite(t *testing.T) {
	s := sqlite.OpenTest(t)
	spike(t, s.SQLDB(), riversqlite.New(s.SQLDB()))
}

func TestSpikePostgres(t *testing.T) {
	s := postgres.OpenTest(t)
	spike(t, s.SQLDB(), riverdatabasesql.New(s.SQLDB()))
}

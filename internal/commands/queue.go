// Package commands is the durable command queue (DESIGN.md: "Commands are
// durable"): the worker that sends the commands merchants submit (orders,
// products, inbound goods created or cancelled) to their providers, within
// each connection's rate budget, retrying with backoff and giving up after a
// schedule.
//
// The queue runs on River (github.com/riverqueue/river) in the store's own
// database: riversqlite on SQLite (on the store's one writer connection, so
// no second connection ever waits on the first), riverdatabasesql on
// PostgreSQL. A command row (store.Commands) and its River job commit in one
// transaction, so neither exists without the other. River hands a job to
// one worker at a time across every instance on the database, and takes a
// job whose worker died (its process killed between sending the command and
// recording it) for stuck after Config.RescueAfter and runs it again: the
// connector's SendCommand is idempotent towards the provider, so a second
// send finds what the first made instead of making it twice.
//
// River's own tables are created by Start through rivermigrate, which is
// idempotent; on PostgreSQL, instances starting at once take turns under an
// advisory lock. On SQLite they live in the hub's database file.
//
// The command row, not River, is the record the API shows: River's job
// completes when the command succeeds or dies, and a failed attempt snoozes
// the job until the command's next attempt, so River's attempt count and
// its retry policy only come into play when the worker itself fails (the
// database is down), or when a job is rescued.
package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// QueueName is the River queue the command jobs run on.
const QueueName = "shiphub_commands"

// Store is what the queue needs of the store: the commands, the inbox the
// providers' answers go to, and the subjects the connectors read.
type Store interface {
	store.Commands
	AppendInbox(ctx context.Context, m *model.InboxMessage) (id int64, duplicate bool, err error)
	GetOrder(ctx context.Context, workspace string, id int64) (*model.Order, error)
	GetProduct(ctx context.Context, workspace string, id int64) (*model.Product, error)
	GetInbound(ctx context.Context, workspace string, id int64) (*model.Inbound, error)
	GetReturn(ctx context.Context, workspace string, id int64) (*model.Return, error)
}

// Database is how the queue reaches the store's database for River: the
// *sql.DB every write of the store goes through and the dialect's name
// ("sqlite" or "postgres"). sqlstore.Store provides both.
type Database interface {
	SQLDB() *sql.DB
	DialectName() string
}

// Connections finds a connection's connector; *connections.Set is one.
type Connections interface {
	Lookup(workspace, connection string) (*connections.Conn, bool)
}

// Options builds a Queue.
type Options struct {
	// Store holds the commands; DB is the same store's database (usually
	// the same value).
	Store Store
	DB    Database
	// Connections finds the connector that sends a command.
	Connections Connections
	// Limiters returns a connection's rate budget; nil means unlimited.
	Limiters func(workspace, connection string) provider.Limiter
	// Notify wakes the pipeline after a provider's answer was committed
	// to the inbox; nil means nobody to wake.
	Notify func()
	// Config is the commands section of the configuration, with its
	// defaults set (config.Commands.SetDefaults).
	Config config.Commands
	// Metrics, when set, counts attempts by outcome and samples the
	// queue's depth every SampleInterval (default 5s).
	Metrics        *metrics.CommandMetrics
	SampleInterval time.Duration
	Logger         *slog.Logger
	// Now is the clock of the command rows; default time.Now. River keeps
	// its own (the database's and the process's time).
	Now func() time.Time
	// ClientID names this instance to River; default River's (host and
	// start time).
	ClientID string
}

// Queue is the command queue: Submit and Retry commit commands with their
// jobs; between Start and Stop it also works them.
type Queue struct {
	opts   Options
	log    *slog.Logger
	client *river.Client[*sql.Tx]
	driver riverdriver.Driver[*sql.Tx]

	mu          sync.Mutex
	started     bool
	stopSampler context.CancelFunc
	sampled     chan struct{}
}

// defaultSampleInterval is how often the queue's depth is sampled for the
// metrics, as the server samples the inbox's.
const defaultSampleInterval = 5 * time.Second

// sendArgs is the River job of one command: only its id, since the
// command row carries the rest and may change between attempts.
type sendArgs struct {
	CommandID int64  `json:"command_id"`
	Workspace string `json:"workspace"`
	// Retry tells apart the job an API retry adds while the command's
	// previous job is still finishing (River marks a job completed a
	// moment after its worker returns): the unique key differs, so the
	// new job is not skipped as a duplicate of the old.
	Retry int64 `json:"retry,omitempty"`
}

// Kind names the job kind in River's tables.
func (sendArgs) Kind() string { return "shiphub_command_send" }

// New builds a queue on the store's database. It does not touch the
// database: Start migrates River's schema.
func New(opts Options) (*Queue, error) {
	if opts.Store == nil || opts.DB == nil || opts.Connections == nil {
		return nil, errors.New("commands: a store, its database and the connections are required")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limiters == nil {
		opts.Limiters = func(string, string) provider.Limiter { return Unlimited{} }
	}
	if opts.Notify == nil {
		opts.Notify = func() {}
	}
	if opts.SampleInterval <= 0 {
		opts.SampleInterval = defaultSampleInterval
	}
	q := &Queue{opts: opts, log: opts.Logger.With("component", "commands")}
	switch name := opts.DB.DialectName(); name {
	case "sqlite":
		q.driver = riversqlite.New(opts.DB.SQLDB())
	case "postgres":
		q.driver = riverdatabasesql.New(opts.DB.SQLDB())
	default:
		return nil, fmt.Errorf("commands: no River driver for database %q", name)
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &sendWorker{q: q}); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	cfg := opts.Config
	client, err := river.NewClient(q.driver, &river.Config{
		ID:     opts.ClientID,
		Logger: slog.New(quietHandler{Handler: opts.Logger.Handler(), min: slog.LevelWarn}).With("component", "river"),
		Queues: map[string]river.QueueConfig{QueueName: {MaxWorkers: cfg.Workers}},
		// Neither database/sql driver listens for notifications: every
		// instance polls, and the one that inserts a job is told itself.
		PollOnly:          true,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 100*time.Millisecond),
		// The worker bounds each attempt itself (AttemptTimeout, at most
		// half of RescueAfter) and records its outcome without regard to
		// the job's context, so River's timeout is only a backstop. It
		// must be finite: River's rescuer never takes a job of infinite
		// timeout for stuck.
		JobTimeout:           cfg.RescueAfter,
		RescueStuckJobsAfter: cfg.RescueAfter,
		RetryPolicy:          retryPolicy{schedule: cfg.RetrySchedule},
		MaxAttempts:          maxJobErrors,
		Workers:              workers,
	})
	if err != nil {
		return nil, fmt.Errorf("commands: building the River client: %w", err)
	}
	q.client = client
	return q, nil
}

// maxJobErrors bounds how often River retries a job whose worker failed
// (not the command's attempts, which the command row counts): a database
// that stays down this long needs an operator.
const maxJobErrors = 100

// migrateLockKey is the PostgreSQL advisory lock that instances starting
// at once take turns under to migrate River's tables ("rivermig").
const migrateLockKey int64 = 0x7269766572_6d6967

// Migrate brings River's tables in the store's database up to date. It is
// idempotent; Start runs it. rivermigrate itself takes no lock, so on
// PostgreSQL, where several instances may start at once, it runs under a
// session advisory lock: the first migrates, the others then find nothing
// to do. On SQLite the one writer connection serialises it.
func (q *Queue) Migrate(ctx context.Context) error {
	m, err := rivermigrate.New(q.driver, &rivermigrate.Config{Logger: slog.New(quietHandler{Handler: q.log.Handler(), min: slog.LevelWarn})})
	if err != nil {
		return fmt.Errorf("commands: preparing River's migrations: %w", err)
	}
	if q.opts.DB.DialectName() == "postgres" {
		conn, err := q.opts.DB.SQLDB().Conn(ctx)
		if err != nil {
			return fmt.Errorf("commands: taking a connection for the migration lock: %w", err)
		}
		defer func() { _ = conn.Close() }()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
			return fmt.Errorf("commands: taking the migration lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey)
		}()
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("commands: migrating River's tables: %w", err)
	}
	return nil
}

// Start migrates River's tables and starts working commands until Stop.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("commands: already started")
	}
	if err := q.Migrate(ctx); err != nil {
		return err
	}
	// River's work runs on a context of its own: ctx only bounds the
	// start, and Stop ends the work.
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("commands: starting River: %w", err)
	}
	q.started = true
	if q.opts.Metrics != nil {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		q.stopSampler, q.sampled = cancel, make(chan struct{})
		go q.sample(sctx)
	}
	return nil
}

// jobStates are the states of River jobs the depth gauge shows. River's
// "retryable" (a job whose worker failed, due later) counts as scheduled.
var jobStates = map[string]string{"available": "available", "scheduled": "scheduled", "retryable": "scheduled", "running": "running"}

// depthQuery counts the queue's live jobs by state; River's index on
// (state, queue, …) answers it without reading finished jobs.
const depthQuery = `SELECT state, COUNT(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') AND queue = '` + QueueName + `' GROUP BY state`

// sample sets the depth gauge until ctx ends.
func (q *Queue) sample(ctx context.Context) {
	defer close(q.sampled)
	tick := time.NewTicker(q.opts.SampleInterval)
	defer tick.Stop()
	for {
		if err := q.sampleOnce(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("sampling the command queue's depth", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (q *Queue) sampleOnce(ctx context.Context) error {
	rows, err := q.opts.DB.SQLDB().QueryContext(ctx, depthQuery)
	if err != nil {
		return err
	}
	counts := map[string]float64{"available": 0, "scheduled": 0, "running": 0}
	for rows.Next() {
		var (
			state string
			n     int64
		)
		if err := rows.Scan(&state, &n); err != nil {
			_ = rows.Close()
			return err
		}
		counts[jobStates[state]] += float64(n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for state, n := range counts {
		q.opts.Metrics.Jobs.WithLabelValues(state).Set(n)
	}
	return nil
}

// Stop stops fetching commands and waits for the attempts in progress to
// finish. When ctx ends first, the attempts still running are cancelled:
// their commands stay running and are sent again (idempotently) after a
// restart, by this instance or another.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		return nil
	}
	q.started = false
	if q.stopSampler != nil {
		q.stopSampler()
		<-q.sampled
		q.stopSampler = nil
	}
	err := q.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		// Out of patience: cancel the work and give it a moment to
		// record that it was interrupted.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(stopCtx)
	}
	if err != nil {
		return fmt.Errorf("commands: stopping: %w", err)
	}
	return nil
}

// Submit commits a merchant's command, its new subject and its job in one
// transaction (store.Commands.SubmitCommand). It validates nothing: the
// API calls the connector's ValidateCommand first.
func (q *Queue) Submit(ctx context.Context, s *store.Submission) (*store.SubmitResult, error) {
	if s.Now.IsZero() {
		s.Now = q.opts.Now()
	}
	return q.opts.Store.SubmitCommand(ctx, s, q.enqueue)
}

// Retry queues a failed or dead command of the workspace again, at once,
// with its job in the same transaction (store.Commands.RetryCommand).
func (q *Queue) Retry(ctx context.Context, workspace string, id int64) (*model.Command, error) {
	return q.opts.Store.RetryCommand(ctx, workspace, id, q.enqueue)
}

// enqueue inserts the command's job in tx. A command has at most one live
// job: when one is waiting already (a failed command's snoozed job, which
// an API retry brings forward), it is made due now instead.
func (q *Queue) enqueue(ctx context.Context, tx *sql.Tx, cmd *model.Command) error {
	opts := &river.InsertOpts{
		Queue: QueueName,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
	args := sendArgs{CommandID: cmd.ID, Workspace: cmd.Workspace}
	res, err := q.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return fmt.Errorf("inserting the job of command %d: %w", cmd.ID, err)
	}
	if !res.UniqueSkippedAsDuplicate {
		return nil
	}
	switch res.Job.State {
	case rivertype.JobStateAvailable:
		return nil
	case rivertype.JobStateRunning:
		// The previous job has recorded its outcome (a retry needs a
		// failed or dead command) and is only finishing.
		args.Retry = cmd.UpdatedAt.UnixMicro()
		if _, err := q.client.InsertTx(ctx, tx, args, opts); err != nil {
			return fmt.Errorf("inserting the retry job of command %d: %w", cmd.ID, err)
		}
		return nil
	default:
		if _, err := q.client.JobRetryTx(ctx, tx, res.Job.ID); err != nil {
			return fmt.Errorf("bringing the job of command %d forward: %w", cmd.ID, err)
		}
		return nil
	}
}

// retryPolicy is River's retry policy for jobs whose worker returned an
// error (the store failed) or was rescued: the command schedule's wait for
// the job's error count, the last wait repeating.
type retryPolicy struct{ schedule []time.Duration }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	n := len(job.Errors)
	if n < 1 {
		n = 1
	}
	return time.Now().Add(p.schedule[min(n, len(p.schedule))-1])
}

// Unlimited is a provider.Limiter that never waits: the default when no
// rate budgets are configured.
type Unlimited struct{}

// Wait returns at once, unless ctx has ended.
func (Unlimited) Wait(ctx context.Context, _ provider.Priority) error { return ctx.Err() }

// Blocked records nothing: there is no budget to block.
func (Unlimited) Blocked(context.Context) (time.Time, error) { return time.Time{}, nil }

var _ provider.Limiter = Unlimited{}

// quietHandler passes on only the records at or above min: River reports
// its routine work (job counts, every few seconds) at info level, which
// would drown the hub's own log.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}

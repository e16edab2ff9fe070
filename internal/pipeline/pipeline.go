// Package pipeline turns committed inbox messages into canonical state:
// normalize (per provider, raw → a typed change set, model.Changes), apply
// (one applier per kind of change, see apply.go: today shipments, whose
// applier upserts shipments, adds events and derives status) and record
// what changed in the event feed, the outbox that merchant webhooks are
// delivered from. One batch of messages is
// applied in one transaction together with their processed marks, so a
// message is applied exactly once.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// Config configures a Pipeline.
type Config struct {
	// Store is where the inbox and the canonical state live.
	Store store.Store
	// Connections resolves a message's workspace and connection to its connector.
	Connections *connections.Set
	// Metrics counts what was applied. Optional.
	Metrics *metrics.Metrics
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// BatchSize is how many messages one transaction applies. The default
	// is the store's (ApplyBatchSize: 256 on PostgreSQL, where apply blocks
	// no append and each transaction's fixed round trips are worth sharing
	// out), else 32: on SQLite small batches keep the single writer's lock
	// short, so inbound acknowledgements are not held up.
	BatchSize int
	// PollInterval is how often the inbox is checked when nothing signals new
	// work (another instance's messages, retries after an error); default 200ms.
	PollInterval time.Duration
	// DeferMissing is how long the messages of a connection that this
	// instance's configuration lacks are set aside before they are tried
	// again. During a rolling configuration change another instance may
	// already have the connection; the messages stay pending (and counted)
	// until one that has it applies them. Default 30s.
	DeferMissing time.Duration
	// NormalizeWorkers is how many goroutines normalise a batch's messages
	// side by side; default GOMAXPROCS. Decoding the providers' documents
	// was a fifth (SQLite) to a third (PostgreSQL, where the pipeline
	// otherwise waits for round trips) of the pipeline's CPU in
	// BenchmarkApplyMixed, all of it on the goroutine that holds the batch's
	// transaction.
	NormalizeWorkers int
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.NormalizeWorkers == 0 {
		c.NormalizeWorkers = max(1, runtime.GOMAXPROCS(0))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BatchSize == 0 {
		if b, ok := c.Store.(interface{ ApplyBatchSize() int }); ok {
			c.BatchSize = b.ApplyBatchSize()
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.PollInterval == 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.DeferMissing == 0 {
		c.DeferMissing = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("pipeline: Store is required")
	}
	if c.Connections == nil {
		return errors.New("pipeline: Connections is required")
	}
	if c.NormalizeWorkers < 1 || c.NormalizeWorkers > 256 {
		return fmt.Errorf("pipeline: NormalizeWorkers %d out of range 1..256", c.NormalizeWorkers)
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		return fmt.Errorf("pipeline: BatchSize %d out of range 1..10000", c.BatchSize)
	}
	if c.DeferMissing < 0 {
		return fmt.Errorf("pipeline: DeferMissing %s is negative", c.DeferMissing)
	}
	return nil
}

// Pipeline applies the inbox in the background.
type Pipeline struct {
	cfg Config
	// quiet suppresses feed entries while Rebuild applies, and only
	// restricts the claim to the workspaces being rebuilt.
	quiet bool
	only  []string
	// poison holds the messages whose normalising or applying panicked,
	// with the reason: the batch that held one is rolled back and run
	// again with it marked failed, so the rest goes on. Only the
	// goroutine running batches touches it.
	poison map[int64]string
	// holder names this pipeline in its write probe's lease.
	holder string
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	// running is set from Start until the background loop has ended.
	running atomic.Bool
}

// New creates a pipeline; Start runs it.
func New(cfg Config) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, wake: make(chan struct{}, 1), poison: map[int64]string{}, holder: coord.NewInstanceID()}, nil
}

// Notify tells the pipeline that new messages are in the inbox. It never blocks.
func (p *Pipeline) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Start runs the pipeline until Stop or ctx ends.
func (p *Pipeline) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	p.running.Store(true)
	go p.run(ctx)
}

// Stop ends the pipeline and waits for the batch in flight, or ctx.
func (p *Pipeline) Stop(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.once.Do(p.cancel)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pipeline) run(ctx context.Context) {
	defer close(p.done)
	defer p.running.Store(false)
	ticker := time.NewTicker(p.cfg.PollInterval)
	defer ticker.Stop()
	backoff := time.Duration(0)
	for {
		var n int
		err := recovery.Do(func() (err error) {
			n, err = p.RunOnce(ctx)
			return err
		})
		recovery.Report(p.cfg.Metrics, p.cfg.Logger, "pipeline", err)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
			p.cfg.Logger.Error("applying inbox batch failed; retrying", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		case n > 0:
			backoff = 0
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-ticker.C:
		}
	}
}

// Drain applies batches until the inbox has nothing pending (that this
// instance can claim), for reprocessing and tests.
func (p *Pipeline) Drain(ctx context.Context) (total int, err error) {
	for {
		n, err := p.RunOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// RunOnce applies one batch and reports how many messages it held.
func (p *Pipeline) RunOnce(ctx context.Context) (int, error) {
	n, _, err := p.runBatch(ctx)
	return n, err
}

// maxBatchAttempts bounds how often runBatch claims again after a failure:
// each claim either sets a panicking message aside, narrows the batch down
// to its first message, or retries that message alone.
const maxBatchAttempts = 16

// singleFailures is how often one message must fail alone, with the
// database accepting other writes, before it is set aside as failed.
const singleFailures = 3

// runBatch applies one batch and reports how many messages it held and how
// many of them failed. A message whose normalising or applying panics is
// marked failed: the batch is rolled back (nothing the panicking message
// half wrote survives) and run again with it set aside. A batch that fails
// with an error is narrowed to its first message; when that message fails
// alone again and again while the database accepts other writes, the
// database is refusing that message (a value it cannot store), so it is set
// aside as failed too rather than stopping the pipeline for every
// workspace. When the database accepts no writes, the error is returned and
// nothing is set aside: the batch is retried once the database is back.
func (p *Pipeline) runBatch(ctx context.Context) (int, int, error) {
	var (
		results []result
		claimed []int64
		limit   = p.cfg.BatchSize
		alone   = 0
	)
	for attempt := 0; attempt < maxBatchAttempts; attempt++ {
		claimed = claimed[:0]
		var poisoned *poisonError
		n, err := p.cfg.Store.ProcessWorkspaces(ctx, p.only, limit, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
			results = results[:0]
			deferred := map[[2]string]bool{}
			for _, m := range msgs {
				claimed = append(claimed, m.ID)
			}
			pre, err := p.prefetch(ctx, tx, msgs)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				r, err := p.applyGuarded(ctx, tx, m, deferred, pre[m.ID])
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			return nil
		})
		switch {
		case err == nil:
			// Count only once the batch is committed.
			failed := 0
			for _, r := range results {
				p.count(r)
				delete(p.poison, r.id)
				if r.failed {
					failed++
				}
			}
			return n, failed, nil
		case errors.As(err, &poisoned):
			continue // run the batch again, with the message set aside
		case ctx.Err() != nil || len(claimed) == 0:
			return 0, 0, err // the database failed before handing anything out
		case len(claimed) > 1:
			limit = 1 // find out whether one message is the cause
			continue
		}
		alone++
		if alone < singleFailures {
			if !ctxtime.Sleep(ctx, time.Duration(alone)*50*time.Millisecond) {
				return 0, 0, err
			}
			continue
		}
		if perr := p.probeWrite(ctx); perr != nil {
			return 0, 0, err // the database, not the message
		}
		id := claimed[0]
		p.cfg.Logger.Error("inbox message fails alone while the database accepts other writes; setting it aside as failed",
			"message_id", id, "error", err)
		p.poison[id] = fmt.Sprintf("applying failed %d times while the database accepted other writes: %v", alone, err)
		alone = 0
	}
	return 0, 0, fmt.Errorf("applying a batch: gave up after %d attempts", maxBatchAttempts)
}

// probeWrite checks that the database accepts writes, by taking and giving
// up a lease of this pipeline's own.
func (p *Pipeline) probeWrite(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	name := "pipeline-probe/" + p.holder
	if _, err := p.cfg.Store.AcquireLease(pctx, name, p.holder, time.Minute); err != nil {
		return err
	}
	return p.cfg.Store.ReleaseLease(pctx, name, p.holder)
}

// poisonError aborts a batch in which a message panicked.
type poisonError struct {
	id  int64
	err error
}

func (e *poisonError) Error() string {
	return fmt.Sprintf("inbox message %d: %v", e.id, e.err)
}

func (e *poisonError) Unwrap() error { return e.err }

// applyGuarded applies one message, turning a panic into a poisonError
// after reporting it with the message's identity.
func (p *Pipeline) applyGuarded(ctx context.Context, tx store.Tx, m *model.InboxMessage, deferred map[[2]string]bool, pre *normalized) (result, error) {
	if reason, ok := p.poison[m.ID]; ok {
		return p.fail(ctx, tx, m, reason)
	}
	var r result
	err := recovery.Do(func() (err error) {
		r, err = p.applyMessage(ctx, tx, m, deferred, pre)
		return err
	})
	var pe *recovery.PanicError
	if errors.As(err, &pe) {
		recovery.Report(p.cfg.Metrics, p.cfg.Logger, "pipeline", err, "workspace", m.Workspace,
			"connection", m.Connection, "provider", m.Provider, "message_id", m.ID)
		p.poison[m.ID] = fmt.Sprintf("panic while normalizing or applying: %v", pe.Value)
		return r, &poisonError{id: m.ID, err: err}
	}
	return r, err
}

// result is what applying one message did, for metrics after commit.
type result struct {
	id       int64
	provider string
	failed   bool
	deferred bool
	events   []model.Event
	found    reconcileFound // what a reconciliation's message changed (reconcile.go)
}

func (p *Pipeline) count(r result) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	if r.failed {
		m.Processed.WithLabelValues(r.provider, "failed").Inc()
		return
	}
	if r.deferred {
		m.Processed.WithLabelValues(r.provider, "deferred").Inc()
		return
	}
	m.Processed.WithLabelValues(r.provider, "applied").Inc()
	r.found.count(m)
	for _, e := range r.events {
		m.EventsApplied.WithLabelValues(r.provider, string(e.Status)).Inc()
		if e.Status == model.StatusUnknown || e.Unmapped {
			m.CountUnknown(r.provider, e.ProviderCode)
		}
	}
}

// fail marks a message failed: it is kept, listed by the failed-inbox API
// and retried on request or by a reprocess.
func (p *Pipeline) fail(ctx context.Context, tx store.Tx, m *model.InboxMessage, reason string) (result, error) {
	p.cfg.Logger.Warn("inbox message not applied", "workspace", m.Workspace, "connection", m.Connection,
		"provider", m.Provider, "message_id", m.ID, "reason", reason)
	return result{id: m.ID, provider: m.Provider, failed: true}, tx.MarkProcessed(ctx, m.ID, reason)
}

// applyMessage normalises one message and applies it. A message that cannot
// be normalised is marked failed (and kept, for a retry after a fix). A
// message of a connection this instance does not have is deferred with every
// pending message of that connection (deferred remembers which ones this
// batch deferred). Only database errors abort the batch. pre, when not nil,
// is the message's change set as prefetch normalised it.
func (p *Pipeline) applyMessage(ctx context.Context, tx store.Tx, m *model.InboxMessage, deferred map[[2]string]bool, pre *normalized) (result, error) {
	r := result{id: m.ID, provider: m.Provider}
	fail := func(reason string) (result, error) { return p.fail(ctx, tx, m, reason) }
	conn, ok := p.cfg.Connections.Lookup(m.Workspace, m.Connection)
	if !ok {
		r.deferred = true
		key := [2]string{m.Workspace, m.Connection}
		if deferred[key] {
			return r, nil // set aside with the first of its connection in this batch
		}
		until := p.cfg.Now().Add(p.cfg.DeferMissing)
		n, err := tx.DeferConnection(ctx, m.Workspace, m.Connection, until)
		if err != nil {
			return r, err
		}
		deferred[key] = true
		p.cfg.Logger.Warn("connection is not in this instance's configuration; its messages stay pending and are tried again later",
			"workspace", m.Workspace, "connection", m.Connection, "provider", m.Provider, "message_id", m.ID,
			"messages", n, "retry_at", until.UTC())
		return r, nil
	}
	if conn.Provider != m.Provider {
		return fail(fmt.Sprintf("connection now uses provider %q, message came from %q", conn.Provider, m.Provider))
	}
	var changes model.Changes
	var err error
	if pre != nil {
		changes, err = pre.changes, pre.err
	} else {
		changes, err = conn.Connector.Normalize(m)
	}
	if err != nil {
		return fail(fmt.Sprintf("normalizing: %v", err))
	}
	// A normaliser bug, or a provider's odd bytes, must set its message
	// aside, not abort every batch that holds it: every kind is checked
	// before any is written.
	for _, a := range appliers {
		if err := a.check(&changes); err != nil {
			return fail("normalizing: " + err.Error())
		}
	}
	run := &applyRun{p: p, tx: r.found.watch(tx, m), msg: m, result: &r}
	for _, a := range appliers {
		if err := a.apply(ctx, run, &changes); err != nil {
			return r, fmt.Errorf("applying message %d: %s: %w", m.ID, a.kind(), err)
		}
	}
	return r, nil // ProcessInbox marks it processed with the batch
}

// checked reports whether every applier accepts the change set: only the
// values of those reach the database (a key that is not valid UTF-8 would
// fail the prefetch, and with it the batch).
func checked(c *model.Changes) bool {
	for _, a := range appliers {
		if a.check(c) != nil {
			return false
		}
	}
	return true
}

// normalized is a message's change set, normalised ahead of its batch.
type normalized struct {
	changes model.Changes
	err     error
}

// normalizeAll normalises msgs, side by side, and returns the change sets
// by message id. A message it could not normalise (it is set aside as
// poisoned, its connection is missing, or its normaliser panicked) is left
// out; applyMessage normalises it again and handles what happens.
func (p *Pipeline) normalizeAll(msgs []*model.InboxMessage) map[int64]*normalized {
	all := make([]*normalized, len(msgs))
	normalize := func(i int) {
		m := msgs[i]
		if _, poisoned := p.poison[m.ID]; poisoned {
			return
		}
		conn, ok := p.cfg.Connections.Lookup(m.Workspace, m.Connection)
		if !ok || conn.Provider != m.Provider {
			return
		}
		n := &normalized{}
		if recovery.Do(func() error {
			n.changes, n.err = conn.Connector.Normalize(m)
			return nil
		}) == nil {
			all[i] = n
		}
	}
	if workers := min(p.cfg.NormalizeWorkers, len(msgs)/minPerNormalizer); workers > 1 {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(msgs); i = int(next.Add(1) - 1) {
					normalize(i)
				}
			})
		}
		wg.Wait()
	} else {
		for i := range msgs {
			normalize(i)
		}
	}
	out := make(map[int64]*normalized, len(msgs))
	for i, n := range all {
		if n != nil {
			out[msgs[i].ID] = n
		}
	}
	return out
}

// minPerNormalizer is the fewest messages worth a goroutine of their own:
// a message normalises in some tens of microseconds, a goroutine's start
// and hand-over cost a few.
const minPerNormalizer = 4

// prefetch normalises the batch's messages ahead of applying them and,
// when the store can load what they name in one go (store.Prefetcher),
// tells it: on PostgreSQL every look-up is a round trip, and one statement
// for the batch's shipments, orders, stock rows, stock mutations and event
// keys replaces one each. It
// returns the change sets by message id; a message it could not normalise
// (its connection is missing, or its normaliser panicked) is left out and
// normalised again, and handled, when it is applied.
func (p *Pipeline) prefetch(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) (map[int64]*normalized, error) {
	pf, ok := tx.(store.Prefetcher)
	if !ok {
		return nil, nil
	}
	out := p.normalizeAll(msgs)
	var want store.Prefetch
	for _, m := range msgs {
		n, ok := out[m.ID]
		if !ok || n.err != nil || !checked(&n.changes) {
			continue // set aside when applied: nothing of it to load
		}
		for i := range n.changes.Shipments {
			u := &n.changes.Shipments[i]
			want.Shipments = append(want.Shipments, store.RefKey{Workspace: m.Workspace, Connection: m.Connection, Reference: u.ProviderRef})
			want.Events += len(u.Events)
			for j := range u.Events {
				if k := u.Events[j].DedupKey; k != "" {
					want.EventKeys = append(want.EventKeys, k)
				}
			}
		}
		for i := range n.changes.Stock {
			u := &n.changes.Stock[i]
			want.Stock = append(want.Stock, store.StockKey{Workspace: m.Workspace, Connection: m.Connection, SKU: u.SKU, Warehouse: u.Warehouse})
		}
		for i := range n.changes.Orders {
			want.Orders = append(want.Orders, store.RefKey{Workspace: m.Workspace, Connection: m.Connection, Reference: n.changes.Orders[i].Reference})
		}
		for i := range n.changes.StockMutations {
			want.StockMutations = append(want.StockMutations, store.StockMutationKey{Workspace: m.Workspace, Connection: m.Connection, DedupKey: n.changes.StockMutations[i].DedupKey})
		}
	}
	if err := pf.Prefetch(ctx, want); err != nil {
		return nil, fmt.Errorf("prefetching the batch: %w", err)
	}
	return out, nil
}

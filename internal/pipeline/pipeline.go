// Package pipeline turns committed inbox messages into canonical state:
// normalize (per provider, raw → shipment updates), apply (upsert shipments,
// add events, derive status) and record what changed in the event feed, the
// outbox that merchant webhooks are delivered from. One batch of messages is
// applied in one transaction together with their processed marks, so a
// message is applied exactly once.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// BatchSize is how many messages one transaction applies. Small batches
	// keep the database's write lock short, so inbound acknowledgements are
	// not held up; default 32.
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
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
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
			for _, m := range msgs {
				r, err := p.applyGuarded(ctx, tx, m, deferred)
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
func (p *Pipeline) applyGuarded(ctx context.Context, tx store.Tx, m *model.InboxMessage, deferred map[[2]string]bool) (result, error) {
	if reason, ok := p.poison[m.ID]; ok {
		return p.fail(ctx, tx, m, reason)
	}
	var r result
	err := recovery.Do(func() (err error) {
		r, err = p.applyMessage(ctx, tx, m, deferred)
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
// batch deferred). Only database errors abort the batch.
func (p *Pipeline) applyMessage(ctx context.Context, tx store.Tx, m *model.InboxMessage, deferred map[[2]string]bool) (result, error) {
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
	updates, err := conn.Connector.Normalize(m)
	if err != nil {
		return fail(fmt.Sprintf("normalizing: %v", err))
	}
	for i := range updates {
		// A normaliser bug, or a provider's odd bytes, must set its message
		// aside, not abort every batch that holds it.
		if updates[i].ProviderRef == "" {
			return fail("normalizing: an update has no provider reference")
		}
		if err := checkUpdate(&updates[i]); err != nil {
			return fail("normalizing: " + err.Error())
		}
	}
	for i := range updates {
		added, err := p.applyUpdate(ctx, tx, m, &updates[i])
		if err != nil {
			return r, fmt.Errorf("applying message %d: %w", m.ID, err)
		}
		r.events = append(r.events, added...)
	}
	return r, nil // ProcessInbox marks it processed with the batch
}

// MaxKeyBytes caps the provider's values the database indexes: the provider
// reference, reference values and event dedup keys. PostgreSQL refuses an
// index entry over about 2,700 bytes, and a refused row would fail its batch
// on every retry.
const MaxKeyBytes = 512

// checkUpdate refuses an update the hub cannot store: an indexed value that
// is not valid UTF-8, holds a NUL byte (PostgreSQL refuses both in text) or
// is longer than MaxKeyBytes, or a number that is not finite (JSON has no
// NaN, so the shipment could not be encoded). Without it one provider
// request could stop the pipeline of every workspace.
func checkUpdate(u *model.ShipmentUpdate) error {
	finite := func(what string, v *float64) error {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return fmt.Errorf("%s is not a finite number", what)
		}
		return nil
	}
	for i := range u.Items {
		it := &u.Items[i]
		for _, err := range []error{finite("item quantity", &it.Quantity), finite("item unit price", it.UnitPrice), finite("item row total", it.RowTotal)} {
			if err != nil {
				return err
			}
		}
	}
	for i := range u.Events {
		if l := u.Events[i].Location; l != nil {
			if err := errors.Join(finite("event latitude", l.Lat), finite("event longitude", l.Lon)); err != nil {
				return err
			}
		}
	}
	check := func(what, v string) error {
		switch {
		case !utf8.ValidString(v):
			return fmt.Errorf("%s %q is not valid UTF-8", what, v)
		case strings.IndexByte(v, 0) >= 0:
			return fmt.Errorf("%s %q holds a NUL byte", what, v)
		case len(v) > MaxKeyBytes:
			return fmt.Errorf("%s is %d bytes long, over the %d the hub indexes", what, len(v), MaxKeyBytes)
		}
		return nil
	}
	if err := check("provider reference", u.ProviderRef); err != nil {
		return err
	}
	for _, r := range u.References {
		if err := check(r.Kind+" reference", r.Value); err != nil {
			return err
		}
	}
	for _, e := range u.Events {
		if err := check("event key", e.DedupKey); err != nil {
			return err
		}
	}
	return nil
}

// applyUpdate merges one shipment update into the stored shipment, adds its
// new events and derives the status. It returns the events it added.
func (p *Pipeline) applyUpdate(ctx context.Context, tx store.Tx, m *model.InboxMessage, u *model.ShipmentUpdate) ([]model.Event, error) {
	now := p.cfg.Now().UTC()
	s, err := tx.ShipmentByRef(ctx, m.Workspace, m.Connection, u.ProviderRef)
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		created = true
		s = &model.Shipment{
			Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, ProviderRef: u.ProviderRef,
			StatusPosition: model.StatusPosition{Status: model.StatusPending},
			CreatedAt:      now, UpdatedAt: now,
		}
		Merge(s, u)
		if err := tx.InsertShipment(ctx, s); err != nil {
			return nil, fmt.Errorf("inserting shipment: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("loading shipment: %w", err)
	}
	before := s.StatusPosition
	eddBefore := s.ExpectedDelivery
	changed := !created && Merge(s, u)
	eddChanged := !created && s.ExpectedDelivery != eddBefore

	var added []model.Event
	for i := range u.Events {
		e := u.Events[i]
		e.RecordedAt = now
		if e.InboxID == 0 {
			e.InboxID = m.ID
		}
		if e.Source == "" {
			e.Source = m.Source
		}
		inserted, err := tx.InsertEvent(ctx, s.ID, &e)
		if err != nil {
			return nil, fmt.Errorf("inserting event: %w", err)
		}
		if !inserted {
			continue
		}
		added = append(added, e)
		if pos := e.Position(); pos.Outranks(s.StatusPosition) {
			s.StatusPosition = pos
		}
	}
	statusChanged := s.Status != before.Status || s.Substatus != before.Substatus
	if created || changed || len(added) > 0 || s.StatusPosition != before {
		s.UpdatedAt = now
		if err := tx.UpdateShipment(ctx, s); err != nil {
			return nil, fmt.Errorf("updating shipment: %w", err)
		}
	}

	// The feed: what a merchant subscribes to. Every entry carries the
	// shipment as it stands after this update, encoded once.
	if p.quiet || !created && len(added) == 0 && !statusChanged && !eddChanged {
		return added, nil
	}
	shipment, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding shipment %d: %w", s.ID, err)
	}
	feed := func(typ string, data any) error {
		raw, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", typ, err)
		}
		return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: s.Workspace, Type: typ, SubjectID: s.ID, OccurredAt: now, Data: raw})
	}
	if created {
		if err := feed(model.EventShipmentCreated, ShipmentCreated{Shipment: shipment}); err != nil {
			return nil, err
		}
	}
	for i := range added {
		if err := feed(model.EventShipmentEventAdded, EventAdded{ShipmentID: s.ID, Event: &added[i], Shipment: shipment}); err != nil {
			return nil, err
		}
	}
	if eddChanged {
		data := EDDChanged{ShipmentID: s.ID, PreviousExpectedDelivery: eddBefore, ExpectedDelivery: s.ExpectedDelivery, Shipment: shipment}
		if err := feed(model.EventShipmentEDDChanged, data); err != nil {
			return nil, err
		}
	}
	if statusChanged && !created || created && s.Status != model.StatusPending {
		data := StatusChanged{ShipmentID: s.ID, PreviousStatus: before.Status, Status: s.Status, Substatus: s.Substatus, Shipment: shipment}
		if err := feed(model.EventShipmentStatusChanged, data); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// ShipmentCreated is the data of a shipment.created feed event.
type ShipmentCreated struct {
	Shipment json.RawMessage `json:"shipment"`
}

// EventAdded is the data of a shipment.event_added feed event.
type EventAdded struct {
	ShipmentID int64           `json:"shipment_id"`
	Event      *model.Event    `json:"event"`
	Shipment   json.RawMessage `json:"shipment"`
}

// StatusChanged is the data of a shipment.status_changed feed event.
type StatusChanged struct {
	ShipmentID     int64           `json:"shipment_id"`
	PreviousStatus model.Status    `json:"previous_status"`
	Status         model.Status    `json:"status"`
	Substatus      string          `json:"substatus,omitempty"`
	Shipment       json.RawMessage `json:"shipment"`
}

// EDDChanged is the data of a shipment.edd_changed feed event: the carrier
// moved the expected delivery date.
type EDDChanged struct {
	ShipmentID               int64           `json:"shipment_id"`
	PreviousExpectedDelivery string          `json:"previous_expected_delivery,omitempty"`
	ExpectedDelivery         string          `json:"expected_delivery"`
	Shipment                 json.RawMessage `json:"shipment"`
}

package activeants

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// ComponentPoll is the component label of a panic recovered in a pull.
const ComponentPoll = "activeants-poll"

// pageSize is the most items the ShopApi serves in one unsynced list: the
// document's example answers "Found 100 shipments that match your
// criteria." A full page is followed at once by the next one, after the
// mark, until a page is short.
const pageSize = 100

// maxRounds bounds one sync: at most maxRounds pages of one list.
const maxRounds = 100

// Service is an Active Ants connection's poll service. One loop, on one
// hub instance at a time (lease "activeants/<workspace>/<connection>"),
// pulls shipments and stock mutations every sync_interval, the stock every
// stock_interval, the track-trace status every track_trace_interval (gated
// by a lease in the shared database, so a restart or another instance does
// not read it again within the interval) and refreshes the settings every
// settings_refresh.
type Service struct {
	conn   *Connector
	env    provider.PollEnv
	client *Client
	state  State
	cache  *SettingsCache
	log    *slog.Logger

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

var _ provider.PollService = (*Service)(nil)

// NewService builds the connection's poll service.
func (c *Connector) NewService(env provider.PollEnv) (provider.PollService, error) {
	return c.Service(env)
}

// Service is NewService with its concrete type, for tests and tools.
func (c *Connector) Service(env provider.PollEnv) (*Service, error) {
	if env.Store == nil || env.Holder == "" {
		return nil, errors.New("activeants service: Store and Holder are required")
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	if env.Committed == nil {
		env.Committed = func() {}
	}
	if c.workspace == "" {
		c.workspace, c.id = env.Workspace, env.Connection
	}
	c.mu.Lock()
	own := c.ownState
	c.mu.Unlock()
	if cursors, ok := env.Store.(store.Cursors); ok && !own {
		c.useState(CursorState{Cursors: cursors, Workspace: env.Workspace, Connection: env.Connection})
	}
	state, cache := c.stateAndCache()
	if c.client.Now == nil {
		c.client.Now = env.Now
	}
	if cache.Now == nil {
		cache.Now = env.Now
	}
	if m := env.Metrics; m != nil && c.client.Observe == nil {
		label := env.Workspace + "/" + env.Connection
		c.client.Observe = func(_, result string) {
			m.ProviderRequests.WithLabelValues(Info.Name, label, result).Inc()
		}
	}
	return &Service{conn: c, env: env, client: c.client, state: state, cache: cache, log: env.Logger,
		wake: make(chan struct{}, 1)}, nil
}

// Start runs the loop until Stop.
func (s *Service) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		sg := &coord.Singleton{Leases: s.env.Store, Name: "activeants/" + s.env.Workspace + "/" + s.env.Connection,
			Holder: s.env.Holder, Logger: s.log, Metrics: s.env.Metrics}
		sg.Run(ctx, s.loop)
	}()
}

// Stop ends the loop and waits for the pull in flight, or ctx.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.once.Do(s.cancel)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes the loop pull shipments and stock mutations now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// task is one kind of pull with its interval.
type task struct {
	name     string
	interval time.Duration
	run      func(ctx context.Context) error
	next     time.Time
}

// loop runs the pulls when they are due.
func (s *Service) loop(ctx context.Context) {
	st := s.conn.settings
	syncInterval := st.Real(st.SyncInterval)
	tasks := []*task{
		{name: "settings", interval: st.Real(st.SettingsRefresh), run: func(ctx context.Context) error { _, err := s.cache.Get(ctx); return err }},
		{name: "shipments", interval: syncInterval, run: func(ctx context.Context) error { _, err := s.SyncShipments(ctx); return err }},
		{name: "stock mutations", interval: syncInterval, run: func(ctx context.Context) error { _, err := s.SyncStockMutations(ctx); return err }},
		{name: "stock", interval: st.Real(st.StockInterval), run: func(ctx context.Context) error { _, err := s.SyncStock(ctx); return err }},
		{name: "track-trace", interval: st.Real(st.TrackTraceInterval), run: func(ctx context.Context) error { _, err := s.SyncTrackTrace(ctx); return err }},
	}
	for ctx.Err() == nil {
		now := s.env.Now()
		next := now.Add(syncInterval)
		for _, t := range tasks {
			if !now.Before(t.next) {
				err := recovery.Do(func() error { return t.run(ctx) })
				recovery.Report(s.env.Metrics, s.log, ComponentPoll, err, "pull", t.name)
				t.next = s.env.Now().Add(t.interval)
				switch {
				case ctx.Err() != nil:
					return
				case errors.Is(err, ErrTooSoon):
					// Another instance, or this one before a restart, read
					// it: the lease says when; looking costs a statement.
					t.next = s.env.Now().Add(min(t.interval, syncInterval))
				case err != nil:
					s.log.Warn("an active ants pull failed", "pull", t.name, "error", err)
					t.next = s.env.Now().Add(min(t.interval, syncInterval))
				}
			}
			if t.next.Before(next) {
				next = t.next
			}
		}
		// At least a second between two rounds (a second of a
		// simulator's compressed time, never under 10ms), so that nothing
		// spins.
		timer := time.NewTimer(max(next.Sub(s.env.Now()), st.Real(time.Second), 10*time.Millisecond))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
			timer.Stop()
			tasks[1].next, tasks[2].next = time.Time{}, time.Time{}
		case <-timer.C:
		}
	}
}

// Report says what one pull did.
type Report struct {
	// Fetched is how many items the answers held, Committed how many
	// were new in the inbox, Duplicates how many it had already, Marked
	// how many were marked synced, Rejected how many did not decode
	// (each an intake error).
	Fetched, Committed, Duplicates, Marked, Rejected int
	// Requests is how many ShopApi calls the pull made (without /token).
	Requests int
}

// ErrTooSoon means the track-trace status was read less than
// track_trace_interval ago; nothing was asked.
var ErrTooSoon = errors.New("track-trace status was read less than track_trace_interval ago")

// SyncShipments pulls the unsynced shipments (GET /v2/shipment/get),
// maps each as Normalize will (so what is committed can be normalised),
// commits each to the inbox, and only then marks the committed ones synced
// (POST /v2/shipment/sync). A shipment that does not decode is recorded as
// an intake error with its excerpt and then marked too, so it does not
// block the list; one whose commit fails is not marked (Active Ants serves
// it again, and the inbox's dedup key "shipment:<id>" makes a re-served
// shipment a duplicate, applied once).
func (s *Service) SyncShipments(ctx context.Context) (Report, error) {
	return s.syncList(ctx, OpShipmentGet, OpShipmentSync, TopicShipment, func(raw json.RawMessage) (int64, error) {
		sh, err := DecodeShipment(raw)
		if err == nil {
			_, err = normalizeShipment(&model.InboxMessage{Body: raw})
		}
		if err != nil {
			return 0, err
		}
		return sh.ID.N, nil
	})
}

// SyncStockMutations pulls the unsynced stock mutations (GET
// /v2/stockmutation/get), commits each, and then marks them synced (POST
// /v2/stockmutation/sync), as SyncShipments does.
func (s *Service) SyncStockMutations(ctx context.Context) (Report, error) {
	return s.syncList(ctx, OpStockMutationGet, OpStockMutationSync, TopicStockMutation, func(raw json.RawMessage) (int64, error) {
		m, err := DecodeStockMutation(raw)
		if err == nil {
			_, err = normalizeStockMutation(&model.InboxMessage{Body: raw})
		}
		if err != nil {
			return 0, err
		}
		return m.ID.N, nil
	})
}

// syncList is the pull, commit, mark of an unsynced list.
func (s *Service) syncList(ctx context.Context, getOp, syncOp, topic string, decode func(json.RawMessage) (int64, error)) (Report, error) {
	var rep Report
	get := pathOf(getOp)
	for range maxRounds {
		ans, err := s.client.Do(ctx, getOp, nil, nil, nil)
		rep.Requests++
		if err != nil {
			if isEmptyList(err) {
				return rep, nil
			}
			return rep, s.answerError(ctx, get, ans, err)
		}
		items, err := ResultItems(ans.Envelope.Result)
		if err != nil {
			return rep, s.answerError(ctx, get, ans, err)
		}
		rep.Fetched += len(items)
		if len(items) == 0 {
			return rep, nil
		}
		var (
			ids       []int64
			commitErr error
			batch     = orderBatch{}
		)
		for i, raw := range items {
			id, err := decode(raw)
			if err != nil {
				rep.Rejected++
				name := fmt.Sprintf("%s %s result[%d]", get.Method, get.Path, i)
				if rerr := s.intakeError(ctx, name, raw, err); rerr != nil {
					commitErr = rerr
					break
				}
				if id := bestEffortID(raw); id > 0 {
					ids = append(ids, id) // kept as an intake error: marked, so it does not block the list
				}
				continue
			}
			var meta map[string]string
			if topic == TopicShipment {
				meta = map[string]string{MetaOrderStatus: string(s.orderStatus(ctx, raw, batch))}
			}
			dup, err := s.commit(ctx, topic, topic+":"+strconv.FormatInt(id, 10), raw, meta)
			if err != nil {
				commitErr = err
				break
			}
			if dup {
				rep.Duplicates++
			} else {
				rep.Committed++
			}
			ids = append(ids, id)
		}
		if len(ids) > 0 {
			// Only what is committed (or kept as an intake error) is marked.
			_, err := s.client.Do(ctx, syncOp, nil, nil, map[string][]int64{"ids": ids})
			rep.Requests++
			if err != nil {
				return rep, errors.Join(commitErr, fmt.Errorf("marking %d %s items synced: %w", len(ids), topic, err))
			}
			rep.Marked += len(ids)
		}
		if commitErr != nil {
			return rep, commitErr
		}
		if len(items) < pageSize || len(ids) == 0 {
			// A short page is the last; a full one of which nothing could
			// be marked (no item had an id) would be served again as it is.
			return rep, nil
		}
	}
	return rep, nil
}

// isEmptyList recognises a NOK that says the list is empty ("No shipments
// found"): the ShopApi says "not found" with a 2xx and a non-OK
// messageCode (activeants-public-clients.md, "Envelope and status codes").
func isEmptyList(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || !ae.NOK() {
		return false
	}
	m := strings.ToLower(ae.Message)
	return (strings.HasPrefix(m, "no ") || strings.HasPrefix(m, "found 0 ")) && strings.Contains(m, "found")
}

// bestEffortID reads an item's "id" when the rest of it does not decode.
func bestEffortID(raw json.RawMessage) int64 {
	var v struct {
		ID Int `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil || !v.ID.Valid {
		return 0
	}
	return v.ID.N
}

// answerError records an answer that does not decode as an intake error
// (the connection goes on at the next pull) and returns err.
func (s *Service) answerError(ctx context.Context, p Path, ans *Answer, err error) error {
	if ans != nil && errors.Is(err, provider.ErrBadInput) {
		if rerr := s.intakeError(ctx, p.Method+" "+p.Path, ans.Body, err); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// intakeError records an item or answer that does not decode, with its
// excerpt, so the operator sees what Active Ants sent.
func (s *Service) intakeError(ctx context.Context, name string, raw []byte, cause error) error {
	e := &model.IntakeError{
		Workspace: s.env.Workspace, Connection: s.env.Connection, Source: model.SourcePoll,
		Name: name, Reason: provider.Reason(cause) + "; excerpt: " + excerpt(raw),
		Size: int64(len(raw)), Body: raw, ReceivedAt: s.env.Now().UTC(),
	}
	if err := s.env.Store.RecordIntakeError(ctx, e); err != nil {
		return fmt.Errorf("recording an active ants answer that does not decode: %w", err)
	}
	s.log.Warn("an active ants answer does not decode; kept as an intake error", "name", name, "reason", provider.Reason(cause))
	return nil
}

// commit stores one message in the inbox and wakes the pipeline. It
// reports duplicate=true for a message seen before.
func (s *Service) commit(ctx context.Context, topic, key string, body []byte, meta map[string]string) (bool, error) {
	m := &model.InboxMessage{
		Workspace: s.env.Workspace, Connection: s.env.Connection, Provider: Info.Name,
		Source: model.SourcePoll, Topic: topic, DedupKey: key, ContentType: "application/json",
		Meta: meta, Body: body, ReceivedAt: s.env.Now().UTC(),
	}
	id, dup, err := s.env.Store.AppendInbox(ctx, m)
	if err != nil {
		return false, fmt.Errorf("committing an active ants %s to the inbox: %w", topic, err)
	}
	if !dup {
		s.log.Debug("active ants answer committed", "message_id", id, "topic", topic)
		s.env.Committed()
	}
	return dup, nil
}

// SyncStock pulls the stock: all of it (GET /stock/bulk/true) until a
// full sync has been committed, then only what changed (bulk/false). The
// whole answer is one inbox message. Active Ants marks what it served as
// synced when it serves it, so when the commit fails the next pull is a
// full one again.
func (s *Service) SyncStock(ctx context.Context) (Report, error) {
	var rep Report
	full, err := s.fullStockDue(ctx)
	if err != nil {
		return rep, err
	}
	p := pathOf(OpStockBulk)
	ans, err := s.client.Do(ctx, OpStockBulk, []string{strconv.FormatBool(full)}, nil, nil)
	rep.Requests++
	if err != nil {
		if isEmptyList(err) {
			return rep, s.stockDone(ctx, full)
		}
		return rep, s.answerError(ctx, p, ans, err)
	}
	items, err := ResultItems(ans.Envelope.Result)
	if err != nil {
		return rep, s.answerError(ctx, p, ans, err)
	}
	rep.Fetched = len(items)
	if len(items) == 0 {
		return rep, s.stockDone(ctx, full)
	}
	if rep.Rejected, err = s.rejectItems(ctx, p, items, func(raw json.RawMessage) error { _, _, err := stockUpdate(raw, time.Time{}); return err }); err != nil {
		return rep, err
	}
	dup, err := s.commit(ctx, TopicStock, timedKey(TopicStock, s.env.Now(), ans.Body), ans.Body, map[string]string{MetaBulk: strconv.FormatBool(full)})
	if err != nil {
		if serr := s.state.Set(ctx, StateStockFullDone, "false"); serr != nil {
			err = errors.Join(err, serr)
		}
		return rep, err
	}
	if !dup {
		rep.Committed = len(items) - rep.Rejected
	}
	return rep, s.stockDone(ctx, full)
}

// fullStockDue says whether the next stock pull is a full one: State's
// flag when it is set ("true": done; "false": a commit failed, do it
// again), else whether the hub holds no stock of the connection yet, so
// that a hub whose State is kept in memory does not repeat the full sync
// at every restart.
func (s *Service) fullStockDue(ctx context.Context) (bool, error) {
	done, ok, err := s.state.Get(ctx, StateStockFullDone)
	if err != nil {
		return false, fmt.Errorf("reading the stock sync state: %w", err)
	}
	if ok {
		return done != "true", nil
	}
	rows, err := s.env.Store.ListStock(ctx, store.StockFilter{Workspace: s.env.Workspace, Connection: s.env.Connection, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("looking for the connection's stock: %w", err)
	}
	return len(rows) == 0, nil
}

func (s *Service) stockDone(ctx context.Context, full bool) error {
	if !full {
		return nil
	}
	if err := s.state.Set(ctx, StateStockFullDone, "true"); err != nil {
		return fmt.Errorf("recording the full stock sync: %w", err)
	}
	return nil
}

// SyncTrackTrace reads the track-trace status of the shipments in
// trackable delivery, at most once per track_trace_interval for the
// connection, whichever hub instance asks and however often it restarts:
// before the request it takes the lease "activeants-tracktrace/<workspace>/
// <connection>" in the shared database for track_trace_interval, under a
// holder name of its own that nobody renews, and sends nothing while that
// lease is live. So neither a failure, nor a restart, nor another instance
// makes it ask sooner. It returns ErrTooSoon when the interval has not
// passed. The whole answer is one inbox message.
func (s *Service) SyncTrackTrace(ctx context.Context) (Report, error) {
	var rep Report
	now := s.env.Now()
	name := "activeants-tracktrace/" + s.env.Workspace + "/" + s.env.Connection
	ok, err := s.env.Store.AcquireLease(ctx, name, "read-"+coord.NewInstanceID(), s.conn.settings.Real(s.conn.settings.TrackTraceInterval))
	if err != nil {
		return rep, fmt.Errorf("taking the track-trace lease: %w", err)
	}
	if !ok {
		return rep, ErrTooSoon
	}
	if err := s.state.Set(ctx, StateTrackTraceLast, now.UTC().Format(time.RFC3339Nano)); err != nil {
		return rep, fmt.Errorf("recording the track-trace read: %w", err)
	}
	p := pathOf(OpTrackTrace)
	ans, err := s.client.Do(ctx, OpTrackTrace, nil, nil, nil)
	rep.Requests++
	if err != nil {
		if isEmptyList(err) {
			return rep, nil
		}
		return rep, s.answerError(ctx, p, ans, err)
	}
	items, err := ResultItems(ans.Envelope.Result)
	if err != nil {
		return rep, s.answerError(ctx, p, ans, err)
	}
	rep.Fetched = len(items)
	if len(items) == 0 {
		return rep, nil
	}
	if rep.Rejected, err = s.rejectItems(ctx, p, items, func(raw json.RawMessage) error { _, err := trackTraceUpdate(raw, time.Time{}); return err }); err != nil {
		return rep, err
	}
	dup, err := s.commit(ctx, TopicTrackTrace, timedKey(TopicTrackTrace, now, ans.Body), ans.Body, nil)
	if err != nil {
		return rep, err
	}
	if !dup {
		rep.Committed = len(items) - rep.Rejected
	}
	return rep, nil
}

// rejectItems records each item of a whole answer that does not decode as
// an intake error and counts them.
func (s *Service) rejectItems(ctx context.Context, p Path, items []json.RawMessage, decode func(json.RawMessage) error) (int, error) {
	n := 0
	for i, raw := range items {
		if err := decode(raw); err != nil {
			n++
			if rerr := s.intakeError(ctx, fmt.Sprintf("%s %s result[%d]", p.Method, p.Path, i), raw, err); rerr != nil {
				return n, rerr
			}
		}
	}
	return n, nil
}

// timedKey is the dedup key of a whole answer: its time and digest. Stock
// and track-trace answers are levels, not events: the same answer an hour
// later is a new statement (the figures may have changed in between and
// back), so the time is part of the key.
func timedKey(topic string, at time.Time, body []byte) string {
	h := sha256.Sum256(body)
	return topic + ":" + strconv.FormatInt(at.UnixNano(), 10) + ":" + hex.EncodeToString(h[:8])
}

// orderBatch is the quantities by SKU that one pull's earlier shipments
// shipped of each order (by reference), and their ids.
type orderBatch map[string]*batchOrder

type batchOrder struct {
	shipped map[string]float64
	ids     map[string]bool
}

// orderStatus works out whether a shipment leaves its order shipped or
// partially_shipped. When the hub knows the order with its lines, the
// order is shipped once the quantities of its SKUs are covered by its
// shipments: those of this connection already in the store and this
// pull's, this one included. When the hub does not know the order (it was
// created outside shiphub, by the shop's own plugin say) or it has no
// lines, the shipment ships it: Active Ants ships an order whole unless it
// was created with partialDelivery. A lookup that fails counts as
// unknown, so shipped.
func (s *Service) orderStatus(ctx context.Context, raw json.RawMessage, batch orderBatch) model.OrderStatus {
	sh, err := DecodeShipment(raw)
	ref := ""
	if err == nil {
		ref = strings.TrimSpace(sh.ExternalOrderNumber)
	}
	if ref == "" {
		return model.OrderShipped
	}
	b := batch[ref]
	if b == nil {
		b = &batchOrder{shipped: map[string]float64{}, ids: map[string]bool{}}
		batch[ref] = b
	}
	b.ids[sh.ID.String()] = true
	for _, p := range sh.ShippedProducts {
		b.shipped[p.SKU] += p.Quantity.F
	}
	for _, it := range sh.ShipmentItems {
		b.shipped[it.SKU] += it.Quantity.F
	}
	list, err := s.env.Store.ListOrders(ctx, store.OrderFilter{Workspace: s.env.Workspace, Connection: s.env.Connection, Reference: ref, Limit: 5})
	if err != nil {
		return model.OrderShipped
	}
	var o *model.Order
	for _, cand := range list {
		if cand.Reference == ref && cand.Connection == s.env.Connection {
			o, err = s.env.Store.GetOrder(ctx, s.env.Workspace, cand.ID)
			if err != nil {
				return model.OrderShipped
			}
			break
		}
	}
	if o == nil || len(o.Lines) == 0 {
		return model.OrderShipped
	}
	shipped := map[string]float64{}
	for k, v := range b.shipped {
		shipped[k] = v
	}
	for _, id := range o.ShipmentIDs {
		other, err := s.env.Store.GetShipment(ctx, s.env.Workspace, id)
		if err != nil || other.Connection != s.env.Connection || b.ids[other.ProviderRef] {
			continue
		}
		for _, it := range other.Items {
			shipped[it.SKU] += it.Quantity
		}
	}
	ordered := map[string]float64{}
	for _, l := range o.Lines {
		ordered[l.SKU] += l.Quantity
	}
	for sku, q := range ordered {
		if shipped[sku] < q {
			return model.OrderPartiallyShipped
		}
	}
	return model.OrderShipped
}

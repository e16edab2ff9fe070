package wics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// Reconciliation. WICS retries a failed webhook ten times over 24 hours and
// then gives up, so a hub that was unreachable for longer, or a webhook
// lost on the way, leaves a change unknown. The connection's poll service
// (provider.Puller, run by package poll) therefore lists, every
// reconcile_interval, what changed since a stored watermark, on one hub
// instance at a time and at background priority on the login's budget,
// and commits every item of every answer to the inbox as a message of the
// connection, exactly as WICS sent it: topic reconcile.<kind>, DedupKey the
// digest of topic and body (an unchanged state is a duplicate, not applied
// again), Meta source=reconcile. Normalize maps those topics like the
// webhooks (reconcile_normalize.go). A watermark (a sync cursor,
// "reconcile.<kind>") moves only after the messages before it are
// committed, so a crash repeats a listing and never skips one.
//
// The document has no "changed since" field on any list: no modification
// time on orders, receipts, announcements or stock. What each kind filters
// on instead, with the list filters of the document ("Filters": field[gte]):
//
//	order         deliveryDate[gte]=W, where W is the earliest deliveryDate of an order
//	              that was still open (neither shipped nor cancelled) at the last run, and
//	              at most the last run's date less Overlap: every order that can still
//	              change is listed again until it is final, and an order whose delivery
//	              date was before the last run is listed for a day more. webshopId=N too
//	              when webshop_id is set. (An order entered with a deliveryDate before W
//	              is not found; its webhooks still are.) An order whose listing is new or
//	              changed (not a duplicate in the inbox) and whose status is shipped or
//	              partially shipped has its shipments fetched (GET /order/{reference}/
//	              shipment) and each committed as reconcile.shipment, so a lost Shipment
//	              webhook is recovered with its tracking; an unchanged listing fetches
//	              nothing. A fetch that fails leaves the reference in the cursor's
//	              pending list, fetched first on the next run.
//	receipt       receiptDate[gte]=the last run's date less Overlap (receipts are dated the
//	              day they are made, the document's own example filter). The list has no
//	              lines, so each receipt whose listed summary is new or changed is fetched
//	              (GET /receipt/{number}) and the whole receipt committed; the summaries'
//	              digests are kept in the cursor, so an unchanged receipt costs nothing more.
//	announcement  plannedDate[gte]=the last run's date less AnnouncementOverlap (7 days):
//	              announcements are planned ahead, and the list says no status, so what
//	              reconciliation finds is an announcement the hub did not know.
//	stock         nothing to filter on: every item's stock is listed, no more often than
//	              StockInterval (default 1h), and an unchanged figure is a duplicate.
//
// Cost. A listing of n items costs ceil((n+1)/PageSize) requests (the last
// page is short or empty). Reconciling 10,000 open orders at the default
// page size of 100 costs 101 requests, 0.5 % of the day's 20,000. Run every
// 15 minutes that would be 9,696 requests a day, half of the budget, so the
// reconciler stretches its own interval: it never plans to spend more than
// DayShare (default a quarter) of rate_per_day, so after a run of r requests
// it waits at least r × 24h / (DayShare × rate_per_day): 101 requests, 29
// minutes (reconcile_test.go computes it). Shipments add one request per
// shipped order whose listing is new or changed: normally one per order
// shipped, two when runs see both its 60 and its 70, never one for an
// unchanged listing (reconcile_shipment_test.go counts it).

// Reconciliation topics of the inbox, and their kinds.
const (
	TopicReconcileOrder        = "reconcile.order"
	TopicReconcileReceipt      = "reconcile.receipt"
	TopicReconcileAnnouncement = "reconcile.announcement"
	TopicReconcileStock        = "reconcile.stock"
	// TopicReconcileShipment is an item of an order's shipment list (GET
	// /api/order/{reference}/shipment), mapped as Topic Shipment.
	TopicReconcileShipment = "reconcile.shipment"
)

// Reconciliation defaults.
const (
	// DefaultOverlap is how far before the last run a listing starts again.
	DefaultOverlap = 24 * time.Hour
	// DefaultAnnouncementOverlap is that for announcements.
	DefaultAnnouncementOverlap = 7 * 24 * time.Hour
	// DefaultStockInterval is how often the whole stock is listed.
	DefaultStockInterval = time.Hour
	// DefaultDayShare is the share of the day's budget reconciliation plans
	// to use at most, so that commands keep the rest.
	DefaultDayShare = 0.25
)

// Reconciler is a wics connection's reconciliation, its poll service.
type Reconciler struct {
	conn    *Connector
	env     provider.PollEnv
	cursors store.Cursors
	log     *slog.Logger

	// Interval is the time between runs (reconcile_interval), stretched
	// to keep within DayShare.
	Interval time.Duration
	// StockInterval is the least time between listings of the stock.
	StockInterval time.Duration
	// Overlap and AnnouncementOverlap are how far before the last run a
	// listing starts again.
	Overlap, AnnouncementOverlap time.Duration
	// DayShare is the share of rate_per_day reconciliation plans to use.
	DayShare float64
	// PageSize is the list calls' page size; 0 means DefaultPageSize.
	PageSize int
	// HTTP is the client's transport; nil means the default.
	HTTP *http.Client

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
}

// NewService builds the connection's reconciliation (provider.Puller). The
// store must keep sync cursors (both SQL stores do). With reconcile off it
// is a service that does nothing.
func (c *Connector) NewService(env provider.PollEnv) (provider.PollService, error) {
	if !c.settings.Reconciles() {
		return idleService{}, nil
	}
	return c.NewReconciler(env)
}

// idleService is the poll service of a connection that does not reconcile.
type idleService struct{}

func (idleService) Start(context.Context)      {}
func (idleService) Stop(context.Context) error { return nil }
func (idleService) Wake()                      {}

// NewReconciler is NewService with its concrete type, for tests and tools.
func (c *Connector) NewReconciler(env provider.PollEnv) (*Reconciler, error) {
	if env.Store == nil || env.Workspace == "" || env.Connection == "" {
		return nil, errors.New("wics reconciliation: Store, Workspace and Connection are required")
	}
	cursors, ok := env.Store.(store.Cursors)
	if !ok {
		return nil, fmt.Errorf("wics reconciliation: the store %T keeps no sync cursors", env.Store)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Committed == nil {
		env.Committed = func() {}
	}
	log := env.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Reconciler{
		conn: c, env: env, cursors: cursors, log: log,
		Interval: c.settings.ReconcileInterval, StockInterval: max(DefaultStockInterval, c.settings.ReconcileInterval),
		Overlap: DefaultOverlap, AnnouncementOverlap: DefaultAnnouncementOverlap, DayShare: DefaultDayShare,
		wake: make(chan struct{}, 1),
	}, nil
}

// RunReport says what one run did, per kind.
type RunReport struct {
	// Requests is how many requests the run sent.
	Requests int
	// Listed is how many items the lists answered, Committed how many of
	// them were new to the inbox, Duplicates how many were not.
	Listed, Committed, Duplicates map[string]int
}

func newRunReport() RunReport {
	return RunReport{Listed: map[string]int{}, Committed: map[string]int{}, Duplicates: map[string]int{}}
}

// countingLimiter counts the requests of a run; each request waits once.
type countingLimiter struct {
	next provider.Limiter
	mu   sync.Mutex
	n    int
}

func (l *countingLimiter) Wait(ctx context.Context, p provider.Priority) error {
	if l.next != nil {
		if err := l.next.Wait(ctx, p); err != nil {
			return err
		}
	}
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}

func (l *countingLimiter) Blocked(ctx context.Context) (time.Time, error) {
	if l.next == nil {
		return time.Time{}, nil
	}
	return l.next.Blocked(ctx)
}

func (l *countingLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// RunOnce reconciles every kind that is due: orders, receipts and
// announcements on every run, stock once StockInterval has passed since
// its last listing. It goes on with the other kinds when one fails and
// returns the errors joined; a kind that failed keeps its watermark.
func (r *Reconciler) RunOnce(ctx context.Context) (RunReport, error) {
	rep := newRunReport()
	var next provider.Limiter
	if r.env.Limiters != nil {
		next = r.env.Limiters(r.env.Workspace, r.env.Connection)
	}
	lim := &countingLimiter{next: next}
	cl := r.conn.NewClient(lim, provider.PriorityBackground)
	cl.PageSize, cl.HTTP, cl.Now = r.PageSize, r.HTTP, r.env.Now
	now := r.env.Now()
	var errs []error
	for _, k := range []struct {
		name string
		run  func(context.Context, *Client, time.Time, *RunReport) error
	}{
		{"order", r.orders},
		{"receipt", r.receipts},
		{"announcement", r.announcements},
		{"stock", r.stock},
	} {
		if err := k.run(ctx, cl, now, &rep); err != nil {
			errs = append(errs, fmt.Errorf("reconciling wics %ss: %w", k.name, err))
			var ra *provider.RetryAfterError
			if errors.As(err, &ra) || ctx.Err() != nil {
				break // blocked or stopping: the other kinds would be too
			}
		}
	}
	rep.Requests = lim.count()
	return rep, errors.Join(errs...)
}

// NextWait is the time from a run of requests requests to the next run:
// Interval, or longer when runs of that cost every Interval would use more
// than DayShare of the day's budget. The day is 1,440 of the connection's
// minutes (rate_window): 24 hours against WICS, compressed as the minute is
// for a simulator.
func (r *Reconciler) NextWait(requests int) time.Duration {
	wait := r.Interval
	day := 24 * time.Hour
	if w := r.conn.settings.RateWindow; w > 0 && w < time.Minute {
		day = time.Duration(float64(day) * float64(w) / float64(time.Minute))
	}
	perDay := float64(r.conn.settings.RatePerDay) * r.DayShare
	if perDay > 0 {
		if d := time.Duration(float64(requests) * float64(day) / perDay); d > wait {
			wait = d
		}
	}
	return wait
}

// orderCursor is the order watermark: the deliveryDate the listing starts
// at, and the references of shipped orders whose shipments are still to be
// fetched (a fetch failed after their listing was committed, so the
// listing would be a duplicate next time and fetch nothing).
type orderCursor struct {
	Since   string   `json:"since"`
	Pending []string `json:"pending_shipments,omitempty"`
}

// reconOrder is the part of a listed order reconciliation reads.
type reconOrder struct {
	Number            string `json:"number" wics:"required"`
	Reference         string `json:"reference"`
	DeliveryDate      Time   `json:"deliveryDate" wics:"date"`
	StatusCode        string `json:"statusCode" wics:"code"`
	StatusDescription string `json:"statusDescription"`
}

func (r *Reconciler) orders(ctx context.Context, cl *Client, now time.Time, rep *RunReport) error {
	var cur orderCursor
	if err := r.load(ctx, TopicReconcileOrder, &cur); err != nil {
		return err
	}
	floor := r.date(now.Add(-r.Overlap))
	since := cur.Since
	if since == "" {
		since = floor
	}
	f := Filter{}.Where("deliveryDate", OpGte, since)
	if id := r.conn.settings.WebshopID; id != 0 {
		f = f.Where("webshopId", OpEq, strconv.FormatInt(id, 10))
	}
	// pending is what is still to fetch; on a failure it is saved with the
	// old watermark, so the next run lists the same orders and fetches these.
	pending := append([]string(nil), cur.Pending...)
	failed := func(err error) error {
		if slices.Equal(pending, cur.Pending) {
			return err
		}
		if serr := r.save(ctx, TopicReconcileOrder, orderCursor{Since: cur.Since, Pending: pending}); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	for len(pending) > 0 {
		if err := r.shipments(ctx, cl, pending[0], now, rep); err != nil {
			return failed(err)
		}
		pending = pending[1:]
	}
	earliestOpen := ""
	err := Walk(ctx, cl, "/order", f, func(_ int, raws []json.RawMessage) error {
		for _, raw := range raws {
			rep.Listed["order"]++
			fresh, err := r.commitNew(ctx, TopicReconcileOrder, "order", raw, now, rep)
			if err != nil {
				return err
			}
			o, err := bindItem[reconOrder](raw)
			if err != nil {
				earliestOpen = since // unreadable: keep listing from here
				continue
			}
			m := LookupOrderStatus(o.StatusCode, o.StatusDescription)
			shipped := m.Status == string(model.OrderShipped) || m.Status == string(model.OrderPartiallyShipped)
			if fresh && shipped && o.Reference != "" {
				pending = append(pending, o.Reference)
				if err := r.shipments(ctx, cl, o.Reference, now, rep); err != nil {
					return err
				}
				pending = pending[:len(pending)-1]
			}
			final := m.Status == string(model.OrderShipped) || m.Status == string(model.OrderCancelled)
			if d := o.DeliveryDate.Date; !final && d != "" && (earliestOpen == "" || d < earliestOpen) {
				earliestOpen = d
			}
		}
		return nil
	})
	if err != nil {
		return failed(err)
	}
	next := floor
	if earliestOpen != "" && earliestOpen < next {
		next = earliestOpen
	}
	return r.save(ctx, TopicReconcileOrder, orderCursor{Since: next})
}

// receiptCursor is the receipt watermark and the digests of the listed
// summaries whose receipts were committed.
type receiptCursor struct {
	Since string            `json:"since"`
	Seen  map[string]string `json:"seen,omitempty"`
}

func (r *Reconciler) receipts(ctx context.Context, cl *Client, now time.Time, rep *RunReport) error {
	var cur receiptCursor
	if err := r.load(ctx, TopicReconcileReceipt, &cur); err != nil {
		return err
	}
	since := cur.Since
	if since == "" {
		since = r.date(now.Add(-r.Overlap))
	}
	seen := map[string]string{}
	err := Walk(ctx, cl, "/receipt", Filter{}.Where("receiptDate", OpGte, since), func(_ int, raws []json.RawMessage) error {
		for _, raw := range raws {
			rep.Listed["receipt"]++
			s, err := bindItem[Receipt](raw)
			if err != nil {
				// Not even a number to fetch it by: commit the summary
				// itself, so that the failure shows in the inbox.
				if err := r.commit(ctx, TopicReconcileReceipt, "receipt", raw, now, rep); err != nil {
					return err
				}
				continue
			}
			sum := digestOf(raw)
			if cur.Seen[s.Number] == sum {
				seen[s.Number] = sum
				continue
			}
			var detail json.RawMessage
			if _, err := cl.Do(ctx, http.MethodGet, "/receipt/"+pathID(s.Number), nil, nil, &detail); err != nil {
				return fmt.Errorf("getting receipt %s: %w", s.Number, err)
			}
			if err := r.commit(ctx, TopicReconcileReceipt, "receipt", detail, now, rep); err != nil {
				return err
			}
			seen[s.Number] = sum
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.save(ctx, TopicReconcileReceipt, receiptCursor{Since: r.date(now.Add(-r.Overlap)), Seen: seen})
}

// sinceCursor is a watermark that is the last run's date less an overlap.
type sinceCursor struct {
	Since string `json:"since"`
}

func (r *Reconciler) announcements(ctx context.Context, cl *Client, now time.Time, rep *RunReport) error {
	var cur sinceCursor
	if err := r.load(ctx, TopicReconcileAnnouncement, &cur); err != nil {
		return err
	}
	next := r.date(now.Add(-r.AnnouncementOverlap))
	since := cur.Since
	if since == "" {
		since = next
	}
	err := Walk(ctx, cl, "/announcement", Filter{}.Where("plannedDate", OpGte, since), func(_ int, raws []json.RawMessage) error {
		for _, raw := range raws {
			rep.Listed["announcement"]++
			if err := r.commit(ctx, TopicReconcileAnnouncement, "announcement", raw, now, rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.save(ctx, TopicReconcileAnnouncement, sinceCursor{Since: next})
}

// stockCursor is when the stock was last listed in full.
type stockCursor struct {
	At time.Time `json:"at"`
}

func (r *Reconciler) stock(ctx context.Context, cl *Client, now time.Time, rep *RunReport) error {
	var cur stockCursor
	if err := r.load(ctx, TopicReconcileStock, &cur); err != nil {
		return err
	}
	if !cur.At.IsZero() && now.Sub(cur.At) < r.StockInterval {
		return nil
	}
	err := Walk(ctx, cl, "/stock", Filter{}, func(_ int, raws []json.RawMessage) error {
		for _, raw := range raws {
			rep.Listed["stock"]++
			if err := r.commit(ctx, TopicReconcileStock, "stock", raw, now, rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.save(ctx, TopicReconcileStock, stockCursor{At: now.UTC()})
}

// shipments fetches the shipments of the order of reference ref and
// commits each, as WICS listed it, as a reconcile.shipment message: Normalize
// maps it as the Shipment webhook, order link and tracking included.
func (r *Reconciler) shipments(ctx context.Context, cl *Client, ref string, now time.Time, rep *RunReport) error {
	var items []json.RawMessage
	if _, err := cl.Do(ctx, http.MethodGet, "/order/"+pathID(ref)+"/shipment", nil, nil, &items); err != nil {
		var api *APIError
		if errors.As(err, &api) && api.Refused() {
			// Not found, or refused for what was asked: asking again
			// cannot succeed, and a pending fetch that always fails would
			// hold up every later run. The order's webhooks still count.
			r.log.Warn("wics reconciliation: the shipments of an order cannot be fetched; skipping them", "order_reference", ref, "error", err)
			return nil
		}
		return fmt.Errorf("getting the shipments of order %q: %w", ref, err)
	}
	for _, raw := range items {
		rep.Listed["shipment"]++
		if err := r.commit(ctx, TopicReconcileShipment, "shipment", raw, now, rep); err != nil {
			return err
		}
	}
	return nil
}

// commit appends one answer item to the inbox.
func (r *Reconciler) commit(ctx context.Context, topic, kind string, raw json.RawMessage, now time.Time, rep *RunReport) error {
	_, err := r.commitNew(ctx, topic, kind, raw, now, rep)
	return err
}

// commitNew is commit, saying whether the item was new to the inbox (not
// a duplicate of a state already committed).
func (r *Reconciler) commitNew(ctx context.Context, topic, kind string, raw json.RawMessage, now time.Time, rep *RunReport) (bool, error) {
	m := &model.InboxMessage{
		Workspace: r.env.Workspace, Connection: r.env.Connection, Provider: Info.Name,
		Source: model.SourcePoll, Topic: topic, DedupKey: ReconcileDedupKey(topic, raw), ContentType: "application/json",
		Meta: map[string]string{provider.MetaSource: provider.SourceReconcile, provider.MetaReconcileKind: kind},
		Body: append([]byte(nil), raw...), ReceivedAt: now,
	}
	_, dup, err := r.env.Store.AppendInbox(ctx, m)
	if err != nil {
		return false, fmt.Errorf("committing a reconciled %s to the inbox: %w", kind, err)
	}
	if dup {
		rep.Duplicates[kind]++
		return false, nil
	}
	rep.Committed[kind]++
	r.env.Committed()
	return true, nil
}

// ReconcileDedupKey is the inbox dedup key of a reconciled item: the hex
// SHA-256 of the topic, a NUL byte and the item as WICS sent it, so that
// the same state listed again is a duplicate and a changed one is new.
func ReconcileDedupKey(topic string, body []byte) string {
	return DedupKey(Topic(topic), body)
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// date is t's calendar date in the connection's zone, as the filters want it.
func (r *Reconciler) date(t time.Time) string {
	return t.In(r.conn.dec.Location).Format(time.DateOnly)
}

func (r *Reconciler) load(ctx context.Context, name string, v any) error {
	c, err := r.cursors.GetCursor(ctx, r.env.Workspace, r.env.Connection, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(c.Value), v); err != nil {
		// A cursor this version cannot read starts the kind afresh.
		r.log.Warn("ignoring an unreadable reconciliation cursor", "cursor", name, "error", err)
	}
	return nil
}

func (r *Reconciler) save(ctx context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return r.cursors.SaveCursor(ctx, &store.Cursor{Workspace: r.env.Workspace, Connection: r.env.Connection, Name: name, Value: string(b)})
}

// Start runs reconciliation on one instance at a time until Stop.
func (r *Reconciler) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	single := &coord.Singleton{Leases: r.env.Store, Name: "reconcile/" + r.env.Workspace + "/" + r.env.Connection,
		Holder: r.env.Holder, Logger: r.log, Metrics: r.env.Metrics}
	go func() {
		defer close(r.done)
		single.Run(ctx, r.loop)
	}()
}

func (r *Reconciler) loop(ctx context.Context) {
	// A restart, or another instance taking over, keeps the schedule: the
	// first run waits for what is left of the interval since the last one
	// (the order cursor is saved at the end of every run that listed them).
	if c, err := r.cursors.GetCursor(ctx, r.env.Workspace, r.env.Connection, TopicReconcileOrder); err == nil {
		if left := r.Interval - r.env.Now().Sub(c.UpdatedAt); left > 0 {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
			case <-time.After(left):
			}
		}
	}
	failures := 0
	for ctx.Err() == nil {
		rep, err := r.RunOnce(ctx)
		wait := r.NextWait(rep.Requests)
		if err != nil && ctx.Err() == nil {
			var ra *provider.RetryAfterError
			if errors.As(err, &ra) && errors.Is(err, provider.ErrBudgetExhausted) {
				// Its turn at the budget: no failure, so no backoff of
				// minutes; it comes back when the budget said (its
				// watermarks keep what it had done).
				wait = max(ra.After, 50*time.Millisecond)
			} else {
				failures++
				retry := min(time.Minute<<min(failures-1, 10), wait)
				if errors.As(err, &ra) && ra.After > retry {
					retry = ra.After
				}
				wait = retry
			}
			if errors.As(err, &ra) {
				// Sent away by the rate budget (urgent commands go first)
				// or by a block: expected, and no fault of the provider.
				r.log.Info("wics reconciliation waits for the rate budget; trying again later", "retry_in", wait, "error", err)
			} else {
				r.log.Warn("wics reconciliation failed in part; trying again later", "retry_in", wait, "error", err)
			}
		} else if err == nil {
			failures = 0
			r.log.Debug("wics reconciliation ran", "requests", rep.Requests, "committed", rep.Committed, "next_in", wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(wait):
		}
	}
}

// Wake runs reconciliation now, if this instance holds its lease.
func (r *Reconciler) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Stop stops reconciliation and waits for it, or ctx.
func (r *Reconciler) Stop(ctx context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping wics reconciliation: %w", ctx.Err())
	}
}

var (
	_ provider.Puller      = (*Connector)(nil)
	_ provider.PollService = (*Reconciler)(nil)
)

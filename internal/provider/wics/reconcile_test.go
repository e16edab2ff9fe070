package wics

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// fakeWICS is the state the reconciliation lists: orders, receipts,
// announcements and stock, with the document's [gte] filter on one date
// field per list and its paging.
type fakeWICS struct {
	mu            sync.Mutex
	orders        map[string]map[string]any // by number
	receipts      map[string]map[string]any
	announcements map[string]map[string]any
	stock         map[string]map[string]any
	// shipments is the answer of GET /api/order/{reference}/shipment, by
	// reference; an order without one has none. shipmentFails fails that
	// many of those requests first, with a 500.
	shipments     map[string][]byte
	shipmentFails int
	// shipmentFailStatus is the failures' status; 0 means 500.
	shipmentFailStatus int
	queries            map[string][]string // path -> raw queries
}

func newFakeWICS() *fakeWICS {
	return &fakeWICS{orders: map[string]map[string]any{}, receipts: map[string]map[string]any{},
		announcements: map[string]map[string]any{}, stock: map[string]map[string]any{}, shipments: map[string][]byte{}, queries: map[string][]string{}}
}

func (f *fakeWICS) order(number, reference, deliveryDate, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[number] = map[string]any{"number": number, "reference": reference, "deliveryDate": deliveryDate, "statusCode": status, "webshopId": 1}
}

// list serves one collection, filtered on dateField[gte] and paged.
func (f *fakeWICS) list(t testing.TB, coll func() map[string]map[string]any, dateField string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.queries[r.URL.Path] = append(f.queries[r.URL.Path], r.URL.RawQuery)
		q := r.URL.Query()
		since := q.Get(dateField + "[gte]")
		var keys []string
		for k, v := range coll() {
			if since == "" || v[dateField].(string) >= since {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pageSize"))
		data := []map[string]any{}
		for i := (page - 1) * size; i >= 0 && i < len(keys) && i < page*size; i++ {
			data = append(data, coll()[keys[i]])
		}
		f.mu.Unlock()
		answer(http.StatusOK, envelopeOf(t, fmt.Sprintf("List of %d", len(data)), data))(w, r)
	}
}

func (f *fakeWICS) serve(t testing.TB) *docServer {
	return newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/order":        f.list(t, func() map[string]map[string]any { return f.orders }, "deliveryDate"),
		"GET /api/receipt":      f.list(t, func() map[string]map[string]any { return f.receipts }, "receiptDate"),
		"GET /api/announcement": f.list(t, func() map[string]map[string]any { return f.announcements }, "plannedDate"),
		"GET /api/stock":        f.list(t, func() map[string]map[string]any { return f.stock }, ""),
		"GET *": func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if ref, ok := strings.CutPrefix(r.URL.Path, "/api/order/"); ok {
				if ref, ok := strings.CutSuffix(ref, "/shipment"); ok {
					f.queries[r.URL.Path] = append(f.queries[r.URL.Path], r.URL.RawQuery)
					if f.shipmentFails > 0 {
						f.shipmentFails--
						status := cmp.Or(f.shipmentFailStatus, http.StatusInternalServerError)
						answer(status, fmt.Appendf(nil, `{"code":%d,"message":"Failed","success":false}`, status))(w, r)
						return
					}
					body, ok := f.shipments[ref]
					if !ok {
						body = envelopeOf(t, "List of 0 shipments", []any{})
					}
					answer(http.StatusOK, body)(w, r)
					return
				}
			}
			var number string
			if _, err := fmt.Sscanf(r.URL.Path, "/api/receipt/%s", &number); err == nil {
				if rc, ok := f.receipts[number]; ok {
					detail := map[string]any{"lines": []map[string]any{{"lineNumber": 1, "itemCode": "WTI-030", "quantityExpected": 10, "quantityReceived": 10}}}
					for k, v := range rc {
						detail[k] = v
					}
					answer(http.StatusOK, envelopeOf(t, "Receipt "+number, detail))(w, r)
					return
				}
			}
			answer(http.StatusNotFound, []byte(`{"code":404,"message":"Not found","success":false}`))(w, r)
		},
	})
}

type reconcileRig struct {
	st    *sqlite.Store
	fake  *fakeWICS
	srv   *docServer
	rec   *Reconciler
	now   time.Time
	woken int
}

func newReconcileRig(t *testing.T, mutate ...func(*Settings)) *reconcileRig {
	rig := &reconcileRig{st: sqlite.OpenTest(t), fake: newFakeWICS(), now: time.Date(2022, 8, 15, 10, 0, 0, 0, time.UTC)}
	rig.srv = rig.fake.serve(t)
	c := newConnector(t, append([]func(*Settings){func(s *Settings) { s.BaseURL = rig.srv.URL }}, mutate...)...)
	rec, err := c.NewReconciler(provider.PollEnv{Workspace: "acme", Connection: "wics", Store: rig.st, Holder: "h",
		Now: func() time.Time { return rig.now }, Committed: func() { rig.woken++ }})
	require.NoError(t, err)
	rec.HTTP = rig.srv.Client()
	rig.rec = rec
	return rig
}

// inbox lists the connection's messages of a topic, oldest first.
func (rig *reconcileRig) inbox(t *testing.T, topic string) []*model.InboxMessage {
	t.Helper()
	var out []*model.InboxMessage
	for id := int64(1); ; id++ {
		m, err := rig.st.GetInbox(context.Background(), id)
		if errors.Is(err, store.ErrNotFound) {
			return out
		}
		require.NoError(t, err)
		if m.Topic == topic {
			out = append(out, m)
		}
	}
}

func (rig *reconcileRig) cursor(t *testing.T, name string) string {
	t.Helper()
	c, err := rig.st.GetCursor(context.Background(), "acme", "wics", name)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	require.NoError(t, err)
	return c.Value
}

func TestReconciliationFindsAnOrderStatusNoWebhookBrought(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	rig.fake.order("13291", "000123666", "2022-08-10", "Bevestigd") // open, before the first window
	rig.fake.order("13292", "000123667", "2022-08-14", "30")
	rig.fake.order("13293", "000123668", "2022-08-16", "70")
	ctx := context.Background()

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Committed["order"], "the first run starts a day back: 2022-08-14")
	require.Equal(t, []string{"deliveryDate%5Bgte%5D=2022-08-14&page=1&pageSize=100"}, rig.fake.queries["/api/order"])
	msgs := rig.inbox(t, TopicReconcileOrder)
	require.Len(t, msgs, 2)
	m := msgs[0]
	require.Equal(t, map[string]string{provider.MetaSource: provider.SourceReconcile, provider.MetaReconcileKind: "order"}, m.Meta)
	require.Equal(t, model.SourcePoll, m.Source)
	require.Equal(t, ReconcileDedupKey(TopicReconcileOrder, m.Body), m.DedupKey)
	require.JSONEq(t, `{"since":"2022-08-14"}`, rig.cursor(t, TopicReconcileOrder), "the open order of the 14th holds the watermark")
	require.Positive(t, rig.woken, "the pipeline is woken for what was committed")

	t.Run("TheMissedStatusIsNormalisedLikeItsWebhook", func(t *testing.T) {
		ch, err := rig.rec.conn.Normalize(msgs[0])
		require.NoError(t, err)
		require.Len(t, ch.Orders, 1)
		o := ch.Orders[0]
		require.Equal(t, "000123667", o.Reference)
		require.Equal(t, "13292", o.ProviderRef)
		require.Equal(t, model.OrderAccepted, o.Status)
		require.Equal(t, &model.ProviderStatus{Code: "30"}, o.ProviderStatus)
		require.Equal(t, 31, o.StatusRank)
		require.Equal(t, m.ReceivedAt.UTC(), o.AsOf)
	})
	t.Run("ASecondRunWithNothingNewCommitsDuplicatesOnly", func(t *testing.T) {
		rig.now = rig.now.Add(15 * time.Minute)
		rep, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, rep.Committed["order"])
		require.Equal(t, 2, rep.Duplicates["order"])
		require.Len(t, rig.inbox(t, TopicReconcileOrder), 2)
	})
	t.Run("AChangedStatusIsANewMessage", func(t *testing.T) {
		rig.fake.order("13292", "000123667", "2022-08-14", "70")
		rep, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Committed["order"])
		require.Equal(t, 1, rep.Duplicates["order"])
		require.JSONEq(t, `{"since":"2022-08-14"}`, rig.cursor(t, TopicReconcileOrder), "nothing open: the last run's date less a day")
		got := rig.inbox(t, TopicReconcileOrder)
		ch, err := rig.rec.conn.Normalize(got[len(got)-1])
		require.NoError(t, err)
		require.Equal(t, model.OrderShipped, ch.Orders[0].Status)
	})
	t.Run("TheWatermarkMovesWithTime", func(t *testing.T) {
		rig.now = rig.now.Add(48 * time.Hour)
		_, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.JSONEq(t, `{"since":"2022-08-16"}`, rig.cursor(t, TopicReconcileOrder))
		qs := rig.fake.queries["/api/order"]
		require.Equal(t, "deliveryDate%5Bgte%5D=2022-08-14&page=1&pageSize=100", qs[len(qs)-1], "this run still starts at the stored watermark")
	})
}

// failingInbox is a store whose AppendInbox fails after a number of appends.
type failingInbox struct {
	*sqlite.Store
	mu   sync.Mutex
	left int
}

func (f *failingInbox) AppendInbox(ctx context.Context, m *model.InboxMessage) (int64, bool, error) {
	f.mu.Lock()
	f.left--
	fail := f.left < 0
	f.mu.Unlock()
	if fail {
		return 0, false, errors.New("disk full")
	}
	return f.Store.AppendInbox(ctx, m)
}

func TestTheWatermarkMovesOnlyAfterTheCommit(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	for i := range 5 {
		rig.fake.order(strconv.Itoa(100+i), "ref-"+strconv.Itoa(i), "2022-08-15", "30")
	}
	st := &failingInbox{Store: rig.st, left: 3}
	rec, err := rig.rec.conn.NewReconciler(provider.PollEnv{Workspace: "acme", Connection: "wics", Store: st, Holder: "h",
		Now: func() time.Time { return rig.now }})
	require.NoError(t, err)
	rec.HTTP = rig.srv.Client()

	_, err = rec.RunOnce(context.Background())
	require.ErrorContains(t, err, "disk full")
	require.Empty(t, rig.cursor(t, TopicReconcileOrder), "a listing not wholly committed leaves its watermark")
	require.Len(t, rig.inbox(t, TopicReconcileOrder), 3)

	st.left = 100
	rep, err := rec.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, rep.Committed["order"], "the run is repeated: what was committed is a duplicate")
	require.Equal(t, 3, rep.Duplicates["order"])
	require.NotEmpty(t, rig.cursor(t, TopicReconcileOrder))
}

func TestReconciliationPagesThroughManyOrders(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t, func(s *Settings) { s.WebshopID = 1 })
	for i := range 250 {
		rig.fake.order(fmt.Sprintf("%05d", i), fmt.Sprintf("ref-%05d", i), "2022-08-15", "40")
	}
	rep, err := rig.rec.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 250, rep.Committed["order"])
	qs := rig.fake.queries["/api/order"]
	require.Len(t, qs, 3, "pages of 100, 100 and 50")
	require.Contains(t, qs[2], "page=3")
	require.Contains(t, qs[0], "webshopId=1", "a webshop's connection lists its own orders")
	require.Len(t, rig.inbox(t, TopicReconcileOrder), 250)
}

func TestReconciliationOfReceiptsAnnouncementsAndStock(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	f := rig.fake
	f.receipts["1564"] = map[string]any{"number": "1564", "reference": "PO15001", "receiptDate": "2022-08-15", "statusCode": "60", "statusDescription": "Opgeslagen"}
	f.receipts["1000"] = map[string]any{"number": "1000", "reference": "PO1", "receiptDate": "2022-07-01", "statusCode": "60"}
	f.announcements["2454"] = map[string]any{"number": "2454", "reference": "PO150001", "plannedDate": "2022-08-15", "type": "005", "stockStatus": 31}
	f.stock["PEN001"] = map[string]any{"itemCode": "PEN001", "physical": 25, "nettoSalable": 23, "announced": 3, "customerNumber": 14,
		"warehouses": []map[string]any{{"warehouseCode": "WHS", "physical": 25, "nettoSalable": 23, "announced": 3}}}
	ctx := context.Background()

	rep, err := rig.rec.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"receipt": 1, "announcement": 1, "stock": 1}, rep.Committed)
	require.Equal(t, 5, rep.Requests, "orders, receipts and the one receipt's detail, announcements, stock")

	receipt := rig.inbox(t, TopicReconcileReceipt)
	require.Len(t, receipt, 1)
	ch, err := rig.rec.conn.Normalize(receipt[0])
	require.NoError(t, err)
	require.Len(t, ch.Inbound, 1)
	require.Equal(t, "PO15001", ch.Inbound[0].Reference)
	require.Equal(t, model.InboundStatus("received"), ch.Inbound[0].Status)
	require.Len(t, ch.Inbound[0].Receipts, 1)
	require.Equal(t, []model.ReceiptLine{{SKU: "WTI-030", Quantity: 10}}, ch.Inbound[0].Receipts[0].Lines, "the whole receipt was fetched")

	ann := rig.inbox(t, TopicReconcileAnnouncement)
	require.Len(t, ann, 1)
	ch, err = rig.rec.conn.Normalize(ann[0])
	require.NoError(t, err)
	require.Equal(t, "PO150001", ch.Inbound[0].Reference)
	require.Equal(t, "2454", ch.Inbound[0].ProviderRef)
	require.Equal(t, time.Date(2022, 8, 14, 22, 0, 0, 0, time.UTC), *ch.Inbound[0].ExpectedAt, "midnight in Amsterdam")

	stock := rig.inbox(t, TopicReconcileStock)
	require.Len(t, stock, 1)
	ch, err = rig.rec.conn.Normalize(stock[0])
	require.NoError(t, err)
	require.Len(t, ch.Stock, 1, "the totals, the row the Stock webhook writes")
	require.Empty(t, ch.Stock[0].Warehouse)
	require.InDelta(t, 23, *ch.Stock[0].Available, 0)

	t.Run("AnUnchangedReceiptIsNotFetchedAgainAndStockWaitsItsInterval", func(t *testing.T) {
		rig.now = rig.now.Add(15 * time.Minute)
		rep, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, rep.Committed["receipt"]+rep.Committed["announcement"])
		require.Equal(t, 3, rep.Requests, "one list each of orders, receipts and announcements")
		rig.now = rig.now.Add(time.Hour)
		rep, err = rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Duplicates["stock"], "the hourly stock listing found the same figures")
	})
	t.Run("AChangedReceiptIsFetchedAgain", func(t *testing.T) {
		f.mu.Lock()
		f.receipts["1564"]["statusDescription"] = "Opgeslagen en gecontroleerd"
		f.mu.Unlock()
		rep, err := rig.rec.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Committed["receipt"])
	})
}

// The cost of reconciling 10,000 orders, measured against the fake, and
// the interval the reconciler keeps so as to stay within its share of the
// day's budget (the figures of the package doc and BENCHMARKS.md).
func TestReconcilingTenThousandOrdersCost(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("commits 10,000 messages")
	}
	rig := newReconcileRig(t)
	for i := range 10_000 {
		rig.fake.order(fmt.Sprintf("%06d", i), fmt.Sprintf("ref-%06d", i), "2022-08-15", "40")
	}
	rep, err := rig.rec.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 10_000, rep.Committed["order"])
	require.Len(t, rig.fake.queries["/api/order"], 101, "100 full pages and the empty one that ends the list")
	require.Equal(t, 101+3, rep.Requests, "and one empty list each of receipts, announcements and stock")
	wait := rig.rec.NextWait(rep.Requests)
	require.Equal(t, time.Duration(float64(104)*float64(24*time.Hour)/5000), wait)
	require.Greater(t, wait, 29*time.Minute)
	require.Less(t, wait, 30*time.Minute)
	perDay := int(float64(24*time.Hour) / float64(wait) * float64(rep.Requests))
	require.LessOrEqual(t, perDay, 5000, "at most a quarter of the 20,000 a day")
	t.Logf("10,000 orders: %d requests a run, next run in %s, %d requests a day", rep.Requests, wait.Round(time.Second), perDay)
}

func TestNextWaitKeepsTheIntervalForCheapRuns(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t)
	require.Equal(t, 15*time.Minute, rig.rec.NextWait(4))
	require.Equal(t, 15*time.Minute, rig.rec.NextWait(52), "52 requests every 15 minutes is 4,992 a day")
	require.Greater(t, rig.rec.NextWait(53), 15*time.Minute)
}

// TestNextWaitOfACompressedMinute: against a simulator whose minute is
// compressed (rate_window), the day the budget is shared over is 1,440 such
// minutes, so a short reconcile_interval is kept as it is for cheap runs.
func TestNextWaitOfACompressedMinute(t *testing.T) {
	t.Parallel()
	rig := newReconcileRig(t, func(s *Settings) { s.RateWindow, s.ReconcileInterval = 100*time.Millisecond, time.Second })
	require.Equal(t, time.Second, rig.rec.NextWait(4))
	// 1,440 windows of 100ms are 144s; a quarter of 20,000 is 5,000.
	require.Equal(t, time.Duration(float64(104)*float64(144*time.Second)/5000), rig.rec.NextWait(104))
}

func TestReconcileNormalizeRefusesBadBodies(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for _, topic := range []string{TopicReconcileOrder, TopicReconcileReceipt, TopicReconcileAnnouncement, TopicReconcileStock, TopicReconcileShipment} {
		_, err := c.Normalize(&model.InboxMessage{ID: 7, Topic: topic, Body: []byte(`{"number": "1", "number": "2"}`)})
		require.ErrorIs(t, err, provider.ErrBadInput, topic)
		require.ErrorContains(t, err, topic)
	}
	var raw json.RawMessage = []byte(`{"number":"1","reference":"r","statusCode":"99"}`)
	ch, err := c.Normalize(&model.InboxMessage{Topic: TopicReconcileOrder, Body: raw})
	require.NoError(t, err)
	require.Equal(t, model.OrderStatus("unknown"), ch.Orders[0].Status, "an unknown code is unknown, raw code kept")
	require.Equal(t, "99", ch.Orders[0].ProviderStatus.Code)
}

func TestReconcileAndSubscriptionsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	off := false
	c := newConnector(t, func(s *Settings) { s.Reconcile = &off; s.ManageSubscriptions = &off })
	svc, err := c.NewService(provider.PollEnv{Workspace: "acme", Connection: "wics"})
	require.NoError(t, err)
	require.Equal(t, idleService{}, svc, "no store needed: it never runs")
	require.False(t, c.KeepsSubscriptions())
	on := newConnector(t)
	require.True(t, on.KeepsSubscriptions())
	_, err = on.NewService(provider.PollEnv{Workspace: "acme", Connection: "wics"})
	require.ErrorContains(t, err, "Store", "on by default")
}

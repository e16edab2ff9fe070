package activeants_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// watchStore is the store as the service sees it: a test can make inbox
// commits fail, see each commit, and give orders lines the hub would
// have from POST /orders.
type watchStore struct {
	store.Store
	appendHook atomic.Pointer[func(m *model.InboxMessage) error]

	mu     sync.Mutex
	orders map[string]*model.Order // by reference
	// leases on the test's clock, for the track-trace gate (the store's
	// own leases run on the real clock; the conformance suite tests them).
	clock  *clock
	leases map[string]struct {
		holder  string
		expires time.Time
	}
}

func (w *watchStore) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if !strings.HasPrefix(name, "activeants-tracktrace/") {
		return w.Store.AcquireLease(ctx, name, holder, ttl)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	if l, ok := w.leases[name]; ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	w.leases[name] = struct {
		holder  string
		expires time.Time
	}{holder, now.Add(ttl)}
	return true, nil
}

func (w *watchStore) AppendInbox(ctx context.Context, m *model.InboxMessage) (int64, bool, error) {
	if h := w.appendHook.Load(); h != nil {
		if err := (*h)(m); err != nil {
			return 0, false, err
		}
	}
	return w.Store.AppendInbox(ctx, m)
}

func (w *watchStore) setAppendHook(h func(m *model.InboxMessage) error) {
	if h == nil {
		w.appendHook.Store(nil)
		return
	}
	w.appendHook.Store(&h)
}

func (w *watchStore) ListOrders(ctx context.Context, f store.OrderFilter) ([]*model.Order, error) {
	w.mu.Lock()
	o := w.orders[f.Reference]
	w.mu.Unlock()
	if o == nil {
		return w.Store.ListOrders(ctx, f)
	}
	return []*model.Order{o}, nil
}

// GetOrder returns a prepared order with the shipments of its reference.
func (w *watchStore) GetOrder(ctx context.Context, workspace string, id int64) (*model.Order, error) {
	w.mu.Lock()
	var o *model.Order
	for _, cand := range w.orders {
		if cand.ID == id {
			c := *cand
			o = &c
		}
	}
	w.mu.Unlock()
	if o == nil {
		return w.Store.GetOrder(ctx, workspace, id)
	}
	list, err := w.Store.ListShipments(ctx, store.ShipmentFilter{Workspace: workspace, Reference: o.Reference, Connection: o.Connection, Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		o.ShipmentIDs = append(o.ShipmentIDs, s.ID)
	}
	return o, nil
}

type hub struct {
	api   *shopAPI
	clock *clock
	store store.Store
	watch *watchStore
	pipe  *pipeline.Pipeline
	conn  *activeants.Connector
	env   provider.PollEnv
	svc   *activeants.Service
}

func newHub(t testing.TB) *hub {
	t.Helper()
	registry.RegisterAll()
	clk := newClock()
	api := newShopAPI(t, clk)
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "aa", Provider: "activeants", Settings: map[string]any{"base_url": api.URL(), "username": testUser, "password": testPassword}},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	st := sqlite.OpenTest(t)
	pipe, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	c, _ := conns.Lookup("acme", "aa")
	w := &watchStore{Store: st, orders: map[string]*model.Order{}, clock: clk}
	w.leases = map[string]struct {
		holder  string
		expires time.Time
	}{}
	h := &hub{api: api, clock: clk, store: st, watch: w, pipe: pipe,
		conn: c.Connector.(*activeants.Connector)}
	h.env = provider.PollEnv{Workspace: "acme", Connection: "aa", Store: h.watch, Holder: "test", Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	h.svc = h.newService(t)
	return h
}

// newService builds another service on the hub's store and state, as a
// restarted hub would.
func (h *hub) newService(t testing.TB) *activeants.Service {
	t.Helper()
	svc, err := h.conn.Service(h.env)
	require.NoError(t, err)
	return svc
}

func (h *hub) drain(t *testing.T) {
	t.Helper()
	_, err := h.pipe.Drain(ctxT(t))
	require.NoError(t, err)
}

func (h *hub) inbox(t *testing.T, topic string) []*model.InboxMessage {
	t.Helper()
	var out []*model.InboxMessage
	for id := int64(1); ; id++ {
		m, err := h.store.GetInbox(ctxT(t), id)
		if errors.Is(err, store.ErrNotFound) {
			return out
		}
		require.NoError(t, err)
		if m.Topic == topic {
			out = append(out, m)
		}
	}
}

func (h *hub) shipment(t *testing.T, ref string) *model.Shipment {
	t.Helper()
	list, err := h.store.ListShipments(ctxT(t), store.ShipmentFilter{Workspace: "acme", Reference: ref, Limit: 10})
	require.NoError(t, err)
	for _, s := range list {
		if s.ProviderRef == ref {
			full, err := h.store.GetShipment(ctxT(t), "acme", s.ID)
			require.NoError(t, err)
			return full
		}
	}
	t.Fatalf("no shipment %s", ref)
	return nil
}

func (h *hub) order(t *testing.T, ref string) *model.Order {
	t.Helper()
	list, err := h.store.ListOrders(ctxT(t), store.OrderFilter{Workspace: "acme", Reference: ref, Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1, "order %s", ref)
	o, err := h.store.GetOrder(ctxT(t), "acme", list[0].ID)
	require.NoError(t, err)
	return o
}

func (h *hub) intakeErrors(t *testing.T) []*model.IntakeError {
	t.Helper()
	list, err := h.store.ListIntakeErrors(ctxT(t), store.IntakeErrorFilter{Workspace: "acme", Connection: "aa", Limit: 100})
	require.NoError(t, err)
	return list
}

func shipmentJSON(id int64, order string, products ...string) json.RawMessage {
	var ps []string
	for _, p := range products {
		sku, qty, _ := strings.Cut(p, "x")
		ps = append(ps, fmt.Sprintf(`{"sku": %q, "quantity": %s, "serialNrs": [], "tht": null, "lotNumber": null}`, sku, qty))
	}
	return json.RawMessage(fmt.Sprintf(`{"id": %d, "orderNumber": %d, "externalOrderNumber": %q, "shippingDate": "2025-07-14T14:47:14.163",
		"shippedColli": [{"colloNr": "1", "packageNumber": "3S%d", "trackTraceUrl": "https://jouw.postnl.nl/track-and-trace/3S%d-NL-2612AB"}],
		"shippedProducts": [%s], "currentTrackTraceStatus": "New", "currentTrackTraceExceptionLevel": null, "warehouseAbbrevation": "NR"}`,
		id, id+1000, order, id, id, strings.Join(ps, ",")))
}

func TestShipmentsArePulledCommittedAndOnlyThenMarked(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	items := docItems(t, "shipment_get.txt")
	bad := json.RawMessage(`{"id": 99, "externalOrderNumber": "X", "shippingDate": "next tuesday"}`)
	h.api.set(func(a *shopAPI) { a.shipments = append(append([]json.RawMessage{}, items...), bad) })
	var markedAtCommit []bool
	h.watch.setAppendHook(func(m *model.InboxMessage) error {
		var v struct{ ID int64 }
		_ = json.Unmarshal(m.Body, &v)
		markedAtCommit = append(markedAtCommit, h.api.isSynced("shipment", v.ID))
		return nil
	})

	rep, err := h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Fetched: 6, Committed: 5, Marked: 6, Rejected: 1, Requests: 2}, rep)
	require.Equal(t, []bool{false, false, false, false, false}, markedAtCommit, "never marked before its commit")
	var req struct{ IDs []int64 }
	require.NoError(t, json.Unmarshal([]byte(h.api.requestBodies("POST /v2/shipment/sync")[0]), &req))
	require.Equal(t, []int64{42434542, 42438078, 42477756, 42488956, 42500878, 99}, req.IDs)

	msgs := h.inbox(t, activeants.TopicShipment)
	require.Len(t, msgs, 5)
	require.Equal(t, "shipment:42434542", msgs[0].DedupKey)
	require.JSONEq(t, string(items[0]), string(msgs[0].Body), "the item, verbatim")

	ie := h.intakeErrors(t)
	require.Len(t, ie, 1)
	require.Equal(t, "GET /v2/shipment/get result[5]", ie[0].Name)
	require.Contains(t, ie[0].Reason, `expected a date-time, got "next tuesday"`)
	require.Contains(t, ie[0].Reason, `excerpt: {"id":99`)

	h.drain(t)
	s := h.shipment(t, "42438078")
	require.Equal(t, "3000231358", s.OrderReference)
	require.Equal(t, "packagenumber-12345", s.TrackingNumber)
	require.Equal(t, model.StatusInfoReceived, s.Status, "labelled: the carrier has not scanned it yet")
	o := h.order(t, "3000231358")
	require.Equal(t, model.OrderShipped, o.Status, "an order created outside shiphub is imported and shipped")
	require.Equal(t, []int64{s.ID}, o.ShipmentIDs, "the shipment is linked to its order")
	require.Equal(t, model.StatusDelivered, h.shipment(t, "42434542").Status)

	// Nothing is left to pull.
	rep, err = h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Requests: 1}, rep)
}

func TestAFailingCommitNeverMarks(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) { a.shipments = docItems(t, "shipment_get.txt") })
	n := 0
	h.watch.setAppendHook(func(*model.InboxMessage) error {
		if n++; n >= 3 {
			return errors.New("disk full")
		}
		return nil
	})
	rep, err := h.svc.SyncShipments(ctxT(t))
	require.ErrorContains(t, err, "disk full")
	require.Equal(t, 2, rep.Committed)
	require.Equal(t, 2, rep.Marked, "only the committed ones are marked")
	require.True(t, h.api.isSynced("shipment", 42434542))
	require.False(t, h.api.isSynced("shipment", 42477756), "the one whose commit failed is served again")

	// Every commit fails: nothing is marked at all.
	h.watch.setAppendHook(func(*model.InboxMessage) error { return errors.New("disk full") })
	rep, err = h.svc.SyncShipments(ctxT(t))
	require.Error(t, err)
	require.Zero(t, rep.Marked)
	require.Equal(t, 1, h.api.count("POST /v2/shipment/sync"), "no mark without a commit")

	h.watch.setAppendHook(nil)
	rep, err = h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 3, rep.Committed)
	require.Len(t, h.inbox(t, activeants.TopicShipment), 5)
}

func TestACrashBetweenCommitAndMarkAppliesOnceThenMarks(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) {
		a.shipments = docItems(t, "shipment_get.txt")
		// The hub dies after the commits: the mark never arrives.
		a.override["POST /v2/shipment/sync"] = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 503, []byte("gone")) }
	})
	rep, err := h.svc.SyncShipments(ctxT(t))
	require.Error(t, err)
	require.Equal(t, 5, rep.Committed)
	require.Zero(t, rep.Marked)
	h.drain(t)

	// After the restart the same shipments are served again.
	h.api.set(func(a *shopAPI) { delete(a.override, "POST /v2/shipment/sync") })
	rep, err = h.newService(t).SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Fetched: 5, Duplicates: 5, Marked: 5, Requests: 2}, rep, "duplicates, then marked")
	h.drain(t)
	require.Len(t, h.inbox(t, activeants.TopicShipment), 5)
	s := h.shipment(t, "42434542")
	require.Len(t, s.Events, 2, "applied once: no event twice")
}

func TestTheTokenExpiresInTheMiddleOfAShipmentSync(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	var ids []json.RawMessage
	for i := range 150 {
		ids = append(ids, shipmentJSON(int64(500+i), fmt.Sprintf("R-%d", i), "SKU-1x1"))
	}
	h.api.set(func(a *shopAPI) { a.shipments = ids })
	commits := 0
	h.watch.setAppendHook(func(*model.InboxMessage) error {
		if commits++; commits == 40 {
			h.api.set(func(a *shopAPI) { a.revoke = true }) // the next request meets an expired token
		}
		return nil
	})
	rep, err := h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 150, rep.Committed, "nothing lost")
	require.Equal(t, 150, rep.Marked)
	require.Zero(t, rep.Duplicates, "nothing doubled")
	require.Equal(t, 2, h.api.count("POST /token"))
	require.Equal(t, 3, h.api.count("POST /v2/shipment/sync"), "two pages, the first mark sent twice (401, then with the new token)")
	require.Len(t, h.inbox(t, activeants.TopicShipment), 150)
}

func TestPartialShipmentsOfAnOrderTheHubKnows(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.watch.mu.Lock()
	h.watch.orders["R-1"] = &model.Order{Resource: model.Resource{ID: 9001, Workspace: "acme", Connection: "aa"}, Reference: "R-1",
		Lines: []model.OrderLine{{LineNumber: 1, SKU: "A", Quantity: 2}, {LineNumber: 2, SKU: "B", Quantity: 1}}}
	h.watch.mu.Unlock()

	h.api.set(func(a *shopAPI) { a.shipments = []json.RawMessage{shipmentJSON(1, "R-1", "Ax1")} })
	_, err := h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	h.drain(t)
	require.Equal(t, model.OrderPartiallyShipped, h.order(t, "R-1").Status)

	// Two more in one pull: the first still leaves B, the second ships it.
	h.api.set(func(a *shopAPI) {
		a.shipments = append(a.shipments, shipmentJSON(2, "R-1", "Ax1"), shipmentJSON(3, "R-1", "Bx1"))
	})
	_, err = h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	msgs := h.inbox(t, activeants.TopicShipment)
	require.Len(t, msgs, 3)
	require.Equal(t, []string{"partially_shipped", "partially_shipped", "shipped"},
		[]string{msgs[0].Meta[activeants.MetaOrderStatus], msgs[1].Meta[activeants.MetaOrderStatus], msgs[2].Meta[activeants.MetaOrderStatus]})
	h.drain(t)
	o := h.order(t, "R-1")
	require.Equal(t, model.OrderShipped, o.Status)
	require.Len(t, o.ShipmentIDs, 3)
}

func TestStockMutationsArePulledCommittedMarkedAndLinkedToTheirPurchaseOrder(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	withPO := json.RawMessage(`{"id": 135700001, "sku": "8010", "quantity": 336, "type": 1, "createdAt": "2025-07-29T09:12:00.5",
		"warehouseCode": "NN", "locationType": "INBOUND", "purchaseOrders": [{"quantity": 336, "purchaseOrderReference": "PO-2025-031"}], "lotNumber": "T4221A"}`)
	h.api.set(func(a *shopAPI) { a.mutations = append(docItems(t, "stockmutation_get.txt"), withPO) })
	rep, err := h.svc.SyncStockMutations(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Fetched: 4, Committed: 4, Marked: 4, Requests: 2}, rep)
	require.True(t, h.api.isSynced("stockmutation", 135682566))
	require.Equal(t, "stockmutation:135700001", h.inbox(t, activeants.TopicStockMutation)[3].DedupKey)
	h.drain(t)
	muts, err := h.store.ListStockMutations(ctxT(t), store.StockMutationFilter{Workspace: "acme", Limit: 10})
	require.NoError(t, err)
	require.Len(t, muts, 4)
	in, err := h.store.ListInbound(ctxT(t), store.InboundFilter{Workspace: "acme", Reference: "PO-2025-031", Limit: 1})
	require.NoError(t, err)
	require.Len(t, in, 1)
	full, err := h.store.GetInbound(ctxT(t), "acme", in[0].ID)
	require.NoError(t, err)
	require.Equal(t, model.InboundReceiving, full.Status)
	require.Equal(t, "mutation:135700001", full.Receipts[0].ProviderRef)
}

func TestStockIsPulledInFullOnceThenOnlyChanges(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) {
		a.stockAll = doc(t, "stock_bulk.txt")
		a.stockChanges = []byte(`{"messageCode":"OK","message":"Found 1 products suitable for stock synchronization.","result":[
			{"sku":"AA-RWHM-342","name":"Super Product Store – Hair Lotion (220ml)","stock":2200,"thts":[],"freeStock":2200,"economicStock":2183,
			 "availableStock":2200,"physicalStock":2200,"unavailableStock":0,"expectedStock":0}, {"sku": ""}]}`)
	})
	rep, err := h.svc.SyncStock(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Fetched: 1, Committed: 1, Requests: 1}, rep)
	require.Equal(t, 1, h.api.count("GET /stock/bulk/true"))
	h.drain(t)

	h.clock.Add(time.Hour)
	rep, err = h.newService(t).SyncStock(ctxT(t))
	require.NoError(t, err, "a restarted hub goes on with the changes")
	require.Equal(t, activeants.Report{Fetched: 2, Committed: 1, Rejected: 1, Requests: 1}, rep)
	require.Equal(t, 1, h.api.count("GET /stock/bulk/true"))
	require.Equal(t, 1, h.api.count("GET /stock/bulk/false"))
	require.Len(t, h.intakeErrors(t), 1)
	h.drain(t)
	stock, err := h.store.ListStock(ctxT(t), store.StockFilter{Workspace: "acme", SKU: "AA-RWHM-342", Limit: 5})
	require.NoError(t, err)
	require.Len(t, stock, 1)
	require.Equal(t, 2200.0, stock[0].Available)

	// A hub whose state was lost (kept in memory) sees the stock it holds
	// and goes on with the changes.
	h.conn.UseState(activeants.NewMemState())
	h.clock.Add(time.Hour)
	_, err = h.newService(t).SyncStock(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 1, h.api.count("GET /stock/bulk/true"))
	require.Equal(t, 2, h.api.count("GET /stock/bulk/false"))

	// Active Ants marks what it served: when the commit fails, the next pull is a full one.
	h.watch.setAppendHook(func(*model.InboxMessage) error { return errors.New("disk full") })
	_, err = h.svc.SyncStock(ctxT(t))
	require.Error(t, err)
	h.watch.setAppendHook(nil)
	_, err = h.svc.SyncStock(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 2, h.api.count("GET /stock/bulk/true"))
}

func TestTrackTraceIsReadAtMostOnceAnHour(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) { a.trackTrace = doc(t, "tracktrace.txt") })
	rep, err := h.svc.SyncTrackTrace(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, activeants.Report{Fetched: 20, Committed: 20, Requests: 1}, rep)

	h.clock.Add(59 * time.Minute)
	_, err = h.svc.SyncTrackTrace(ctxT(t))
	require.ErrorIs(t, err, activeants.ErrTooSoon)
	_, err = h.newService(t).SyncTrackTrace(ctxT(t))
	require.ErrorIs(t, err, activeants.ErrTooSoon, "a restart does not read it sooner")
	other := h.env
	other.Holder = "another-instance"
	svc2, err := h.conn.Service(other)
	require.NoError(t, err)
	_, err = svc2.SyncTrackTrace(ctxT(t))
	require.ErrorIs(t, err, activeants.ErrTooSoon, "nor does another instance")
	require.Equal(t, 1, h.api.count("GET /v2/tracktrace/get"))

	// A failed read counts too.
	h.clock.Add(time.Minute)
	h.api.set(func(a *shopAPI) {
		a.override["GET /v2/tracktrace/get"] = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 503, []byte("busy")) }
	})
	_, err = h.svc.SyncTrackTrace(ctxT(t))
	require.Error(t, err)
	_, err = h.svc.SyncTrackTrace(ctxT(t))
	require.ErrorIs(t, err, activeants.ErrTooSoon)
	require.Equal(t, 2, h.api.count("GET /v2/tracktrace/get"))

	h.drain(t)
	s := h.shipment(t, "30337233")
	require.Equal(t, model.StatusOutForDelivery, s.Status)
	require.Equal(t, "323200935959945284587030", s.TrackingNumber)
}

func TestAnAnswerThatDoesNotDecodeIsAnIntakeErrorAndTheRestGoesOn(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) {
		a.override["GET /v2/shipment/get"] = func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, []byte(`<html><body>Maintenance</body></html>`))
		}
		a.mutations = docItems(t, "stockmutation_get.txt")
	})
	_, err := h.svc.SyncShipments(ctxT(t))
	require.ErrorIs(t, err, provider.ErrBadInput)
	ie := h.intakeErrors(t)
	require.Len(t, ie, 1)
	require.Equal(t, "GET /v2/shipment/get", ie[0].Name)
	require.Contains(t, ie[0].Reason, "Maintenance")
	require.Equal(t, `<html><body>Maintenance</body></html>`, string(ie[0].Body))

	rep, err := h.svc.SyncStockMutations(ctxT(t))
	require.NoError(t, err, "the connection goes on with the rest")
	require.Equal(t, 3, rep.Committed)

	// An empty list said with NOK is no error.
	h.api.set(func(a *shopAPI) {
		a.override["GET /v2/shipment/get"] = func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, envelope("NOK", "No shipments found.", nil))
		}
	})
	rep, err = h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Zero(t, rep.Fetched)
}

func TestTheServiceLoopPullsAndWakes(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) {
		a.settingsReply = doc(t, "settings.txt")
		a.shipments = []json.RawMessage{shipmentJSON(1, "R-1", "Ax1")}
		a.stockAll = doc(t, "stock_bulk.txt")
		a.trackTrace = doc(t, "tracktrace.txt")
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.svc.Start(ctx)
	t.Cleanup(func() {
		cancel()
		_ = h.svc.Stop(context.Background())
	})
	require.Eventually(t, func() bool {
		return h.api.isSynced("shipment", 1) && h.api.count("GET /v2/tracktrace/get") == 1 &&
			h.api.count("GET /stock/bulk/true") == 1 && h.api.count("GET /settings/get") == 1
	}, 10*time.Second, 10*time.Millisecond)

	h.api.set(func(a *shopAPI) { a.shipments = append(a.shipments, shipmentJSON(2, "R-2", "Ax1")) })
	h.svc.Wake()
	require.Eventually(t, func() bool { return h.api.isSynced("shipment", 2) }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, h.svc.Stop(context.Background()))
	require.Equal(t, 1, h.api.count("GET /v2/tracktrace/get"), "woken for shipments, not for track-trace")
}

func TestTheTrackTraceGateHoldsInTheSharedDatabase(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	h.api.set(func(a *shopAPI) { a.trackTrace = doc(t, "tracktrace.txt") })
	env := h.env
	env.Store = h.store // the store's own leases, on the real clock
	for i, holder := range []string{"instance-a", "instance-a", "instance-b"} {
		env.Holder = holder
		svc, err := h.conn.Service(env)
		require.NoError(t, err)
		_, err = svc.SyncTrackTrace(ctxT(t))
		if i == 0 {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, activeants.ErrTooSoon, "read %d by %s", i+1, holder)
		}
	}
	require.Equal(t, 1, h.api.count("GET /v2/tracktrace/get"))
}

func TestRequestsAreCountedInTheMetrics(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	m := metrics.New()
	env := h.env
	env.Metrics = m
	conn, err := activeants.NewWithSettings(activeants.Settings{BaseURL: h.api.URL(), Username: testUser, Password: testPassword})
	require.NoError(t, err)
	svc, err := conn.Service(env)
	require.NoError(t, err)
	h.api.set(func(a *shopAPI) {
		a.shipments = []json.RawMessage{shipmentJSON(1, "R-1", "Ax1")}
		a.override["GET /v2/stockmutation/get"] = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 502, []byte("bad gateway")) }
	})
	_, err = svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	_, err = svc.SyncStockMutations(ctxT(t))
	require.Error(t, err)
	require.Equal(t, 3.0, testutil.ToFloat64(m.ProviderRequests.WithLabelValues("activeants", "acme/aa", "ok")), "token, get, sync")
	require.Equal(t, 1.0, testutil.ToFloat64(m.ProviderRequests.WithLabelValues("activeants", "acme/aa", "server_error")))
}

func TestAFullPageThatCannotBeMarkedIsNotPulledAgainAndAgain(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	var junk []json.RawMessage
	for i := range 100 {
		junk = append(junk, json.RawMessage(fmt.Sprintf(`{"shipment": %d}`, i)))
	}
	h.api.set(func(a *shopAPI) { a.shipments = junk })
	rep, err := h.svc.SyncShipments(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 100, rep.Rejected)
	require.Equal(t, 1, h.api.count("GET /v2/shipment/get"))
	require.Len(t, h.intakeErrors(t), 100)
}

package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// storeQueue submits to a real store, queueing no job (the worker is not
// under test here); it counts the submissions.
type storeQueue struct {
	st      store.Commands
	submits int
}

func (q *storeQueue) Submit(ctx context.Context, s *store.Submission) (*store.SubmitResult, error) {
	q.submits++
	return q.st.SubmitCommand(ctx, s, nil)
}

func (q *storeQueue) Retry(ctx context.Context, ws string, id int64) (*model.Command, error) {
	return q.st.RetryCommand(ctx, ws, id, nil)
}

// aaEnv is the API over SQLite with one Active Ants connection ("ants")
// whose settings are the document's, cached as the poll service caches
// them.
type aaEnv struct {
	st    *sqlite.Store
	queue *storeQueue
	h     http.Handler
}

// docSettings is the document's settings answer (testdata of the
// connector), unrendered.
func docSettings(t *testing.T) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "provider", "activeants", "testdata", "doc", "settings.txt"))
	require.NoError(t, err)
	s := regexp.MustCompile(`(?m)^- `).ReplaceAllString(string(raw), "")
	s = strings.ReplaceAll(s, "{- ", "{")
	s = strings.ReplaceAll(s, "}, - {", "}, {")
	s = strings.ReplaceAll(s, "], - ", "], ")
	return []byte(s)
}

func newAAEnv(t *testing.T, seed func(ctx context.Context, tx store.Tx) error) *aaEnv {
	t.Helper()
	settings := docSettings(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/token":
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"bearer","expires_in":56499}`))
		case "/settings/get":
			_, _ = w.Write(settings)
		default:
			t.Errorf("the API asked Active Ants %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	conn, err := activeants.NewWithSettings(activeants.Settings{BaseURL: srv.URL, Username: "shopapi-user", Password: "secret"})
	require.NoError(t, err)
	s, err := conn.AccountSettings(context.Background())
	require.NoError(t, err)
	require.Len(t, s.OrderTypes, 4, "the document's settings decode")

	st := sqlite.OpenTest(t)
	if seed != nil {
		ctx := context.Background()
		_, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "ants", Provider: "activeants", Source: model.SourcePoll,
			DedupKey: "seed", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: time.Now()})
		require.NoError(t, err)
		n, err := st.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error { return seed(ctx, tx) })
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	conns := fakeConns{{"acme", "ants"}: &connections.Conn{Workspace: "acme", ID: "ants", Provider: "activeants", Connector: conn}}
	e := &aaEnv{st: st, queue: &storeQueue{st: st}}
	a, err := api.New(api.Config{Store: st, Keys: []api.Key{{Workspace: "acme", Secret: acmeKey}}, Commands: e.queue, Connections: conns,
		Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	e.h = mux
	return e
}

func (e *aaEnv) send(t *testing.T, method, path, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+acmeKey)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func aaResource(ref string) model.Resource {
	return model.Resource{Workspace: "acme", Connection: "ants", Provider: "activeants", ProviderRef: ref, CreatedAt: t0, UpdatedAt: t0}
}

const aaOrder = `{"connection":"ants","reference":"3000231343","order_type":"myshop_nl_orders","shipping_method":"BELBE_BP",
	"on_hold":true,"lines":[{"sku":"51002325","quantity":1}],
	"delivery_address":{"last_name":"de Vries","street":"Dorpsstraat","house_number":"12","postcode":"3511 AB","city":"Utrecht","country":"NL"}}`

func TestActiveAntsOrders(t *testing.T) {
	t.Parallel()
	e := newAAEnv(t, func(ctx context.Context, tx store.Tx) error {
		for _, o := range []*model.Order{
			{Resource: aaResource("470345326"), Reference: "HELD-1", Status: model.OrderOnHold},
			{Resource: aaResource("470345327"), Reference: "OPEN-1", Status: model.OrderAccepted},
		} {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("AnUnknownCodeIs422ListingTheKnownCodesAndQueuesNothing", func(t *testing.T) {
		body := strings.Replace(aaOrder, `"BELBE_BP"`, `"UPS_EXPRESS"`, 1)
		body = strings.Replace(body, `"myshop_nl_orders"`, `"webshop"`, 1)
		p := requireProblem(t, e.send(t, http.MethodPost, "/api/v1/orders", body), http.StatusUnprocessableEntity)
		require.Equal(t, []string{"body.shipping_method", "body.order_type"}, locations(p))
		require.Contains(t, p.Errors[0].Message, "known codes: AA_CS, BELBE_BP, BUSEU1, MAXAT_BPSC")
		require.Contains(t, p.Errors[1].Message, "known codes: B2B_orders, adhox, myshop_be_orders, myshop_nl_orders")
		require.Zero(t, e.queue.submits, "nothing is queued")
	})

	t.Run("APostRoutesToTheConnectionItNames", func(t *testing.T) {
		r := e.send(t, http.MethodPost, "/api/v1/orders", aaOrder)
		require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
		oc := decode[api.OrderCommand](t, r)
		require.Equal(t, "ants", oc.Order.Connection)
		require.Equal(t, "activeants", oc.Command.Provider)
		require.Equal(t, model.CommandOrderCreate, oc.Command.Kind)
		var req model.OrderRequest
		require.NoError(t, json.Unmarshal(oc.Command.Payload, &req))
		require.True(t, req.OnHold)
	})

	list, err := e.st.ListOrders(context.Background(), store.OrderFilter{Workspace: "acme", Reference: "HELD-1", Limit: 1})
	require.NoError(t, err)
	held := list[0]
	t.Run("ReleaseOfAnOrderOnHold", func(t *testing.T) {
		r := e.send(t, http.MethodPost, "/api/v1/orders/"+itoa(held.ID)+"/release", "")
		require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
		oc := decode[api.OrderCommand](t, r)
		require.Equal(t, model.CommandOrderRelease, oc.Command.Kind)
		require.Equal(t, held.ID, oc.Command.SubjectID)
		require.Equal(t, oc.Command.ID, oc.Order.LastCommand.ID)
	})
	t.Run("ReleaseOfAnOrderNotOnHoldIs409", func(t *testing.T) {
		open, err := e.st.ListOrders(context.Background(), store.OrderFilter{Workspace: "acme", Reference: "OPEN-1", Limit: 1})
		require.NoError(t, err)
		before := e.queue.submits
		requireProblem(t, e.send(t, http.MethodPost, "/api/v1/orders/"+itoa(open[0].ID)+"/release", ""), http.StatusConflict)
		require.Equal(t, before, e.queue.submits)
	})
}

func TestActiveAntsProductBarcodeOnlyWhileOutOfStock(t *testing.T) {
	t.Parallel()
	e := newAAEnv(t, func(ctx context.Context, tx store.Tx) error {
		for _, p := range []*model.Product{
			{Resource: aaResource("1"), SKU: "IN-STOCK", Name: "Lotion", Barcodes: []string{"8700000000001"}},
			{Resource: aaResource("2"), SKU: "SOLD-OUT", Name: "Booster", Barcodes: []string{"8700000000002"}},
		} {
			if err := tx.InsertProduct(ctx, p); err != nil {
				return err
			}
		}
		for _, s := range []*model.Stock{
			{Resource: aaResource(""), SKU: "IN-STOCK", Physical: 2272, Available: 2255, AsOf: t0},
			{Resource: aaResource(""), SKU: "SOLD-OUT", AsOf: t0},
		} {
			if err := tx.InsertStock(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	p := requireProblem(t, e.send(t, http.MethodPost, "/api/v1/products",
		`{"connection":"ants","sku":"IN-STOCK","name":"Lotion","barcodes":["8712345678906"]}`), http.StatusConflict)
	require.Contains(t, p.Detail, "out of stock")
	require.Zero(t, e.queue.submits, "nothing is queued")

	for _, body := range []string{
		`{"connection":"ants","sku":"IN-STOCK","name":"Lotion 220ml","barcodes":["8700000000001"]}`, // same barcode
		`{"connection":"ants","sku":"SOLD-OUT","name":"Booster","barcodes":["8712345678913"]}`,      // out of stock
	} {
		r := e.send(t, http.MethodPost, "/api/v1/products", body)
		require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	}
	require.Equal(t, 2, e.queue.submits)
}

func TestActiveAntsPurchaseOrderColours(t *testing.T) {
	t.Parallel()
	po := func(ref string, received float64) *model.Inbound {
		return &model.Inbound{Resource: aaResource("P" + ref), Reference: ref, Status: model.InboundAnnounced,
			Lines:    []model.InboundLine{{LineNumber: 1, SKU: "A", Expected: 10, Received: received}, {LineNumber: 2, SKU: "B", Expected: 5}},
			Receipts: []model.Receipt{}}
	}
	red, yellow := po("RED-1", 0), po("YELLOW-1", 4)
	e := newAAEnv(t, func(ctx context.Context, tx store.Tx) error {
		for _, in := range []*model.Inbound{red, yellow} {
			if err := tx.InsertInbound(ctx, store.InboundKey(in.Reference, ""), in); err != nil {
				return err
			}
		}
		return nil
	})
	got := decode[model.Inbound](t, get(t, e.h, "/api/v1/inbound/"+itoa(yellow.ID), acmeKey))
	require.Equal(t, "yellow", got.Colour, "the colour is shown")
	require.Equal(t, "red", decode[model.Inbound](t, get(t, e.h, "/api/v1/inbound/"+itoa(red.ID), acmeKey)).Colour)

	p := requireProblem(t, e.send(t, http.MethodPut, "/api/v1/inbound/"+itoa(yellow.ID),
		`{"expected_at":"2025-07-21","lines":[{"sku":"A","quantity":3},{"sku":"B","quantity":5}]}`), http.StatusConflict)
	require.Contains(t, p.Detail, "yellow")
	require.Zero(t, e.queue.submits, "nothing is queued")

	r := e.send(t, http.MethodPut, "/api/v1/inbound/"+itoa(red.ID), `{"lines":[{"sku":"A","quantity":3}]}`)
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	ic := decode[api.InboundCommand](t, r)
	require.Equal(t, model.CommandInboundUpdate, ic.Command.Kind)
	require.Equal(t, "red", ic.Inbound.Colour)

	requireProblem(t, e.send(t, http.MethodPut, "/api/v1/inbound/"+itoa(red.ID), `{"reference":"OTHER","lines":[{"sku":"A","quantity":3}]}`),
		http.StatusUnprocessableEntity)
}

func TestActiveAntsReturns(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	var kept *model.Return
	e := newAAEnv(t, func(ctx context.Context, tx store.Tx) error {
		kept = &model.Return{Resource: aaResource("133"), Reference: "#1020-TST-001", Status: model.ReturnAnnounced,
			Lines: []model.ReturnLine{}, Label: activeants.LabelDataURL("application/pdf", pdf)}
		return tx.InsertReturn(ctx, store.ReturnKey("133", kept.Reference), kept)
	})

	t.Run("TheLabelIsServedAsAPDF", func(t *testing.T) {
		r := get(t, e.h, "/api/v1/returns/"+itoa(kept.ID)+"/label", acmeKey)
		require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
		require.Equal(t, "application/pdf", r.header.Get("Content-Type"))
		require.Equal(t, pdf, r.body)
		ret := decode[model.Return](t, get(t, e.h, "/api/v1/returns/"+itoa(kept.ID), acmeKey))
		require.Equal(t, "/api/v1/returns/"+itoa(kept.ID)+"/label", ret.Label, "the resource shows where, not the bytes")
		require.NotContains(t, string(get(t, e.h, "/api/v1/returns", acmeKey).body), base64.StdEncoding.EncodeToString(pdf))
	})

	t.Run("APostAnnouncesTheReturn", func(t *testing.T) {
		body := `{"connection":"ants","reference":"#1021-TST-001","lines":[{"sku":"T-001","quantity":1,"reason":"ADRES_OBOA"}]}`
		r := e.send(t, http.MethodPost, "/api/v1/returns", body)
		require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
		rc := decode[api.ReturnCommand](t, r)
		require.Equal(t, model.CommandReturnCreate, rc.Command.Kind)
		require.Equal(t, rc.Return.ID, rc.Command.SubjectID)
		require.Equal(t, model.ReturnAnnounced, rc.Return.Status)
		require.Equal(t, "ants", rc.Return.Connection)
		requireProblem(t, e.send(t, http.MethodPost, "/api/v1/returns", body), http.StatusConflict)
	})

	t.Run("AnUnknownReasonIs422", func(t *testing.T) {
		before := e.queue.submits
		p := requireProblem(t, e.send(t, http.MethodPost, "/api/v1/returns",
			`{"connection":"ants","reference":"#1022-TST-001","lines":[{"sku":"T-001","quantity":1,"reason":"BROKEN"}]}`), http.StatusUnprocessableEntity)
		require.Equal(t, []string{"body.lines[0].reason"}, locations(p))
		require.Contains(t, p.Errors[0].Message, "known codes: ADRES_OBOA, PRODT_BIONT")
		require.Equal(t, before, e.queue.submits)
	})
}

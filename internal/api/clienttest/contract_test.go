package clienttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api/clienttest"
	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/store"
)

const (
	merchantKey = "acme_contract_key_0123456789"
	courierKey  = "courier_contract_key_0123456789"
	wsKey       = "winkelstraat_contract_key_0123"
	// The providers' documents' own examples.
	courierPOSTExample  = `{"order":"ASK132456798", "barcode":"", "container":"", "status":"PROCESSING", "statustime":"20230719110649", "statuscode":"take", "statusNL":"Mee met koerier", "statusEN":"Taken by courier", "statusFR":"En route avec courier", "referentie":"anc/20221588", "comment":"TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024", "oldlead":"", "newlead":"", "verifier":"", "signatures":[], "pictures":[]}`
	winkelstraatExample = `{"items":[{"mpn":"3G1MXE1MXVZF982","qty":2,"sku":"wsnl199-5c9de5ad4681ed3eb551e7ee","size":"L","parent_sku":"381189","manufacturer":"Emporio Armani","row_total_inc_tax":540,"item_price_inc_tax":270}],"track":{"method":null,"carrier":"ups","tracking_url":"https://wwwapps.ups.com/WebTracking/processInputRequest?loc=nl_NL&tracknum=1Z7E3V556825150AAP","tracking_number":"1Z7E3V556825150AAP"},"status":"IN_TRANSIT","currency":"EUR","po_number":"YOUR_ORDER_REFERENCE","created_at":"2024-02-20 15:28:51","updated_at":"2024-02-20 15:31:54","collected_at":"2024-02-23 21:20:39","delivered_at":null,"increment_id":"000000288","origin_address":{"city":"Vianen","email":"info@winkelstraat.nl","street":"De Limiet","postcode":"4131NR","telephone":"+55512345679","country_id":"NL","region_code":null,"company_name":"Winkelstraat.nl","house_number":"19"},"shipping_address":{"city":"Zonnewijk","email":"jan.jansen@gwinkelstraat.nl","street":"Edsger Dijkstraat","postcode":"9012DE","last_name":"Jansen","telephone":"+31621510775","country_id":"NL","first_name":"Jan","region_code":null,"company_name":null,"house_number":"12"},"order_increment_id":"000000549"}`
	// gclNumber is the GCL document example's tracking number.
	gclNumber = "EXMPL0001234TRCKNUM"
	// The WICS connection's login; its webhooks carry it as the document
	// shows, literally: "Authorization: Basic {apikey}:{apisecret}".
	wicsAPIKey    = "wics_contract_key"
	wicsAPISecret = "wics_contract_secret"
)

// wicsExamples are the WICS Service Layer document's examples, verbatim
// (the connector's fixtures), by topic, in the order they are sent.
var wicsExamples = []string{
	"orderstatus", "orderlinestatus", "picksliplinestatus", "shipment", "stock", "stockmutation",
	"announcementstatus", "receipt", "rma",
}

// returnsTestProvider is a connector whose messages are return updates in
// their JSON form. No WICS topic moves a return's status (an RMA is
// received when WICS reports it), so the contract gets its
// return.status_changed from it, through the real pipeline.
const returnsTestProvider = "contract-returns"

type returnsConnector struct{}

func (returnsConnector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	var u model.ReturnUpdate
	if err := json.Unmarshal(m.Body, &u); err != nil {
		return model.Changes{}, fmt.Errorf("decoding a return update: %w", err)
	}
	return model.Changes{Returns: []model.ReturnUpdate{u}}, nil
}

func init() {
	provider.Register(provider.Info{Name: returnsTestProvider, New: func(c provider.Connection) (provider.Connector, error) {
		if err := c.Decode(&struct{}{}); err != nil {
			return nil, err
		}
		return returnsConnector{}, nil
	}})
}

// delivery is one webhook request as the merchant's receiver got it.
type delivery struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// receiver is a merchant's webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		d := delivery{Headers: map[string]string{}, Body: string(body)}
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"} {
			d.Headers[h] = r.Header.Get(h)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// types is the set of event types received so far.
func (rc *receiver) types(t *testing.T) map[string]bool {
	out := map[string]bool{}
	for _, d := range rc.deliveries() {
		var e struct{ Type string }
		require.NoError(t, json.Unmarshal([]byte(d.Body), &e))
		out[e.Type] = true
	}
	return out
}

// startHub runs a real hub in-process: SQLite, the intake, the pipeline,
// the delivery worker and the merchant API, on a free loopback port.
func startHub(t *testing.T) *server.Server {
	t.Helper()
	cfg := &config.Config{
		HTTP:       config.HTTP{Listen: "127.0.0.1:0"},
		Database:   "sqlite:" + filepath.Join(t.TempDir(), "hub.db"),
		SecretsKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		Log:        config.Log{Level: "error"},
		Outbound:   config.Outbound{AllowPrivateNetworks: true}, // the receiver is on loopback
		Workspaces: []config.Workspace{{
			ID:      "acme",
			APIKeys: []string{merchantKey},
			Connections: []config.Connection{
				{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": courierKey}},
				{ID: "winkelstraat", Provider: "winkelstraat", Settings: map[string]any{"inbound_api_key": wsKey}},
				// Nothing polls it: the test commits its answers to the inbox
				// as the poller would.
				{ID: "gcl", Provider: "gcl", Settings: map[string]any{"base_url": "http://127.0.0.1:9", "api_key": "k"}},
				// Its reconciling poll finds nothing at this address; the
				// test sends the document's webhooks.
				{ID: "wics", Provider: "wics", Settings: map[string]any{"base_url": "http://127.0.0.1:9", "api_key": wicsAPIKey, "api_secret": wicsAPISecret}},
				{ID: "returns", Provider: returnsTestProvider},
			},
		}},
	}
	cfg.SetDefaults()
	require.NoError(t, cfg.Validate())
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	return srv
}

func post(t *testing.T, url string, header map[string]string, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "%s: %s", url, b)
}

// commitGCLAnswer puts a GCL answer in the inbox as the poller does.
func commitGCLAnswer(t *testing.T, srv *server.Server, fixture string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	require.NoError(t, err)
	_, _, err = srv.Store.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: "acme", Connection: "gcl", Provider: "gcl", Source: model.SourcePoll, DedupKey: fixture,
		ContentType: "application/json", Meta: map[string]string{"tracking_number": gclNumber}, Body: body, ReceivedAt: time.Now(),
	})
	require.NoError(t, err)
	srv.Pipeline.Notify()
}

// postWICSExamples sends the WICS document's example of every topic, as
// WICS does, and then an order status that moves the example's order on.
func postWICSExamples(t *testing.T, srv *server.Server) {
	t.Helper()
	header := map[string]string{"Authorization": "Basic " + wicsAPIKey + ":" + wicsAPISecret, "Content-Type": "application/json"}
	for _, topic := range wicsExamples {
		body, err := os.ReadFile(filepath.Join("..", "..", "provider", "wics", "testdata", "examples", topic+".json"))
		require.NoError(t, err)
		post(t, srv.URL()+"/hooks/acme/wics/"+topic, header, string(body))
	}
	post(t, srv.URL()+"/hooks/acme/wics/orderstatus", header,
		`{"orderNr": 10344, "orderReference": "WT-2508-4", "statusCode": "40", "statusDescription": "In uitvoering", "oldStatusCode": "00", "oldStatusDescription": "Aangemaakt"}`)
}

// commitReturnUpdates puts return updates in the inbox of the test
// connector's connection: a return, then a newer statement of its status.
func commitReturnUpdates(t *testing.T, srv *server.Server) {
	t.Helper()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, u := range []model.ReturnUpdate{
		{AsOf: at, Reference: "WT-2508-4", ProviderRef: "RMA-7", Status: model.ReturnAnnounced,
			Lines: []model.ReturnLine{{LineNumber: 1, SKU: "WTI-027", Quantity: 1, Reason: "too small"}}},
		{AsOf: at.Add(time.Hour), Reference: "WT-2508-4", ProviderRef: "RMA-7", Status: model.ReturnProcessed},
	} {
		body, err := json.Marshal(u)
		require.NoError(t, err)
		_, _, err = srv.Store.AppendInbox(context.Background(), &model.InboxMessage{
			Workspace: "acme", Connection: "returns", Provider: returnsTestProvider, Source: model.SourcePoll,
			DedupKey: fmt.Sprintf("return-%d", i), ContentType: "application/json", Body: body, ReceivedAt: time.Now(),
		})
		require.NoError(t, err)
	}
	srv.Pipeline.Notify()
}

// appendCommandEvents records a command.failed and a command.dead event as
// the command queue does (data: the command resource), so that their
// deliveries are checked against the document; the queue's own tests show
// when it emits them.
func appendCommandEvents(t *testing.T, srv *server.Server) {
	t.Helper()
	next := time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)
	var events []*model.FeedEvent
	for i, c := range []model.Command{
		{ID: 7, Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate, SubjectID: 3,
			Status: model.CommandFailed, Attempts: 1, LastError: "wics answered 503", NextAttemptAt: &next,
			Payload: json.RawMessage(`{"reference":"ACME-1"}`), CreatedAt: next.Add(-time.Minute), UpdatedAt: next.Add(-time.Second)},
		{ID: 8, Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate, SubjectID: 4,
			Status: model.CommandDead, Attempts: 1, LastError: "refused by the provider: unknown item MUG-BLUE",
			CreatedAt: next.Add(-time.Minute), UpdatedAt: next},
	} {
		data, err := json.Marshal(c)
		require.NoError(t, err)
		typ := map[model.CommandStatus]string{model.CommandFailed: model.EventCommandFailed, model.CommandDead: model.EventCommandDead}[c.Status]
		events = append(events, &model.FeedEvent{Workspace: "acme", Type: typ, SubjectID: c.ID, OccurredAt: next.Add(time.Duration(i) * time.Second), Data: data})
	}
	require.NoError(t, srv.Store.AppendFeedEvents(context.Background(), events))
}

// markOneStuck marks one of the workspace's shipments stuck as the stuck
// scan does (package stuck), with a cutoff in the future so that the
// shipments just created qualify: the scan's own tests show when it runs.
func markOneStuck(t *testing.T, srv *server.Server) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	for _, st := range model.Statuses {
		marked, err := srv.Store.MarkStuck(context.Background(), store.StuckScan{Workspace: "acme", Status: st, Before: later, Now: later, Limit: 1})
		require.NoError(t, err)
		if len(marked) > 0 {
			return
		}
	}
	t.Fatal("no shipment could be marked stuck")
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// TestTheContractHoldsForMerchantTools drives a real hub the way a merchant
// does: with the client oapi-codegen generated from the served document, and
// a webhook receiver. Every offered event type is produced from the
// providers' own example messages; every delivery is checked against the
// document's schema for it (a JSON Schema validator and a strict decode
// into the generated type) and, in the test below, with the official
// Standard Webhooks library.
func TestTheContractHoldsForMerchantTools(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv := startHub(t)

	// The served document names this hub as its server: a client needs
	// nothing else to reach it.
	docBytes := fetch(t, srv.URL()+"/api/v1/openapi.json")
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
	}
	require.NoError(t, json.Unmarshal(docBytes, &doc))
	require.Equal(t, srv.URL()+"/api/v1", doc.Servers[0].URL)
	c, err := clienttest.NewClientWithResponses(doc.Servers[0].URL, clienttest.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+merchantKey)
			return nil
		}))
	require.NoError(t, err)
	ctx := context.Background()

	// Types the hub does not know are refused, naming the type.
	refused, err := c.CreateEndpointWithResponse(ctx, clienttest.EndpointInput{Url: rc.URL, Events: &[]string{"command.teleported"}})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, refused.StatusCode(), "%s", refused.Body)
	require.NotNil(t, refused.ApplicationproblemJSON400)
	require.Contains(t, *refused.ApplicationproblemJSON400.Detail, `unknown event type "command.teleported"`)

	created, err := c.CreateEndpointWithResponse(ctx, clienttest.EndpointInput{Url: rc.URL, Events: &[]string{"*"}})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	endpoint := created.JSON201
	require.True(t, strings.HasPrefix(endpoint.Secret, "whsec_"))

	post(t, srv.URL()+"/hooks/acme/courier", map[string]string{"X-API-KEY": courierKey, "Content-Type": "application/json"}, courierPOSTExample)
	post(t, srv.URL()+"/hooks/acme/winkelstraat", map[string]string{"x-api-key": wsKey, "Content-Type": "application/json"}, winkelstraatExample)
	feedLen := func(connection string) int {
		list, err := srv.Store.ListFeed(ctx, "acme", 0, 1000)
		require.NoError(t, err)
		n := 0
		for _, e := range list {
			if connection == "" || strings.Contains(string(e.Data), `"connection":"`+connection+`"`) {
				n++
			}
		}
		return n
	}
	commitGCLAnswer(t, srv, "gcl-2024-07-26.json")
	// The second answer must find the shipment the first one created.
	waitFor(t, 30*time.Second, "the first GCL answer applied", func() bool { return feedLen("gcl") > 0 })
	commitGCLAnswer(t, srv, "gcl-2024-07-28-edd-moved.json")
	postWICSExamples(t, srv)
	commitReturnUpdates(t, srv)
	appendCommandEvents(t, srv)
	// Once the inbox is drained the feed is complete; then every entry is
	// delivered, and among them every offered type.
	waitFor(t, 30*time.Second, "every message applied", func() bool {
		st, err := srv.Store.InboxStats(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Failed, "no message failed to normalise")
		return st.Pending == 0
	})
	markOneStuck(t, srv)
	waitFor(t, 30*time.Second, "every feed event delivered", func() bool { return len(rc.deliveries()) >= feedLen("") })
	waitFor(t, 30*time.Second, "a delivery of every offered event type", func() bool { return len(rc.types(t)) == len(model.EventTypes) })

	// Every delivery is what the document says it is.
	schemas := compileSchemas(t, docBytes)
	feedShaped, err := jsonschema.UnmarshalJSON(strings.NewReader(
		`{"id":1,"workspace":"acme","type":"shipment.created","subject_id":1,"occurred_at":"2024-07-26T13:00:23Z","data":{}}`))
	require.NoError(t, err)
	require.Error(t, schemas.any.Validate(feedShaped), "a feed entry is not a webhook body: the schema tells them apart")
	got := rc.deliveries()
	for _, d := range got {
		var body struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal([]byte(d.Body), &body))
		require.Equal(t, d.Headers["webhook-id"], body.ID, "the body's id is the webhook-id")
		require.Equal(t, "application/json", d.Headers["content-type"])
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(d.Body))
		require.NoError(t, err)
		require.NoError(t, schemas.any.Validate(inst), "%s is a WebhookEvent: %s", body.Type, d.Body)
		s, ok := schemas.byType[body.Type]
		require.True(t, ok, "the webhooks section describes %s", body.Type)
		require.NoError(t, s.Validate(inst), "%s matches its webhook's schema: %s", body.Type, d.Body)
		decodeStrictly(t, body.Type, d.Body)
	}

	// The generated client against the real API.
	connections, err := c.ListConnectionsWithResponse(ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, connections.StatusCode(), "%s", connections.Body)
	heard := map[string]bool{}
	for _, cs := range *connections.JSON200.Data {
		require.Equal(t, "acme", cs.Workspace)
		heard[cs.Id] = cs.LastMessageAt != nil
	}
	require.True(t, heard["courier"], "the courier's webhook is its last message: %s", connections.Body)
	require.True(t, heard["winkelstraat"], "%s", connections.Body)

	shipments, err := c.ListShipmentsWithResponse(ctx, &clienttest.ListShipmentsParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, shipments.StatusCode(), "%s", shipments.Body)
	require.Len(t, *shipments.JSON200.Data, 4)
	conns := map[string]int64{}
	for _, s := range *shipments.JSON200.Data {
		conns[s.Connection] = s.Id
	}
	require.Len(t, conns, 4, "one shipment per connection")

	one, err := c.GetShipmentWithResponse(ctx, conns["gcl"])
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, one.StatusCode(), "%s", one.Body)
	require.Equal(t, "2024-07-31", *one.JSON200.ExpectedDelivery)
	require.Len(t, *one.JSON200.Events, 4)

	tracked, err := c.TrackWithResponse(ctx, "1Z7E3V556825150AAP")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, tracked.StatusCode(), "%s", tracked.Body)
	require.Equal(t, conns["winkelstraat"], (*tracked.JSON200.Shipments)[0].Id)

	// The WICS shipment is found by its order reference; the order by its
	// reference, with the return that names it linked to it.
	wicsShipment, err := c.TrackWithResponse(ctx, "WT 95")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, wicsShipment.StatusCode(), "%s", wicsShipment.Body)
	require.Len(t, *wicsShipment.JSON200.Shipments, 1)
	require.Equal(t, conns["wics"], (*wicsShipment.JSON200.Shipments)[0].Id)
	require.Equal(t, "3SDEVC0052846", *(*wicsShipment.JSON200.Shipments)[0].TrackingNumber)
	wicsOrder, err := c.TrackWithResponse(ctx, "WT-2508-4")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, wicsOrder.StatusCode(), "%s", wicsOrder.Body)
	require.Len(t, *wicsOrder.JSON200.Orders, 1)
	order := (*wicsOrder.JSON200.Orders)[0]
	require.Equal(t, "processing", string(order.Status), "the later order status")
	require.Len(t, *wicsOrder.JSON200.Inbound, 1, "the announcement of the same reference")
	require.Len(t, *wicsOrder.JSON200.Returns, 1)
	require.Equal(t, order.Id, *(*wicsOrder.JSON200.Returns)[0].OrderId, "the return links to its order")

	feed, err := c.ListEventsWithResponse(ctx, &clienttest.ListEventsParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, feed.StatusCode(), "%s", feed.Body)
	var feedIDs, deliveredIDs []string
	for _, e := range *feed.JSON200.Data {
		feedIDs = append(feedIDs, fmt.Sprintf("evt_%d", e.Id))
	}
	for _, d := range got {
		deliveredIDs = append(deliveredIDs, d.Headers["webhook-id"])
	}
	require.ElementsMatch(t, feedIDs, deliveredIDs, "every feed event was delivered once")

	deliveries, err := c.ListDeliveriesWithResponse(ctx, &clienttest.ListDeliveriesParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, deliveries.StatusCode(), "%s", deliveries.Body)
	require.Len(t, *deliveries.JSON200.Data, len(got))
	first := (*deliveries.JSON200.Data)[0]
	detail, err := c.GetDeliveryWithResponse(ctx, first.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, detail.StatusCode(), "%s", detail.Body)
	payload, err := json.Marshal(detail.JSON200.Payload)
	require.NoError(t, err)
	for _, d := range got {
		if d.Headers["webhook-id"] == fmt.Sprintf("evt_%d", first.EventId) {
			require.JSONEq(t, d.Body, string(payload), "the delivery's payload is the body that was sent")
		}
	}

	// Recover: the route the document lacked the id of.
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	recovered, err := c.RecoverEndpointWithResponse(ctx, endpoint.Id, &clienttest.RecoverEndpointParams{Since: &since})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, recovered.StatusCode(), "%s", recovered.Body)
	require.Equal(t, int64(0), recovered.JSON200.Requeued, "nothing was dead")
	missing, err := c.RecoverEndpointWithResponse(ctx, endpoint.Id+1000, &clienttest.RecoverEndpointParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, missing.StatusCode(), "the id is the one in the path: %s", missing.Body)

	rotated, err := c.RotateEndpointSecretWithResponse(ctx, endpoint.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rotated.StatusCode(), "%s", rotated.Body)
	require.NotEqual(t, endpoint.Secret, rotated.JSON200.Secret)

	// The official Standard Webhooks library verifies what was delivered.
	verifyWithStandardWebhooks(t, endpoint.Secret, got)

	// After a rotation both secrets sign for the grace period: a receiver
	// holding either one verifies the next deliveries.
	post(t, srv.URL()+"/hooks/acme/courier", map[string]string{"X-API-KEY": courierKey, "Content-Type": "application/json"},
		strings.Replace(strings.Replace(courierPOSTExample, `"statuscode":"take"`, `"statuscode":"DEPOT_OUT"`, 1), "20230719110649", "20230719150000", 1))
	waitFor(t, 30*time.Second, "the deliveries after the rotation", func() bool {
		n := feedLen("") // one message is applied in one transaction
		return n > len(got) && len(rc.deliveries()) >= n
	})
	after := rc.deliveries()[len(got):]
	for _, d := range after {
		require.Len(t, strings.Fields(d.Headers["webhook-signature"]), 2, "two signatures during the grace period")
	}
	verifyWithStandardWebhooks(t, rotated.JSON200.Secret, after)
	verifyWithStandardWebhooks(t, endpoint.Secret, after)

	gone, err := c.DeleteEndpointWithResponse(ctx, endpoint.Id)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, gone.StatusCode(), "%s", gone.Body)
}

func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return b
}

type webhookSchemas struct {
	any    *jsonschema.Schema
	byType map[string]*jsonschema.Schema
}

// compileSchemas compiles, from the served document, WebhookEvent and each
// webhook's request body schema. OpenAPI 3.1 schemas are JSON Schema 2020-12.
func compileSchemas(t *testing.T, docBytes []byte) webhookSchemas {
	t.Helper()
	const loc = "https://hub.test/openapi.json"
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docBytes))
	require.NoError(t, err)
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.AssertFormat()
	require.NoError(t, comp.AddResource(loc, doc))
	out := webhookSchemas{byType: map[string]*jsonschema.Schema{}}
	out.any, err = comp.Compile(loc + "#/components/schemas/WebhookEvent")
	require.NoError(t, err)
	var parsed struct {
		Webhooks map[string]json.RawMessage `json:"webhooks"`
	}
	require.NoError(t, json.Unmarshal(docBytes, &parsed))
	for typ := range parsed.Webhooks {
		out.byType[typ], err = comp.Compile(loc + "#/webhooks/" + typ + "/post/requestBody/content/application~1json/schema")
		require.NoError(t, err, typ)
	}
	keys := make([]string, 0, len(parsed.Webhooks))
	for k := range parsed.Webhooks {
		keys = append(keys, k)
	}
	require.ElementsMatch(t, model.EventTypes, keys, "the webhooks section describes exactly the offered types")
	return out
}

// decodeStrictly decodes a body into the generated type of its event type,
// refusing any field the document does not describe.
func decodeStrictly(t *testing.T, typ, body string) {
	t.Helper()
	var v any
	switch typ {
	case model.EventShipmentCreated:
		v = &clienttest.ShipmentCreatedWebhook{}
	case model.EventShipmentStatusChanged:
		v = &clienttest.ShipmentStatusChangedWebhook{}
	case model.EventShipmentEventAdded:
		v = &clienttest.ShipmentEventAddedWebhook{}
	case model.EventShipmentEDDChanged:
		v = &clienttest.ShipmentEDDChangedWebhook{}
	case model.EventShipmentStuck:
		v = &clienttest.ShipmentStuckWebhook{}
	case model.EventOrderCreated:
		v = &clienttest.OrderCreatedWebhook{}
	case model.EventOrderStatusChanged:
		v = &clienttest.OrderStatusChangedWebhook{}
	case model.EventStockChanged:
		v = &clienttest.StockChangedWebhook{}
	case model.EventStockMutationAdded:
		v = &clienttest.StockMutationAddedWebhook{}
	case model.EventInboundStatusChanged:
		v = &clienttest.InboundStatusChangedWebhook{}
	case model.EventInboundReceived:
		v = &clienttest.InboundReceivedWebhook{}
	case model.EventReturnCreated:
		v = &clienttest.ReturnCreatedWebhook{}
	case model.EventReturnStatusChanged:
		v = &clienttest.ReturnStatusChangedWebhook{}
	case model.EventCommandFailed:
		v = &clienttest.CommandFailedWebhook{}
	case model.EventCommandDead:
		v = &clienttest.CommandDeadWebhook{}
	default:
		t.Fatalf("no generated type for %s", typ)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "%s decodes strictly into the generated type: %s", typ, body)

	var union clienttest.WebhookEvent
	require.NoError(t, json.Unmarshal([]byte(body), &union))
	got, err := union.ValueByDiscriminator()
	require.NoError(t, err, "the generated WebhookEvent tells the type")
	require.Equal(t, reflect.TypeOf(v).Elem(), reflect.TypeOf(got), "the generated WebhookEvent picks the type's struct")
}

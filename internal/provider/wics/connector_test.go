package wics

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// received is the ReceivedAt of every test message: the AsOf of the topics
// without a time of their own.
var received = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testSettings() Settings {
	return Settings{BaseURL: "https://test.servicelayer.wics.nl", APIKey: "key-1", APISecret: "s3cret"}
}

func newConnector(t testing.TB, mutate ...func(*Settings)) *Connector {
	t.Helper()
	s := testSettings()
	for _, m := range mutate {
		m(&s)
	}
	c, err := NewWithSettings(s)
	require.NoError(t, err)
	return c
}

func post(topic string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/acme/wics/"+topic, bytes.NewReader(body))
	r.Header.Set("Authorization", "Basic key-1:s3cret")
	return r
}

// accept runs Accept and then Normalize on what it accepted, as the intake
// and the pipeline do.
func accept(t testing.TB, c *Connector, topic string, body []byte) (provider.Inbound, model.Changes) {
	t.Helper()
	in, err := c.Accept(post(topic, body), topic, body)
	require.NoError(t, err)
	ch, err := c.Normalize(&model.InboxMessage{ID: 1, Topic: topic, Body: in.Body, Meta: in.Meta, ReceivedAt: received})
	require.NoError(t, err)
	return in, ch
}

func encodeJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	return buf.Bytes()
}

// changesGolden is what a golden file of changes holds.
type changesGolden struct {
	Topic     Topic         `json:"topic"`
	Tolerated []string      `json:"tolerated"`
	Changes   model.Changes `json:"changes"`
}

// TestDocumentExamplesNormalize: every topic's example from the document,
// verbatim, is accepted and maps to the change set of its golden file.
func TestDocumentExamplesNormalize(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for _, topic := range Topics() {
		t.Run(string(topic), func(t *testing.T) {
			t.Parallel()
			in, ch := accept(t, c, string(topic), example(t, topic))
			require.NotZero(t, ch.Len())
			g := changesGolden{Topic: topic, Tolerated: []string{}, Changes: ch}
			if raw, ok := in.Meta[MetaTolerated]; ok {
				require.NoError(t, json.Unmarshal([]byte(raw), &g.Tolerated))
			}
			out := encodeJSON(t, g)
			path := filepath.Join("testdata", "golden", "changes", string(topic)+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, out, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create %s", path)
			require.Equal(t, string(want), string(out), "golden file %s", path)
		})
	}
}

// TestIssueFiguresAsChanges: the figures issue 10 names, as canonical
// changes of the document's examples.
func TestIssueFiguresAsChanges(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	f := func(v float64) *float64 { return &v }

	_, ch := accept(t, c, "stock", example(t, TopicStock))
	require.Equal(t, []model.StockUpdate{{AsOf: received, SKU: "CS1001", Physical: f(20639), Available: f(20599), Announced: f(3)}}, ch.Stock)

	_, ch = accept(t, c, "orderstatus", example(t, TopicOrderStatus))
	require.Equal(t, []model.OrderUpdate{{
		AsOf: received, Reference: "WT-2508-4", ProviderRef: "10344", Status: model.OrderAccepted,
		ProviderStatus: &model.ProviderStatus{Code: "00", Description: "Aangemaakt"}, StatusRank: 1,
	}}, ch.Orders)

	_, ch = accept(t, c, "shipment", example(t, TopicShipment))
	require.Len(t, ch.Shipments, 1)
	s := ch.Shipments[0]
	require.Equal(t, "3SDEVC0052846", s.TrackingNumber)
	require.Equal(t, "WT 95", s.OrderReference)
	require.Equal(t, "PostNL", s.Carrier)
	require.Equal(t, "http://postnl.nl/tracktrace/?D=NL&B=3SDEVC0052846&P=4251BC&L=NL&T=C", s.TrackingURL)
	require.Equal(t, "false", s.Attributes["hasSerialNumbers"])
	require.Equal(t, []model.Item{{SKU: "16082", Name: "Jack Kabel 1m", Quantity: 1}}, s.Items)
	require.Equal(t, time.Date(2021, 9, 12, 22, 0, 0, 0, time.UTC), s.AsOf, "deliveryDate is the shipment's time")
	require.Empty(t, ch.Orders, "the shipment payload states nothing about the order but its reference")

	_, ch = accept(t, c, "receipt", example(t, TopicReceipt))
	require.Len(t, ch.Inbound, 1)
	require.Equal(t, "WT 93", ch.Inbound[0].Reference)
	require.Equal(t, []model.Receipt{{
		ProviderRef: "1175", ReceivedAt: time.Date(2021, 9, 12, 22, 0, 0, 0, time.UTC),
		Lines: []model.ReceiptLine{{SKU: "WTI-027", Quantity: 4}},
	}}, ch.Inbound[0].Receipts)
	require.Empty(t, ch.Inbound[0].Status, "the example's statusCode is null: no status is stated")

	_, ch = accept(t, c, "rma", example(t, TopicRMA))
	require.Equal(t, []model.ReturnUpdate{{
		AsOf: received, Reference: "200122", Status: model.ReturnReceived,
		Lines: []model.ReturnLine{{LineNumber: 2, SKU: "WTI-028", Quantity: 1, Answers: []model.ReturnAnswer{{Question: "Is het artikel beschadigd?", Answer: "Ja"}}}},
	}}, ch.Returns)

	_, ch = accept(t, c, "stockmutation", example(t, TopicStockMutation))
	require.Len(t, ch.StockMutations, 1)
	m := ch.StockMutations[0]
	require.Equal(t, float64(-1), m.Quantity)
	require.Equal(t, "10", m.ReasonCode)
	require.Equal(t, "Manuele creatie / mutatie", m.Reason)
	require.Equal(t, time.Date(2022, 5, 2, 7, 48, 11, 0, time.UTC), m.OccurredAt)
	require.Equal(t, "WHS", m.Warehouse)
	require.Equal(t, "AA01A3", m.Location)
	require.True(t, strings.HasPrefix(m.DedupKey, "sha256:"))
}

// replace edits an example: each pair is an exact substring and its
// replacement, which must occur.
func replace(t testing.TB, body []byte, pairs ...string) []byte {
	t.Helper()
	s := string(body)
	for i := 0; i+1 < len(pairs); i += 2 {
		require.Contains(t, s, pairs[i])
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return []byte(s)
}

// TestMappingVariations: the mapping of what the examples do not show.
func TestMappingVariations(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	f := func(v float64) *float64 { return &v }
	date := func(s string) *time.Time { d, _ := time.Parse(time.DateOnly, s); return &d }
	cases := []struct {
		name      string
		topic     Topic
		body      []byte
		check     func(t *testing.T, ch model.Changes)
		tolerated []string
	}{
		{"OrderUnknownCodeKept", TopicOrderStatus, replace(t, example(t, TopicOrderStatus), `"00"`, `"55"`, `"Aangemaakt"`, `"Iets nieuws"`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.OrderUnknown, ch.Orders[0].Status)
				require.Equal(t, &model.ProviderStatus{Code: "55", Description: "Iets nieuws"}, ch.Orders[0].ProviderStatus)
				require.Equal(t, 56, ch.Orders[0].StatusRank, "an unknown two-digit code has its place by its number")
			}, nil},
		{"OrderCancelled", TopicOrderStatus, replace(t, example(t, TopicOrderStatus), `"00"`, `"90"`, `"Aangemaakt"`, `"Geannuleerd"`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.OrderCancelled, ch.Orders[0].Status)
				require.Equal(t, 91, ch.Orders[0].StatusRank, "cancelled is final: it ranks above shipped (70, rank 71)")
			}, nil},
		{"OrderCodeWrittenAsItsDescription", TopicOrderStatus, replace(t, example(t, TopicOrderStatus), `"statusCode": "00"`, `"statusCode": "Bevestigd"`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.OrderAccepted, ch.Orders[0].Status)
				require.Equal(t, "Bevestigd", ch.Orders[0].ProviderStatus.Code, "the code is kept as sent: its description (Aangemaakt) contradicts it")
				require.Equal(t, 31, ch.Orders[0].StatusRank, "the rank of the row the description names, 30")
			}, []string{`statusCode "Bevestigd" read as the description of code 30`}},
		{"OrderCodeWrittenAsItsDescriptionAlone", TopicOrderStatus, replace(t, example(t, TopicOrderStatus), `"statusCode": "00"`, `"statusCode": "Bevestigd"`, `"statusDescription": "Aangemaakt"`, `"statusDescription": ""`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.OrderAccepted, ch.Orders[0].Status)
				require.Equal(t, &model.ProviderStatus{Code: "30", Description: "Bevestigd"}, ch.Orders[0].ProviderStatus,
					"stated as the webhooks state it, so that a listing of the same status changes nothing")
				require.Equal(t, 31, ch.Orders[0].StatusRank)
			}, []string{`statusCode "Bevestigd" read as the description of code 30`}},
		{"OrderLineListedTwiceIsOneLine", TopicOrderLineStatus, example(t, TopicOrderLineStatus),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, []model.OrderLineUpdate{{LineNumber: 1, Status: model.OrderAccepted, ProviderStatus: &model.ProviderStatus{Code: "30", Description: "Bevestigd"}, StatusRank: 31}}, ch.Orders[0].Lines)
				require.Empty(t, ch.Orders[0].Status, "a line status does not state the order's")
			}, nil},
		{"PickslipLineIsTheOrderLine", TopicPickslipLineStatus, example(t, TopicPickslipLineStatus),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.OrderUpdate{AsOf: received, Reference: "Exact ShopOrder 1050", ProviderRef: "9897", Lines: []model.OrderLineUpdate{{
					LineNumber: 3, Status: model.OrderShipped, ProviderStatus: &model.ProviderStatus{Code: "60", Description: "Afgehandeld, volledige levering"}, StatusRank: 61,
				}}}, ch.Orders[0])
			}, nil},
		{"LineUnknownCode", TopicOrderLineStatus, replace(t, example(t, TopicOrderLineStatus), `"lineNumber": 1,
      "statusCode": "30"`, `"lineNumber": 2,
      "statusCode": "33"`),
			func(t *testing.T, ch model.Changes) {
				require.Len(t, ch.Orders[0].Lines, 2)
				require.Equal(t, model.OrderLineUpdate{LineNumber: 2, Status: model.OrderUnknown, ProviderStatus: &model.ProviderStatus{Code: "33", Description: "Bevestigd"}, StatusRank: 34}, ch.Orders[0].Lines[0])
			}, nil},
		{"AnnouncementUnknownCode", TopicAnnouncementStatus, replace(t, example(t, TopicAnnouncementStatus), `"00"`, `"20"`, `"Aangemaakt"`, `"Gepland"`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.InboundUpdate{AsOf: received, Reference: "WT-2508-4", ProviderRef: "10344", Status: model.InboundUnknown,
					ProviderStatus: &model.ProviderStatus{Code: "20", Description: "Gepland"}, StatusRank: 21}, ch.Inbound[0],
					"an unknown code keeps its place in the lifecycle by its number")
			}, nil},
		{"AnnouncementCreated", TopicAnnouncementStatus, example(t, TopicAnnouncementStatus),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, model.InboundAnnounced, ch.Inbound[0].Status)
				require.Equal(t, 1, ch.Inbound[0].StatusRank, "00 is the first place in the lifecycle")
			}, nil},
		{"StockWithoutAnnounced", TopicStock, replace(t, example(t, TopicStock), `"announced": 3,`, ``),
			func(t *testing.T, ch model.Changes) { require.Nil(t, ch.Stock[0].Announced) }, nil},
		{"StockPerWarehouse", TopicStock, replace(t, example(t, TopicStock), `"customerNumber": 10011`,
			`"customerNumber": 10011, "warehouses": [{"warehouseCode": "WHS", "physical": 20000, "nettoSalable": 19990, "announced": 3}, {"warehouseCode": "ZW", "physical": 639, "nettoSalable": 609}]`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, []model.StockUpdate{
					{AsOf: received, SKU: "CS1001", Warehouse: "WHS", Physical: f(20000), Available: f(19990), Announced: f(3)},
					{AsOf: received, SKU: "CS1001", Warehouse: "ZW", Physical: f(639), Available: f(609), Announced: f(0)},
				}, ch.Stock)
			}, nil},
		{"StockMutationBestBeforeIsTheCalendarDate", TopicStockMutation, replace(t, example(t, TopicStockMutation), `"bestBeforeDate": null`, `"bestBeforeDate": "2027-03-01T00:00:00.000+01:00"`, `"lotNumber": ""`, `"lotNumber": "L42"`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, date("2027-03-01"), ch.StockMutations[0].BestBefore)
				require.Equal(t, "L42", ch.StockMutations[0].Lot)
			}, []string{"registrationDate: space before T"}},
		{"ReceiptWithStatusAndAnnouncedLine", TopicReceipt, replace(t, example(t, TopicReceipt),
			`"statusCode": null,
  "statusDescription": null`, `"statusCode": "60",
  "statusDescription": "Opgeslagen"`, `"lineNumber": null`, `"lineNumber": 1`, `"quantityExpected": 0`, `"quantityExpected": 6`, `"bestBeforeDate": null`, `"bestBeforeDate": "2027-01-31"`, `"Vrij",`, `"Vrij"`),
			func(t *testing.T, ch model.Changes) {
				u := ch.Inbound[0]
				require.Equal(t, model.InboundReceived, u.Status)
				require.Equal(t, &model.ProviderStatus{Code: "60", Description: "Opgeslagen"}, u.ProviderStatus)
				require.Equal(t, []model.InboundLineUpdate{{LineNumber: 1, SKU: "WTI-027", Expected: f(6)}}, u.Lines)
				require.Equal(t, date("2027-01-31"), u.Receipts[0].Lines[0].BestBefore)
			}, nil},
		{"ReceiptWithoutReferenceIsKeyedByItsNumber", TopicReceipt, replace(t, example(t, TopicReceipt), `"reference": "WT 93"`, `"reference": ""`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, "", ch.Inbound[0].Reference)
				require.Equal(t, "1175", ch.Inbound[0].ProviderRef)
			}, []string{"trailing comma at offset 763"}},
		{"ShipmentMetaFieldsAndSerials", TopicShipment, replace(t, example(t, TopicShipment),
			`"metaFields": "",
  "shipmentNr"`, `"metaFields": {"shiphub_order_id": "42", "weight": 1.5},
  "shipmentNr"`, `"hasSerialNumbers": false,
  "shippingLines"`, `"hasSerialNumbers": true,
  "shippingLines"`, `"lotNumber": ""`, `"lotNumber": "L7"`, `"deliveryDate": "2021-09-13T00:00:00.000+02:00"`, `"deliveryDate": null`),
			func(t *testing.T, ch model.Changes) {
				s := ch.Shipments[0]
				require.Equal(t, "42", s.Attributes["metaFields.shiphub_order_id"])
				require.Equal(t, "1.5", s.Attributes["metaFields.weight"])
				require.Equal(t, "true", s.Attributes["hasSerialNumbers"])
				require.Equal(t, "L7", s.Attributes["shippingLines[0].lotNumber"])
				require.Equal(t, received, s.AsOf, "without deliveryDate the message's ReceivedAt")
			}, nil},
		{"RMALinesInLineOrder", TopicRMA, replace(t, example(t, TopicRMA), `"lines": [{`, `"lines": [{"lineNumber": 5, "itemCode": "X", "quantity": 2, "questions": []}, {`),
			func(t *testing.T, ch model.Changes) {
				require.Equal(t, []int{2, 5}, []int{ch.Returns[0].Lines[0].LineNumber, ch.Returns[0].Lines[1].LineNumber})
			}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, ch := accept(t, c, string(tc.topic), tc.body)
			tc.check(t, ch)
			var tol []string
			if raw, ok := in.Meta[MetaTolerated]; ok {
				require.NoError(t, json.Unmarshal([]byte(raw), &tol))
			}
			if tc.tolerated != nil || tol != nil {
				require.Equal(t, tc.tolerated, tol)
			}
		})
	}
}

// TestStockMutationDedupKey: the same mutation is one whatever its
// formatting; another quantity or time is another mutation.
func TestStockMutationDedupKey(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	key := func(body []byte) string {
		_, ch := accept(t, c, "stockmutation", body)
		return ch.StockMutations[0].DedupKey
	}
	ex := example(t, TopicStockMutation)
	base := key(ex)
	require.Equal(t, base, key(replace(t, ex, "2022-05-02 T09:48:11.000+02:00", "2022-05-02T07:48:11Z")), "same instant, other text")
	require.Equal(t, base, key(replace(t, ex, `"quantity": -1`, `"quantity": "-1"`)))
	require.NotEqual(t, base, key(replace(t, ex, `"quantity": -1`, `"quantity": -2`)))
	require.NotEqual(t, base, key(replace(t, ex, "09:48:11", "09:48:12")))
	require.NotEqual(t, base, key(replace(t, ex, `"location": "AA01A3"`, `"location": "AA01A"`, `"lotNumber": ""`, `"lotNumber": "3"`)), "fields cannot run into each other")
}

// TestStatusTablesMapToCanonicalStatuses: every row of both tables maps to
// a status of the canonical taxonomy.
func TestStatusTablesMapToCanonicalStatuses(t *testing.T) {
	t.Parallel()
	for _, r := range OrderStatuses() {
		require.Contains(t, model.OrderStatuses, model.OrderStatus(r.Status), "order code %s", r.Code)
		require.NotEqual(t, model.OrderUnknown, model.OrderStatus(r.Status))
	}
	for _, r := range InboundStatuses() {
		require.Contains(t, model.InboundStatuses, model.InboundStatus(r.Status), "inbound code %s", r.Code)
	}
	require.Equal(t, string(model.OrderUnknown), StatusUnknown)
	require.Equal(t, string(model.InboundUnknown), StatusUnknown)
}

// TestAcceptRefuses: what Accept refuses, with which sentinel.
func TestAcceptRefuses(t *testing.T) {
	t.Parallel()
	c := newConnector(t, func(s *Settings) { s.Topics = []string{"stock", "orderstatus"} })
	stock := example(t, TopicStock)
	cases := []struct {
		name   string
		method string
		topic  string
		body   []byte
		want   error
		text   string
	}{
		{"Get", http.MethodGet, "stock", stock, provider.ErrMethodNotAllowed, "POST"},
		{"NoTopic", http.MethodPost, "", stock, provider.ErrUnknownTopic, "{topic}"},
		{"UnknownTopic", http.MethodPost, "stocks", stock, provider.ErrUnknownTopic, `"stocks"`},
		{"NotSubscribed", http.MethodPost, "shipment", example(t, TopicShipment), provider.ErrUnknownTopic, "not in this connection's topics"},
		{"WrongShape", http.MethodPost, "stock", replace(t, stock, `"physical": 20639`, `"physical": "veel"`), provider.ErrBadInput, "physical"},
		{"MissingKey", http.MethodPost, "orderstatus", replace(t, example(t, TopicOrderStatus), `"orderReference": "WT-2508-4",`, ``), provider.ErrBadInput, "orderReference"},
		{"NotJSON", http.MethodPost, "stock", []byte("<xml/>"), provider.ErrBadInput, "invalid JSON"},
		{"NULInText", http.MethodPost, "orderstatus", replace(t, example(t, TopicOrderStatus), `"WT-2508-4"`, `"WT-2508\u00004"`), provider.ErrBadInput, `orderReference: holds a NUL character`},
		{"KeyTooLongToIndex", http.MethodPost, "stock", replace(t, stock, `"CS1001"`, `"`+strings.Repeat("x", MaxKeyBytes+1)+`"`), provider.ErrBadInput, "itemCode: is 513 bytes long"},
		{"WarehouseTooLongToIndex", http.MethodPost, "stock", replace(t, stock, `"customerNumber": 10011`, `"warehouses": [{"warehouseCode": "`+strings.Repeat("w", 600)+`", "physical": 1, "nettoSalable": 1}]`), provider.ErrBadInput, "warehouses[0].warehouseCode: is 600 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := post(tc.topic, tc.body)
			r.Method = tc.method
			_, err := c.Accept(r, tc.topic, tc.body)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

// TestDedupKey: a retry is a duplicate; the same bytes on another topic
// are another message; the topic's case does not matter.
func TestDedupKey(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	body := example(t, TopicOrderStatus)
	a, _ := accept(t, c, "orderstatus", body)
	b, _ := accept(t, c, "OrderStatus", append([]byte(nil), body...))
	require.Equal(t, a.DedupKey, b.DedupKey)
	o, _ := accept(t, c, "announcementstatus", example(t, TopicAnnouncementStatus))
	require.NotEqual(t, a.DedupKey, o.DedupKey)
	require.NotEqual(t, DedupKey(TopicOrderStatus, body), DedupKey(TopicOrderLineStatus, body))
	require.Nil(t, a.Meta, "nothing tolerated, no meta")
}

// TestNormalizeIsPure: the same message gives the same changes, and only
// ReceivedAt moves the AsOf of a topic without a time of its own.
func TestNormalizeIsPure(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for _, topic := range Topics() {
		m := &model.InboxMessage{Topic: string(topic), Body: example(t, topic), ReceivedAt: received}
		a, err := c.Normalize(m)
		require.NoError(t, err)
		b, err := c.Normalize(m)
		require.NoError(t, err)
		require.Equal(t, a, b, "%s", topic)
	}
	_, err := c.Normalize(&model.InboxMessage{Topic: "nope", Body: []byte("{}")})
	require.ErrorIs(t, err, ErrUnknownTopic)
}

// TestAuthenticateHeader: the connector checks the Authorization header in
// both of WICS's forms.
func TestAuthenticateHeader(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for header, ok := range map[string]bool{
		"Basic key-1:s3cret": true,
		"Basic " + base64.StdEncoding.EncodeToString([]byte("key-1:s3cret")): true,
		"Basic key-1:wrong":   false,
		"Bearer key-1:s3cret": false,
		"":                    false,
	} {
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/wics/stock", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		err := c.Authenticate(r)
		if ok {
			require.NoError(t, err, "%q", header)
		} else {
			require.ErrorIs(t, err, provider.ErrUnauthorized, "%q", header)
		}
	}
}

// FuzzNormalize: for any topic and body, Accept and Normalize never panic,
// agree on what is valid, and what is accepted normalises to at least one
// change.
func FuzzNormalize(f *testing.F) {
	for i, topic := range Topics() {
		raw, err := os.ReadFile(filepath.Join("testdata", "examples", string(topic)+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), raw)
	}
	f.Add(uint8(0), []byte(`{"shipmentNr": 1, "orderReference": "x", "shippingLines": [{"itemCode": "a", "quantityDelivered": 1}]}`))
	f.Add(uint8(3), []byte(`{"itemCode": "a", "quantity": 1, "registrationDate": "2022-05-02"}`))
	c, err := NewWithSettings(testSettings())
	if err != nil {
		f.Fatal(err)
	}
	all := Topics()
	f.Fuzz(func(t *testing.T, n uint8, body []byte) {
		topic := all[int(n)%len(all)]
		in, aerr := c.Accept(post(string(topic), body), string(topic), body)
		ch, nerr := c.Normalize(&model.InboxMessage{Topic: string(topic), Body: body, ReceivedAt: received})
		if aerr != nil {
			if nerr == nil {
				t.Fatalf("Accept refused (%v) what Normalize maps", aerr)
			}
			return
		}
		if nerr != nil {
			t.Fatalf("Normalize fails (%v) on what Accept accepted", nerr)
		}
		if ch.Len() == 0 {
			t.Fatalf("accepted %s message states nothing", topic)
		}
		if raw, ok := in.Meta[MetaTolerated]; ok {
			var tol []string
			if err := json.Unmarshal([]byte(raw), &tol); err != nil || len(tol) == 0 || len(tol) > maxTolerated+1 {
				t.Fatalf("meta %s: %q", MetaTolerated, raw)
			}
		}
	})
}

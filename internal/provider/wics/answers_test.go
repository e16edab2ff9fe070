package wics

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// answerResults are command answers of every kind, as SendCommand makes them.
func answerResults(t testing.TB) map[string]*CommandResult {
	req := documentOrder()
	body, err := OrderBody(&req, 42, 7, 2)
	require.NoError(t, err)
	var listed struct{ Data []Order }
	require.NoError(t, json.Unmarshal([]byte(documentJSON(t, "list_orders.json")), &listed))
	it, err := itemBody(&model.ProductRequest{SKU: "starterset-01", Name: "School startset", Barcodes: []string{"1398854674"},
		Attributes: map[string]string{"itemGroup": "DIV", "statusCode": "30", "weight": "3.75"}})
	require.NoError(t, err)
	an, err := announcementBody(&model.InboundRequest{Reference: "PO150002", ExpectedAt: "2022-08-12",
		Lines: []model.InboundRequestLine{{SKU: "16082", Quantity: 1}, {SKU: "16084", Quantity: 3}}}, 3, 11)
	require.NoError(t, err)
	return map[string]*CommandResult{
		"order_create": {Kind: model.CommandOrderCreate, CommandID: 7, SubjectID: 42, Reference: "SO510001", Number: "13295", Order: body,
			Answer: json.RawMessage(`{"code":201,"message":"Order with number 13295 created successfully","success":true,"data":["13295"]}`)},
		"order_create_found": {Kind: model.CommandOrderCreate, CommandID: 7, SubjectID: 42, Reference: "000123666", Number: "13291",
			Existing: true, Order: &listed.Data[0]},
		"order_cancel":   {Kind: model.CommandOrderCancel, CommandID: 8, SubjectID: 42, Reference: "SO510001", Number: "13295"},
		"product_upsert": {Kind: model.CommandProductUpsert, CommandID: 9, SubjectID: 5, Reference: "starterset-01", Number: "starterset-01", Item: it},
		"inbound_create": {Kind: model.CommandInboundCreate, CommandID: 11, SubjectID: 3, Reference: "PO150002", Number: "2455", Announcement: an},
		"inbound_cancel": {Kind: model.CommandInboundCancel, CommandID: 12, SubjectID: 3, Reference: "PO150002", Number: "2455", Absent: true},
	}
}

// TestCommandAnswersNormalize: each kind's answer, as committed to the
// inbox, and the changes it normalises to, in golden files.
func TestCommandAnswersNormalize(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for name, r := range answerResults(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ans, err := r.answer()
			require.NoError(t, err)
			require.True(t, IsCommandTopic(ans.Topic))
			m := &model.InboxMessage{ID: 3, Topic: ans.Topic, Body: ans.Inbound.Body, ReceivedAt: received}
			ch, err := c.Normalize(m)
			require.NoError(t, err)
			again, err := c.Normalize(m)
			require.NoError(t, err)
			require.Equal(t, ch, again, "Normalize is a pure function of the message")
			var body any
			require.NoError(t, json.Unmarshal(ans.Inbound.Body, &body))
			checkJSONGolden(t, "answers/"+name, struct {
				Topic    string
				DedupKey string
				Meta     map[string]string
				Body     any
				Changes  model.Changes
			}{ans.Topic, ans.Inbound.DedupKey, ans.Inbound.Meta, body, ch})
		})
	}
}

func TestCommandAnswersRefuse(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for _, body := range []string{
		``, `null`, `[]`, `{"kind":"order.create"}`, `{"kind":"return.create","reference":"R1"}`,
		`{"kind":"order.create","reference":"SO1"} {}`, `{"kind":"order.create","reference":"SO1","order":{"lines":[{"quantity":"x"}]}}`,
	} {
		_, err := c.Normalize(&model.InboxMessage{ID: 9, Topic: TopicCommandOrder, Body: []byte(body), ReceivedAt: received})
		require.Error(t, err, "%s", body)
		require.Contains(t, err.Error(), "message 9")
	}
	_, err := ParseTopic(TopicCommandOrder)
	require.Error(t, err, "no webhook URL names a command topic")
}

func TestLenientTypes(t *testing.T) {
	t.Parallel()
	var v struct {
		T []Text
		I []Int
		D []Decimal
		M []Meta
	}
	require.NoError(t, json.Unmarshal([]byte(`{
		"T": ["a", 9000000, true, null, 1.5],
		"I": [1, "2", 3.0, "4.0", null, "", " 5 "],
		"D": [1.5, "3.75", "2,5", null, ""],
		"M": [{"wishlist":"WISH_1024"}, "", null, "{\"a\":1}"]}`), &v))
	require.Equal(t, []Text{"a", "9000000", "true", "", "1.5"}, v.T)
	require.Equal(t, []Int{1, 2, 3, 4, 0, 0, 5}, v.I)
	require.Equal(t, []Decimal{1.5, 3.75, 2.5, 0, 0}, v.D)
	require.Equal(t, "WISH_1024", v.M[0].Text("wishlist"))
	require.Nil(t, v.M[1])
	require.Nil(t, v.M[2])
	require.Equal(t, "1", v.M[3].Text("a"))
	for _, bad := range []string{`{"I":[1.5]}`, `{"I":["x"]}`, `{"I":[{}]}`, `{"T":[{}]}`, `{"D":["x"]}`, `{"D":["NaN"]}`, `{"D":["-Inf"]}`, `{"M":["x"]}`, `{"M":[1]}`} {
		require.Error(t, json.Unmarshal([]byte(bad), &v), bad)
	}
	ids, err := identifiers(json.RawMessage(`["13295", ""]`))
	require.NoError(t, err)
	require.Equal(t, []string{"13295"}, ids)
	ids, err = identifiers(json.RawMessage(`null`))
	require.NoError(t, err)
	require.Empty(t, ids)
	s, err := scalar(json.RawMessage(`13300`))
	require.NoError(t, err)
	require.Equal(t, "13300", s)
	_, err = scalar(json.RawMessage(`{"a":1}`))
	require.Error(t, err)
}

// FuzzCommandAnswer: the decoder of command answers never panics, and
// what it accepts normalises the same after a round trip through JSON.
func FuzzCommandAnswer(f *testing.F) {
	for _, r := range answerResults(f) {
		b, err := json.Marshal(r)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"order.create","reference":"SO1","order":{"metaFields":"","lines":[{"lineNumber":"1","quantity":"2"}]}}`))
	f.Add([]byte(`{"kind":"inbound.create","reference":"P","announcement":{"plannedDate":"2022-13-45"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeCommandResult(body)
		if err != nil {
			return
		}
		ch, err := commandChanges(r, received)
		if err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encoding an accepted answer: %v", err)
		}
		r2, err := DecodeCommandResult(b)
		if err != nil {
			t.Fatalf("decoding a re-encoded answer: %v\n%s", err, b)
		}
		ch2, err := commandChanges(r2, received)
		if err != nil {
			t.Fatalf("normalising a re-encoded answer: %v", err)
		}
		x, _ := json.Marshal(ch)
		y, _ := json.Marshal(ch2)
		if string(x) != string(y) {
			t.Fatalf("changes differ after a round trip:\n%s\n%s", x, y)
		}
	})
}

// FuzzAnswerDecoders: the lenient decoders of the calls' answers never
// panic, and a decoded order encodes and decodes to itself.
func FuzzAnswerDecoders(f *testing.F) {
	for _, name := range []string{"get_order.json", "order_shipments.json", "order_serialnumbers.json", "shipment_serialnumbers.json", "ean_item.json"} {
		f.Add([]byte(apiFixture(f, name)))
	}
	f.Add([]byte(documentJSON(f, "list_orders.json")))
	f.Add([]byte(documentJSON(f, "list_items.json")))
	f.Fuzz(func(t *testing.T, body []byte) {
		var env envelope
		if json.Unmarshal(body, &env) != nil {
			return
		}
		_, _ = identifiers(env.Data)
		var shipments []OrderShipment
		_ = json.Unmarshal(env.Data, &shipments)
		var serials []ShipmentLineSerials
		if json.Unmarshal(env.Data, &serials) == nil {
			for _, s := range serials {
				_ = s.Flat()
			}
		}
		var items []Item
		_ = json.Unmarshal(env.Data, &items)
		var o Order
		if json.Unmarshal(env.Data, &o) != nil {
			return
		}
		b, err := json.Marshal(&o)
		if err != nil {
			t.Fatalf("encoding a decoded order: %v", err)
		}
		var o2 Order
		if err := json.Unmarshal(b, &o2); err != nil {
			t.Fatalf("decoding an encoded order: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(&o2)
		if string(b) != string(b2) {
			t.Fatalf("an order changes on a round trip:\n%s\n%s", b, b2)
		}
	})
}

package wics

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// docItems are the data items of the document's list and get answers, the
// seeds of the decoders' fuzz tests.
func docItems(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"list_webhooks.json", "list_announcements.json", "get_announcement.json", "list_receipts.json",
		"get_receipt.json", "get_stock.json", "list_stock_detail.json", "get_stock_detail.json", "list_orders.json", "get_order.json"} {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		require.NoError(f, json.Unmarshal(docExample(f, name), &env), name)
		var list []json.RawMessage
		if json.Unmarshal(env.Data, &list) == nil {
			for _, item := range list {
				out = append(out, item)
			}
		} else {
			out = append(out, env.Data)
		}
	}
	return out
}

// answerDecoders decode one answer item as each typed result.
var answerDecoders = []func([]byte) (any, error){
	func(b []byte) (any, error) { return bindItem[Webhook](b) },
	func(b []byte) (any, error) { return bindItem[Announcement](b) },
	func(b []byte) (any, error) { return bindItem[Receipt](b) },
	func(b []byte) (any, error) { return bindItem[Stock](b) },
	func(b []byte) (any, error) { return bindItem[StockDetail](b) },
	func(b []byte) (any, error) { return bindItem[reconOrder](b) },
}

// FuzzAnswerItem decodes any bytes as an item of every list the client
// reads. It never panics, every refusal wraps ErrBadInput naming where,
// and decoding is deterministic.
func FuzzAnswerItem(f *testing.F) {
	for i, item := range docItems(f) {
		f.Add(uint8(i), item)
	}
	f.Add(uint8(0), []byte(`{"id":15,"topic":"STOCK","url":"x","webshopId":"2"}`))
	f.Add(uint8(1), []byte(`{"number":"1","plannedDate":"2022-08-15","lines":[{"itemCode":"A","bestBeforeDate":""},]}`))
	f.Fuzz(func(t *testing.T, idx uint8, body []byte) {
		dec := answerDecoders[int(idx)%len(answerDecoders)]
		v, err := dec(body)
		if err != nil {
			require.ErrorIs(t, err, provider.ErrBadInput)
			return
		}
		again, err := dec(body)
		require.NoError(t, err)
		require.Equal(t, v, again)
	})
}

// FuzzReconcileNormalize normalises any body under every reconciliation
// topic: no panic, and a refusal is ErrBadInput; what is accepted maps to
// changes the pipeline's checks would see with AsOf set.
func FuzzReconcileNormalize(f *testing.F) {
	for i, item := range docItems(f) {
		f.Add(uint8(i), item)
	}
	var shipments struct{ Data []json.RawMessage }
	require.NoError(f, json.Unmarshal(docExample(f, "order_shipments.json"), &shipments))
	f.Add(uint8(4), []byte(shipments.Data[0])) // under reconcile.shipment
	c := newConnector(f)
	reconTopics := []string{TopicReconcileOrder, TopicReconcileReceipt, TopicReconcileAnnouncement, TopicReconcileStock, TopicReconcileShipment}
	at := time.Date(2022, 8, 15, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, idx uint8, body []byte) {
		ch, err := c.Normalize(&model.InboxMessage{Topic: reconTopics[int(idx)%len(reconTopics)], Body: body, ReceivedAt: at})
		if err != nil {
			require.ErrorIs(t, err, provider.ErrBadInput)
			return
		}
		for _, o := range ch.Orders {
			require.False(t, o.AsOf.IsZero())
		}
		for _, s := range ch.Stock {
			require.Empty(t, s.Warehouse, "reconciled stock writes the webhook's row")
		}
		for _, s := range ch.Shipments {
			require.False(t, s.AsOf.IsZero())
		}
	})
}

// FuzzSerialNumbers reads any data as a serial number list: no panic, and
// every number read is one of the strings in the body's lists.
func FuzzSerialNumbers(f *testing.F) {
	for _, name := range []string{"receipt_serialnumbers.json", "stock_serialnumbers.json"} {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		require.NoError(f, json.Unmarshal(docExample(f, name), &env))
		f.Add([]byte(env.Data))
	}
	f.Add([]byte(`[{"lineNumber":"2","serialNumbers":["A",["B","C"]]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out []LineSerialNumbers
		if json.Unmarshal(data, &out) != nil {
			return
		}
		var strs []string
		collectStrings(t, data, &strs)
		known := map[string]bool{}
		for _, s := range strs {
			known[s] = true
		}
		for _, l := range out {
			for _, sn := range l.SerialNumbers {
				require.True(t, known[sn], "%q is a string of the body", sn)
			}
		}
	})
}

// FuzzIdentifierOf reads any data as a create's identifier: no panic, and
// a string or number inside a one-element list reads as itself.
func FuzzIdentifierOf(f *testing.F) {
	f.Add([]byte(`["<identifier>"]`))
	f.Add([]byte(`[77]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"16082"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := identifierOf(data)
		if err != nil {
			return
		}
		var s string
		if json.Unmarshal(data, &s) == nil {
			require.Equal(t, s, id)
		}
	})
}

// collectStrings lists every JSON string value in data.
func collectStrings(t *testing.T, data []byte, out *[]string) {
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			*out = append(*out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

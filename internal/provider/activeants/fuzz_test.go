package activeants_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

// seeds adds the document's examples (the whole answers and their items)
// to a fuzz corpus.
func seeds(f *testing.F, files ...string) {
	for _, file := range files {
		f.Add(doc(f, file))
		for _, raw := range docItems(f, file) {
			f.Add([]byte(raw))
		}
	}
	f.Add([]byte(`{"id": "12", "Id": 3, "shippingDate": "2025-07-11T14:57:24.54", "shippedColli": [{"colloNr": 1,}],}`))
	f.Add([]byte("messageCode=OK&message=RMA%20created.&result=133"))
	f.Add([]byte(`{"messageCode":"NOK","message":"","result":[{"sku":1e400}]}`))
}

var allDocs = []string{"shipment_get.txt", "shipment_search.txt", "stock_bulk.txt", "stockmutation_get.txt", "tracktrace.txt"}

func FuzzDecodeEnvelope(f *testing.F) {
	seeds(f, allDocs...)
	f.Add(doc(f, "settings.txt"))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := activeants.DecodeEnvelope(b)
		if err != nil {
			return
		}
		if env.MessageCode == "" {
			t.Fatal("an envelope without a messageCode was accepted")
		}
		_, _ = activeants.ResultItems(env.Result)
		_, _ = activeants.DecodeAccountSettings(env.Result)
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(doc(f, "token.txt"))
	f.Add([]byte(`{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`))
	f.Add([]byte(`{"access_token":"x","expires_in":"3600"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := activeants.DecodeToken(b)
		if err == nil && tok.AccessToken != "" && tok.String() == tok.AccessToken {
			t.Fatal("the token is printed")
		}
	})
}

func FuzzDecodeShipment(f *testing.F) {
	seeds(f, "shipment_get.txt", "shipment_search.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := activeants.DecodeShipment(b)
		if err == nil && (!s.ID.Valid || s.ID.N <= 0) {
			t.Fatal("a shipment without an id was accepted")
		}
	})
}

func FuzzDecodeStockItem(f *testing.F) {
	seeds(f, "stock_bulk.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := activeants.DecodeStockItem(b)
		if err == nil && s.SKU == "" {
			t.Fatal("a stock item without a sku was accepted")
		}
	})
}

func FuzzDecodeStockMutation(f *testing.F) {
	seeds(f, "stockmutation_get.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := activeants.DecodeStockMutation(b)
		if err == nil && (m.SKU == "" || m.CreatedAt.IsZero()) {
			t.Fatal("a stock mutation without its sku or time was accepted")
		}
	})
}

func FuzzDecodeTrackTrace(f *testing.F) {
	seeds(f, "tracktrace.txt")
	f.Fuzz(func(t *testing.T, b []byte) {
		if tt, err := activeants.DecodeTrackTrace(b); err == nil {
			_ = activeants.MapTrackTrace(tt.CurrentTrackTraceStatus, tt.CurrentTrackTraceExceptionLevel)
		}
	})
}

// FuzzNormalize runs every topic's mapping over arbitrary bodies: it
// never panics, and what it returns the pipeline can check and store
// (JSON round trip, canonical statuses).
func FuzzNormalize(f *testing.F) {
	seeds(f, allDocs...)
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: activeants.TestURL, Username: "u", Password: "p"})
	if err != nil {
		f.Fatal(err)
	}
	topics := []string{activeants.TopicShipment, activeants.TopicStock, activeants.TopicStockMutation, activeants.TopicTrackTrace}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, topic := range topics {
			m := &model.InboxMessage{Topic: topic, Body: b, ReceivedAt: time.Unix(1750000000, 0).UTC(),
				Meta: map[string]string{activeants.MetaOrderStatus: "partially_shipped"}}
			ch, err := c.Normalize(m)
			if err != nil {
				continue
			}
			for _, s := range ch.Shipments {
				for _, e := range s.Events {
					if !e.Status.Valid() {
						t.Fatalf("%s: event status %q is not canonical", topic, e.Status)
					}
				}
			}
			for _, o := range ch.Orders {
				if o.Status != model.OrderShipped && o.Status != model.OrderPartiallyShipped {
					t.Fatalf("%s: order status %q", topic, o.Status)
				}
			}
			if _, err := json.Marshal(ch); err != nil {
				t.Fatalf("%s: changes do not encode: %v", topic, err)
			}
		}
	})
}

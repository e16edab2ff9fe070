package activeants_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

// resultOf is the result of a document fixture's envelope.
func resultOf(f *testing.F, name string) []byte {
	env, err := activeants.DecodeEnvelope(doc(f, name))
	if err != nil {
		f.Fatal(err)
	}
	return env.Result
}

// FuzzCommandAnswer feeds command answers to Normalize under every
// command topic: it never panics, and what it accepts states its
// reference.
func FuzzCommandAnswer(f *testing.F) {
	for _, s := range []string{
		`{"kind":"order.create","command_id":41,"subject_id":7,"reference":"3000231343","number":"470345326","order":{"externalOrderNumber":"3000231343","onHold":true,"orderItems":[{"sku":"51002325","quantity":2}]}}`,
		`{"kind":"order.release","command_id":42,"reference":"3000231343","existing":true}`,
		`{"kind":"product.upsert","reference":"AA-RWHM-342","number":"1326169","product":{"sku":"AA-RWHM-342","name":"Lotion","barcode":"8712345678906","weight":0.295,"hasLotNumber":true}}`,
		`{"kind":"product.get","command_id":43,"subject_id":7,"reference":"AA-RWHM-342","number":"1326169","found":{"id":1326169,"sku":"AA-RWHM-342","name":"Lotion","barcode":"8712345678906","weight":0.295}}`,
		`{"kind":"product.get","reference":"x"}`,
		`{"kind":"inbound.create","reference":"PO-1","number":"23056","purchase_order":{"reference":"PO-1","expectedDate":"2025-07-21T00:00:00Z","purchaseOrderItems":[{"sku":"A","quantity":5}]}}`,
		`{"kind":"inbound.cancel","reference":"PO-1","number":"23056","colour":"yellow","received":[{"line_number":1,"sku":"A","received":4}]}`,
		`{"kind":"return.create","reference":"#1021-TST-001","number":"133","return":{"reference":"#1021-TST-001","lines":[{"sku":"T-001","quantity":1,"reason":"ADRES_OBOA"}]},"label":"data:application/pdf;base64,JVBERg=="}`,
		`{"kind":"order.cancel","reference":"x"}`, `{"kind":"return.create","reference":"x"}`, `{"kind":"order.create","reference":""}`, `[]`, `{}{}`,
	} {
		f.Add([]byte(s))
	}
	topics := []string{activeants.TopicCommandOrder, activeants.TopicCommandProduct, activeants.TopicCommandInbound, activeants.TopicCommandReturn}
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: "https://shopapi.activeants.nl", Username: "u", Password: "p"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, derr := activeants.DecodeCommandResult(b)
		for _, topic := range topics {
			ch, err := c.Normalize(&model.InboxMessage{ID: 1, Topic: topic, Body: b, ReceivedAt: time.Unix(1752570000, 0)})
			if err != nil {
				continue
			}
			if derr != nil {
				t.Fatalf("Normalize accepted what DecodeCommandResult refuses: %v", derr)
			}
			if ch.Len() != 1 {
				t.Fatalf("a command answer states %d updates, not 1", ch.Len())
			}
			for _, o := range ch.Orders {
				if o.Reference != r.Reference {
					t.Fatal("an order update lost the reference")
				}
			}
			for _, u := range ch.Returns {
				if u.Label != "" && !strings.HasPrefix(u.Label, "data:") {
					t.Fatal("a return label that is not a data: URL")
				}
			}
		}
	})
}

// FuzzDecodeReturnLabel never panics, and a label it accepts holds at
// most MaxLabelBytes.
func FuzzDecodeReturnLabel(f *testing.F) {
	f.Add(resultOf(f, "returnlabel.txt"))
	f.Add([]byte(`{"mimeType":"application/pdf","data":"JVBERi0xLjQK","shippingMethodId":115117}`))
	f.Add([]byte(`{"data":"!!"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, pdf, err := activeants.DecodeReturnLabel(b)
		if err == nil && len(pdf) > activeants.MaxLabelBytes {
			t.Fatalf("a label of %d bytes was accepted", len(pdf))
		}
	})
}

// FuzzDecodeFoundOrder and FuzzDecodeFoundShipments read the lookups'
// results.
func FuzzDecodeFoundOrder(f *testing.F) {
	f.Add(resultOf(f, "order_search.txt"))
	f.Add([]byte(`{"OrderNumber":"6298945","ExternalOrderNumber":"5432102"}`))
	f.Add([]byte(`{"orderNumber":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := activeants.DecodeFoundOrder(b)
		if err == nil && o != nil && !o.OrderNumber.Valid {
			t.Fatal("an order without a number was found")
		}
	})
}

func FuzzDecodeFoundShipments(f *testing.F) {
	f.Add(resultOf(f, "shipment_search.txt"))
	f.Add([]byte(`[{"Id":1,"ShipmentItems":[{"ShipmentItemId":"2","Sku":"x","Quantity":"1"}]}]`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := activeants.DecodeFoundShipments(b)
		if err != nil {
			return
		}
		if _, err := json.Marshal(list); err != nil {
			t.Fatal(err)
		}
		req := &model.ReturnRequest{Reference: "x", Lines: []model.ReturnRequestLine{{SKU: "x", Quantity: 1}}}
		_, _ = activeants.RMABody(req, list, []int64{1}, 1)
	})
}

package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
)

// FuzzOrderRequest feeds order bodies (outside input) to the decoding and
// validation of POST /orders. Neither panics; a request they accept has a
// reference, lines with SKUs and positive quantities and an upper-case
// ISO country, decodes the same from its own payload (so its hash is
// stable), and becomes an order whose lines are numbered from 1.
func FuzzOrderRequest(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "order_request.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"reference":"R","lines":[{"sku":"A","quantity":1}],"delivery_address":{"country":"nl"}}`,
		`{"lines":[{"quantity":"1"}]}`, `{"lines":[{"quantity":1e400}]}`, `{"reference":"\u0000"}`,
		`{"delivery_address":{"country":"EU"}}`, `{"OrderRequest":{}}`, `{"lines":[null,{"sku":null}]}`,
	} {
		f.Add([]byte(s))
	}
	conn := &connections.Conn{Workspace: "acme", ID: "wics", Provider: "wics"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req OrderInput
		if err := decodeBody(raw, &req); err != nil {
			return
		}
		if fe := validateOrderRequest(&req.OrderRequest); len(fe) > 0 {
			for _, e := range fe {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("a field error without field or message: %+v", e)
				}
			}
			return
		}
		if req.Reference == "" || len(req.Lines) == 0 || !isCountry(req.DeliveryAddress.Country) {
			t.Fatalf("accepted an order without reference, lines or country: %+v", req)
		}
		for _, l := range req.Lines {
			if l.SKU == "" || !(l.Quantity > 0) {
				t.Fatalf("accepted a line without SKU or quantity: %+v", l)
			}
		}
		payload, err := json.Marshal(req.OrderRequest)
		if err != nil {
			t.Fatalf("an accepted request does not encode: %v", err)
		}
		var again model.OrderRequest
		if err := json.Unmarshal(payload, &again); err != nil {
			t.Fatalf("the payload does not decode: %v", err)
		}
		if fe := validateOrderRequest(&again); len(fe) > 0 {
			t.Fatalf("the payload of an accepted request is refused: %v", fe)
		}
		if requestHash(model.CommandOrderCreate, "wics", 0, again) != requestHash(model.CommandOrderCreate, "wics", 0, req.OrderRequest) {
			t.Fatalf("the hash of a request changes when it is decoded again")
		}
		cmd := newCommand("acme", conn, model.CommandOrderCreate, payload, time.Unix(0, 0))
		o := newOrder(cmd, &req.OrderRequest, time.Unix(0, 0))
		for i, l := range o.Lines {
			if l.LineNumber != i+1 {
				t.Fatalf("line %d is numbered %d", i, l.LineNumber)
			}
		}
		if o.Status != model.OrderPending || o.DeliveryAddress == nil || o.InvoiceAddress == nil {
			t.Fatalf("a new order is not pending with its addresses: %+v", o)
		}
	})
}

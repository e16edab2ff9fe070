package wics

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// checkJSONGolden compares v, encoded with indentation, with
// testdata/golden/<name>.json; -update rewrites the file.
func checkJSONGolden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), buf.String(), "golden file %s", path)
}

// documentOrder is the document's Create Order example as a merchant
// states it to shiphub.
func documentOrder() model.OrderRequest {
	addr := model.Address{
		Company: "WICS", FirstName: "Hans", LastName: "de Groot", Street: "Concordiaweg", HouseNumber: "157",
		HouseNumberAddition: "A", AddressLine2: "Bovenste verdieping", Postcode: "4206BK", City: "Gorinchem",
		Region: "Zuid-Holland", Country: "NL", Email: "info@wics.nl", Phone: "0183507020",
	}
	return model.OrderRequest{
		Reference:       "SO510001",
		DeliveryAddress: addr,
		InvoiceAddress:  &addr,
		ShippingMethod:  "Bezorgen bij een afhaalpunt",
		DeliveryDate:    "2022-08-15",
		Note:            "Inpakken met cadeaupapier",
		Language:        "nl",
		Lines: []model.OrderRequestLine{
			{SKU: "16082", Quantity: 1, Description: "Jack kabel 1m"},
			{SKU: "16084", Quantity: 4, Description: "Speaker kabel"},
		},
	}
}

func TestOrderBodyGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		mutate    func(r *model.OrderRequest)
		webshopID int64
	}{
		{name: "document_order", webshopID: 2},
		{name: "invoice_defaults_to_delivery", mutate: func(r *model.OrderRequest) {
			r.InvoiceAddress = nil
			r.Language = ""
		}},
		{name: "house_number_with_its_addition", mutate: func(r *model.OrderRequest) {
			r.InvoiceAddress = nil
			r.DeliveryAddress.HouseNumber = "16B"
			r.DeliveryAddress.HouseNumberAddition = "bis"
			r.DeliveryAddress.FirstName, r.DeliveryAddress.LastName = "", ""
		}},
		{name: "foreign_address_without_street_number", mutate: func(r *model.OrderRequest) {
			r.InvoiceAddress = nil
			r.DeliveryAddress = model.Address{FirstName: "Jean", LastName: "Dupont", Street: "Rue de Rivoli", HouseNumber: "bis",
				Postcode: "75001", City: "Paris", Country: "fr", Email: "jean@example.fr"}
		}},
		{name: "no_delivery_date", mutate: func(r *model.OrderRequest) {
			r.DeliveryDate = ""
			r.ShippingMethod = ""
			r.Note = ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := documentOrder()
			if tc.mutate != nil {
				tc.mutate(&req)
			}
			body, err := OrderBody(&req, 42, 7, tc.webshopID)
			require.NoError(t, err)
			checkJSONGolden(t, "orderbody/"+tc.name, body)
		})
	}
}

// TestOrderBodyIsTheDocumentsShape checks the mapped document order
// against the document's own Create Order example, field by field where
// the canonical order has the field.
func TestOrderBodyIsTheDocumentsShape(t *testing.T) {
	t.Parallel()
	req := documentOrder()
	got, err := OrderBody(&req, 42, 7, 2)
	require.NoError(t, err)
	var doc Order
	require.NoError(t, json.Unmarshal([]byte(apiFixture(t, "create_order_request.json")), &doc))
	require.Equal(t, doc.Reference, got.Reference)
	require.Equal(t, doc.DeliveryDate, got.DeliveryDate)
	require.Equal(t, doc.Note, got.Note)
	require.Equal(t, doc.ShippingTag, got.ShippingTag)
	require.Equal(t, doc.WebshopID, got.WebshopID)
	for _, pair := range [][2]*OrderAddress{{doc.DeliveryAddress, got.DeliveryAddress}, {doc.InvoiceAddress, got.InvoiceAddress}} {
		want, have := *pair[0], *pair[1]
		require.Equal(t, want, have)
	}
	require.Len(t, got.Lines, 2)
	for i, l := range got.Lines {
		require.Equal(t, Int(i+1), l.LineNumber, "shiphub numbers lines from 1")
		require.Equal(t, doc.Lines[i].ItemCode, l.ItemCode)
		require.Equal(t, doc.Lines[i].ItemDescription, l.ItemDescription)
		require.Equal(t, doc.Lines[i].Quantity, l.Quantity)
	}
	require.Equal(t, "42", got.MetaFields.Text(MetaOrderID))
	require.Equal(t, "7", got.MetaFields.Text(MetaCommandID))
	// The metaFields come back on the order's shipment: the webhook
	// mapping reads the same key.
	require.Equal(t, int64(42), metaOrderID(MetaFields(got.MetaFields)))
}

func TestOrderBodyFieldErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(r *model.OrderRequest)
		fields []string
	}{
		{name: "HouseNumberMustBeginWithDigits", mutate: func(r *model.OrderRequest) { r.DeliveryAddress.HouseNumber = "zwei" },
			fields: []string{"delivery_address.house_number"}},
		{name: "HouseNumberIsRequiredOfADutchAddress", mutate: func(r *model.OrderRequest) { r.InvoiceAddress.HouseNumber = "" },
			fields: []string{"invoice_address.house_number"}},
		{name: "HouseNumberIsNotRequiredAbroad", mutate: func(r *model.OrderRequest) {
			r.InvoiceAddress.HouseNumber, r.InvoiceAddress.Country = "", "BE"
			r.Lines[0].SKU = ""
		}, fields: []string{"lines[0].sku"}},
		{name: "CountryOfTwoLetters", mutate: func(r *model.OrderRequest) { r.DeliveryAddress.Country = "NLD" },
			fields: []string{"delivery_address.country"}},
		{name: "CountryIsRequired", mutate: func(r *model.OrderRequest) { r.DeliveryAddress.Country = "" },
			fields: []string{"delivery_address.country"}},
		{name: "ANameOrACompany", mutate: func(r *model.OrderRequest) {
			r.DeliveryAddress.FirstName, r.DeliveryAddress.LastName, r.DeliveryAddress.Company = "", "", ""
		}, fields: []string{"delivery_address.last_name"}},
		{name: "PostcodeCityAndEmail", mutate: func(r *model.OrderRequest) {
			r.DeliveryAddress.Postcode, r.DeliveryAddress.City, r.DeliveryAddress.Email = " ", "", ""
		}, fields: []string{"delivery_address.postcode", "delivery_address.city", "delivery_address.email"}},
		{name: "WholeQuantities", mutate: func(r *model.OrderRequest) { r.Lines[1].Quantity = 1.5 },
			fields: []string{"lines[1].quantity"}},
		{name: "ASKUPerLine", mutate: func(r *model.OrderRequest) { r.Lines[0].SKU = "" },
			fields: []string{"lines[0].sku"}},
		{name: "ALine", mutate: func(r *model.OrderRequest) { r.Lines = nil }, fields: []string{"lines"}},
		{name: "AMalformedDeliveryDate", mutate: func(r *model.OrderRequest) { r.DeliveryDate = "15-08-2022" },
			fields: []string{"delivery_date"}},
		{name: "AReference", mutate: func(r *model.OrderRequest) { r.Reference = "" }, fields: []string{"reference"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := documentOrder()
			inv := *req.InvoiceAddress
			req.InvoiceAddress = &inv
			tc.mutate(&req)
			_, err := OrderBody(&req, 1, 1, 0)
			var fe provider.FieldErrors
			require.True(t, errors.As(err, &fe), "FieldErrors, got %v", err)
			var fields []string
			for _, e := range fe {
				fields = append(fields, e.Field)
				require.NotEmpty(t, e.Message)
			}
			require.Equal(t, tc.fields, fields)
		})
	}
}

func TestSplitHouseNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		num  int64
		rest string
		ok   bool
	}{
		{"157", 157, "", true}, {" 16B ", 16, "B", true}, {"16-2", 16, "2", true}, {"16 bis", 16, "bis", true},
		{"0", 0, "", false}, {"A16", 0, "", false}, {"", 0, "", false}, {"12345678901", 0, "", false},
	} {
		num, rest, ok := splitHouseNumber(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		if ok {
			require.Equal(t, tc.num, num, tc.in)
			require.Equal(t, tc.rest, rest, tc.in)
		}
	}
}

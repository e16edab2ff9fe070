package activeants_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

func TestEveryDocumentExampleAnswerIsAnEnvelope(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, code, message string
	}{
		{"status.txt", "OK", "Status is OK."},
		{"status_plain.txt", "OK", "Status is OK."},
		{"settings.txt", "OK", "Settings are ok."},
		{"order_search.txt", "OK", "Order found."},
		{"tracktrace.txt", "OK", "Found track trace status data"},
		{"shipment_get.txt", "OK", "Found 100 shipments that match your criteria."},
		{"shipment_sync.txt", "OK", "Request processed successfully."},
		{"shipment_search.txt", "OK", "Found 6 shipments that match your criteria."},
		{"returnlabel.txt", "OK", "Return label found."},
		{"stock_level.txt", "OK", "Found stock for the provided information."},
		{"stock_bulk.txt", "OK", "Found 1 products suitable for stock synchronization."},
		{"stock_get.txt", "string", "string"},
		{"stock_since.txt", "OK", "Found 4 products suitable for stock synchronization."},
		{"stockmutation_get.txt", "OK", "Found 3 stock Mutations that match your criteria."},
		{"stockmutation_sync.txt", "OK", "Request processed successfully."},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			env, err := activeants.DecodeEnvelope(doc(t, tc.file))
			require.NoError(t, err)
			require.Equal(t, tc.code, env.MessageCode)
			require.Equal(t, tc.message, env.Message)
			require.Equal(t, tc.code == "OK", env.OK())
		})
	}
}

func TestFormEncodedEnvelope(t *testing.T) {
	t.Parallel()
	// The document's RMA answer, verbatim.
	env, err := activeants.DecodeEnvelope([]byte("messageCode=OK&message=RMA%20created.&result=133"))
	require.NoError(t, err)
	require.True(t, env.OK())
	require.Equal(t, "RMA created.", env.Message)
	require.JSONEq(t, "133", string(env.Result))

	_, err = activeants.DecodeEnvelope([]byte("<html>502 Bad Gateway</html>"))
	require.ErrorIs(t, err, provider.ErrBadInput)
	_, err = activeants.DecodeEnvelope([]byte(`{"message":"Authorization has been denied for this request."}`))
	require.ErrorIs(t, err, provider.ErrBadInput, "no messageCode: not an envelope")
}

func TestTheDocumentsTokenExample(t *testing.T) {
	t.Parallel()
	tok, err := activeants.DecodeToken(doc(t, "token.txt"))
	require.NoError(t, err)
	require.Equal(t, "WW91IGNvdWxkIG5vdCByZXNpc3QgdGhlIHVyZ2UgdG8gbG9vayBjb3VsZCB5b3U/", tok.AccessToken)
	require.Equal(t, "bearer", tok.TokenType)
	require.EqualValues(t, 56499, tok.ExpiresIn.N)
	require.NotContains(t, tok.String(), tok.AccessToken, "a token printed is redacted")
}

func TestTheDocumentsShipmentExampleDecodesDespiteItsCutField(t *testing.T) {
	t.Parallel()
	// The example's shippedColli end in `"packageNumber": "…",` and `}`:
	// the field after it was lost. The whole answer still decodes.
	env, err := activeants.DecodeEnvelope(doc(t, "shipment_get.txt"))
	require.NoError(t, err)
	items, err := activeants.ResultItems(env.Result)
	require.NoError(t, err)
	require.Len(t, items, 5)
	s, err := activeants.DecodeShipment(items[1])
	require.NoError(t, err)
	require.EqualValues(t, 42438078, s.ID.N)
	require.Equal(t, "3000231358", s.ExternalOrderNumber)
	require.Equal(t, time.Date(2025, 7, 14, 12, 47, 14, 163e6, time.UTC), s.ShippingDate.Time, "no offset: Europe/Amsterdam (CEST)")
	require.Len(t, s.ShippedProducts, 4)
	require.Equal(t, "packagenumber-12345", s.ShippedColli[0].PackageNumber)
	require.Equal(t, activeants.Code("labelled"), s.CurrentStatus)
	require.Equal(t, "NR", s.Warehouse())
}

func TestCamelCaseAndPascalCaseDecodeAlike(t *testing.T) {
	t.Parallel()
	camel := `{"id": 7, "orderNumber": 8, "externalOrderNumber": "A-1", "shippingDate": "2025-07-11T14:57:24.54",
		"shippedColli": [{"colloNr": "1", "packageNumber": "3S1", "trackTraceUrl": "https://t/3S1"}],
		"shippedProducts": [{"sku": "S", "quantity": 2, "serialNrs": ["X1"], "tht": "2026-01-01T00:00:00", "lotNumber": "L1"}],
		"currentTrackTraceStatus": 7, "currentTrackTraceExceptionLevel": 1, "warehouseAbbrevation": "NR"}`
	pascal := `{"Id": 7, "OrderNumber": 8, "ExternalOrderNumber": "A-1", "ShippingDate": "2025-07-11T14:57:24.54",
		"ShippedColli": [{"ColloNr": 1, "PackageNumber": "3S1", "TrackTraceUrl": "https://t/3S1"}],
		"ShippedProducts": [{"Sku": "S", "Quantity": "2", "SerialNrs": ["X1"], "Tht": "2026-01-01T00:00:00", "LotNumber": "L1"}],
		"CurrentTrackTraceStatus": "7", "CurrentTrackTraceExceptionLevel": "1", "WarehouseAbbrevation": "NR"}`
	a, err := activeants.DecodeShipment([]byte(camel))
	require.NoError(t, err)
	b, err := activeants.DecodeShipment([]byte(pascal))
	require.NoError(t, err)
	require.Equal(t, a, b)

	m1, err := activeants.DecodeStockMutation([]byte(`{"id":1,"sku":"S","quantity":-3,"type":2,"createdAt":"2025-07-29T12:35:24.147","purchaseOrders":[{"quantity":3,"purchaseOrderReference":"PO-1"}]}`))
	require.NoError(t, err)
	m2, err := activeants.DecodeStockMutation([]byte(`{"Id":1,"Sku":"S","Quantity":-3,"Type":"2","CreatedAt":"2025-07-29T12:35:24.147","PurchaseOrders":[{"Quantity":3,"PurchaseOrderReference":"PO-1"}]}`))
	require.NoError(t, err)
	require.Equal(t, m1, m2)

	e1, err := activeants.DecodeEnvelope([]byte(`{"messageCode":"OK","message":"m","result":[]}`))
	require.NoError(t, err)
	e2, err := activeants.DecodeEnvelope([]byte(`{"MessageCode":"OK","Message":"m","Result":[]}`))
	require.NoError(t, err)
	require.Equal(t, e1, e2)
}

func TestDecodersNameWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
		decode           func([]byte) error
	}{
		{"ShipmentWithoutID", `{"externalOrderNumber":"A"}`, "no id", func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"ShipmentDateNotADate", `{"id":1,"shippingDate":"yesterday"}`, "expected a date-time", func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"ShipmentIDNotANumber", `{"id":"abc"}`, "expected an integer", func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"ShipmentNotAnObject", `[1]`, "not a JSON object", func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"StockWithoutSKU", `{"stock":1}`, "no sku", func(b []byte) error { _, err := activeants.DecodeStockItem(b); return err }},
		{"MutationWithoutCreatedAt", `{"id":1,"sku":"S","quantity":1}`, "no createdAt", func(b []byte) error { _, err := activeants.DecodeStockMutation(b); return err }},
		{"TrackTraceWithoutShipment", `{"packageNumber":"3S"}`, "no shipmentId", func(b []byte) error { _, err := activeants.DecodeTrackTrace(b); return err }},
		{"DataAfterTheObject", `{"id":1} {"id":2}`, "data after the object", func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.decode([]byte(tc.body))
			require.ErrorIs(t, err, provider.ErrBadInput)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2025-07-11T14:57:24.54", time.Date(2025, 7, 11, 12, 57, 24, 540e6, time.UTC)},
		{"2023-03-24T12:52:39.6333333", time.Date(2023, 3, 24, 11, 52, 39, 633333300, time.UTC)},
		{"2024-01-26T08:53:47", time.Date(2024, 1, 26, 7, 53, 47, 0, time.UTC)},
		{"2019-08-24T14:15:22Z", time.Date(2019, 8, 24, 14, 15, 22, 0, time.UTC)},
		{"0001-01-01T00:00:00+00:00", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2025-05-01", time.Date(2025, 4, 30, 22, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
	} {
		got, err := activeants.ParseTime(tc.in)
		require.NoError(t, err, tc.in)
		require.True(t, tc.want.Equal(got), "%s: got %s", tc.in, got)
	}
	_, err := activeants.ParseTime("24-08-2019")
	require.Error(t, err)
}

func TestEveryItemOfTheDocumentsListsDecodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		n      int
		decode func([]byte) error
	}{
		{"shipment_get.txt", 5, func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"shipment_search.txt", 6, func(b []byte) error { _, err := activeants.DecodeShipment(b); return err }},
		{"stock_bulk.txt", 1, func(b []byte) error { _, err := activeants.DecodeStockItem(b); return err }},
		{"stockmutation_get.txt", 3, func(b []byte) error { _, err := activeants.DecodeStockMutation(b); return err }},
		{"tracktrace.txt", 20, func(b []byte) error { _, err := activeants.DecodeTrackTrace(b); return err }},
	} {
		items := docItems(t, tc.file)
		require.Len(t, items, tc.n, tc.file)
		for i, raw := range items {
			require.NoError(t, tc.decode(raw), "%s result[%d]", tc.file, i)
		}
	}
	var since struct {
		Stock []json.RawMessage `json:"stock"`
	}
	env, err := activeants.DecodeEnvelope(doc(t, "stock_since.txt"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(env.Result, &since))
	for _, raw := range since.Stock {
		s, err := activeants.DecodeStockItem(raw)
		require.NoError(t, err)
		require.True(t, strings.TrimSpace(s.SKU) != "")
	}
}

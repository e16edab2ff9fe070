package wics

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

// TestTolerances: what is read liberally is read as the document means it,
// and recorded exactly; the strict decoder refuses each of these bodies.
func TestTolerances(t *testing.T) {
	t.Parallel()
	const stockTail = `"nettoSalable":1,"announced":0}`
	cases := []struct {
		name  string
		topic Topic
		body  string
		tol   Tolerated
		check func(t *testing.T, m Message)
	}{
		{"TrailingCommaInObject", TopicStock, `{"itemCode":"A","physical":1,` + `"nettoSalable":1,"announced":0,}`,
			Tolerated{"trailing comma at offset 59"}, nil},
		{"TrailingCommaInListAndSpaces", TopicRMA, "{\"orderReference\":\"R\",\"lines\":[{\"itemCode\":\"W\",\"quantity\":1} ,\n ]}",
			Tolerated{"trailing comma at offset 61"}, func(t *testing.T, m Message) { require.Len(t, m.(*RMA).Lines, 1) }},
		{"TrailingCommaAfterEveryKindOfValue", TopicShipment, `{"shipmentNr":1,"orderReference":"R","metaFields":{"a":[1,"x",true,false,null,{},[],],"b":{"c":1,},},}`,
			Tolerated{"trailing comma at offset 83", "trailing comma at offset 96", "trailing comma at offset 98", "trailing comma at offset 100"}, func(t *testing.T, m Message) {
				require.Equal(t, `[1,"x",true,false,null,{},[]]`, string(m.(*Shipment).MetaFields["a"]))
			}},
		{"ByteOrderMark", TopicStock, "\xef\xbb\xbf" + `{"itemCode":"A","physical":1,` + stockTail,
			Tolerated{"byte order mark at offset 0"}, nil},
		{"NumberAsString", TopicStock, `{"itemCode":"CS1001","physical":"20639",` + stockTail,
			Tolerated{`physical: number given as the string "20639"`}, func(t *testing.T, m Message) { require.Equal(t, int64(20639), m.(*Stock).Physical) }},
		{"NegativeNumberAsString", TopicStockMutation, `{"itemCode":"1","quantity":"-3","registrationDate":"2022-05-02T09:48:11+02:00"}`,
			Tolerated{`quantity: number given as the string "-3"`}, func(t *testing.T, m Message) { require.Equal(t, int64(-3), m.(*StockMutation).Quantity) }},
		{"WholeNumberWithFraction", TopicStock, `{"itemCode":"A","physical":3.0,` + stockTail,
			Tolerated{"physical: whole number written as 3.0"}, func(t *testing.T, m Message) { require.Equal(t, int64(3), m.(*Stock).Physical) }},
		{"WholeNumberWithExponent", TopicStock, `{"itemCode":"A","physical":1e3,` + stockTail,
			Tolerated{"physical: whole number written as 1e3"}, func(t *testing.T, m Message) { require.Equal(t, int64(1000), m.(*Stock).Physical) }},
		{"TextAsNumber", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","shipperCode":9000000}`,
			Tolerated{"shipperCode: number 9000000 taken as text"}, func(t *testing.T, m Message) { require.Equal(t, "9000000", m.(*Shipment).ShipperCode) }},
		{"OrderNrAsString", TopicOrderStatus, `{"orderNr":"13291","orderReference":"R","statusCode":"30"}`,
			Tolerated{`orderNr: number given as the string "13291"`}, func(t *testing.T, m Message) { require.Equal(t, int64(13291), m.(*OrderStatus).OrderNr) }},
		{"SpaceInsteadOfT", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02 09:48:11.000+02:00"}`,
			Tolerated{"registrationDate: space instead of T"}, instant("2022-05-02T07:48:11Z")},
		{"NoOffsetInSummer", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02T09:48:11"}`,
			Tolerated{"registrationDate: no UTC offset, read as Europe/Amsterdam time"}, instant("2022-05-02T07:48:11Z")},
		{"NoOffsetInWinterWithSpaceAndFraction", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-12-02 09:48:11.123456789"}`,
			Tolerated{"registrationDate: space instead of T", "registrationDate: no UTC offset, read as Europe/Amsterdam time"}, instant("2022-12-02T08:48:11.123456789Z")},
		{"NoOffsetJustAfterTheRepeatedHour", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-10-30T03:00:00"}`,
			Tolerated{"registrationDate: no UTC offset, read as Europe/Amsterdam time"}, instant("2022-10-30T02:00:00Z")},
		{"DateWithoutTime", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","deliveryDate":"2022-08-15"}`,
			Tolerated{"deliveryDate: a date without a time of day"}, func(t *testing.T, m Message) {
				d := m.(*Shipment).DeliveryDate
				require.Equal(t, "2022-08-15", d.Date)
				require.True(t, d.Instant.IsZero())
			}},
		{"EmptyDate", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","deliveryDate":""}`,
			Tolerated{"deliveryDate: empty string taken as no date"}, func(t *testing.T, m Message) { require.True(t, m.(*Shipment).DeliveryDate.IsZero()) }},
		{"MetaFieldsAsJSONString", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","metaFields":"{\"shiphub\":{\"order\":\"ord_1\"}}"}`,
			Tolerated{"metaFields: object given as a JSON string"}, func(t *testing.T, m Message) {
				require.JSONEq(t, `{"order":"ord_1"}`, string(m.(*Shipment).MetaFields["shiphub"]))
			}},
		{"KeyInOtherCase", TopicReceipt, `{"number":"1","lines":[{"itemCode":"A","quantityReceived":1,"eansscc":"WICS1"}]}`,
			Tolerated{"lines[0].eansscc: key read as EANSSCC, ignoring case"}, func(t *testing.T, m Message) { require.Equal(t, "WICS1", m.(*Receipt).Lines[0].EANSSCC) }},
		{"UnknownField", TopicStock, `{"itemCode":"A","physical":1,"colour":"red",` + stockTail,
			Tolerated{"colour: unknown field ignored"}, nil},
		{"UnicodeFoldingIsNotACaseDifference", TopicReceipt, `{"number":"1","lines":[{"itemCode":"A","quantityReceived":1,"EANſſCC":"WICS1"}]}`,
			Tolerated{`lines[0]."EANſſCC": unknown field ignored`}, func(t *testing.T, m Message) { require.Empty(t, m.(*Receipt).Lines[0].EANSSCC) }},
		{"UnknownOddKey", TopicStock, `{"itemCode":"A","physical":1,"a b":1,` + stockTail,
			Tolerated{`"a b": unknown field ignored`}, nil},
		{"NullList", TopicRMA, `{"orderReference":"R","lines":null}`,
			Tolerated{"lines: null taken as an empty list"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m, tol, err := NewDecoder(nil).Decode(c.topic, []byte(c.body))
			if c.tol == nil {
				require.ErrorIs(t, err, provider.ErrBadInput)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.tol, tol)
			if c.check != nil {
				c.check(t, m)
			}
			_, strictTol, err := (&Decoder{Strict: true}).Decode(c.topic, []byte(c.body))
			require.ErrorIs(t, err, provider.ErrBadInput, "the strict decoder refuses what needed a tolerance")
			require.Contains(t, err.Error(), "refused: strict decoding")
			require.Nil(t, strictTol)
		})
	}
}

func instant(want string) func(t *testing.T, m Message) {
	return func(t *testing.T, m Message) {
		t.Helper()
		got := m.(*StockMutation).RegistrationDate
		require.Equal(t, want, got.Instant.Format(time.RFC3339Nano))
		require.Equal(t, time.UTC, got.Instant.Location())
	}
}

// TestStrictFormsNeedNoTolerance: what the document describes is read
// without a recorded tolerance: fractional seconds, Z, null strings,
// nullable numbers, metaFields objects, a date for bestBeforeDate.
func TestStrictFormsNeedNoTolerance(t *testing.T) {
	t.Parallel()
	body := `{"shipmentNr":9313,"orderReference":"WT 95","deliveryDate":"2021-09-13T00:00:00Z",
	  "metaFields":{"shiphub":{"order":"ord_1"},"n":[1,2.5,null,true]},"trackAndTraceUrl":null,
	  "shippingLines":[{"itemCode":"16082","quantityDelivered":1,"orderLineExternal":7,"bestBeforeDate":"2024-02-14"},
	                   {"itemCode":"16083","quantityDelivered":2,"bestBeforeDate":"2024-02-14T10:00:00.5+01:00"}]}`
	for _, d := range []*Decoder{NewDecoder(nil), {Strict: true}} {
		s, tol, err := d.DecodeShipment([]byte(body))
		require.NoError(t, err)
		require.Empty(t, tol)
		require.Equal(t, "2021-09-13", s.DeliveryDate.Date)
		require.JSONEq(t, `{"order":"ord_1"}`, string(s.MetaFields["shiphub"]))
		require.Equal(t, `[1,2.5,null,true]`, string(s.MetaFields["n"]))
		require.Equal(t, int64(7), *s.ShippingLines[0].OrderLineExternal)
		require.Nil(t, s.ShippingLines[1].OrderLineExternal)
		require.Equal(t, Time{Date: "2024-02-14"}, s.ShippingLines[0].BestBeforeDate)
		require.Equal(t, "2024-02-14T09:00:00.5Z", s.ShippingLines[1].BestBeforeDate.Instant.Format(time.RFC3339Nano))
	}
}

// TestOffsetlessTimesUseTheConnectionsZone: the decoder's Location reads a
// date-time without an offset.
func TestOffsetlessTimesUseTheConnectionsZone(t *testing.T) {
	t.Parallel()
	ny, err := provider.LoadLocation("America/New_York")
	require.NoError(t, err)
	body := []byte(`{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02T09:48:11"}`)
	m, tol, err := NewDecoder(ny).DecodeStockMutation(body)
	require.NoError(t, err)
	require.Equal(t, Tolerated{"registrationDate: no UTC offset, read as America/New_York time"}, tol)
	require.Equal(t, "2022-05-02T13:48:11Z", m.RegistrationDate.Instant.Format(time.RFC3339))
}

func TestLocalInstants(t *testing.T) {
	t.Parallel()
	ams, err := provider.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02T15:04", s)
		require.NoError(t, err)
		return v
	}
	require.Len(t, localInstants(at("2022-10-30T02:30"), ams), 2, "the repeated hour")
	require.Len(t, localInstants(at("2022-03-27T02:30"), ams), 0, "the skipped hour")
	require.Len(t, localInstants(at("2022-03-27T03:00"), ams), 1)
	require.Len(t, localInstants(at("2022-03-27T01:59"), ams), 1)
	require.Len(t, localInstants(at("2022-10-30T01:59"), ams), 1)
	require.Len(t, localInstants(at("2022-07-01T12:00"), time.UTC), 1)
}

// TestStockWithoutAnnouncedIsNotZero: a stock message that does not say
// what is announced leaves Announced nil, so the mapping keeps what it
// knew, rather than setting it to 0.
func TestStockWithoutAnnouncedIsNotZero(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"itemCode":"A","physical":1,"nettoSalable":1}`, `{"itemCode":"A","physical":1,"nettoSalable":1,"announced":null}`} {
		s, tol, err := (&Decoder{Strict: true}).DecodeStock([]byte(body))
		require.NoError(t, err)
		require.Empty(t, tol)
		require.Nil(t, s.Announced)
	}
	s, _, err := Decode(TopicStock, []byte(`{"itemCode":"A","physical":1,"nettoSalable":1,"announced":0}`))
	require.NoError(t, err)
	require.Equal(t, int64(0), *s.(*Stock).Announced)
}

// TestToleratedIsBounded: many tolerances are listed up to a bound, and the
// rest are counted.
func TestToleratedIsBounded(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, `{"itemCode":"A","quantity":1,"extra":1}`)
	}
	body := `{"orderReference":"R","lines":[` + strings.Join(lines, ",") + `]}`
	m, tol, err := Decode(TopicRMA, []byte(body))
	require.NoError(t, err)
	require.Len(t, m.(*RMA).Lines, 100)
	require.Len(t, tol, maxTolerated+1)
	require.Equal(t, "lines[0].extra: unknown field ignored", tol[0])
	require.Equal(t, "lines[31].extra: unknown field ignored", tol[maxTolerated-1])
	require.Equal(t, "and 68 more tolerances not listed", tol[maxTolerated])
}

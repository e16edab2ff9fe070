package wics

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// example reads a topic's example, copied verbatim from the document's
// "Topic's" chapter, quirks included.
func example(t testing.TB, topic Topic) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "examples", string(topic)+".json"))
	require.NoError(t, err)
	return raw
}

// golden is what a golden file holds: the decoded message and what was
// tolerated to decode it.
type golden struct {
	Topic     Topic     `json:"topic"`
	Message   Message   `json:"message"`
	Tolerated Tolerated `json:"tolerated"`
}

func checkGolden(t *testing.T, name string, got golden) {
	t.Helper()
	if got.Tolerated == nil {
		got.Tolerated = Tolerated{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(got))
	out := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		require.NoError(t, os.WriteFile(path, out, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(out), "golden file %s", path)
}

// TestDocumentExamplesDecode: every topic's example from the document is
// accepted verbatim, and what was tolerated is exactly the document's two
// quirks.
func TestDocumentExamplesDecode(t *testing.T) {
	t.Parallel()
	wantTolerated := map[Topic]Tolerated{
		TopicReceipt:       {"trailing comma at offset 768"},
		TopicStockMutation: {"registrationDate: space before T"},
	}
	for _, topic := range Topics() {
		t.Run(string(topic), func(t *testing.T) {
			t.Parallel()
			body := example(t, topic)
			m, tol, err := NewDecoder(nil).Decode(topic, body)
			require.NoError(t, err)
			require.Equal(t, topic, m.Topic())
			require.Equal(t, wantTolerated[topic], tol)
			checkGolden(t, string(topic), golden{Topic: topic, Message: m, Tolerated: tol})

			// The strict decoder refuses exactly the examples that needed a
			// tolerance.
			_, _, strictErr := (&Decoder{Strict: true}).Decode(topic, body)
			if len(wantTolerated[topic]) == 0 {
				require.NoError(t, strictErr)
			} else {
				require.ErrorIs(t, strictErr, provider.ErrBadInput)
			}
		})
	}
}

// TestTheReceiptsTrailingCommaIsWhereTheOffsetSays: the recorded offset
// points at the comma in the document's example.
func TestTheReceiptsTrailingCommaIsWhereTheOffsetSays(t *testing.T) {
	t.Parallel()
	body := example(t, TopicReceipt)
	require.Equal(t, byte(','), body[768])
	require.Equal(t, `"Vrij",`, string(body[762:769]))
}

// TestTypedDecodersAgreeWithDecode: each DecodeX gives what Decode gives.
func TestTypedDecodersAgreeWithDecode(t *testing.T) {
	t.Parallel()
	d := NewDecoder(nil)
	typed := map[Topic]func([]byte) (Message, Tolerated, error){
		TopicShipment:           func(b []byte) (Message, Tolerated, error) { return d.DecodeShipment(b) },
		TopicReceipt:            func(b []byte) (Message, Tolerated, error) { return d.DecodeReceipt(b) },
		TopicStock:              func(b []byte) (Message, Tolerated, error) { return d.DecodeStock(b) },
		TopicStockMutation:      func(b []byte) (Message, Tolerated, error) { return d.DecodeStockMutation(b) },
		TopicAnnouncementStatus: func(b []byte) (Message, Tolerated, error) { return d.DecodeAnnouncementStatus(b) },
		TopicOrderStatus:        func(b []byte) (Message, Tolerated, error) { return d.DecodeOrderStatus(b) },
		TopicOrderLineStatus:    func(b []byte) (Message, Tolerated, error) { return d.DecodeOrderLineStatus(b) },
		TopicPickslipLineStatus: func(b []byte) (Message, Tolerated, error) { return d.DecodePickslipLineStatus(b) },
		TopicRMA:                func(b []byte) (Message, Tolerated, error) { return d.DecodeRMA(b) },
	}
	require.Len(t, typed, len(Topics()))
	for topic, decode := range typed {
		body := example(t, topic)
		want, wantTol, err := d.Decode(topic, body)
		require.NoError(t, err)
		got, gotTol, err := decode(body)
		require.NoError(t, err)
		require.Equal(t, want, got, topic)
		require.Equal(t, wantTol, gotTol, topic)
		require.Equal(t, topic, got.Topic())
	}
}

// TestIssueFigures: the figures the issue's end-to-end test reads back
// come out of the wire layer as the issue states them.
func TestIssueFigures(t *testing.T) {
	t.Parallel()
	d := NewDecoder(nil)
	stock, _, err := d.DecodeStock(example(t, TopicStock))
	require.NoError(t, err)
	require.Equal(t, "CS1001", stock.ItemCode)
	require.NotNil(t, stock.Announced)
	require.Equal(t, [3]int64{20639, 20599, 3}, [3]int64{stock.Physical, stock.NettoSalable, *stock.Announced})

	ship, _, err := d.DecodeShipment(example(t, TopicShipment))
	require.NoError(t, err)
	require.Equal(t, "3SDEVC0052846", ship.TrackAndTrace)
	require.Equal(t, "WT 95", ship.OrderReference)
	require.Equal(t, "2021-09-13", ship.DeliveryDate.Date)
	require.Equal(t, "2021-09-12T22:00:00Z", ship.DeliveryDate.Instant.Format("2006-01-02T15:04:05Z07:00"))

	rec, _, err := d.DecodeReceipt(example(t, TopicReceipt))
	require.NoError(t, err)
	require.Equal(t, "1175", rec.Number)
	require.Len(t, rec.Lines, 1)
	require.Equal(t, "WTI-027", rec.Lines[0].ItemCode)
	require.Equal(t, int64(4), rec.Lines[0].QuantityReceived)
	require.Nil(t, rec.Lines[0].LineNumber)

	rma, _, err := d.DecodeRMA(example(t, TopicRMA))
	require.NoError(t, err)
	require.Equal(t, "200122", rma.OrderReference)
	require.Equal(t, RMAQuestion{QuestionNumber: 4, Question: "Is het artikel beschadigd?", AnswerNumber: 2, Answer: "Ja"}, rma.Lines[0].Questions[0])

	mut, _, err := d.DecodeStockMutation(example(t, TopicStockMutation))
	require.NoError(t, err)
	require.Equal(t, int64(-1), mut.Quantity)
	require.Equal(t, "2022-05-02T07:48:11Z", mut.RegistrationDate.Instant.Format("2006-01-02T15:04:05Z07:00"))

	os, _, err := d.DecodeOrderStatus(example(t, TopicOrderStatus))
	require.NoError(t, err)
	require.Equal(t, "WT-2508-4", os.OrderReference)
	require.Equal(t, "00", os.StatusCode)
}

func TestUnknownTopic(t *testing.T) {
	t.Parallel()
	_, _, err := NewDecoder(nil).Decode("stocks", example(t, TopicStock))
	require.ErrorIs(t, err, ErrUnknownTopic)
	require.NotErrorIs(t, err, provider.ErrBadInput)
}

func TestParseTopic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Topic
	}{
		{"shipment", TopicShipment}, {"Shipment", TopicShipment}, {"RECEIPT", TopicReceipt},
		{"stock", TopicStock}, {"StockMutation", TopicStockMutation},
		{"announcementStatus", TopicAnnouncementStatus}, {"orderStatus", TopicOrderStatus},
		{"OrderLineStatus", TopicOrderLineStatus}, {"PickslipLineStatus", TopicPickslipLineStatus},
		{"rma", TopicRMA}, {"RMA", TopicRMA},
	}
	for _, c := range cases {
		got, err := ParseTopic(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	for _, bad := range []string{"", "stocks", "stock-mutation", "stock_mutation", "order status", " stock", "stock/", "webhook", "ſtock", "RMA\u200b"} {
		_, err := ParseTopic(bad)
		require.ErrorIs(t, err, ErrUnknownTopic, "%q", bad)
	}
	seen := map[Topic]bool{}
	for _, topic := range Topics() {
		require.False(t, seen[topic])
		seen[topic] = true
		got, err := ParseTopic(string(topic))
		require.NoError(t, err)
		require.Equal(t, topic, got)
	}
	require.Len(t, seen, 9)
}

// TestErrorsNameTheField: wrong-shape bodies are refused with an error that
// wraps ErrBadInput and names the field; nothing is tolerated that is
// ambiguous.
func TestErrorsNameTheField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		topic Topic
		body  string
		field string
		want  string
	}{
		{"TextForANumber", TopicStock, `{"itemCode":"CS1001","physical":"abc","nettoSalable":1,"announced":0}`, "physical", `physical: expected a number, got "abc"`},
		{"FractionForACount", TopicStock, `{"itemCode":"CS1001","physical":1.5,"nettoSalable":1,"announced":0}`, "physical", "physical: expected a whole number, got 1.5"},
		{"NumberTooBig", TopicStock, `{"itemCode":"CS1001","physical":1e300,"nettoSalable":1,"announced":0}`, "physical", "physical: expected a whole number, got 1e300"},
		{"NullCount", TopicStock, `{"itemCode":"CS1001","physical":null,"nettoSalable":1,"announced":0}`, "physical", "physical: is required, got null"},
		{"MissingCount", TopicStock, `{"itemCode":"CS1001","physical":1,"announced":0}`, "nettoSalable", "nettoSalable: is required"},
		{"MissingItemCode", TopicStock, `{"physical":1,"nettoSalable":1,"announced":0}`, "itemCode", "itemCode: is required"},
		{"BlankItemCode", TopicStock, `{"itemCode":"  ","physical":1,"nettoSalable":1,"announced":0}`, "itemCode", `itemCode: is required, got "  "`},
		{"ObjectForText", TopicStock, `{"itemCode":{"a":1},"physical":1,"nettoSalable":1,"announced":0}`, "itemCode", "itemCode: expected a string, got an object"},
		{"WarehouseLineWrong", TopicStock, `{"itemCode":"A","physical":1,"nettoSalable":1,"announced":0,"warehouses":[{"warehouseCode":"WHS","physical":1,"nettoSalable":1},{"warehouseCode":"WXS","physical":"x","nettoSalable":1}]}`, "warehouses[1].physical", `warehouses[1].physical: expected a number, got "x"`},
		{"ListIsNotAList", TopicRMA, `{"orderReference":"200122","lines":{"lineNumber":2}}`, "lines", "lines: expected a list, got an object"},
		{"LineIsNotAnObject", TopicRMA, `{"orderReference":"200122","lines":[7]}`, "lines[0]", "lines[0]: expected an object, got 7"},
		{"NestedQuestionWrong", TopicRMA, `{"orderReference":"200122","lines":[{"itemCode":"W","quantity":1,"questions":[{"questionNumber":"vier"}]}]}`, "lines[0].questions[0].questionNumber", `lines[0].questions[0].questionNumber: expected a number, got "vier"`},
		{"ReceiptLineQuantity", TopicReceipt, `{"number":"1175","lines":[{"itemCode":"WTI-027","quantityReceived":"four"}]}`, "lines[0].quantityReceived", `lines[0].quantityReceived: expected a number, got "four"`},
		{"StatusCodeAsNumber", TopicOrderStatus, `{"orderNr":1,"orderReference":"R","statusCode":0}`, "statusCode", `statusCode: expected a status code as a string such as "00", got the number 0`},
		{"MissingStatusCode", TopicOrderStatus, `{"orderNr":1,"orderReference":"R"}`, "statusCode", "statusCode: is required"},
		{"LineStatusMissingLineNumber", TopicOrderLineStatus, `{"orderNr":1,"orderReference":"R","lines":[{"statusCode":"30"}]}`, "lines[0].lineNumber", "lines[0].lineNumber: is required"},
		{"PickslipOldCodeNumber", TopicPickslipLineStatus, `{"orderNr":1,"orderReference":"R","lines":[{"lineNumber":3,"statusCode":"60","oldStatusCode":40}]}`, "lines[0].oldStatusCode", "lines[0].oldStatusCode: expected a status code"},
		{"BoolAsText", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","hasSerialNumbers":"false"}`, "hasSerialNumbers", `hasSerialNumbers: expected true or false, got "false"`},
		{"BadDate", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","deliveryDate":"13-09-2021"}`, "deliveryDate", `deliveryDate: expected an RFC 3339 date-time`},
		{"DateAsNumber", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","deliveryDate":20210913}`, "deliveryDate", `deliveryDate: expected a date-time string, got 20210913`},
		{"ImpossibleDate", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","deliveryDate":"2021-02-30T00:00:00+02:00"}`, "deliveryDate", `deliveryDate: "2021-02-30T00:00:00+02:00" is not a valid date-time`},
		{"CommaFraction", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02T09:48:11,000+02:00"}`, "registrationDate", "registrationDate: expected an RFC 3339 date-time"},
		{"OffsetWithoutColon", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02T09:48:11+0200"}`, "registrationDate", "registrationDate: expected an RFC 3339 date-time"},
		{"RepeatedLocalHour", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-10-30T02:30:00"}`, "registrationDate", "happens twice in Europe/Amsterdam"},
		{"SkippedLocalHour", TopicStockMutation, `{"itemCode":"1","quantity":1,"registrationDate":"2022-03-27T02:30:00"}`, "registrationDate", "does not exist in Europe/Amsterdam"},
		{"MissingRegistrationDate", TopicStockMutation, `{"itemCode":"1","quantity":1}`, "registrationDate", "registrationDate: is required"},
		{"MetaFieldsNotAnObject", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","metaFields":"WISH_1024"}`, "metaFields", `metaFields: expected an object, got "WISH_1024"`},
		{"MetaFieldsAList", TopicShipment, `{"shipmentNr":1,"orderReference":"WT 95","metaFields":[1]}`, "metaFields", "metaFields: expected an object, got a list"},
		{"DuplicateKey", TopicStock, `{"itemCode":"A","physical":1,"physical":2,"nettoSalable":1,"announced":0}`, "physical", "physical: given twice"},
		{"DuplicateKeyNested", TopicReceipt, `{"number":"1","lines":[{"itemCode":"A","quantityReceived":1,"itemCode":"B"}]}`, "lines[0].itemCode", "lines[0].itemCode: given twice"},
		{"KeyTwiceInDifferentCase", TopicReceipt, `{"number":"1","lines":[{"itemCode":"A","quantityReceived":1,"EANSSCC":"X","eansscc":"Y"}]}`, "lines[0].EANSSCC", `lines[0].EANSSCC: given twice (once as "eansscc")`},
		{"TopLevelList", TopicStock, `[{"itemCode":"A"}]`, "", "the body must be a JSON object, got a list"},
		{"Empty", TopicStock, ``, "", "the body is empty"},
		{"NotJSON", TopicStock, `itemCode=A`, "", "invalid JSON"},
		{"TwoValues", TopicStock, `{"itemCode":"A","physical":1,"nettoSalable":1,"announced":0} {}`, "", "data after the JSON value"},
		{"Truncated", TopicStock, `{"itemCode":"A","physical":1`, "", "invalid JSON"},
		{"DoubleComma", TopicStock, `{"itemCode":"A",,"physical":1,"nettoSalable":1,"announced":0}`, "", "invalid JSON"},
		{"CommaAfterOpeningBracket", TopicRMA, `{"orderReference":"R","lines":[,]}`, "", "invalid JSON"},
		{"CommaAfterColon", TopicStock, `{"itemCode":,}`, "", "invalid JSON"},
		{"Comment", TopicStock, `{"itemCode":"A" /* x */}`, "", "invalid JSON"},
		{"SingleQuotes", TopicStock, `{'itemCode':'A'}`, "", "invalid JSON"},
		{"NestedTooDeep", TopicStock, `{"itemCode":"A","extra":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "", "nested deeper than 64 levels"},
		{"NullBody", TopicStock, `null`, "", "the body must be a JSON object, got null"},
		{"InvalidUTF8", TopicStock, "{\"itemCode\":\"\xff\"}", "", "not valid UTF-8 (at offset 13)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m, tol, err := NewDecoder(nil).Decode(c.topic, []byte(c.body))
			require.Error(t, err)
			require.Nil(t, m)
			require.Nil(t, tol)
			require.ErrorIs(t, err, provider.ErrBadInput)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			require.Equal(t, c.field, fe.Field)
			require.Contains(t, provider.Reason(err), c.want)
		})
	}
}

// TestFieldErrorText: the error reads like the project's other bad-input
// errors, and provider.Reason gives the part a person reads.
func TestFieldErrorText(t *testing.T) {
	t.Parallel()
	_, _, err := Decode(TopicStock, []byte(`{"itemCode":"CS1001","physical":"abc","nettoSalable":1,"announced":0}`))
	require.EqualError(t, err, `bad input: physical: expected a number, got "abc"`)
	require.Equal(t, `physical: expected a number, got "abc"`, provider.Reason(err))
}

// TestSyntaxErrorOffsetsAreTheBodys: after a dropped comma, the offset of a
// later syntax error is still the body's own.
func TestSyntaxErrorOffsetsAreTheBodys(t *testing.T) {
	t.Parallel()
	body := `{"itemCode":"A","warehouses":[{"warehouseCode":"W","physical":1,"nettoSalable":1,},] x}`
	_, _, err := NewDecoder(nil).Decode(TopicStock, []byte(body))
	require.ErrorIs(t, err, provider.ErrBadInput)
	at := bytes.IndexByte([]byte(body), 'x')
	require.Contains(t, err.Error(), "at offset ")
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	require.Contains(t, fe.Reason, "invalid character 'x'")
	require.Contains(t, fe.Reason, "at offset "+itoa(at))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestPackageDecodeIsTheZeroDecoder: Decode reads offset-less times in
// Europe/Amsterdam, like the zero Decoder.
func TestPackageDecodeIsTheZeroDecoder(t *testing.T) {
	t.Parallel()
	body := []byte(`{"itemCode":"1","quantity":1,"registrationDate":"2022-05-02T09:48:11"}`)
	m, tol, err := Decode(TopicStockMutation, body)
	require.NoError(t, err)
	require.Equal(t, Tolerated{"registrationDate: no UTC offset, read as Europe/Amsterdam time"}, tol)
	require.Equal(t, "2022-05-02T07:48:11Z", m.(*StockMutation).RegistrationDate.Instant.Format("2006-01-02T15:04:05Z07:00"))
}

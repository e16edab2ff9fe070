package activeants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	// The zone of the ShopApi's times must resolve on hosts without a
	// zoneinfo database.
	_ "time/tzdata"

	"github.com/shiphub/shiphub/internal/provider"
)

// The wire types of the ShopApi's answers. Go's encoding/json matches keys
// to field tags case-insensitively, so every type here reads the
// document's camelCase ("externalOrderNumber") and the clients' PascalCase
// ("ExternalOrderNumber") alike; a test holds that. Numbers may come as
// JSON strings (the return label's "shippingMethodId": "115117"), and
// track-trace codes as numbers (the track-trace endpoint) or text (the
// shipment answers): Int and Code read both.

// zone is where the ShopApi's times without an offset are read: Active
// Ants (Maya) runs in the Netherlands, and its answers' times
// ("2025-07-11T14:57:24.54") carry no zone.
var zone = mustZone("Europe/Amsterdam")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Envelope is the answer of every call but /token: {messageCode, message,
// result}. Success is messageCode "OK"; a 2xx with "NOK" is a refusal.
type Envelope struct {
	MessageCode string          `json:"messageCode"`
	Message     string          `json:"message"`
	Result      json.RawMessage `json:"result"`
}

// OK reports whether the envelope says the call succeeded.
func (e *Envelope) OK() bool { return strings.EqualFold(strings.TrimSpace(e.MessageCode), "OK") }

// DecodeEnvelope reads an answer's envelope. Besides JSON it reads the
// form-encoded envelope two of the document's examples show
// ("messageCode=OK&message=RMA%20created.&result=133"). An answer without
// a messageCode is not an envelope.
func DecodeEnvelope(body []byte) (*Envelope, error) {
	b := bytes.TrimSpace(body)
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty answer", provider.ErrBadInput)
	}
	if b[0] != '{' {
		v, err := url.ParseQuery(string(b))
		if err != nil || !v.Has("messageCode") {
			return nil, fmt.Errorf("%w: not a ShopApi answer: %s", provider.ErrBadInput, excerpt(body))
		}
		env := &Envelope{MessageCode: v.Get("messageCode"), Message: v.Get("message")}
		if r := v.Get("result"); r != "" {
			env.Result, _ = json.Marshal(r)
			if _, err := strconv.ParseInt(r, 10, 64); err == nil {
				env.Result = json.RawMessage(r)
			}
		}
		return env, nil
	}
	if !json.Valid(b) {
		b = dropTrailingCommas(b)
	}
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: answer envelope: %v: %s", provider.ErrBadInput, err, excerpt(body))
	}
	if env.MessageCode == "" {
		return nil, fmt.Errorf("%w: answer has no messageCode: %s", provider.ErrBadInput, excerpt(body))
	}
	return &env, nil
}

// Token is the answer of POST /token (no envelope; OAuth2's shape).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   Int    `json:"expires_in"`
	UserName    string `json:"userName"`
	Issued      string `json:"issued"`
	Expires     string `json:"expires"`
	// Error and ErrorDescription are set on a refused login (HTTP 400).
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// String never shows the token.
func (t Token) String() string { return "activeants token (redacted)" }

// DecodeToken reads a /token answer.
func DecodeToken(body []byte) (*Token, error) {
	var t Token
	if err := json.Unmarshal(bytes.TrimSpace(body), &t); err != nil {
		return nil, fmt.Errorf("%w: token answer: %v", provider.ErrBadInput, err)
	}
	return &t, nil
}

// Int is an integer that may come as a JSON number, a string of digits or
// null (Valid false).
type Int struct {
	N     int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Int) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*i = Int{}
		return nil
	}
	if len(s) > 1 && s[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
		if s == "" {
			*i = Int{}
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("expected an integer, got %s", excerpt(b))
		}
		n = int64(f)
	}
	*i = Int{N: n, Valid: true}
	return nil
}

// MarshalJSON writes the number, or null: an Int read from Active Ants
// goes into the inbox (a command answer) and is read back.
func (i Int) MarshalJSON() ([]byte, error) {
	if !i.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, i.N, 10), nil
}

// String is the number's digits, or "" when null.
func (i Int) String() string {
	if !i.Valid {
		return ""
	}
	return strconv.FormatInt(i.N, 10)
}

// Code is a status code that may come as text or as a JSON number; null
// is "".
type Code string

// UnmarshalJSON implements json.Unmarshaler.
func (c *Code) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*c = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Code(strings.TrimSpace(s))
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("expected a code, got %s", excerpt(b))
		}
		*c = Code(n.String())
	}
	return nil
}

// Float is a number that may come as a JSON string; null is Valid false.
type Float struct {
	F     float64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*f = Float{}
		return nil
	}
	if len(s) > 1 && s[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
		if s == "" {
			*f = Float{}
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expected a number, got %s", excerpt(b))
	}
	*f = Float{F: v, Valid: true}
	return nil
}

// MarshalJSON writes the number, or null when it is null or not finite
// (JSON has no NaN): a Float read from Active Ants goes into the inbox (a
// command answer) and is read back.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid || math.IsNaN(f.F) || math.IsInf(f.F, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f.F, 'g', -1, 64), nil
}

// Time is a ShopApi date-time: with or without an offset (without one it
// is read in Europe/Amsterdam), with up to nine fractional digits; null
// and "" are zero.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", time.DateOnly}

// ParseTime reads a ShopApi date-time.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for i, l := range timeLayouts {
		var (
			t   time.Time
			err error
		)
		if i == 0 {
			t, err = time.Parse(l, s)
		} else {
			t, err = time.ParseInLocation(l, s, zone)
		}
		if err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("expected a date-time, got %q", excerptString(s))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a date-time string, got %s", excerpt(b))
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// Shipment is one item of GET /v2/shipment/get (and of the search
// answers, whose shape differs: trackAndTraceBarCode, shipmentItems).
type Shipment struct {
	ID                    Int              `json:"id"`
	OrderNumber           Int              `json:"orderNumber"`
	OrderType             Int              `json:"orderType"`
	ExternalOrderNumber   string           `json:"externalOrderNumber"`
	ShippingDate          Time             `json:"shippingDate"`
	NumberOfColli         Int              `json:"numberOfColli"`
	TotalNumberOfProducts Int              `json:"totalNumberOfProducts"`
	ShippingMethodID      Int              `json:"shippingMethodId"`
	MainShippingMethodID  Int              `json:"mainShippingMethodId"`
	ReturnPackageNumber   *string          `json:"returnPackageNumber"`
	PackageNumber         *string          `json:"packageNumber"`
	TrackingNumber        Int              `json:"trackingNumber"`
	TrackAndTraceCode     string           `json:"trackAndTraceCode"`
	TrackAndTraceBarCode  string           `json:"trackAndTraceBarCode"`
	ShippedColli          []Collo          `json:"shippedColli"`
	ShippedProducts       []ShippedProduct `json:"shippedProducts"`
	ShipmentItems         []ShipmentItem   `json:"shipmentItems"`
	CurrentStatus         Code             `json:"currentTrackTraceStatus"`
	CurrentExceptionLevel Code             `json:"currentTrackTraceExceptionLevel"`
	WarehouseAbbrevation  string           `json:"warehouseAbbrevation"`
	WarehouseAbbreviation string           `json:"warehouseAbbreviation"`
	Extra1                *string          `json:"extra1"`
	Extra2                *string          `json:"extra2"`
	Extra3                *string          `json:"extra3"`
	Extra4                *string          `json:"extra4"`
	Extra5                *string          `json:"extra5"`
}

// Collo is one parcel of a shipment.
type Collo struct {
	ColloNr       Code   `json:"colloNr"`
	PackageNumber string `json:"packageNumber"`
	// TrackTraceURL is the field the document's example lost after
	// packageNumber (Caret reads shippedColli[].trackTraceUrl).
	TrackTraceURL string `json:"trackTraceUrl"`
}

// ShippedProduct is one product line of a shipment.
type ShippedProduct struct {
	SKU       string           `json:"sku"`
	Quantity  Float            `json:"quantity"`
	SerialNrs []string         `json:"serialNrs"`
	Weight    Float            `json:"weight"`
	THT       Time             `json:"tht"`
	Extra6    *string          `json:"extra6"`
	Extra7    *string          `json:"extra7"`
	LotNumber *string          `json:"lotNumber"`
	Parts     []ShippedProduct `json:"parts"`
}

// ShipmentItem is a product line in the shipment search answer.
type ShipmentItem struct {
	ShipmentItemID Int     `json:"shipmentItemId"`
	Quantity       Float   `json:"quantity"`
	SKU            string  `json:"sku"`
	LotNumber      *string `json:"lotNumber"`
}

// Warehouse is the abbreviation of the shipment's warehouse, under either
// of the document's spellings.
func (s *Shipment) Warehouse() string {
	return firstNonEmpty(s.WarehouseAbbreviation, s.WarehouseAbbrevation)
}

// DecodeShipment reads one shipment. It requires an id.
func DecodeShipment(b []byte) (*Shipment, error) {
	var s Shipment
	if err := strictObject(b, &s); err != nil {
		return nil, fmt.Errorf("%w: shipment: %v", provider.ErrBadInput, err)
	}
	if !s.ID.Valid || s.ID.N <= 0 {
		return nil, fmt.Errorf("%w: shipment: no id", provider.ErrBadInput)
	}
	return &s, nil
}

// StockItem is one product of GET /stock/bulk/{all}.
type StockItem struct {
	SKU              string `json:"sku"`
	Name             string `json:"name"`
	Stock            Float  `json:"stock"`
	THTs             []Lot  `json:"thts"`
	FreeStock        Float  `json:"freeStock"`
	EconomicStock    Float  `json:"economicStock"`
	AvailableStock   Float  `json:"availableStock"`
	PhysicalStock    Float  `json:"physicalStock"`
	UnavailableStock Float  `json:"unavailableStock"`
	ExpectedStock    Float  `json:"expectedStock"`
	UseEconomicStock *bool  `json:"useEconomicStock"`
}

// Lot is one lot/THT line of a stock figure.
type Lot struct {
	Quantity  Float   `json:"quantity"`
	THT       Time    `json:"tht"`
	LotNumber *string `json:"lotNumber"`
}

// DecodeStockItem reads one stock item. It requires a sku.
func DecodeStockItem(b []byte) (*StockItem, error) {
	var s StockItem
	if err := strictObject(b, &s); err != nil {
		return nil, fmt.Errorf("%w: stock: %v", provider.ErrBadInput, err)
	}
	if strings.TrimSpace(s.SKU) == "" {
		return nil, fmt.Errorf("%w: stock: no sku", provider.ErrBadInput)
	}
	return &s, nil
}

// StockMutation is one item of GET /v2/stockmutation/get.
type StockMutation struct {
	ID                  Int          `json:"id"`
	SKU                 string       `json:"sku"`
	Quantity            Float        `json:"quantity"`
	Type                Code         `json:"type"`
	CreatedAt           Time         `json:"createdAt"`
	THTDate             Time         `json:"thtDate"`
	WarehouseCode       string       `json:"warehouseCode"`
	LocationType        string       `json:"locationType"`
	CorrectionReason    *string      `json:"correctionReason"`
	Remark              *string      `json:"remark"`
	PurchaseOrders      []MutationPO `json:"purchaseOrders"`
	SupplierID          Int          `json:"supplierId"`
	ShippingID          Int          `json:"shippingId"`
	OrderNumber         Int          `json:"orderNumber"`
	ExternalOrderNumber *string      `json:"externalOrderNumber"`
	ReturnReason        *string      `json:"returnReason"`
	LotNumber           *string      `json:"lotNumber"`
}

// MutationPO is a purchase order a mutation received goods against
// (Caret reads purchaseOrders[{quantity, purchaseOrderReference}]).
type MutationPO struct {
	Quantity               Float  `json:"quantity"`
	PurchaseOrderReference string `json:"purchaseOrderReference"`
	PurchaseOrderID        Int    `json:"purchaseOrderId"`
}

// DecodeStockMutation reads one stock mutation. It requires an id, a sku
// and createdAt.
func DecodeStockMutation(b []byte) (*StockMutation, error) {
	var m StockMutation
	if err := strictObject(b, &m); err != nil {
		return nil, fmt.Errorf("%w: stock mutation: %v", provider.ErrBadInput, err)
	}
	switch {
	case !m.ID.Valid || m.ID.N <= 0:
		return nil, fmt.Errorf("%w: stock mutation: no id", provider.ErrBadInput)
	case strings.TrimSpace(m.SKU) == "":
		return nil, fmt.Errorf("%w: stock mutation %d: no sku", provider.ErrBadInput, m.ID.N)
	case m.CreatedAt.IsZero():
		return nil, fmt.Errorf("%w: stock mutation %d: no createdAt", provider.ErrBadInput, m.ID.N)
	case !m.Quantity.Valid:
		return nil, fmt.Errorf("%w: stock mutation %d: no quantity", provider.ErrBadInput, m.ID.N)
	}
	return &m, nil
}

// TrackTrace is one item of the track-trace status answer.
type TrackTrace struct {
	ShipmentID                      Int    `json:"shipmentId"`
	ExternalOrderNumber             string `json:"externalOrderNumber"`
	PackageNumber                   string `json:"packageNumber"`
	ShipmentMethod                  string `json:"shipmentMethod"`
	CurrentTrackTraceStatus         Code   `json:"currentTrackTraceStatus"`
	CurrentTrackTraceStatusDateTime Time   `json:"currentTrackTraceStatusDateTime"`
	CurrentTrackTraceExceptionLevel Code   `json:"currentTrackTraceExceptionLevel"`
}

// DecodeTrackTrace reads one track-trace item. It requires a shipmentId.
func DecodeTrackTrace(b []byte) (*TrackTrace, error) {
	var t TrackTrace
	if err := strictObject(b, &t); err != nil {
		return nil, fmt.Errorf("%w: track-trace: %v", provider.ErrBadInput, err)
	}
	if !t.ShipmentID.Valid || t.ShipmentID.N <= 0 {
		return nil, fmt.Errorf("%w: track-trace: no shipmentId", provider.ErrBadInput)
	}
	return &t, nil
}

// ResultItems splits an envelope's result array into its items, verbatim.
// A null result is no items.
func ResultItems(result json.RawMessage) ([]json.RawMessage, error) {
	r := bytes.TrimSpace(result)
	if len(r) == 0 || string(r) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(r, &items); err != nil {
		return nil, fmt.Errorf("%w: result is not a list: %s", provider.ErrBadInput, excerpt(r))
	}
	return items, nil
}

// strictObject decodes one JSON object into v: a value of another kind,
// or anything after it, is an error. A comma directly before } or ]
// (white space aside) is dropped first: the document's own shipment
// example has one where a field was cut ("packageNumber": "…",}), and
// nothing else about such an answer is ambiguous.
func strictObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	if !json.Valid(b) {
		b = dropTrailingCommas(b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the object")
	}
	return nil
}

// dropTrailingCommas removes every comma outside strings that is followed,
// white space aside, by } or ].
func dropTrailingCommas(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inStr = true
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// excerpt is the start of a body, for errors a person reads.
func excerpt(b []byte) string { return excerptString(string(b)) }

func excerptString(s string) string {
	const n = 200
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

package winkelstraat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/shiphub/shiphub/internal/provider"
)

// shipment is one decoded webhook body. Absent and null fields are zero
// values; dates are already in UTC.
type shipment struct {
	IncrementID      string
	OrderIncrementID string
	CreatedAt        *time.Time
	UpdatedAt        *time.Time
	CollectedAt      *time.Time
	DeliveredAt      *time.Time
	// Status is the raw status; StatusSet is false when it is null, absent
	// or empty.
	Status    string
	StatusSet bool
	Currency  string
	PONumber  string
	Track     track
	Items     []item
	Shipping  *address
	Origin    *address
}

type track struct {
	Method         string
	Carrier        string
	TrackingURL    string
	TrackingNumber string
}

type item struct {
	MPN             string
	Qty             float64
	SKU             string
	Size            string
	ParentSKU       string
	Manufacturer    string
	RowTotalIncTax  *float64
	ItemPriceIncTax *float64
}

type address struct {
	Company     string
	FirstName   string
	LastName    string
	Street      string
	HouseNumber string
	Postcode    string
	City        string
	RegionCode  string
	CountryID   string
	Email       string
	Telephone   string
}

// decodeShipment decodes and validates one webhook body. Every error wraps
// provider.ErrBadInput and names the offending field.
func decodeShipment(body []byte, loc *time.Location) (*shipment, error) {
	if sh, ok := decodeShipmentFast(body, loc); ok {
		return sh, nil
	}
	return decodeShipmentSlow(body, loc)
}

// decodeShipmentSlow is decodeShipment for any body: encoding/json into
// maps of raw values, each field read as liberally as the wire types
// allow, with the duplicate-key check.
func decodeShipmentSlow(body []byte, loc *time.Location) (*shipment, error) {
	d := &decoder{loc: loc}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: body is empty", provider.ErrBadInput)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("%w: body is not a JSON object: %v", provider.ErrBadInput, err)
	}
	if top == nil {
		return nil, fmt.Errorf("%w: body is JSON null, not a shipment object", provider.ErrBadInput)
	}
	if key := conflictingKeyOf(body); key != "" {
		return nil, fmt.Errorf("%w: %s: given twice with different values", provider.ErrBadInput, key)
	}
	sh := &shipment{
		IncrementID:      d.str(top, "increment_id", ""),
		OrderIncrementID: d.str(top, "order_increment_id", ""),
		CreatedAt:        d.time(top, "created_at", ""),
		UpdatedAt:        d.time(top, "updated_at", ""),
		CollectedAt:      d.time(top, "collected_at", ""),
		DeliveredAt:      d.time(top, "delivered_at", ""),
		Currency:         d.str(top, "currency", ""),
		PONumber:         d.str(top, "po_number", ""),
	}
	sh.Status, sh.StatusSet = d.status(top)
	if t := d.object(top, "track", ""); t != nil {
		sh.Track = track{
			Method:         d.str(t, "method", "track."),
			Carrier:        d.str(t, "carrier", "track."),
			TrackingURL:    d.str(t, "tracking_url", "track."),
			TrackingNumber: d.str(t, "tracking_number", "track."),
		}
	}
	sh.Shipping = d.address(top, "shipping_address")
	sh.Origin = d.address(top, "origin_address")
	for i, raw := range d.array(top, "items") {
		p := fmt.Sprintf("items[%d].", i)
		it := d.objectValue(raw, strings.TrimSuffix(p, "."))
		if it == nil {
			continue
		}
		var qty float64
		if q := d.num(it, "qty", p); q != nil {
			qty = *q
		}
		sh.Items = append(sh.Items, item{
			MPN:             d.str(it, "mpn", p),
			Qty:             qty,
			SKU:             d.str(it, "sku", p),
			Size:            d.str(it, "size", p),
			ParentSKU:       d.str(it, "parent_sku", p),
			Manufacturer:    d.str(it, "manufacturer", p),
			RowTotalIncTax:  d.num(it, "row_total_inc_tax", p),
			ItemPriceIncTax: d.num(it, "item_price_inc_tax", p),
		})
	}
	if d.err != nil {
		return nil, d.err
	}
	if sh.IncrementID == "" {
		return nil, fmt.Errorf("%w: increment_id: is required", provider.ErrBadInput)
	}
	return sh, nil
}

// conflictingKeyOf is conflictingKey of the whole body, with a fast path: a
// body in which no object gives a name twice (and whose strings are valid
// UTF-8) has no conflicting key, and jsontext checks exactly that in one
// pass without building anything. Only a body that fails it gets the
// token walk, which was about half of a shipment's decoding (it runs at
// intake and again at apply). FuzzConflictingKeyFastPath holds the two
// to the same answer.
func conflictingKeyOf(body []byte) string {
	if jsontext.Value(body).IsValid() {
		return ""
	}
	return conflictingKey(body, "", 0)
}

// conflictingKey returns the path of the first key that an object of raw
// (at any depth) gives twice with different values, or "". Which one counts
// would be a guess (encoding/json keeps the last); a status given twice must
// not be read either way. raw is known to be valid JSON. Only the levels
// the shipment has are looked at (items[i].sku is depth 2), so a deeply
// nested value costs no more than one pass.
func conflictingKey(raw json.RawMessage, prefix string, depth int) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > maxKeyDepth {
		return ""
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if k := conflictingKey(it, fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i), depth+1); k != "" {
				return k
			}
		}
	case '{':
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return ""
		}
		seen := map[string]json.RawMessage{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return ""
			}
			key, _ := tok.(string)
			var v json.RawMessage
			if dec.Decode(&v) != nil {
				return ""
			}
			if prev, dup := seen[key]; dup && !bytes.Equal(prev, v) {
				return prefix + key
			}
			seen[key] = v
			if k := conflictingKey(v, prefix+key+".", depth+1); k != "" {
				return k
			}
		}
	}
	return ""
}

// maxKeyDepth is the deepest level conflictingKey looks at: the body (0),
// items (1), an item (2).
const maxKeyDepth = 2

// decoder reads fields out of decoded JSON objects, keeping the first error.
// Keys are matched exactly, as Winkelstraat spells them. Fields the
// connector does not know are ignored (the raw body keeps them).
type decoder struct {
	loc *time.Location
	err error
}

func (d *decoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s: %s", provider.ErrBadInput, field, fmt.Sprintf(format, args...))
	}
}

// value returns the raw value of key, or nil when it is absent or null.
func value(obj map[string]json.RawMessage, key string) json.RawMessage {
	raw, ok := obj[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}

// str reads a string. Identifiers such as sku or house_number are also
// accepted as JSON numbers, kept verbatim, because exporters often emit
// numeric-looking strings as numbers.
func (d *decoder) str(obj map[string]json.RawMessage, key, prefix string) string {
	raw := value(obj, key)
	if raw == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	d.fail(prefix+key, "must be a string or null, got %s", kind(raw))
	return ""
}

// status reads the status, which must be a string or null.
func (d *decoder) status(obj map[string]json.RawMessage) (string, bool) {
	raw := value(obj, "status")
	if raw == nil {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail("status", "must be a string or null, got %s", kind(raw))
		return "", false
	}
	s = strings.TrimSpace(s)
	return s, s != ""
}

// num reads a number; a numeric string ("270.00") is accepted too.
func (d *decoder) num(obj map[string]json.RawMessage, key, prefix string) *float64 {
	raw := value(obj, key)
	if raw == nil {
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return &f
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !isInfOrNaN(f) {
			return &f
		}
		d.fail(prefix+key, "must be a number, got %q", s)
		return nil
	}
	if kind(raw) == "a number" {
		d.fail(prefix+key, "number %s is out of range", raw)
		return nil
	}
	d.fail(prefix+key, "must be a number or null, got %s", kind(raw))
	return nil
}

func isInfOrNaN(f float64) bool { return math.IsInf(f, 0) || math.IsNaN(f) }

// time reads a date-time: Winkelstraat's "2006-01-02 15:04:05" in the
// connection's time zone, or RFC 3339 with an offset. It returns UTC.
func (d *decoder) time(obj map[string]json.RawMessage, key, prefix string) *time.Time {
	raw := value(obj, key)
	if raw == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail(prefix+key, "must be a date-time string or null, got %s", kind(raw))
		return nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	t, err := parseTime(s, d.loc)
	if err != nil {
		d.fail(prefix+key, "%v", err)
		return nil
	}
	return &t
}

// Layouts with an offset, tried first, then local ones read in the
// connection's zone. Fractional seconds are accepted by all of them.
var (
	offsetLayouts = []string{time.RFC3339, "2006-01-02 15:04:05Z07:00"}
	localLayouts  = []string{time.DateTime, "2006-01-02T15:04:05"}
)

func parseTime(s string, loc *time.Location) (time.Time, error) {
	var t time.Time
	var err error
	parsed := false
	for _, l := range offsetLayouts {
		if t, err = time.Parse(l, s); err == nil {
			parsed = true
			break
		}
	}
	if !parsed {
		for _, l := range localLayouts {
			if t, err = time.ParseInLocation(l, s, loc); err == nil {
				parsed = true
				break
			}
		}
	}
	if !parsed {
		return time.Time{}, fmt.Errorf("%q is not a date-time like \"2024-02-20 15:28:51\" or RFC 3339", s)
	}
	t = t.UTC()
	// Canonical times are RFC 3339 in JSON, which has four-digit years.
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range", s)
	}
	return t, nil
}

func (d *decoder) objectValue(raw json.RawMessage, field string) map[string]json.RawMessage {
	if raw == nil || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		d.fail(field, "must be an object or null, got %s", kind(raw))
		return nil
	}
	return obj
}

func (d *decoder) object(obj map[string]json.RawMessage, key, prefix string) map[string]json.RawMessage {
	return d.objectValue(value(obj, key), prefix+key)
}

func (d *decoder) array(obj map[string]json.RawMessage, key string) []json.RawMessage {
	raw := value(obj, key)
	if raw == nil {
		return nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		d.fail(key, "must be an array or null, got %s", kind(raw))
		return nil
	}
	return arr
}

func (d *decoder) address(obj map[string]json.RawMessage, key string) *address {
	a := d.object(obj, key, "")
	if a == nil {
		return nil
	}
	p := key + "."
	return &address{
		Company:     d.str(a, "company_name", p),
		FirstName:   d.str(a, "first_name", p),
		LastName:    d.str(a, "last_name", p),
		Street:      d.str(a, "street", p),
		HouseNumber: d.str(a, "house_number", p),
		Postcode:    d.str(a, "postcode", p),
		City:        d.str(a, "city", p),
		RegionCode:  d.str(a, "region_code", p),
		CountryID:   d.str(a, "country_id", p),
		Email:       d.str(a, "email", p),
		Telephone:   d.str(a, "telephone", p),
	}
}

// kind names a JSON value's type for error messages.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

package winkelstraat

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeShipmentFast reads a webhook body in one pass of jsontext's
// tokenizer, for the bodies Winkelstraat sends: valid UTF-8, no name given
// twice in any object (jsontext refuses both by default), keys without
// escapes, and each known field of the type the document gives it (or one
// decodeShipmentSlow also takes: a number for an identifier, a numeric
// string for an amount). It reports false for anything else, including
// every body decodeShipmentSlow refuses, and decodeShipment then decodes
// the body the slow way, errors and all. Where it reports true, the
// shipment is the one the slow way makes (FuzzFastDecodeAgreesWithTheSlowOne).
//
// The slow way unmarshals the body into maps of raw values and every field
// again with encoding/json: a third of the pipeline's CPU in the mixed
// apply benchmark, where a third of the messages are Winkelstraat's, and
// intake decodes every body too.
func decodeShipmentFast(body []byte, loc *time.Location) (*shipment, bool) {
	d := decoders.Get().(*jsontext.Decoder)
	defer func() {
		d.Reset(bytes.NewReader(nil))
		decoders.Put(d)
	}()
	d.Reset(bytes.NewReader(body))
	f := fastDecoder{d: d, loc: loc, ok: true}
	sh := &shipment{}
	f.object(func(key []byte) {
		switch string(key) {
		case "increment_id":
			sh.IncrementID = f.str()
		case "order_increment_id":
			sh.OrderIncrementID = f.str()
		case "created_at":
			sh.CreatedAt = f.time()
		case "updated_at":
			sh.UpdatedAt = f.time()
		case "collected_at":
			sh.CollectedAt = f.time()
		case "delivered_at":
			sh.DeliveredAt = f.time()
		case "currency":
			sh.Currency = f.str()
		case "po_number":
			sh.PONumber = f.str()
		case "status":
			sh.Status, sh.StatusSet = f.status()
		case "track":
			if f.nullOr('{') {
				return
			}
			f.object(func(key []byte) {
				switch string(key) {
				case "method":
					sh.Track.Method = f.str()
				case "carrier":
					sh.Track.Carrier = f.str()
				case "tracking_url":
					sh.Track.TrackingURL = f.str()
				case "tracking_number":
					sh.Track.TrackingNumber = f.str()
				default:
					f.skip()
				}
			})
		case "shipping_address":
			sh.Shipping = f.address()
		case "origin_address":
			sh.Origin = f.address()
		case "items":
			sh.Items = f.items()
		default:
			f.skip()
		}
	})
	if !f.ok {
		return nil, false
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, false // something after the object
	}
	if sh.IncrementID == "" {
		return nil, false // the slow way says why
	}
	return sh, true
}

var decoders = sync.Pool{New: func() any { return jsontext.NewDecoder(bytes.NewReader(nil)) }}

// fastDecoder reads values from d until the first thing it does not take,
// after which ok is false and every read is a no-op.
type fastDecoder struct {
	d   *jsontext.Decoder
	loc *time.Location
	ok  bool
}

// token reads the next token, or fails.
func (f *fastDecoder) token() (jsontext.Token, bool) {
	if !f.ok {
		return jsontext.Token{}, false
	}
	tok, err := f.d.ReadToken()
	if err != nil {
		f.ok = false
		return jsontext.Token{}, false
	}
	return tok, true
}

// nullOr reports whether the next value is null (read, then); otherwise
// it must begin with kind, which is left to be read. Anything else fails.
func (f *fastDecoder) nullOr(kind jsontext.Kind) bool {
	if !f.ok {
		return true
	}
	switch f.d.PeekKind() {
	case 'n':
		f.token()
		return true
	case kind:
		return false
	}
	f.ok = false
	return true
}

// object reads an object, calling field with each key (its bytes, valid
// only until field reads the key's value, which it must). A key with an
// escape fails: the slow way reads it.
func (f *fastDecoder) object(field func(key []byte)) {
	if tok, ok := f.token(); !ok || tok.Kind() != '{' {
		f.ok = false
		return
	}
	for f.ok && f.d.PeekKind() == '"' {
		raw, err := f.d.ReadValue()
		if err != nil || bytes.IndexByte(raw, '\\') >= 0 {
			f.ok = false
			return
		}
		field(raw[1 : len(raw)-1])
	}
	if tok, ok := f.token(); !ok || tok.Kind() != '}' {
		f.ok = false
	}
}

func (f *fastDecoder) skip() {
	if f.ok && f.d.SkipValue() != nil {
		f.ok = false
	}
}

// str reads what decoder.str takes: null, a string (trimmed) or a number
// (verbatim).
func (f *fastDecoder) str() string {
	tok, ok := f.token()
	if !ok {
		return ""
	}
	switch tok.Kind() {
	case 'n':
		return ""
	case '"':
		return strings.TrimSpace(tok.String())
	case '0':
		return tok.String()
	}
	f.ok = false
	return ""
}

// status reads what decoder.status takes: null or a string.
func (f *fastDecoder) status() (string, bool) {
	tok, ok := f.token()
	if !ok {
		return "", false
	}
	switch tok.Kind() {
	case 'n':
		return "", false
	case '"':
		s := strings.TrimSpace(tok.String())
		return s, s != ""
	}
	f.ok = false
	return "", false
}

// num reads what decoder.num takes without an error: null, a number in
// range, or a string that is empty or a finite number.
func (f *fastDecoder) num() *float64 {
	tok, ok := f.token()
	if !ok {
		return nil
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '0':
		v, err := strconv.ParseFloat(tok.String(), 64)
		if err != nil {
			f.ok = false
			return nil
		}
		return &v
	case '"':
		s := strings.TrimSpace(tok.String())
		if s == "" {
			return nil
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil && !isInfOrNaN(v) {
			return &v
		}
	}
	f.ok = false
	return nil
}

// time reads what decoder.time takes without an error: null, or a string
// that is empty or a date-time parseTime reads.
func (f *fastDecoder) time() *time.Time {
	tok, ok := f.token()
	if !ok {
		return nil
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '"':
		s := strings.TrimSpace(tok.String())
		if s == "" {
			return nil
		}
		if t, err := parseTime(s, f.loc); err == nil {
			return &t
		}
	}
	f.ok = false
	return nil
}

// address reads null or an address object.
func (f *fastDecoder) address() *address {
	if f.nullOr('{') {
		return nil
	}
	a := &address{}
	f.object(func(key []byte) {
		switch string(key) {
		case "company_name":
			a.Company = f.str()
		case "first_name":
			a.FirstName = f.str()
		case "last_name":
			a.LastName = f.str()
		case "street":
			a.Street = f.str()
		case "house_number":
			a.HouseNumber = f.str()
		case "postcode":
			a.Postcode = f.str()
		case "city":
			a.City = f.str()
		case "region_code":
			a.RegionCode = f.str()
		case "country_id":
			a.CountryID = f.str()
		case "email":
			a.Email = f.str()
		case "telephone":
			a.Telephone = f.str()
		default:
			f.skip()
		}
	})
	return a
}

// items reads null or an array of item objects and nulls, the nulls left
// out, as decodeShipmentSlow leaves them.
func (f *fastDecoder) items() []item {
	if f.nullOr('[') {
		return nil
	}
	f.token()
	var out []item
	for f.ok {
		switch f.d.PeekKind() {
		case ']':
			f.token()
			return out
		case 'n':
			f.token()
			continue
		case '{':
		default:
			f.ok = false
			return nil
		}
		var it item
		f.object(func(key []byte) {
			switch string(key) {
			case "mpn":
				it.MPN = f.str()
			case "qty":
				if q := f.num(); q != nil {
					it.Qty = *q
				}
			case "sku":
				it.SKU = f.str()
			case "size":
				it.Size = f.str()
			case "parent_sku":
				it.ParentSKU = f.str()
			case "manufacturer":
				it.Manufacturer = f.str()
			case "row_total_inc_tax":
				it.RowTotalIncTax = f.num()
			case "item_price_inc_tax":
				it.ItemPriceIncTax = f.num()
			default:
				f.skip()
			}
		})
		out = append(out, it)
	}
	return nil
}

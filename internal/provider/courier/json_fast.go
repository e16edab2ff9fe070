package courier

import (
	"bytes"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeJSONFast reads the fields of a JSON body in one pass of jsontext's
// tokenizer, for the bodies the courier sends: an object whose fields are
// given once each, in ASCII, with strings (or numbers, booleans, null) for
// the scalars and arrays of strings for the lists. It reports false for
// anything else (a syntax error, invalid UTF-8, a field given twice, a key
// that is not plain ASCII, an object or number inside a list), and
// decodeJSONFields then decodes the body the slow way, errors and all:
// encoding/json with the liberal wire types and the duplicate-key check.
// Where it reports true, the Message is the one the slow way would have
// made (FuzzFastJSONDecodeAgreesWithTheSlowOne).
//
// encoding/json calling flexString's UnmarshalJSON, which unmarshals again,
// for each of the sixteen fields was 25 µs and 53 allocations a message
// (BenchmarkDecodeJSON), and the intake and the apply both decode it.
func decodeJSONFast(body []byte) (*Message, bool) {
	d := jsonDecoders.Get().(*jsontext.Decoder)
	defer func() {
		d.Reset(bytes.NewReader(nil))
		jsonDecoders.Put(d)
	}()
	d.Reset(bytes.NewReader(body))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	m := &Message{}
	var seen uint32
	for d.PeekKind() == '"' {
		key, err := d.ReadValue()
		if err != nil {
			return nil, false
		}
		field, known, plain := jsonField(key)
		if !plain {
			return nil, false
		}
		if !known {
			if d.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		if seen&(1<<field) != 0 {
			return nil, false // given twice: the slow way decides
		}
		seen |= 1 << field
		if field >= fieldSignatures {
			list, ok := readStringList(d)
			if !ok {
				return nil, false
			}
			if field == fieldSignatures {
				m.Signatures = list
			} else {
				m.Pictures = list
			}
			continue
		}
		tok, err := d.ReadToken()
		if err != nil {
			return nil, false
		}
		var v string
		switch tok.Kind() {
		case 'n':
		case '"', '0', 't', 'f':
			v = tok.String()
		default:
			return nil, false
		}
		*m.scalar(field) = v
	}
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, false
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, false // something after the object
	}
	return m, true
}

var jsonDecoders = sync.Pool{New: func() any { return jsontext.NewDecoder(bytes.NewReader(nil)) }}

// readStringList reads a list field's value: null, or an array of strings
// and nulls, the empty strings and nulls left out. Anything else is the
// slow way's.
func readStringList(d *jsontext.Decoder) ([]string, bool) {
	tok, err := d.ReadToken()
	if err != nil {
		return nil, false
	}
	switch tok.Kind() {
	case 'n':
		return nil, true
	case '[':
	default:
		return nil, false
	}
	var out []string
	for {
		tok, err := d.ReadToken()
		if err != nil {
			return nil, false
		}
		switch tok.Kind() {
		case ']':
			return out, true
		case 'n':
		case '"':
			if s := tok.String(); s != "" {
				out = append(out, s)
			}
		default:
			return nil, false
		}
	}
}

// The Message fields a JSON key names, in wireMessage's order.
const (
	fieldOrder = iota
	fieldBarcode
	fieldContainer
	fieldStatus
	fieldStatusTime
	fieldStatusCode
	fieldStatusNL
	fieldStatusEN
	fieldStatusFR
	fieldReferentie
	fieldComment
	fieldOldLead
	fieldNewLead
	fieldVerifier
	fieldSignatures
	fieldPictures
)

// jsonFieldNames are the lower-case JSON names, by field; the scalars come
// before the lists (jsonScalarFields).
var jsonFieldNames = [...]string{
	fieldOrder: "order", fieldBarcode: "barcode", fieldContainer: "container", fieldStatus: "status",
	fieldStatusTime: "statustime", fieldStatusCode: "statuscode", fieldStatusNL: "statusnl",
	fieldStatusEN: "statusen", fieldStatusFR: "statusfr", fieldReferentie: "referentie",
	fieldComment: "comment", fieldOldLead: "oldlead", fieldNewLead: "newlead", fieldVerifier: "verifier",
	fieldSignatures: "signatures", fieldPictures: "pictures",
}

// jsonField is the field a raw key (a JSON string, quotes included) names,
// matched without regard to ASCII letter case, as encoding/json matches;
// known is false for a key that names none. plain is false for a key with
// an escape or a byte outside printable ASCII, which the caller must leave
// to the slow way: encoding/json reads escapes and folds some non-ASCII
// letters onto ASCII ones (the Kelvin sign onto k), so such a key may name
// a field after all.
func jsonField(raw jsontext.Value) (field int, known, plain bool) {
	key := raw[1 : len(raw)-1]
	for _, c := range key {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return 0, false, false
		}
	}
	var lower [16]byte
	if len(key) > len(lower) {
		return 0, false, true
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for f, name := range jsonFieldNames {
		if name == string(lower[:len(key)]) {
			return f, true, true
		}
	}
	return 0, false, true
}

// scalar is the string field f names.
func (m *Message) scalar(f int) *string {
	switch f {
	case fieldOrder:
		return &m.Order
	case fieldBarcode:
		return &m.Barcode
	case fieldContainer:
		return &m.Container
	case fieldStatus:
		return &m.Status
	case fieldStatusTime:
		return &m.StatusTime
	case fieldStatusCode:
		return &m.StatusCode
	case fieldStatusNL:
		return &m.StatusNL
	case fieldStatusEN:
		return &m.StatusEN
	case fieldStatusFR:
		return &m.StatusFR
	case fieldReferentie:
		return &m.Referentie
	case fieldComment:
		return &m.Comment
	case fieldOldLead:
		return &m.OldLead
	case fieldNewLead:
		return &m.NewLead
	default:
		return &m.Verifier
	}
}

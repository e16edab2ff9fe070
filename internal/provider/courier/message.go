package courier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/provider"
)

// Content types of the raw messages the connector commits to the inbox.
const (
	// ContentTypeForm is stored for URL/GET query strings and form posts.
	ContentTypeForm = "application/x-www-form-urlencoded"
	// ContentTypeJSON is stored for URL/POST JSON bodies.
	ContentTypeJSON = "application/json"
)

// StatusTimeLayout is the layout of statustime: local time without an
// offset, YYYYMMDDhhmmss.
const StatusTimeLayout = "20060102150405"

// Message is one status update as the courier sends it, in any of its
// channels (URL/GET query, URL/POST JSON, FTP/JSON file). The JSON names are
// the document's; fields the GET method does not send stay empty.
type Message struct {
	Order      string `json:"order"`
	Barcode    string `json:"barcode"`
	Container  string `json:"container"`
	Status     string `json:"status"`
	StatusTime string `json:"statustime"`
	StatusCode string `json:"statuscode"`
	StatusNL   string `json:"statusNL"`
	StatusEN   string `json:"statusEN"`
	StatusFR   string `json:"statusFR"`
	Referentie string `json:"referentie"`
	Comment    string `json:"comment"`
	OldLead    string `json:"oldlead"`
	NewLead    string `json:"newlead"`
	Verifier   string `json:"verifier"`
	// Signatures and Pictures are whatever the courier lists: strings (URLs
	// or data) kept as they are, objects kept as their compact JSON.
	Signatures []string `json:"signatures"`
	Pictures   []string `json:"pictures"`
}

// wireMessage is the liberal JSON shape: scalars may arrive as numbers or
// null, lists as a single value.
type wireMessage struct {
	Order      flexString `json:"order"`
	Barcode    flexString `json:"barcode"`
	Container  flexString `json:"container"`
	Status     flexString `json:"status"`
	StatusTime flexString `json:"statustime"`
	StatusCode flexString `json:"statuscode"`
	StatusNL   flexString `json:"statusNL"`
	StatusEN   flexString `json:"statusEN"`
	StatusFR   flexString `json:"statusFR"`
	Referentie flexString `json:"referentie"`
	Comment    flexString `json:"comment"`
	OldLead    flexString `json:"oldlead"`
	NewLead    flexString `json:"newlead"`
	Verifier   flexString `json:"verifier"`
	Signatures flexList   `json:"signatures"`
	Pictures   flexList   `json:"pictures"`
}

// flexString accepts a JSON string, number, boolean or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return fmt.Errorf("want a string, got %s", kindOf(b[0]))
	default: // number or boolean: keep its literal text
		*f = flexString(b)
	}
	return nil
}

// flexList accepts an array of strings and objects, a single value, or null.
// Strings are kept as they are; anything else as its compact JSON.
type flexList []string

func (f *flexList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = nil
		return nil
	}
	var raws []json.RawMessage
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &raws); err != nil {
			return err
		}
	} else {
		raws = []json.RawMessage{b}
	}
	out := make([]string, 0, len(raws))
	for _, r := range raws {
		r = bytes.TrimSpace(r)
		if len(r) > 0 && r[0] == '"' {
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return err
			}
			if s != "" {
				out = append(out, s)
			}
			continue
		}
		if bytes.Equal(r, []byte("null")) {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err != nil {
			return err
		}
		out = append(out, buf.String())
	}
	if len(out) == 0 {
		out = nil
	}
	*f = out
	return nil
}

func kindOf(c byte) string {
	if c == '{' {
		return "an object"
	}
	return "an array"
}

// DecodeJSON decodes a URL/POST or FTP/JSON body and validates it. Unknown
// fields are ignored: the courier may add some.
func DecodeJSON(body []byte) (*Message, error) {
	return checked(decodeJSONFields(body))
}

// checked cleans and validates what a fields decoder returned.
func checked(m *Message, err error) (*Message, error) {
	if err != nil {
		return nil, err
	}
	m.clean()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeJSONFields reads the fields of a JSON body without validating them.
func decodeJSONFields(body []byte) (*Message, error) {
	if m, ok := decodeJSONFast(body); ok {
		return m, nil
	}
	return decodeJSONSlow(body)
}

// decodeJSONSlow is decodeJSONFields with encoding/json, for every body.
func decodeJSONSlow(body []byte) (*Message, error) {
	var w wireMessage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: decoding courier JSON: %s", provider.ErrBadInput, jsonReason(err))
	}
	if err := noConflictingJSONKeys(body); err != nil {
		return nil, err
	}
	m := &Message{
		Order: string(w.Order), Barcode: string(w.Barcode), Container: string(w.Container),
		Status: string(w.Status), StatusTime: string(w.StatusTime), StatusCode: string(w.StatusCode),
		StatusNL: string(w.StatusNL), StatusEN: string(w.StatusEN), StatusFR: string(w.StatusFR),
		Referentie: string(w.Referentie), Comment: string(w.Comment),
		OldLead: string(w.OldLead), NewLead: string(w.NewLead), Verifier: string(w.Verifier),
		Signatures: w.Signatures, Pictures: w.Pictures,
	}
	return m, nil
}

// noConflictingJSONKeys refuses an object that gives one field twice with
// different values ("statuscode" twice, or "order" and "Order", which
// encoding/json both reads into Order). Which one counts would be a guess:
// the JSON decoder keeps the last, a query string the first, so the same
// update would mean different things by channel. The same value twice is
// harmless. body is known to be a valid JSON object.
func noConflictingJSONKeys(body []byte) error {
	if noFieldTwice(body) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	seen := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		lk := strings.ToLower(key)
		if _, known := jsonScalarFields[lk]; !known {
			continue
		}
		if prev, dup := seen[lk]; dup && !bytes.Equal(bytes.TrimSpace(prev), bytes.TrimSpace(raw)) {
			return fmt.Errorf("%w: decoding courier JSON: %s: given twice with different values", provider.ErrBadInput, key)
		}
		seen[lk] = raw
	}
	return nil
}

// noFieldTwice is noConflictingJSONKeys' fast path: it reports that no
// single-valued field can be given twice, because the body has no escapes
// (so every key is written as it is read) and no field's name appears, as
// a quoted string in any letter case, more than once. It is conservative:
// a value that spells a field's name sends the body to the full check.
// (The full check, a json.Decoder token walk, was 60 % of the courier's
// JSON decoding, which the intake and the apply both run.)
func noFieldTwice(body []byte) bool {
	if bytes.IndexByte(body, '\\') >= 0 {
		return false
	}
	lower := bytes.ToLower(body)
	var quoted [16]byte
	for f := range jsonScalarFields {
		q := append(append(append(quoted[:0], '"'), f...), '"')
		if bytes.Count(lower, q) > 1 {
			return false
		}
	}
	return true
}

// jsonScalarFields are the single-valued fields of the JSON message, lower
// case: jsonFieldNames before the lists.
var jsonScalarFields = func() map[string]struct{} {
	m := make(map[string]struct{}, fieldSignatures)
	for _, name := range jsonFieldNames[:fieldSignatures] {
		m[name] = struct{}{}
	}
	return m
}()

// jsonReason renders a JSON error without Go type names.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return "want a JSON object, got " + te.Value
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// DecodeQuery decodes a URL/GET query string or a form-urlencoded body and
// validates it.
func DecodeQuery(raw string) (*Message, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding courier query: %v", provider.ErrBadInput, err)
	}
	for key, vs := range q {
		if _, scalar := jsonScalarFields[key]; !scalar && key != "statusNL" && key != "statusEN" && key != "statusFR" {
			continue
		}
		for _, v := range vs[1:] {
			if strings.TrimSpace(v) != strings.TrimSpace(vs[0]) {
				return nil, fmt.Errorf("%w: decoding courier query: %s: given %d times with different values", provider.ErrBadInput, key, len(vs))
			}
		}
	}
	m := &Message{
		Order: q.Get("order"), Barcode: q.Get("barcode"), Container: q.Get("container"),
		Status: q.Get("status"), StatusTime: q.Get("statustime"), StatusCode: q.Get("statuscode"),
		StatusNL: q.Get("statusNL"), StatusEN: q.Get("statusEN"), StatusFR: q.Get("statusFR"),
		Referentie: q.Get("referentie"), Comment: q.Get("comment"),
		OldLead: q.Get("oldlead"), NewLead: q.Get("newlead"), Verifier: q.Get("verifier"),
		Signatures: nonEmpty(q["signatures"]), Pictures: nonEmpty(q["pictures"]),
	}
	return checked(m, nil)
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// clean trims the identifiers: "ASK123 " and "ASK123" are one order. Labels
// are trimmed too; the comment is kept verbatim.
func (m *Message) clean() {
	for _, p := range []*string{
		&m.Order, &m.Barcode, &m.Container, &m.Status, &m.StatusTime, &m.StatusCode,
		&m.StatusNL, &m.StatusEN, &m.StatusFR, &m.Referentie, &m.OldLead, &m.NewLead, &m.Verifier,
	} {
		*p = strings.TrimSpace(*p)
	}
}

// Validate checks the fields the hub cannot do without: order (the
// shipment), statuscode (what happened) and statustime (when).
func (m *Message) Validate() error {
	if m.Order == "" {
		return fmt.Errorf("%w: order: is required", provider.ErrBadInput)
	}
	if m.StatusCode == "" {
		return fmt.Errorf("%w: statuscode: is required", provider.ErrBadInput)
	}
	if m.StatusTime == "" {
		return fmt.Errorf("%w: statustime: is required", provider.ErrBadInput)
	}
	if _, err := parseStatusTime(m.StatusTime, time.UTC); err != nil {
		return err
	}
	return nil
}

// parseStatusTime parses statustime as local time of loc. The courier sends
// no offset, so a time in the spring-forward gap or the repeated autumn hour
// is resolved the way package time resolves it (for Europe/Brussels, the
// autumn hour is read as winter time); the golden files pin that down.
func parseStatusTime(v string, loc *time.Location) (time.Time, error) {
	if !isStatusTime(v) {
		return time.Time{}, fmt.Errorf("%w: statustime: %q is not YYYYMMDDhhmmss", provider.ErrBadInput, v)
	}
	t, err := time.ParseInLocation(StatusTimeLayout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: statustime: %q is not a valid time", provider.ErrBadInput, v)
	}
	return t, nil
}

// isStatusTime reports whether v has statustime's form, YYYYMMDDhhmmss
// (digits; whether they make a valid time is time.Parse's to judge).
func isStatusTime(v string) bool {
	return len(v) == len(StatusTimeLayout) && strings.Trim(v, "0123456789") == ""
}

// isJSON reports whether a POST is JSON: by its content type, or, whatever
// the header says, by a body that starts with '{'.
func isJSON(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && isJSONType(mt) {
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n\ufeff"), []byte("{"))
}

// isJSONType reports whether a media type is JSON.
func isJSONType(mediaType string) bool {
	return mediaType == ContentTypeJSON || mediaType == "text/json" || strings.HasSuffix(mediaType, "+json")
}

// isForm reports whether a POST's content type may carry a form body. An
// absent or plain-text content type is taken as a form: the courier's
// senders are not always careful.
func isForm(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == ContentTypeForm || mt == "text/plain"
}

package activeantssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxBody is the largest request body the simulator reads; a larger one is
// a 400 (the document caps images at 100Kb, Base64 makes that about 137KB).
const maxBody = 1 << 20

// envelope is every answer but the token's: the document's
// {messageCode, message, result}.
type envelope struct {
	MessageCode string `json:"messageCode"`
	Message     string `json:"message"`
	Result      any    `json:"result"`
}

// Date-time layouts of the answers. The document's answers carry no zone
// and as many fraction digits as are not zero ("2025-07-11T14:57:24.54",
// "2023-03-24T12:52:39.6333333"); its THT dates are midnight without a
// fraction ("2025-05-01T00:00:00").
const (
	layoutLocal = "2006-01-02T15:04:05.9999999"
	layoutTHT   = "2006-01-02T15:04:05"
)

func localTime(t time.Time) string { return t.In(amsterdam).Format(layoutLocal) }

// localTimePtr is nil for the zero time, so that it is written as null.
func localTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(amsterdam).Format(layoutTHT)
	return &s
}

// writeJSON writes v with status, rewriting the keys to PascalCase when
// pascal is set.
func writeJSON(w http.ResponseWriter, status int, v any, pascal bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"Message":"An error has occurred."}`, http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	if pascal {
		if p, err := PascalCase(body); err == nil {
			body = p
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// PascalCase rewrites every object key of a JSON document to start with an
// upper-case letter ("messageCode" becomes "MessageCode"), keeping the
// order of the keys and every value as it is. It is how the simulator
// answers in the public clients' casing.
func PascalCase(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var buf bytes.Buffer
	if err := rewriteKeys(dec, &buf); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("pascal case: trailing data after the JSON value")
	}
	return buf.Bytes(), nil
}

func rewriteKeys(dec *json.Decoder, buf *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("pascal case: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			buf.WriteByte('{')
			for i := 0; dec.More(); i++ {
				k, err := dec.Token()
				if err != nil {
					return fmt.Errorf("pascal case: %w", err)
				}
				key, ok := k.(string)
				if !ok {
					return errors.New("pascal case: an object key is not a string")
				}
				if i > 0 {
					buf.WriteByte(',')
				}
				writeString(buf, upperFirst(key))
				buf.WriteByte(':')
				if err := rewriteKeys(dec, buf); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("pascal case: %w", err)
			}
			buf.WriteByte('}')
		case '[':
			buf.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				if err := rewriteKeys(dec, buf); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("pascal case: %w", err)
			}
			buf.WriteByte(']')
		default:
			return fmt.Errorf("pascal case: unexpected %v", v)
		}
	case string:
		writeString(buf, v)
	case json.Number:
		buf.WriteString(v.String())
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case nil:
		buf.WriteString("null")
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// badRequest is a request that could not be read or misses a required
// field; it is answered 400 with a NOK envelope naming the field.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &badRequest{msg: "The request is invalid: " + fmt.Sprintf(format, args...)}
}

// decodeBody reads a JSON body into v. Keys bind case-insensitively, as
// ASP.NET Web API binds them, because encoding/json matches field names
// without regard to case: the document's camelCase and the clients'
// PascalCase both work. A form body (afosto sends form_params) is turned
// into JSON first, with PHP's bracket syntax for nested fields.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return invalid("reading the body: %v", err)
	}
	if len(body) > maxBody {
		return invalid("the body is larger than %d bytes", maxBody)
	}
	return decodeBytes(r.Header.Get("Content-Type"), body, v)
}

func decodeBytes(contentType string, body []byte, v any) error {
	if strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return invalid("the form does not decode: %v", err)
		}
		j, err := json.Marshal(formToTree(vals))
		if err != nil {
			return invalid("the form does not decode: %v", err)
		}
		body = j
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("the body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalid("the body does not decode: %v", err)
	}
	return nil
}

// formToTree turns OrderItems[0][Sku]=x into {"OrderItems":[{"Sku":"x"}]}.
// Values stay strings; flexInt and flexNum read numbers from strings.
func formToTree(vals url.Values) map[string]any {
	root := map[string]any{}
	for key, vs := range vals {
		if len(vs) == 0 {
			continue
		}
		parts := strings.Split(strings.ReplaceAll(key, "]", ""), "[")
		node := root
		for i, p := range parts {
			if i == len(parts)-1 {
				node[p] = vs[len(vs)-1]
				break
			}
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
	}
	for k, v := range root { // the root stays an object, whatever its keys
		root[k] = arrays(v)
	}
	return root
}

// arrays turns maps whose keys are all 0..n-1 into slices.
func arrays(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, c := range m {
		m[k] = arrays(c)
	}
	if len(m) == 0 {
		return m
	}
	out := make([]any, len(m))
	for k, c := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) {
			return m
		}
		out[i] = c
	}
	return out
}

// flexInt reads an integer from a JSON number or a string (form bodies,
// and the document's product fields typed string in one place and number
// in another). Null and "" leave it unset.
type flexInt struct {
	V   int64
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	if s == "true" || s == "false" {
		return fmt.Errorf("%s is not an integer", b)
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != float64(int64(n)) {
		return fmt.Errorf("%s is not an integer", b)
	}
	f.V, f.Set = int64(n), true
	return nil
}

// flexNum reads a decimal from a JSON number or a string.
type flexNum struct {
	V   float64
	Set bool
}

func (f *flexNum) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	f.V, f.Set = n, true
	return nil
}

// flexText reads a string or a number as text: the document types the
// product's prices, VAT level and order quantity as strings in product/add
// (its example sends "string") and as numbers in product/edit.
type flexText string

func (f *flexText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexText(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("%s is neither a string nor a number", b)
	}
	*f = flexText(n.String())
	return nil
}

// flexBool reads true/false, 1/0 and their strings.
type flexBool struct {
	V   bool
	Set bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "null", "":
		return nil
	case "true", "1":
		f.V, f.Set = true, true
	case "false", "0":
		f.V, f.Set = false, true
	default:
		return fmt.Errorf("%s is not a boolean", b)
	}
	return nil
}

// oneOrMany reads an array of T or a single T: the document's purchase
// order delete and RMA examples send one object where the field is
// described as an array.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*o = []T{one}
		return nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*o = many
	return nil
}

// parseDate reads the request dates the document and the clients send:
// RFC 3339, "Y-m-d H:i:s", "Y-m-d", Caret's "Y-m-d, H:M:S" and a local
// date-time without zone.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02, 15:04:05", "2006-01-02T15:04:05.9999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, amsterdam); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

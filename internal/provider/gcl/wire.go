package gcl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shiphub/shiphub/internal/provider"
)

// Response is a successful answer of GET /v1/tracking/{trackingNumber}.
type Response struct {
	ShortUID           string       `json:"shortUid"`
	TrackingNumber     string       `json:"trackingNumber"`
	TrackingURL        string       `json:"trackingUrl"`
	ShipmentMethodUID  string       `json:"shipmentMethodUid"`
	ShipmentMethodName string       `json:"shipmentMethodName"`
	CarrierUID         string       `json:"carrierUid"`
	CarrierName        string       `json:"carrierName"`
	WeightInGrams      flexString   `json:"weightInGrams"`
	Checkpoints        []Checkpoint `json:"checkpoints"`

	// Rejected are the checkpoints Decode left out because they are
	// malformed; the good ones are in Checkpoints.
	Rejected []RejectedCheckpoint `json:"-"`
}

// wireResponse is Response as it arrives: every checkpoint is decoded on
// its own, so that one malformed checkpoint does not reject its neighbours.
type wireResponse struct {
	ShortUID           string            `json:"shortUid"`
	TrackingNumber     string            `json:"trackingNumber"`
	TrackingURL        string            `json:"trackingUrl"`
	ShipmentMethodUID  string            `json:"shipmentMethodUid"`
	ShipmentMethodName string            `json:"shipmentMethodName"`
	CarrierUID         string            `json:"carrierUid"`
	CarrierName        string            `json:"carrierName"`
	WeightInGrams      flexString        `json:"weightInGrams"`
	Checkpoints        []json.RawMessage `json:"checkpoints"`
}

// Checkpoint is one tracking update of the parcel.
type Checkpoint struct {
	Status               flexInt `json:"status"`
	StatusUID            string  `json:"statusUid"`
	Message              string  `json:"message"`
	Description          string  `json:"description"`
	Location             string  `json:"location"`
	CreatedAt            string  `json:"createdAt"`
	ExpectedDeliveryDate string  `json:"expectedDeliveryDate"`
	SignedBy             string  `json:"signedBy"`

	// at is CreatedAt parsed, set by Decode.
	at time.Time
}

// At is when the checkpoint happened (its createdAt), in UTC.
func (c *Checkpoint) At() time.Time { return c.at }

// RejectedCheckpoint is a checkpoint of an answer that could not be
// understood: it is left out of the answer and recorded as an intake error,
// so the operator sees what GCL sent.
type RejectedCheckpoint struct {
	// Index is its position in the answer's checkpoints array.
	Index int
	// Reason says what is wrong with it.
	Reason string
	// Raw is the checkpoint as sent.
	Raw json.RawMessage
}

// ErrorResponse is the error answer, e.g. TRACKING_DETAILS_NOT_FOUND. The
// document gives it no HTTP status, so it is recognised by its body alone.
type ErrorResponse struct {
	TrackingNumber string        `json:"trackingNumber"`
	Code           string        `json:"code"`
	Message        string        `json:"message"`
	Details        *ErrorDetails `json:"details"`
}

// ErrorDetails is the document's ResponseErrorDetails: more about an error.
type ErrorDetails struct {
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Reference string `json:"reference,omitempty"`
	// Raw is the details as sent, kept whatever their shape.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// maxRawDetails caps the raw details kept for the operator.
const maxRawDetails = 2 << 10

// UnmarshalJSON keeps the details whatever their shape: the fields the
// document names are read when they are there, and the raw JSON is kept,
// so an odd details value never rejects the error answer that carries it.
func (d *ErrorDetails) UnmarshalJSON(b []byte) error {
	*d = ErrorDetails{}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err == nil && compact.Len() <= maxRawDetails {
		d.Raw = compact.Bytes()
	}
	var fields struct {
		Code      flexString `json:"code"`
		Message   flexString `json:"message"`
		Reference flexString `json:"reference"`
	}
	if json.Unmarshal(b, &fields) == nil {
		d.Code, d.Message, d.Reference = string(fields.Code), string(fields.Message), string(fields.Reference)
	}
	return nil
}

// maxDescribe caps ErrorResponse.Describe, which is stored as a tracker's
// last error.
const maxDescribe = 1000

// Describe is the error answer for the operator: its code, message and
// details, on one line.
func (e *ErrorResponse) Describe() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, " %q", e.Message)
	}
	if d := e.Details; d != nil {
		var parts []string
		if d.Code != "" {
			parts = append(parts, "code "+d.Code)
		}
		if d.Message != "" {
			parts = append(parts, strconv.Quote(d.Message))
		}
		if d.Reference != "" {
			parts = append(parts, "reference "+d.Reference)
		}
		if len(parts) == 0 && len(d.Raw) > 0 && string(d.Raw) != "null" {
			parts = append(parts, string(d.Raw))
		}
		if len(parts) > 0 {
			b.WriteString(" (details: " + strings.Join(parts, ", ") + ")")
		}
	}
	// One line of valid UTF-8: a code or reference with a line break in it
	// must not forge a log line or a row of last_error.
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(b.String(), "?"))
	if len(s) > maxDescribe {
		s = strings.ToValidUTF8(s[:maxDescribe], "") + "…"
	}
	return s
}

// CodeNotFound is the error code of a number the API does not know (yet).
const CodeNotFound = "TRACKING_DETAILS_NOT_FOUND"

// maxRawCheckpoint caps a rejected checkpoint's raw bytes.
const maxRawCheckpoint = 4 << 10

// Decode reads a response body: a tracking answer, or an error answer
// (recognised by its "code", whatever the HTTP status it came with). Every
// error wraps provider.ErrBadInput. Checkpoint times must be RFC 3339 and
// expected delivery dates YYYY-MM-DD (or empty), so that nothing
// half-understood is applied; a checkpoint that is not is left out and
// listed in Response.Rejected, and the others are kept.
func Decode(body []byte) (*Response, *ErrorResponse, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, nil, fmt.Errorf("%w: the body is not a JSON object", provider.ErrBadInput)
	}
	if e, ok, err := decodeError(body); err != nil || ok {
		return nil, e, err
	}
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", provider.ErrBadInput, err)
	}
	if strings.TrimSpace(w.TrackingNumber) == "" {
		return nil, nil, fmt.Errorf("%w: trackingNumber is missing", provider.ErrBadInput)
	}
	r := &Response{
		ShortUID: w.ShortUID, TrackingNumber: w.TrackingNumber, TrackingURL: w.TrackingURL,
		ShipmentMethodUID: w.ShipmentMethodUID, ShipmentMethodName: w.ShipmentMethodName,
		CarrierUID: w.CarrierUID, CarrierName: w.CarrierName, WeightInGrams: w.WeightInGrams,
	}
	for i, raw := range w.Checkpoints {
		c, err := decodeCheckpoint(raw)
		if err != nil {
			if len(raw) > maxRawCheckpoint {
				raw = raw[:maxRawCheckpoint]
			}
			r.Rejected = append(r.Rejected, RejectedCheckpoint{Index: i, Reason: fmt.Sprintf("checkpoints[%d]: %v", i, err), Raw: raw})
			continue
		}
		r.Checkpoints = append(r.Checkpoints, c)
	}
	return r, nil, nil
}

// decodeError reads body as an error answer when it has a non-null "code".
func decodeError(body []byte) (*ErrorResponse, bool, error) {
	var probe struct {
		Code json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, false, fmt.Errorf("%w: %v", provider.ErrBadInput, err)
	}
	if len(probe.Code) == 0 || string(probe.Code) == "null" {
		return nil, false, nil
	}
	var w struct {
		TrackingNumber flexString    `json:"trackingNumber"`
		Code           flexString    `json:"code"`
		Message        flexString    `json:"message"`
		Details        *ErrorDetails `json:"details"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, false, fmt.Errorf("%w: error answer: %v", provider.ErrBadInput, err)
	}
	e := &ErrorResponse{TrackingNumber: string(w.TrackingNumber), Code: strings.TrimSpace(string(w.Code)), Message: string(w.Message), Details: w.Details}
	if e.Code == "" {
		return nil, false, fmt.Errorf("%w: error answer without a code", provider.ErrBadInput)
	}
	if e.Details != nil && len(e.Details.Raw) == 0 && e.Details.Code == "" && e.Details.Message == "" && e.Details.Reference == "" {
		e.Details = nil
	}
	return e, true, nil
}

// decodeCheckpoint reads and checks one checkpoint.
func decodeCheckpoint(raw json.RawMessage) (Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("not a checkpoint: %v", err)
	}
	at, err := time.Parse(time.RFC3339Nano, c.CreatedAt)
	if err != nil {
		return c, fmt.Errorf("createdAt: %q is not RFC 3339", c.CreatedAt)
	}
	c.at = at.UTC()
	if d := c.ExpectedDeliveryDate; d != "" {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return c, fmt.Errorf("expectedDeliveryDate: %q is not YYYY-MM-DD", d)
		}
	}
	return c, nil
}

// flexString accepts a JSON string or number (the document types
// weightInGrams as a string; a number is the same fact).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// flexInt accepts a JSON number or a numeric string; valid is false when
// the field was absent or null.
type flexInt struct {
	n     int
	valid bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = flexInt{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("status: want an integer, got %s", b)
	}
	*f = flexInt{n: n, valid: true}
	return nil
}

func (f flexInt) MarshalJSON() ([]byte, error) {
	if !f.valid {
		return []byte("null"), nil
	}
	return []byte(strconv.Itoa(f.n)), nil
}

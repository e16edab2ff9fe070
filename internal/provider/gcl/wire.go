package gcl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

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

// ErrorResponse is the error answer, e.g. TRACKING_DETAILS_NOT_FOUND.
type ErrorResponse struct {
	TrackingNumber string          `json:"trackingNumber"`
	Code           string          `json:"code"`
	Message        string          `json:"message"`
	Details        json.RawMessage `json:"details"`
}

// CodeNotFound is the error code of a number the API does not know (yet).
const CodeNotFound = "TRACKING_DETAILS_NOT_FOUND"

// Decode reads a response body: a tracking answer, or an error answer
// (recognised by its "code"). Every error wraps provider.ErrBadInput.
// Checkpoint times must be RFC 3339 and expected delivery dates
// YYYY-MM-DD (or empty), so that nothing half-understood is applied.
func Decode(body []byte) (*Response, *ErrorResponse, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, nil, fmt.Errorf("%w: the body is not a JSON object", provider.ErrBadInput)
	}
	var probe struct {
		Code *string `json:"code"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", provider.ErrBadInput, err)
	}
	if probe.Code != nil {
		var e ErrorResponse
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, nil, fmt.Errorf("%w: error answer: %v", provider.ErrBadInput, err)
		}
		if e.Code == "" {
			return nil, nil, fmt.Errorf("%w: error answer without a code", provider.ErrBadInput)
		}
		return nil, &e, nil
	}
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", provider.ErrBadInput, err)
	}
	if strings.TrimSpace(r.TrackingNumber) == "" {
		return nil, nil, fmt.Errorf("%w: trackingNumber is missing", provider.ErrBadInput)
	}
	for i := range r.Checkpoints {
		c := &r.Checkpoints[i]
		at, err := time.Parse(time.RFC3339Nano, c.CreatedAt)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: checkpoints[%d].createdAt: %q is not RFC 3339", provider.ErrBadInput, i, c.CreatedAt)
		}
		c.at = at.UTC()
		if d := c.ExpectedDeliveryDate; d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return nil, nil, fmt.Errorf("%w: checkpoints[%d].expectedDeliveryDate: %q is not YYYY-MM-DD", provider.ErrBadInput, i, d)
			}
		}
	}
	return &r, nil, nil
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

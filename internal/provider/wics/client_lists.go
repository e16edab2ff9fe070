package wics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The typed calls of webhooks, announcements, receipts and stock read
// WICS's answers with the webhook decoder's binder (bind.go), not with
// encoding/json: the same liberal reading (numbers as strings, text as
// numbers, keys in another case, unknown keys ignored) and the same strict
// refusals (a key given twice, a fraction where a count belongs) hold for
// an answer as for a webhook, and each answer's data is fuzzed
// (client_fuzz_test.go). What was tolerated in an answer is not kept: the
// answer is not a message of the inbox (reconciliation commits the raw
// items, which Normalize reads again).

// answerDecoder reads the data of answers; dates without an offset are
// read in Europe/Amsterdam, where WICS runs.
var answerDecoder = &Decoder{}

// bindItem decodes one item of an answer's data into a wire struct.
func bindItem[T any](raw json.RawMessage) (*T, error) {
	v, _, err := decodeAs[T](answerDecoder, raw)
	return v, err
}

// bindItems decodes every item of a list; the error names the item.
func bindItems[T any](raws []json.RawMessage) ([]T, error) {
	out := make([]T, 0, len(raws))
	for i, raw := range raws {
		v, err := bindItem[T](raw)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, *v)
	}
	return out, nil
}

// walkAll walks a list endpoint and decodes every item of every page.
func walkAll[T any](ctx context.Context, c *Client, path string, f Filter) ([]T, error) {
	var out []T
	err := Walk(ctx, c, path, f, func(page int, raws []json.RawMessage) error {
		items, err := bindItems[T](raws)
		if err != nil {
			return fmt.Errorf("decoding %s page %d: %w", path, page, err)
		}
		out = append(out, items...)
		return nil
	})
	return out, err
}

// getOne gets one object and decodes its data.
func getOne[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var raw json.RawMessage
	if _, err := c.Do(ctx, http.MethodGet, path, nil, nil, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("wics GET %s: the answer has no data", path)
	}
	v, err := bindItem[T](raw)
	if err != nil {
		return nil, fmt.Errorf("decoding wics GET %s data: %w", path, err)
	}
	return v, nil
}

// pathID escapes an identifier for one path segment: WICS's identifiers
// are digits and references, but a reference may hold a slash or a space.
func pathID(id string) string { return url.PathEscape(id) }

// identifierOf reads the identifier a create or update answers with: the
// document shows data as ["<identifier>"], Hageman's client also accepts a
// bare string (wics-public-clients.md); a number is taken as its digits.
// Empty when the answer has none (data null).
func identifierOf(data json.RawMessage) (string, error) {
	s := strings.TrimSpace(string(data))
	if s == "" || s == "null" {
		return "", nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err == nil {
		if len(list) == 0 {
			return "", nil
		}
		return scalarText(list[0])
	}
	return scalarText(data)
}

// scalarText is a JSON string's text or a JSON number's digits.
func scalarText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("expected an identifier, got %s", excerpt(raw))
}

// LineSerialNumbers is one line's serial numbers, the shape the receipt,
// shipment and stock (by EANSSCC) serial number calls share.
type LineSerialNumbers struct {
	ItemCode    string `json:"itemCode"`
	Description string `json:"description"`
	// LineNumber is the line (0 for stock by EANSSCC). The field tables
	// call it String; the examples send a number: both are read.
	LineNumber int64 `json:"lineNumber"`
	// SerialNumbers is the numbers, flattened: the examples nest them as
	// a list of one-element lists (receipts) or one list of all (stock).
	SerialNumbers []string `json:"serialNumbers"`
}

// UnmarshalJSON reads the document's shapes of a line's serial numbers.
func (l *LineSerialNumbers) UnmarshalJSON(b []byte) error {
	var w struct {
		ItemCode      string            `json:"itemCode"`
		Description   string            `json:"description"`
		LineNumber    json.RawMessage   `json:"lineNumber"`
		SerialNumbers []json.RawMessage `json:"serialNumbers"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = LineSerialNumbers{ItemCode: w.ItemCode, Description: w.Description}
	if n := strings.TrimSpace(string(w.LineNumber)); n != "" && n != "null" {
		text, err := scalarText(w.LineNumber)
		if err != nil {
			return fmt.Errorf("lineNumber: %w", err)
		}
		if text != "" {
			v, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
			if err != nil {
				return fmt.Errorf("lineNumber: expected a whole number, got %q", clip(text))
			}
			l.LineNumber = v
		}
	}
	for i, raw := range w.SerialNumbers {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			l.SerialNumbers = append(l.SerialNumbers, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return fmt.Errorf("serialNumbers[%d]: expected a serial number or a list of them", i)
		}
		l.SerialNumbers = append(l.SerialNumbers, many...)
	}
	return nil
}

// serialNumbers gets a serial number list (not paged in the document).
func (c *Client) serialNumbers(ctx context.Context, path string) ([]LineSerialNumbers, error) {
	var out []LineSerialNumbers
	if _, err := c.Do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusOK && isEmptyListMessage(apiErr.Message) {
			return nil, nil
		}
		return nil, err
	}
	return out, nil
}

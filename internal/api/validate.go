package api

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Bounds of a merchant's request that no provider needs more of.
const (
	maxRequestRef   = 100
	maxTextLen      = 1000
	maxRequestLines = 5000
	maxQuantity     = 1e9
)

// fieldCheck collects the invalid fields of a request, by their JSON path.
type fieldCheck struct {
	errs provider.FieldErrors
}

func (c *fieldCheck) add(field string, value any, format string, args ...any) {
	c.errs = append(c.errs, provider.FieldError{Field: field, Value: value, Message: fmt.Sprintf(format, args...)})
}

// reference checks a required identifier: not blank, no control
// characters, at most maxRequestRef characters.
func (c *fieldCheck) reference(field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		c.add(field, v, "is required")
	case utf8.RuneCountInString(v) > maxRequestRef:
		c.add(field, v, "must be at most %d characters", maxRequestRef)
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 || v != strings.TrimSpace(v):
		c.add(field, v, "must be printable text without surrounding spaces")
	}
}

// text checks an optional free text.
func (c *fieldCheck) text(field, v string) {
	if utf8.RuneCountInString(v) > maxTextLen {
		c.add(field, nil, "must be at most %d characters", maxTextLen)
	} else if !utf8.ValidString(v) {
		c.add(field, nil, "must be valid UTF-8")
	}
}

// quantity checks a line quantity: a positive finite number.
func (c *fieldCheck) quantity(field string, q float64) {
	if math.IsNaN(q) || q <= 0 || q > maxQuantity {
		c.add(field, q, "must be greater than 0 and at most %g", maxQuantity)
	}
}

// date checks an optional YYYY-MM-DD day.
func (c *fieldCheck) date(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		c.add(field, v, "must be a date as YYYY-MM-DD, such as 2026-03-14")
	}
}

// address checks an address: its country is required, an ISO 3166-1
// alpha-2 code (upper-cased here, so "nl" is NL), and its texts bounded.
func (c *fieldCheck) address(field string, a *model.Address) {
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if a.Country == "" {
		c.add(field+".country", a.Country, "is required: an ISO 3166-1 alpha-2 code such as NL")
	} else if !isCountry(a.Country) {
		c.add(field+".country", a.Country, "must be an ISO 3166-1 alpha-2 country code such as NL")
	}
	for _, f := range []struct{ name, v string }{
		{"company", a.Company}, {"first_name", a.FirstName}, {"last_name", a.LastName}, {"street", a.Street},
		{"house_number", a.HouseNumber}, {"house_number_addition", a.HouseNumberAddition}, {"address_line2", a.AddressLine2},
		{"postcode", a.Postcode}, {"city", a.City}, {"region", a.Region}, {"email", a.Email}, {"phone", a.Phone},
	} {
		c.text(field+"."+f.name, f.v)
	}
}

// isCountry reports whether code is an assigned ISO 3166-1 alpha-2 code
// of a country (not a macro-region such as EU or a private-use code).
func isCountry(code string) bool {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.String() == code
}

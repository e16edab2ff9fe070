package wics

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// The metaFields keys under which shiphub sends its own ids to WICS. WICS
// keeps them with the order (or announcement) and hands them back (the
// document's "Metafields": "you will receive this back in the shipment"),
// so that the connector links a shipment to its order (MetaOrderID) and a
// command that is sent again after a crash recognises the order an
// earlier attempt created.
const (
	// MetaCommandID is the id of the command that created the entity.
	MetaCommandID = "shiphub_command_id"
	// MetaInboundID is shiphub's id of inbound goods (an announcement).
	MetaInboundID = "shiphub_inbound_id"
)

// OrderBody maps a canonical order request onto the document's order body
// (POST /api/order), field by field:
//
//	reference                       reference
//	delivery_date                   deliveryDate (left out when empty: WICS requires it and
//	                                refuses the order itself, with its own message)
//	note                            note
//	shipping_method                 shippingTag: "a shippingTag or tag that is linked with a
//	                                shipment option in WICS", which is what a shipping method
//	                                names; method (the order method, WEB or POR) is left to
//	                                WICS's default
//	settings' webshop_id            webshopId (left out when 0)
//	delivery_address                deliveryAddress, see below
//	invoice_address                 invoiceAddress (the delivery address when absent)
//	lines[i]                        lines[i]: lineNumber i+1, sku itemCode, description
//	                                itemDescription, quantity (a whole number)
//	(shiphub's ids)                 metaFields {"shiphub_order_id": "<order id>",
//	                                "shiphub_command_id": "<command id>"}, as strings
//
// and per address:
//
//	first_name + " " + last_name    name (company when both are empty)
//	company                         company
//	street                          street
//	house_number                    streetNumber, its leading digits as an integer; what
//	                                follows the digits ("16B") goes to extension. Required
//	                                of a Dutch address; abroad, where WICS allows none, a
//	                                number without leading digits goes whole to extension
//	house_number_addition           extension (after any rest of house_number)
//	address_line2                   secondAddressLine
//	postcode, city, region          zipcode, city, state
//	country                         country, two letters, upper case
//	phone, email                    phoneNumber, email
//	language (the request's)        language, upper case
//
// It returns a provider.FieldErrors naming each field the document marks
// required that the request lacks, or that cannot be sent as the document
// types it, except the delivery date (see above).
func OrderBody(req *model.OrderRequest, orderID, commandID, webshopID int64) (*Order, error) {
	var fe provider.FieldErrors
	o := &Order{
		Reference:    Text(req.Reference),
		DeliveryDate: Text(req.DeliveryDate),
		Note:         Text(req.Note),
		ShippingTag:  Text(req.ShippingMethod),
		WebshopID:    Int(webshopID),
	}
	if strings.TrimSpace(req.Reference) == "" {
		fe = append(fe, provider.FieldError{Field: "reference", Message: "is required"})
	}
	if req.DeliveryDate != "" {
		if _, err := time.Parse(time.DateOnly, req.DeliveryDate); err != nil {
			fe = append(fe, provider.FieldError{Field: "delivery_date", Message: "must be a date as YYYY-MM-DD", Value: req.DeliveryDate})
		}
	}
	lang := Text(strings.ToUpper(req.Language))
	o.DeliveryAddress = orderAddress("delivery_address", &req.DeliveryAddress, lang, &fe)
	if req.InvoiceAddress != nil {
		o.InvoiceAddress = orderAddress("invoice_address", req.InvoiceAddress, lang, &fe)
	} else {
		inv := *o.DeliveryAddress
		o.InvoiceAddress = &inv
	}
	if len(req.Lines) == 0 {
		fe = append(fe, provider.FieldError{Field: "lines", Message: "at least one line is required"})
	}
	for i, l := range req.Lines {
		p := fmt.Sprintf("lines[%d].", i)
		if strings.TrimSpace(l.SKU) == "" {
			fe = append(fe, provider.FieldError{Field: p + "sku", Message: "is required (WICS's itemCode)"})
		}
		q, ok := wholeQuantity(l.Quantity)
		if !ok {
			fe = append(fe, provider.FieldError{Field: p + "quantity", Message: "must be a positive whole number: WICS counts units", Value: l.Quantity})
		}
		o.Lines = append(o.Lines, OrderLine{LineNumber: Int(i + 1), ItemCode: Text(l.SKU), ItemDescription: Text(l.Description), Quantity: Int(q)})
	}
	o.MetaFields = Meta{}
	if orderID > 0 {
		o.MetaFields[MetaOrderID] = jsonString(strconv.FormatInt(orderID, 10))
	}
	if commandID > 0 {
		o.MetaFields[MetaCommandID] = jsonString(strconv.FormatInt(commandID, 10))
	}
	if len(o.MetaFields) == 0 {
		o.MetaFields = nil
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return o, nil
}

// orderAddress maps one canonical address, adding to fe what it lacks.
func orderAddress(path string, a *model.Address, lang Text, fe *provider.FieldErrors) *OrderAddress {
	bad := func(field, msg string, v any) {
		*fe = append(*fe, provider.FieldError{Field: path + "." + field, Message: msg, Value: v})
	}
	name := strings.TrimSpace(strings.TrimSpace(a.FirstName) + " " + strings.TrimSpace(a.LastName))
	if name == "" {
		name = strings.TrimSpace(a.Company)
	}
	if name == "" {
		bad("last_name", "a name (first_name, last_name) or a company is required: WICS requires the address's name", nil)
	}
	out := &OrderAddress{
		Name:              Text(name),
		Company:           Text(a.Company),
		Street:            Text(a.Street),
		SecondAddressLine: Text(a.AddressLine2),
		Zipcode:           Text(a.Postcode),
		City:              Text(a.City),
		State:             Text(a.Region),
		Country:           Text(strings.ToUpper(strings.TrimSpace(a.Country))),
		PhoneNumber:       Text(a.Phone),
		Email:             Text(a.Email),
		Language:          lang,
	}
	// The streetNumber "may be empty on a foreign address" (Get Order):
	// it is required of Dutch addresses only, and a foreign house number
	// without leading digits goes whole into the extension.
	dutch := out.Country == "NL"
	num, rest, ok := splitHouseNumber(a.HouseNumber)
	switch {
	case strings.TrimSpace(a.HouseNumber) == "" && dutch:
		bad("house_number", "is required of a Dutch address: WICS requires the street number", nil)
	case strings.TrimSpace(a.HouseNumber) == "":
	case !ok && dutch:
		bad("house_number", "must begin with the street number as a whole number (WICS's streetNumber); put the rest in house_number_addition", a.HouseNumber)
	case !ok:
		rest = strings.TrimSpace(a.HouseNumber)
	}
	out.StreetNumber = Int(num)
	out.Extension = Text(strings.TrimSpace(rest + " " + strings.TrimSpace(a.HouseNumberAddition)))
	for _, req := range []struct{ field, v, what string }{
		{"postcode", a.Postcode, "zipcode"},
		{"city", a.City, "city"},
		{"email", a.Email, "email"},
	} {
		if strings.TrimSpace(req.v) == "" {
			bad(req.field, "is required: WICS requires the address's "+req.what, nil)
		}
	}
	if c := string(out.Country); len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		bad("country", "must be a country code of two letters (ISO 3166 alpha-2), as WICS requires", a.Country)
	}
	return out
}

// splitHouseNumber splits "16B" into 16 and "B": WICS's streetNumber
// "consists only of a number". ok is false without leading digits.
func splitHouseNumber(s string) (num int64, rest string, ok bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	rest = strings.TrimLeft(s[i:], " -/")
	return n, strings.TrimSpace(rest), true
}

// wholeQuantity is q as a whole number of units, when it is one.
func wholeQuantity(q float64) (int64, bool) {
	if q <= 0 || q != math.Trunc(q) || q > 1e9 {
		return 0, false
	}
	return int64(q), true
}

// jsonString is s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// clipRunes shortens s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

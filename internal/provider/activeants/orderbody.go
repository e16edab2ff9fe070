package activeants

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// OrderAdd is the body of POST /order/add, with every field of the
// document's "order add" table, under the document's own keys (camelCase,
// and its one PascalCase key DeliveryAddressCityName: the ShopApi binds
// keys case-insensitively, so either is read).
type OrderAdd struct {
	ExternalOrderNumber   string `json:"externalOrderNumber"`
	ExtraReference        string `json:"extraReference,omitempty"`
	ActionCode            string `json:"actionCode,omitempty"`
	PreferredShippingDate string `json:"preferredShippingDate,omitempty"`
	PartialDelivery       bool   `json:"partialDelivery"`
	OnHold                bool   `json:"onHold"`
	Email                 string `json:"email,omitempty"`
	PhoneNumber           string `json:"phoneNumber,omitempty"`
	Currency              string `json:"currency,omitempty"`
	PaymentMethodID       int64  `json:"paymentMethodId"`
	ShippingMethodID      int64  `json:"shippingMethodId,omitempty"`

	DeliveryAddressFirstName           string `json:"deliveryAddressFirstName,omitempty"`
	DeliveryAddressInsertion           string `json:"deliveryAddressInsertion,omitempty"`
	DeliveryAddressLastName            string `json:"deliveryAddressLastName"`
	DeliveryAddressExtraName           string `json:"deliveryAddressExtraName,omitempty"`
	DeliveryAddressPostalCode          string `json:"deliveryAddressPostalCode,omitempty"`
	DeliveryAddressHouseNumber         int64  `json:"deliveryAddressHouseNumber,omitempty"`
	DeliveryAddressHouseNumberAddition string `json:"deliveryAddressHouseNumberAddition,omitempty"`
	DeliveryAddressStreet              string `json:"deliveryAddressStreet"`
	DeliveryAddressCityName            string `json:"DeliveryAddressCityName,omitempty"`
	DeliveryAddressRegion              string `json:"deliveryAddressRegion,omitempty"`
	DeliveryAddressCountryIso          string `json:"deliveryAddressCountryIso"`
	DeliveryAddressExtraAddress        string `json:"deliveryAddressExtraAddress,omitempty"`

	BillingAddressFirstName           string `json:"billingAddressFirstName,omitempty"`
	BillingAddressInsertion           string `json:"billingAddressInsertion,omitempty"`
	BillingAddressLastName            string `json:"billingAddressLastName,omitempty"`
	BillingAddressExtraName           string `json:"billingAddressExtraName,omitempty"`
	BillingAddressPostalCode          string `json:"billingAddressPostalCode,omitempty"`
	BillingAddressHouseNumber         int64  `json:"billingAddressHouseNumber,omitempty"`
	BillingAddressHouseNumberAddition string `json:"billingAddressHouseNumberAddition,omitempty"`
	BillingAddressStreet              string `json:"billingAddressStreet,omitempty"`
	BillingAddressCityName            string `json:"billingAddressCityName,omitempty"`
	BillingAddressRegion              string `json:"billingAddressRegion,omitempty"`
	BillingAddressCountryIso          string `json:"billingAddressCountryIso,omitempty"`
	BillingAddressExtraAddress        string `json:"billingAddressExtraAddress,omitempty"`

	Extra1          string `json:"extra1,omitempty"`
	Extra2          string `json:"extra2,omitempty"`
	Extra3          string `json:"extra3,omitempty"`
	Extra4          string `json:"extra4,omitempty"`
	Extra5          string `json:"extra5,omitempty"`
	VATNumber       string `json:"vatNumber,omitempty"`
	ClientReference string `json:"clientReference,omitempty"`
	LanguageID      int64  `json:"languageId"`
	OrderTypeID     int64  `json:"orderTypeId"`

	PickUpPointID                  string `json:"pickUpPointId,omitempty"`
	PickUpPointName                string `json:"pickUpPointName,omitempty"`
	PickUpPointStreet              string `json:"pickUpPointStreet,omitempty"`
	PickUpPointHouseNumber         int64  `json:"pickUpPointHouseNumber,omitempty"`
	PickUpPointHouseNumberAddition string `json:"pickUpPointHouseNumberAddition,omitempty"`
	PickUpPointPostalCode          string `json:"pickUpPointPostalCode,omitempty"`
	PickUpPointCityName            string `json:"pickUpPointCityName,omitempty"`
	PickUpPointCountryIso          string `json:"pickUpPointCountryIso,omitempty"`
	PickUpPointRegion              string `json:"pickUpPointRegion,omitempty"`
	PickUpPointExtraAddress        string `json:"pickUpPointExtraAddress,omitempty"`
	WarehouseID                    int64  `json:"warehouseId,omitempty"`

	OrderItems []OrderItem `json:"orderItems"`
}

// OrderItem is one item of an OrderAdd.
type OrderItem struct {
	SKU      string  `json:"sku"`
	Quantity int64   `json:"quantity"`
	Name     string  `json:"name,omitempty"`
	Price    float64 `json:"price,omitempty"`
	VAT      float64 `json:"vat,omitempty"`
}

// OrderBody maps a canonical order request, with its codes resolved to
// the account's ids, onto the document's order add:
//
//	reference                      externalOrderNumber
//	delivery_date (YYYY-MM-DD)     preferredShippingDate, midnight UTC ("the order will not be shipped before this date")
//	on_hold, partial_delivery      onHold, partialDelivery
//	currency, vat_number           currency, vatNumber
//	shipping_method, order_type,   shippingMethodId, orderTypeId, languageId (ids), paymentMethodId 1
//	language
//	delivery_address               deliveryAddress*: first_name FirstName, last_name LastName (company when
//	                               there is no last name), company ExtraName, street Street, house_number
//	                               HouseNumber (its leading digits; the rest goes before house_number_addition
//	                               in HouseNumberAddition), postcode PostalCode, city CityName, region Region,
//	                               country CountryIso, address_line2 ExtraAddress; email and phone the order's
//	                               email and phoneNumber
//	invoice_address                billingAddress* (the same parts); the delivery address when absent
//	pickup_point_id, pickup_point  pickUpPointId, pickUpPointName and pickUpPoint* (the address parts)
//	lines                          orderItems: sku, quantity (whole units), description name, price, vat
//
// The order's note has no field in the document and is not sent. Errors
// are provider.FieldErrors naming the request's fields.
func OrderBody(req *model.OrderRequest, ids OrderIDs) (*OrderAdd, error) {
	var fe provider.FieldErrors
	o := &OrderAdd{
		ExternalOrderNumber: strings.TrimSpace(req.Reference),
		PartialDelivery:     req.PartialDelivery, OnHold: req.OnHold,
		Currency: strings.ToUpper(strings.TrimSpace(req.Currency)), VATNumber: req.VATNumber,
		PaymentMethodID: ids.PaymentMethodID, ShippingMethodID: ids.ShippingMethodID,
		LanguageID: ids.LanguageID, OrderTypeID: ids.OrderTypeID,
		PickUpPointID: strings.TrimSpace(req.PickupPointID),
	}
	if o.PaymentMethodID == 0 {
		o.PaymentMethodID = 1
	}
	if o.ExternalOrderNumber == "" {
		fe = append(fe, provider.FieldError{Field: "reference", Message: "is required (Active Ants's externalOrderNumber)"})
	}
	if req.DeliveryDate != "" {
		d, err := time.Parse(time.DateOnly, req.DeliveryDate)
		if err != nil {
			fe = append(fe, provider.FieldError{Field: "delivery_date", Message: "must be a date as YYYY-MM-DD", Value: req.DeliveryDate})
		} else {
			o.PreferredShippingDate = d.UTC().Format(time.RFC3339)
		}
	}
	if o.Currency != "" && len(o.Currency) != 3 {
		fe = append(fe, provider.FieldError{Field: "currency", Message: "must be an ISO 4217 code such as EUR", Value: req.Currency})
	}
	d := req.DeliveryAddress
	o.Email, o.PhoneNumber = strings.TrimSpace(d.Email), strings.TrimSpace(d.Phone)
	dp, dfe := addressParts("delivery_address", &d, true)
	fe = append(fe, dfe...)
	o.DeliveryAddressFirstName, o.DeliveryAddressLastName, o.DeliveryAddressExtraName = dp.first, dp.last, dp.company
	o.DeliveryAddressPostalCode, o.DeliveryAddressHouseNumber, o.DeliveryAddressHouseNumberAddition = dp.postcode, dp.number, dp.addition
	o.DeliveryAddressStreet, o.DeliveryAddressCityName, o.DeliveryAddressRegion = dp.street, dp.city, dp.region
	o.DeliveryAddressCountryIso, o.DeliveryAddressExtraAddress = dp.country, dp.extra
	if o.PickUpPointID == "" && (o.DeliveryAddressPostalCode == "" || (o.DeliveryAddressHouseNumber == 0 && !strings.ContainsFunc(o.DeliveryAddressStreet, unicode.IsDigit))) {
		// The document: postal code and house number "required when
		// shipping within The Netherlands, Germany or Belgium (and most
		// other countries)"; Maya marks such an order Not Valid.
		if o.DeliveryAddressPostalCode == "" {
			fe = append(fe, provider.FieldError{Field: "delivery_address.postcode", Message: "is required by Active Ants (unless the order goes to a pickup point)"})
		}
		if o.DeliveryAddressHouseNumber == 0 && !strings.ContainsFunc(o.DeliveryAddressStreet, unicode.IsDigit) {
			fe = append(fe, provider.FieldError{Field: "delivery_address.house_number", Message: "is required by Active Ants (unless the order goes to a pickup point)"})
		}
	}
	inv := req.DeliveryAddress
	invField := "delivery_address"
	if req.InvoiceAddress != nil {
		inv, invField = *req.InvoiceAddress, "invoice_address"
	}
	bp, bfe := addressParts(invField, &inv, false)
	if invField == "invoice_address" {
		fe = append(fe, bfe...)
	}
	o.BillingAddressFirstName, o.BillingAddressLastName, o.BillingAddressExtraName = bp.first, bp.last, bp.company
	o.BillingAddressPostalCode, o.BillingAddressHouseNumber, o.BillingAddressHouseNumberAddition = bp.postcode, bp.number, bp.addition
	o.BillingAddressStreet, o.BillingAddressCityName, o.BillingAddressRegion = bp.street, bp.city, bp.region
	o.BillingAddressCountryIso, o.BillingAddressExtraAddress = bp.country, bp.extra
	if pp := req.PickupPoint; pp != nil {
		if o.PickUpPointID == "" {
			fe = append(fe, provider.FieldError{Field: "pickup_point_id", Message: "is required with pickup_point"})
		}
		p, pfe := addressParts("pickup_point.address", &pp.Address, false)
		fe = append(fe, pfe...)
		o.PickUpPointName = strings.TrimSpace(pp.Name)
		o.PickUpPointStreet, o.PickUpPointHouseNumber, o.PickUpPointHouseNumberAddition = p.street, p.number, p.addition
		o.PickUpPointPostalCode, o.PickUpPointCityName, o.PickUpPointCountryIso = p.postcode, p.city, p.country
		o.PickUpPointRegion, o.PickUpPointExtraAddress = p.region, p.extra
	}
	if len(req.Lines) == 0 {
		fe = append(fe, provider.FieldError{Field: "lines", Message: "at least one line is required"})
	}
	for i, l := range req.Lines {
		q, ok := wholeUnits(l.Quantity)
		if !ok {
			fe = append(fe, provider.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Message: "must be a positive whole number: Active Ants counts units", Value: l.Quantity})
		}
		o.OrderItems = append(o.OrderItems, OrderItem{SKU: strings.TrimSpace(l.SKU), Quantity: q, Name: l.Description, Price: l.Price, VAT: l.VAT})
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return o, nil
}

// parts is an address in the document's pieces.
type parts struct {
	first, last, company, street, addition, postcode, city, region, country, extra string
	number                                                                         int64
}

// addressParts splits a canonical address into the document's pieces. The
// document's house number is an integer: the canonical house_number's
// leading digits are the number, anything after them ("12a", "12-3") is
// put before house_number_addition. A house number without leading
// digits is left in the street, where Maya looks for one. required checks
// the delivery address's required parts: a last name (or company), a
// street and a country.
func addressParts(field string, a *model.Address, required bool) (parts, provider.FieldErrors) {
	var fe provider.FieldErrors
	p := parts{
		first: strings.TrimSpace(a.FirstName), last: strings.TrimSpace(a.LastName), company: strings.TrimSpace(a.Company),
		street: strings.TrimSpace(a.Street), addition: strings.TrimSpace(a.HouseNumberAddition),
		postcode: strings.TrimSpace(a.Postcode), city: strings.TrimSpace(a.City), region: strings.TrimSpace(a.Region),
		country: strings.ToUpper(strings.TrimSpace(a.Country)), extra: strings.TrimSpace(a.AddressLine2),
	}
	if p.last == "" {
		p.last = p.company
	}
	if hn := strings.TrimSpace(a.HouseNumber); hn != "" {
		end := strings.IndexFunc(hn, func(r rune) bool { return r < '0' || r > '9' })
		if end < 0 {
			end = len(hn)
		}
		n, err := strconv.ParseInt(hn[:end], 10, 64)
		switch {
		case end == 0:
			p.street = strings.TrimSpace(p.street + " " + hn)
		case err != nil || n > math.MaxInt32:
			fe = append(fe, provider.FieldError{Field: field + ".house_number", Message: "is not a house number", Value: a.HouseNumber})
		default:
			p.number = n
			if rest := strings.Trim(hn[end:], " -/"); rest != "" {
				p.addition = strings.TrimSpace(rest + " " + p.addition)
			}
		}
	}
	if required {
		if p.last == "" {
			fe = append(fe, provider.FieldError{Field: field + ".last_name", Message: "is required by Active Ants (or a company)"})
		}
		if p.street == "" {
			fe = append(fe, provider.FieldError{Field: field + ".street", Message: "is required by Active Ants"})
		}
		if p.country == "" {
			fe = append(fe, provider.FieldError{Field: field + ".country", Message: "is required by Active Ants"})
		}
	}
	return p, fe
}

// wholeUnits converts a canonical quantity to the document's integer, if it
// is a positive whole number.
func wholeUnits(q float64) (int64, bool) {
	if q <= 0 || q != math.Trunc(q) || q > math.MaxInt32 {
		return 0, false
	}
	return int64(q), true
}

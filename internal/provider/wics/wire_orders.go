package wics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The request and answer bodies of the order and item calls, field by field
// from the document's tables ("Orders", "Items", "Shipment"). One struct
// serves as request and answer where the document shows one shape for both
// (an order is PUT back whole, as Pipedream does: it GETs the order, merges
// and PUTs): the fields only WICS sets (number, statusCode,
// quantityDelivered) are left out of a request when empty.
//
// Answers are decoded with encoding/json through the lenient types below,
// because the document and the public clients disagree on types: numbers
// the field tables call String ("physical"), an order number given as
// "13295" in one place and 13295 in another, metaFields as "" in the
// examples, a weight as "3.75".

// Text is a string WICS may also send as a number, a boolean or null (the
// document's tables call some numeric fields String). It is sent as a string.
type Text string

// UnmarshalJSON reads a JSON string, number or boolean as its text, and
// null as empty.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("empty value")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case string(b) == "null":
		*t = ""
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("expected text, got %s", excerpt(b))
	default:
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*t = Text(b)
	}
	return nil
}

// Int is a whole number WICS may also send as a string of digits, with a
// zero fraction, or as null or "" (none). It is sent as a JSON number.
type Int int64

// UnmarshalJSON reads a JSON number or a string holding one.
func (n *Int) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case nil:
		*n = 0
	case float64:
		if v != float64(int64(v)) {
			return fmt.Errorf("expected a whole number, got %s", excerpt(b))
		}
		*n = Int(v)
	case string:
		s := strings.TrimSpace(v)
		if s == "" || s == "null" {
			*n = 0
			return nil
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f != float64(int64(f)) {
				return fmt.Errorf("expected a whole number, got %s", excerpt(b))
			}
			i = int64(f)
		}
		*n = Int(i)
	default:
		return fmt.Errorf("expected a whole number, got %s", excerpt(b))
	}
	return nil
}

// Decimal is a decimal WICS may also send as a string ("3.75") or null.
// It is sent as a JSON number.
type Decimal float64

// UnmarshalJSON reads a JSON number or a string holding one.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case nil:
		*d = 0
	case float64:
		*d = Decimal(v)
	case string:
		s := strings.TrimSpace(strings.ReplaceAll(v, ",", "."))
		if s == "" {
			*d = 0
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("expected a decimal, got %s", excerpt(b))
		}
		*d = Decimal(f)
	default:
		return fmt.Errorf("expected a decimal, got %s", excerpt(b))
	}
	return nil
}

// Meta is the metaFields of an entity as the order and announcement calls
// carry them: key to JSON value. An answer's "" or null is none, and an
// object encoded as a JSON string is read as the object (as MetaFields of
// the webhooks).
type Meta map[string]json.RawMessage

// UnmarshalJSON reads an object, "", null, or an object in a string.
func (m *Meta) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*m = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*m = nil
			return nil
		}
		b = []byte(s)
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("metaFields: expected an object, got %s", excerpt(b))
	}
	*m = v
	return nil
}

// Text returns the value under key as text: a JSON string's content, or
// any other value's JSON; "" when absent.
func (m Meta) Text(key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// Order is an order at WICS: the body of POST /api/order and PUT
// /api/order/{number}, and the data of GET /api/order/{number} and of each
// item of GET /api/order.
type Order struct {
	// Number is WICS's own identifier of the order (set by WICS).
	Number              Text `json:"number,omitempty"`
	Reference           Text `json:"reference"`
	AdditionalReference Text `json:"additionalReference,omitempty"`
	// DeliveryDate is YYYY-MM-DD; required by create.
	DeliveryDate Text `json:"deliveryDate,omitempty"`
	// Paid is true by default at WICS.
	Paid          *bool `json:"paid,omitempty"`
	WebshopID     Int   `json:"webshopId,omitempty"`
	WarehouseCode Text  `json:"warehouseCode,omitempty"`
	Note          Text  `json:"note,omitempty"`
	ShippingTag   Text  `json:"shippingTag,omitempty"`
	// Tag is the other name of shippingTag ("shippingTag or tag"); Odoo sends it.
	Tag             Text          `json:"tag,omitempty"`
	PickupPoint     Text          `json:"pickupPoint,omitempty"`
	TermsOfDelivery Text          `json:"termsOfDelivery,omitempty"`
	Method          Text          `json:"method,omitempty"`
	Type            Text          `json:"type,omitempty"`
	Priority        Int           `json:"priority,omitempty"`
	RideNumber      Int           `json:"rideNumber,omitempty"`
	Ride            *Ride         `json:"ride,omitempty"`
	StatusCode      Text          `json:"statusCode,omitempty"`
	Texts           *OrderTexts   `json:"texts,omitempty"`
	Prices          *OrderPrices  `json:"prices,omitempty"`
	InvoiceAddress  *OrderAddress `json:"invoiceAddress,omitempty"`
	DeliveryAddress *OrderAddress `json:"deliveryAddress,omitempty"`
	Lines           []OrderLine   `json:"lines,omitempty"`
	// MetaFields carry shiphub's ids (MetaOrderID, MetaCommandID).
	MetaFields Meta `json:"metaFields,omitempty"`
}

// Ride is an order's ride (route and stop).
type Ride struct {
	Number     Decimal `json:"number"`
	RouteCode  Text    `json:"routeCode,omitempty"`
	StopNumber Decimal `json:"stopNumber"`
}

// OrderTexts are the texts shown at the warehouse's steps.
type OrderTexts struct {
	Picking       Text `json:"picking,omitempty"`
	Scanner       Text `json:"scanner,omitempty"`
	PackingTable  Text `json:"packingTable,omitempty"`
	PackingSlip   Text `json:"packingSlip,omitempty"`
	ShippingLabel Text `json:"shippingLabel,omitempty"`
}

// OrderPrices are an order's totals.
type OrderPrices struct {
	Currency        Text    `json:"currency,omitempty"`
	TotalPriceNet   Decimal `json:"totalPriceNet"`
	TotalPriceGross Decimal `json:"totalPriceGross"`
	TotalDiscount   Decimal `json:"totalDiscount"`
	HandlingCost    Decimal `json:"handlingCost"`
	ShippingCost    Decimal `json:"shippingCost"`
	Rembours        Decimal `json:"rembours"`
}

// OrderAddress is an invoice or delivery address. Name, streetNumber,
// zipcode, city, country and email are marked required for create.
type OrderAddress struct {
	// Number is WICS's address number (answers only).
	Number        Int  `json:"number,omitempty"`
	Name          Text `json:"name"`
	NameExtension Text `json:"nameExtension,omitempty"`
	Company       Text `json:"company,omitempty"`
	Street        Text `json:"street,omitempty"`
	// StreetNumber "consists only of a number"; the rest is Extension.
	StreetNumber      Int  `json:"streetNumber,omitempty"`
	Extension         Text `json:"extension,omitempty"`
	SecondAddressLine Text `json:"secondAddressLine,omitempty"`
	ThirdAddressLine  Text `json:"thirdAddressLine,omitempty"`
	Zipcode           Text `json:"zipcode"`
	City              Text `json:"city"`
	State             Text `json:"state,omitempty"`
	// Country is two letters.
	Country      Text `json:"country"`
	PhoneNumber  Text `json:"phoneNumber,omitempty"`
	MobileNumber Text `json:"mobileNumber,omitempty"`
	Email        Text `json:"email"`
	Language     Text `json:"language,omitempty"`
}

// OrderLine is one order line.
type OrderLine struct {
	LineNumber      Int  `json:"lineNumber"`
	ItemCode        Text `json:"itemCode"`
	ItemDescription Text `json:"itemDescription,omitempty"`
	Quantity        Int  `json:"quantity"`
	// QuantityDelivered is set by WICS (answers only).
	QuantityDelivered Int             `json:"quantityDelivered,omitempty"`
	Unit              Text            `json:"unit,omitempty"`
	VariantCode       Text            `json:"variantCode,omitempty"`
	SalesUnitCode     Text            `json:"salesUnitCode,omitempty"`
	Prices            *LinePrices     `json:"prices,omitempty"`
	Lotnumbers        []LineLotnumber `json:"lotnumbers,omitempty"`
	Texts             *OrderTexts     `json:"texts,omitempty"`
	MetaFields        Meta            `json:"metaFields,omitempty"`
}

// LinePrices are an order line's prices.
type LinePrices struct {
	VATPercentage  Decimal `json:"vatPercentage"`
	UnitPriceNet   Decimal `json:"unitPriceNet"`
	UnitPriceGross Decimal `json:"unitPriceGross"`
	PriceNet       Decimal `json:"priceNet"`
	PriceGross     Decimal `json:"priceGross"`
	Discount       Decimal `json:"discount"`
}

// LineLotnumber reserves a quantity of a lot for the line.
type LineLotnumber struct {
	Lotnumber Text `json:"lotnumber"`
	Quantity  Int  `json:"quantity"`
}

// OrderShipment is one item of GET /api/order/{reference}/shipment.
type OrderShipment struct {
	MetaFields          Meta                `json:"metaFields,omitempty"`
	ShipmentNr          Int                 `json:"shipmentNr"`
	ColloID             Text                `json:"colloId"`
	OrderReference      Text                `json:"orderReference"`
	AdditionalReference Text                `json:"additionalReference"`
	DeliveryDate        Text                `json:"deliveryDate,omitempty"`
	ShipperCode         Text                `json:"shipperCode"`
	ShipperName         Text                `json:"shipperName"`
	TrackAndTrace       Text                `json:"trackAndTrace"`
	TrackAndTraceURL    Text                `json:"trackAndTraceUrl"`
	HasSerialNumbers    bool                `json:"hasSerialNumbers"`
	ShippingLines       []OrderShipmentLine `json:"shippingLines"`
}

// OrderShipmentLine is one line of an OrderShipment.
type OrderShipmentLine struct {
	MetaFields        Meta `json:"metaFields,omitempty"`
	OrderLine         Int  `json:"orderLine"`
	OrderLineExternal Int  `json:"orderLineExternal"`
	ItemCode          Text `json:"itemCode"`
	ItemDescription   Text `json:"itemDescription"`
	QuantityOrdered   Int  `json:"quantityOrdered"`
	QuantityDelivered Int  `json:"quantityDelivered"`
	Unit              Text `json:"unit"`
	HasSerialNumbers  bool `json:"hasSerialNumbers"`
	BestBeforeDate    Text `json:"bestBeforeDate,omitempty"`
	LotNumber         Text `json:"lotNumber,omitempty"`
	EANSSCC           Text `json:"EANSSCC"`
}

// OrderSerialNumber is one item of GET /api/order/{number}/serialnumber.
type OrderSerialNumber struct {
	ItemCode     Text `json:"itemCode"`
	Description  Text `json:"description"`
	SerialNumber Text `json:"serialNumber"`
}

// ShipmentLineSerials is one item of GET /api/shipment/{number}/serialnumber:
// a shipment line's serial numbers, which the document nests as a list of
// lists.
type ShipmentLineSerials struct {
	ItemCode      Text     `json:"itemCode"`
	Description   Text     `json:"description"`
	LineNumber    Int      `json:"lineNumber"`
	SerialNumbers [][]Text `json:"serialNumbers"`
}

// Flat returns the serial numbers in one list, in the order given.
func (l ShipmentLineSerials) Flat() []string {
	var out []string
	for _, group := range l.SerialNumbers {
		for _, s := range group {
			out = append(out, string(s))
		}
	}
	return out
}

// Item is an item at WICS: the body of POST /api/item (and of each entry
// of POST /api/item/list) and an item of GET /api/item.
type Item struct {
	Code Text `json:"code"`
	// Description is the item's name.
	Description Text `json:"description,omitempty"`
	// InternalDescription is at most 40 characters, "only required for WICS".
	InternalDescription Text  `json:"internalDescription,omitempty"`
	Assembled           *bool `json:"assembled,omitempty"`
	AssemblyType        Text  `json:"assemblyType,omitempty"`
	Barcode             Text  `json:"barcode,omitempty"`
	ItemGroup           Text  `json:"itemGroup,omitempty"`
	DefaultUnit         Text  `json:"defaultUnit,omitempty"`
	SafetyDataSheet     Text  `json:"safetyDataSheet,omitempty"`
	// StatusCode is an integer in requests; the list example sends "30".
	StatusCode   Int  `json:"statusCode,omitempty"`
	Traceability Text `json:"traceability,omitempty"`
	// Weight is a decimal the document's examples send as a string ("3.75").
	Weight     Text            `json:"weight,omitempty"`
	BestBefore *ItemBestBefore `json:"bestBefore,omitempty"`
	Components []ItemComponent `json:"components,omitempty"`
	Units      []ItemUnit      `json:"units,omitempty"`
	Warehouses []ItemWarehouse `json:"warehouses,omitempty"`
}

// ItemUpdate is the body of PUT /api/item/{code}: the fields the document
// lets an update change.
type ItemUpdate struct {
	Description     Text            `json:"description,omitempty"`
	Assembled       *bool           `json:"assembled,omitempty"`
	DefaultUnit     Text            `json:"defaultUnit,omitempty"`
	SafetyDataSheet Text            `json:"safetyDataSheet,omitempty"`
	StatusCode      Int             `json:"statusCode,omitempty"`
	Traceability    Text            `json:"traceability,omitempty"`
	Weight          Text            `json:"weight,omitempty"`
	BestBefore      *ItemBestBefore `json:"bestBefore,omitempty"`
	Units           []ItemUnit      `json:"units,omitempty"`
}

// ItemBestBefore is an item's best-before settings (FEFO when given).
type ItemBestBefore struct {
	ReceiptDateEntry Text `json:"receiptDateEntry,omitempty"`
	BestBeforePeriod Int  `json:"bestBeforePeriod"`
	QuarantinePeriod Int  `json:"quarantinePeriod"`
	WarrantyPeriod   Int  `json:"warrantyPeriod"`
}

// ItemComponent is a component of an assembled item.
type ItemComponent struct {
	Code     Text    `json:"code"`
	SKUCode  Text    `json:"skuCode,omitempty"`
	Quantity Decimal `json:"quantity"`
}

// ItemUnit is one unit (piece, box…) of an item.
type ItemUnit struct {
	Unit      Text    `json:"unit,omitempty"`
	Width     Decimal `json:"width"`
	Length    Decimal `json:"length"`
	Height    Decimal `json:"height"`
	AmountSKU Int     `json:"amountSKU"`
	Barcode   Text    `json:"barcode,omitempty"`
}

// ItemWarehouse is an item's stock settings in one warehouse.
type ItemWarehouse struct {
	Code            Text `json:"code"`
	MinimumQuantity Int  `json:"minimumQuantity"`
	MaximumQuantity Int  `json:"maximumQuantity"`
	SafeQuantity    Int  `json:"safeQuantity"`
	ReorderQuantity Int  `json:"reorderQuantity"`
}

// identifiers reads the data of a create or update answer: the document
// shows ["<identifier>"], Hageman accepts a scalar as well, and an item's
// create answers null. It returns the identifiers given, none for null.
func identifiers(data json.RawMessage) ([]string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	if data[0] == '[' {
		var list []Text
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("decoding identifiers: %w (%s)", err, excerpt(data))
		}
		out := make([]string, 0, len(list))
		for _, s := range list {
			if s != "" {
				out = append(out, string(s))
			}
		}
		return out, nil
	}
	var one Text
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, fmt.Errorf("decoding identifier: %w (%s)", err, excerpt(data))
	}
	if one == "" {
		return nil, nil
	}
	return []string{string(one)}, nil
}

// scalar reads data that is one value, or a list of one (Hageman's
// "data as a scalar or as data[0]": the EAN conversions).
func scalar(data json.RawMessage) (string, error) {
	ids, err := identifiers(data)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

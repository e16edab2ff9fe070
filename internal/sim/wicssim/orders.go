package wicssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Orders: GET|POST /api/order, GET|PUT|DELETE /api/order/{identifier},
// GET /api/order/{reference}/shipment, POST /api/order/{reference}/paid,
// GET /api/order/{identifier}/serialnumber and
// GET /api/shipment/{identifier}/serialnumber.

type orderRide struct {
	Number     flexNumber `json:"number"`
	RouteCode  string     `json:"routeCode"`
	StopNumber flexNumber `json:"stopNumber"`
}

type orderPrices struct {
	Currency        string     `json:"currency"`
	TotalPriceNet   flexNumber `json:"totalPriceNet"`
	TotalPriceGross flexNumber `json:"totalPriceGross"`
	TotalDiscount   flexNumber `json:"totalDiscount"`
	HandlingCost    flexNumber `json:"handlingCost"`
	ShippingCost    flexNumber `json:"shippingCost"`
	Rembours        flexNumber `json:"rembours"`
}

type linePrices struct {
	UnitPriceNet   flexNumber `json:"unitPriceNet"`
	UnitPriceGross flexNumber `json:"unitPriceGross"`
	PriceNet       flexNumber `json:"priceNet"`
	PriceGross     flexNumber `json:"priceGross"`
	VatPercentage  flexNumber `json:"vatPercentage"`
	Discount       flexNumber `json:"discount"`
}

// address is the document's invoice and delivery address. streetNumber is
// an integer ("It consists only of a number"): a string is refused.
type address struct {
	Number            int    `json:"number"`
	Name              string `json:"name"`
	NameExtension     string `json:"nameExtension"`
	Company           string `json:"company"`
	Street            string `json:"street"`
	StreetNumber      *int   `json:"streetNumber"`
	Extension         string `json:"extension"`
	SecondAddressLine string `json:"secondAddressLine"`
	ThirdAddressLine  string `json:"thirdAddressLine"`
	Zipcode           string `json:"zipcode"`
	City              string `json:"city"`
	State             string `json:"state"`
	Country           string `json:"country"`
	PhoneNumber       string `json:"phoneNumber"`
	MobileNumber      string `json:"mobileNumber"`
	Email             string `json:"email"`
	Language          string `json:"language"`
}

type orderLot struct {
	Lotnumber string `json:"lotnumber"`
	Quantity  int    `json:"quantity"`
}

type orderLineBody struct {
	LineNumber      *int           `json:"lineNumber"`
	ItemCode        string         `json:"itemCode"`
	ItemDescription string         `json:"itemDescription"`
	Quantity        *int           `json:"quantity"`
	VariantCode     string         `json:"variantCode,omitempty"`
	SalesUnitCode   string         `json:"salesUnitCode,omitempty"`
	Unit            string         `json:"unit,omitempty"`
	Prices          *linePrices    `json:"prices,omitempty"`
	Lotnumbers      []orderLot     `json:"lotnumbers,omitempty"`
	Texts           map[string]any `json:"texts,omitempty"`
	MetaFields      any            `json:"metaFields,omitempty"`
}

// orderBody is the document's "Create Order" and "Update Order" body.
type orderBody struct {
	Reference           string          `json:"reference"`
	AdditionalReference string          `json:"additionalReference"`
	DeliveryDate        *string         `json:"deliveryDate"`
	Paid                *bool           `json:"paid"`
	WebshopID           *int            `json:"webshopId"`
	WarehouseCode       string          `json:"warehouseCode"`
	Note                string          `json:"note"`
	ShippingTag         string          `json:"shippingTag"`
	Tag                 string          `json:"tag"`
	PickupPoint         string          `json:"pickupPoint"`
	TermsOfDelivery     string          `json:"termsOfDelivery"`
	Method              string          `json:"method"`
	Type                string          `json:"type"`
	Priority            *int            `json:"priority"`
	Ride                *orderRide      `json:"ride"`
	Texts               map[string]any  `json:"texts"`
	Prices              *orderPrices    `json:"prices"`
	InvoiceAddress      *address        `json:"invoiceAddress"`
	DeliveryAddress     *address        `json:"deliveryAddress"`
	Lines               []orderLineBody `json:"lines"`
	MetaFields          any             `json:"metaFields"`
}

// simOrder is an order in the warehouse.
type simOrder struct {
	number  string
	body    orderBody
	status  code
	paid    bool
	lines   []*simOrderLine
	shipped *simShipment
	// deleted is set when the order was cancelled through the API.
	deleted bool
	// flat caches the record as filters see it; nil when stale.
	flat map[string]any
}

type simOrderLine struct {
	body      orderLineBody
	number    int
	item      *simItem
	qty       int
	picked    int
	delivered int
	status    code
	serials   []string
	eansscc   string
}

func (o *simOrder) nr() int { n, _ := strconv.Atoi(o.number); return n }

// orderLineView is an order line as GET /api/order/{identifier} shows it.
type orderLineView struct {
	LineNumber        int        `json:"lineNumber"`
	ItemCode          string     `json:"itemCode"`
	ItemDescription   string     `json:"itemDescription"`
	Quantity          int        `json:"quantity"`
	QuantityDelivered int        `json:"quantityDelivered"`
	Unit              string     `json:"unit"`
	Prices            linePrices `json:"prices"`
}

// orderView is an order as GET /api/order/{identifier} shows it; the list
// leaves out additionalReference, note, warehouseCode, edi and lines.
type orderView struct {
	Number              string            `json:"number"`
	Reference           string            `json:"reference"`
	AdditionalReference *string           `json:"additionalReference,omitempty"`
	DeliveryDate        string            `json:"deliveryDate"`
	Note                *string           `json:"note,omitempty"`
	PickupPoint         string            `json:"pickupPoint"`
	TermsOfDelivery     string            `json:"termsOfDelivery"`
	Method              string            `json:"method"`
	WebshopID           int               `json:"webshopId"`
	Paid                bool              `json:"paid"`
	WarehouseCode       *string           `json:"warehouseCode,omitempty"`
	Priority            int               `json:"priority"`
	RideNumber          flexNumber        `json:"rideNumber"`
	Ride                orderRide         `json:"ride"`
	StatusCode          string            `json:"statusCode"`
	Edi                 map[string]string `json:"edi,omitempty"`
	Prices              orderPrices       `json:"prices"`
	InvoiceAddress      address           `json:"invoiceAddress"`
	DeliveryAddress     address           `json:"deliveryAddress"`
	Lines               []orderLineView   `json:"lines,omitempty"`
}

func (s *Server) orderView(o *simOrder, full bool) orderView {
	b := o.body
	v := orderView{Number: o.number, Reference: b.Reference, PickupPoint: b.PickupPoint,
		TermsOfDelivery: b.TermsOfDelivery, Method: b.Method, Paid: o.paid, Priority: 2,
		Ride: orderRide{Number: "0", StopNumber: "0"}, RideNumber: "0", StatusCode: o.status.description,
		Prices: orderPrices{TotalPriceNet: "0", TotalPriceGross: "0", TotalDiscount: "0", HandlingCost: "0", ShippingCost: "0", Rembours: "0"}}
	if b.DeliveryDate != nil {
		v.DeliveryDate = *b.DeliveryDate
	}
	if s.cfg.NumericOrderStatus {
		v.StatusCode = o.status.code
	}
	if b.WebshopID != nil {
		v.WebshopID = *b.WebshopID
	}
	if b.Priority != nil {
		v.Priority = *b.Priority
	}
	if b.Ride != nil {
		v.Ride = *b.Ride
		v.RideNumber = b.Ride.Number
	}
	if b.Prices != nil {
		v.Prices = *b.Prices
	}
	if b.DeliveryAddress != nil {
		v.DeliveryAddress = *b.DeliveryAddress
	}
	v.InvoiceAddress = v.DeliveryAddress
	if b.InvoiceAddress != nil {
		v.InvoiceAddress = *b.InvoiceAddress
	}
	if !full {
		return v
	}
	v.AdditionalReference, v.Note = &b.AdditionalReference, &b.Note
	wh := b.WarehouseCode
	if wh == "" {
		wh = "WHS"
	}
	v.WarehouseCode = &wh
	v.Edi = map[string]string{}
	for i := 2; i <= 10; i++ {
		v.Edi["char"+strconv.Itoa(i)] = ""
	}
	v.Lines = []orderLineView{}
	for _, l := range o.lines {
		lv := orderLineView{LineNumber: l.number, ItemCode: l.item.body.Code, ItemDescription: l.body.ItemDescription,
			Quantity: l.qty, QuantityDelivered: l.delivered, Unit: l.body.Unit,
			Prices: linePrices{UnitPriceNet: "0", UnitPriceGross: "0", PriceNet: "0", PriceGross: "0", VatPercentage: "0", Discount: "0"}}
		if lv.ItemDescription == "" {
			lv.ItemDescription = l.item.body.Description
		}
		if lv.Unit == "" {
			lv.Unit = "ST"
		}
		if l.body.Prices != nil {
			lv.Prices = *l.body.Prices
		}
		v.Lines = append(v.Lines, lv)
	}
	return v
}

func (s *Server) orderFlat(o *simOrder) map[string]any {
	if o.flat == nil {
		o.flat = flatten(s.orderView(o, true))
	}
	return o.flat
}

// validateOrder checks an order body: the document's required fields
// (deliveryDate; the addresses' name, streetNumber, zipcode, city, country
// and email; the lines' itemCode and quantity), dates as YYYY-MM-DD, and
// items that exist. The invoice address may be left out (the delivery
// address is then used); the street number may be left out of an address
// outside the Netherlands ("May be empty on a foreign address").
func (s *Server) validateOrder(b orderBody) *apiError {
	v := validation{}
	switch {
	case b.DeliveryDate == nil || *b.DeliveryDate == "":
		v.required("deliveryDate", true)
	case !validDate(*b.DeliveryDate):
		v.add("deliveryDate", "The deliveryDate %q does not match the format YYYY-MM-DD.", *b.DeliveryDate)
	}
	if b.Priority != nil && (*b.Priority < 1 || *b.Priority > 3) {
		v.add("priority", "The priority must be 1 (high), 2 (medium) or 3 (low).")
	}
	if b.DeliveryAddress == nil {
		v.required("deliveryAddress", true)
	} else {
		validateAddress("deliveryAddress", b.DeliveryAddress, v)
	}
	if b.InvoiceAddress != nil {
		validateAddress("invoiceAddress", b.InvoiceAddress, v)
	}
	if len(b.Lines) == 0 {
		v.required("lines", true)
	}
	seen := map[int]bool{}
	for i, l := range b.Lines {
		p := fmt.Sprintf("lines.%d.", i)
		switch {
		case l.ItemCode == "":
			v.required(p+"itemCode", true)
		case s.st.itemBy[l.ItemCode] == nil:
			v.add(p+"itemCode", "Item %s does not exist.", l.ItemCode)
		}
		switch {
		case l.Quantity == nil:
			v.required(p+"quantity", true)
		case *l.Quantity < 1:
			v.add(p+"quantity", "The %squantity must be at least 1.", p)
		}
		if l.LineNumber != nil {
			if seen[*l.LineNumber] {
				v.add(p+"lineNumber", "The line number %d is used twice.", *l.LineNumber)
			}
			seen[*l.LineNumber] = true
		}
	}
	return v.err()
}

func validateAddress(p string, a *address, v validation) {
	v.required(p+".name", strings.TrimSpace(a.Name) == "")
	v.required(p+".zipcode", strings.TrimSpace(a.Zipcode) == "")
	v.required(p+".city", strings.TrimSpace(a.City) == "")
	v.required(p+".email", strings.TrimSpace(a.Email) == "")
	switch {
	case a.Country == "":
		v.required(p+".country", true)
	case len(a.Country) != 2:
		v.add(p+".country", "The %s.country must be two characters.", p)
	}
	if a.StreetNumber == nil && strings.EqualFold(a.Country, "NL") {
		v.required(p+".streetNumber", true)
	}
}

// findOrder finds an order by its WICS number or else by reference (the
// newest of that reference).
func (s *Server) findOrder(id string) *simOrder {
	if o := s.st.orderBy[id]; o != nil {
		return o
	}
	for i := len(s.st.orders) - 1; i >= 0; i-- {
		if s.st.orders[i].body.Reference == id {
			return s.st.orders[i]
		}
	}
	return nil
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*simOrder]{noun: "orders", records: s.st.orders,
		full: s.orderFlat,
		view: func(o *simOrder) any { return s.orderView(o, false) }})
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	ok(w, http.StatusOK, "Order "+o.body.Reference, s.orderView(o, true))
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	var b orderBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.validateOrder(b); e != nil {
		s.fail(w, e)
		return
	}
	if s.cfg.UniqueReferences && b.Reference != "" {
		for _, o := range s.st.orders {
			if o.body.Reference == b.Reference && !o.deleted {
				s.fail(w, unprocessable("An order with reference %s already exists.", b.Reference))
				return
			}
		}
	}
	s.st.nextOrder++
	o := &simOrder{number: strconv.Itoa(13300 + s.st.nextOrder), body: b, status: noCode, paid: b.Paid == nil || *b.Paid}
	s.setLines(o, b.Lines)
	s.st.orders = append(s.st.orders, o)
	s.st.orderBy[o.number] = o
	s.startOrder(o)
	ok(w, http.StatusCreated, fmt.Sprintf("Order with number %s created successfully", o.number), []string{o.number})
}

// setLines replaces an order's lines, numbering those without a number.
func (s *Server) setLines(o *simOrder, ls []orderLineBody) {
	o.lines = nil
	next := 1
	for _, l := range ls {
		if l.LineNumber != nil && *l.LineNumber >= next {
			next = *l.LineNumber + 1
		}
	}
	for _, l := range ls {
		n := 0
		if l.LineNumber != nil {
			n = *l.LineNumber
		} else {
			n, next = next, next+1
		}
		o.lines = append(o.lines, &simOrderLine{body: l, number: n, item: s.st.itemBy[l.ItemCode], qty: *l.Quantity, status: noCode})
	}
}

// updateOrder replaces an order that the warehouse has not started to pick.
func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request) {
	var b orderBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	if e := s.validateOrder(b); e != nil {
		s.fail(w, e)
		return
	}
	if o.status.code >= orderInProgress.code {
		s.fail(w, unprocessable("Order %s has status %s %s and can no longer be updated.", o.number, o.status.code, o.status.description))
		return
	}
	s.release(o)
	if b.Paid == nil {
		b.Paid = &o.paid
	}
	o.body, o.paid, o.flat = b, *b.Paid, nil
	s.setLines(o, b.Lines)
	s.reserve(o)
	lines := lineEntered
	if o.status.code >= orderConfirmed.code {
		lines = lineConfirmed
	}
	s.emitLineStatus(o, lines, o.lines)
	ok(w, http.StatusOK, fmt.Sprintf("Order with number %s has been updated.", o.number), []string{o.number})
}

// deleteOrder cancels an order that has not been shipped: status 90, its
// reserved stock freed and what was picked put back.
func (s *Server) deleteOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	switch o.status {
	case orderCancelled:
		s.fail(w, unprocessable("Order %s is already cancelled.", o.number))
		return
	case orderShipped:
		s.fail(w, unprocessable("Order %s has been shipped and can no longer be deleted.", o.number))
		return
	}
	s.cancelOrder(o)
	ok(w, http.StatusOK, o.number+" deleted succesfully", nil)
}

func (s *Server) orderPaid(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	o.paid, o.flat = true, nil
	ok(w, http.StatusOK, "Succesfully set order to paid "+r.PathValue("id"), nil)
}

// orderSerialView is one serial number of an order, as the document lists
// them: flat, one row each.
type orderSerialView struct {
	ItemCode     string `json:"itemCode"`
	Description  string `json:"description"`
	SerialNumber string `json:"serialNumber"`
}

func (s *Server) orderSerials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	data := []orderSerialView{}
	for _, l := range o.lines {
		for _, sn := range l.serials {
			data = append(data, orderSerialView{ItemCode: l.item.body.Code, Description: l.item.body.Description, SerialNumber: sn})
		}
	}
	ok(w, http.StatusOK, fmt.Sprintf("List of %d serial numbers", len(data)), data)
}

// shipmentView is a shipment as GET /api/order/{reference}/shipment shows
// it.
type shipmentView struct {
	ShipmentNr          int                `json:"shipmentNr"`
	ColloID             string             `json:"colloId"`
	OrderReference      string             `json:"orderReference"`
	AdditionalReference string             `json:"additionalReference"`
	ShipperCode         string             `json:"shipperCode"`
	ShipperName         string             `json:"shipperName"`
	TrackAndTrace       string             `json:"trackAndTrace"`
	TrackAndTraceURL    string             `json:"trackAndTraceUrl"`
	HasSerialNumbers    bool               `json:"hasSerialNumbers"`
	ShippingLines       []shippingLineView `json:"shippingLines"`
}

type shippingLineView struct {
	OrderLine         int     `json:"orderLine"`
	OrderLineExternal *int    `json:"orderLineExternal"`
	ItemCode          string  `json:"itemCode"`
	ItemDescription   string  `json:"itemDescription"`
	QuantityOrdered   int     `json:"quantityOrdered"`
	QuantityDelivered int     `json:"quantityDelivered"`
	Unit              string  `json:"unit"`
	HasSerialNumbers  bool    `json:"hasSerialNumbers"`
	BestBeforeDate    *string `json:"bestBeforeDate,omitempty"`
	LotNumber         string  `json:"lotNumber,omitempty"`
	EANSSCC           string  `json:"EANSSCC"`
}

// simShipment is an order's parcel: the webhook's payload and its number.
type simShipment struct {
	order   *simOrder
	colloID string
	hook    Shipment
}

func (sh *simShipment) view() shipmentView {
	v := shipmentView{ShipmentNr: sh.hook.ShipmentNr, ColloID: sh.colloID, OrderReference: sh.hook.OrderReference,
		AdditionalReference: sh.order.body.AdditionalReference, ShipperCode: sh.hook.ShipperCode,
		ShipperName: sh.hook.ShipperName, TrackAndTrace: sh.hook.TrackAndTrace, TrackAndTraceURL: sh.hook.TrackAndTraceURL,
		HasSerialNumbers: sh.hook.HasSerialNumbers}
	for _, l := range sh.hook.ShippingLines {
		ext := l.OrderLine
		v.ShippingLines = append(v.ShippingLines, shippingLineView{OrderLine: l.OrderLine, OrderLineExternal: &ext,
			ItemCode: l.ItemCode, ItemDescription: l.ItemDescription, QuantityOrdered: l.QuantityOrdered,
			QuantityDelivered: l.QuantityDelivered, Unit: l.Unit, HasSerialNumbers: l.HasSerialNumbers,
			BestBeforeDate: l.BestBeforeDate, LotNumber: l.LotNumber, EANSSCC: l.EANSSCC})
	}
	return v
}

func (s *Server) orderShipments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(r.PathValue("id"))
	if o == nil {
		s.fail(w, notFound("Order %s not found", r.PathValue("id")))
		return
	}
	data := []shipmentView{}
	if o.shipped != nil {
		data = append(data, o.shipped.view())
	}
	ok(w, http.StatusOK, fmt.Sprintf("List of %d shipments", len(data)), data)
}

func (s *Server) shipmentSerials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.st.shipBy[r.PathValue("id")]
	if sh == nil {
		s.fail(w, notFound("Shipment %s not found", r.PathValue("id")))
		return
	}
	data := []serialView{}
	for _, l := range sh.order.lines {
		if len(l.serials) == 0 {
			continue
		}
		sv := serialView{ItemCode: l.item.body.Code, Description: l.item.body.Description, LineNumber: l.number}
		for _, sn := range l.serials {
			sv.SerialNumbers = append(sv.SerialNumbers, []string{sn})
		}
		data = append(data, sv)
	}
	ok(w, http.StatusOK, fmt.Sprintf("List of %d serialnumbers", len(data)), data)
}

// metaOrEmpty is the metaFields of a webhook: what the order gave, or ""
// as in the document's example.
func metaOrEmpty(m any) any {
	if m == nil {
		return ""
	}
	if raw, isRaw := m.(json.RawMessage); isRaw && len(raw) == 0 {
		return ""
	}
	return m
}

package activeantssim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) status(w http.ResponseWriter, _ *http.Request, _ []string) {
	s.answer(w, http.StatusOK, "Status is OK.", nil, nil)
}

func (s *Sim) getSettings(w http.ResponseWriter, _ *http.Request, _ []string) {
	s.answer(w, http.StatusOK, "Settings are ok.", s.w.settings, nil)
}

// orderRequest is the body of order/add, every field of the document.
type orderRequest struct {
	ExternalOrderNumber   string   `json:"externalOrderNumber"`
	ExtraReference        string   `json:"extraReference"`
	ActionCode            string   `json:"actionCode"`
	PreferredShippingDate string   `json:"preferredShippingDate"`
	PartialDelivery       flexBool `json:"partialDelivery"`
	OnHold                flexBool `json:"onHold"`
	Email                 string   `json:"email"`
	PhoneNumber           string   `json:"phoneNumber"`
	Currency              string   `json:"currency"`
	PaymentMethodID       flexInt  `json:"paymentMethodId"`
	ShippingMethodID      flexInt  `json:"shippingMethodId"`

	DeliveryAddressFirstName           string  `json:"deliveryAddressFirstName"`
	DeliveryAddressInsertion           string  `json:"deliveryAddressInsertion"`
	DeliveryAddressLastName            string  `json:"deliveryAddressLastName"`
	DeliveryAddressExtraName           string  `json:"deliveryAddressExtraName"`
	DeliveryAddressPostalCode          string  `json:"deliveryAddressPostalCode"`
	DeliveryAddressHouseNumber         flexInt `json:"deliveryAddressHouseNumber"`
	DeliveryAddressHouseNumberAddition string  `json:"deliveryAddressHouseNumberAddition"`
	DeliveryAddressStreet              string  `json:"deliveryAddressStreet"`
	DeliveryAddressCityName            string  `json:"DeliveryAddressCityName"`
	DeliveryAddressRegion              string  `json:"deliveryAddressRegion"`
	DeliveryAddressCountryIso          string  `json:"deliveryAddressCountryIso"`
	DeliveryAddressExtraAddress        string  `json:"deliveryAddressExtraAddress"`

	BillingAddressFirstName           string  `json:"billingAddressFirstName"`
	BillingAddressInsertion           string  `json:"billingAddressInsertion"`
	BillingAddressLastName            string  `json:"billingAddressLastName"`
	BillingAddressExtraName           string  `json:"billingAddressExtraName"`
	BillingAddressPostalCode          string  `json:"billingAddressPostalCode"`
	BillingAddressHouseNumber         flexInt `json:"billingAddressHouseNumber"`
	BillingAddressHouseNumberAddition string  `json:"billingAddressHouseNumberAddition"`
	BillingAddressStreet              string  `json:"billingAddressStreet"`
	BillingAddressCityName            string  `json:"billingAddressCityName"`
	BillingAddressRegion              string  `json:"billingAddressRegion"`
	BillingAddressCountryIso          string  `json:"billingAddressCountryIso"`
	BillingAddressExtraAddress        string  `json:"billingAddressExtraAddress"`

	Extra1          *string `json:"extra1"`
	Extra2          *string `json:"extra2"`
	Extra3          *string `json:"extra3"`
	Extra4          *string `json:"extra4"`
	Extra5          *string `json:"extra5"`
	VatNumber       string  `json:"vatNumber"`
	ClientReference string  `json:"clientReference"`
	LanguageID      flexInt `json:"languageId"`
	OrderTypeID     flexInt `json:"orderTypeId"`

	PickUpPointID                  string  `json:"pickUpPointId"`
	PickUpPointName                string  `json:"pickUpPointName"`
	PickUpPointStreet              string  `json:"pickUpPointStreet"`
	PickUpPointHouseNumber         flexInt `json:"pickUpPointHouseNumber"`
	PickUpPointHouseNumberAddition string  `json:"pickUpPointHouseNumberAddition"`
	PickUpPointPostalCode          string  `json:"pickUpPointPostalCode"`
	PickUpPointCityName            string  `json:"pickUpPointCityName"`
	PickUpPointCountryIso          string  `json:"pickUpPointCountryIso"`
	PickUpPointRegion              string  `json:"pickUpPointRegion"`
	PickUpPointExtraAddress        string  `json:"pickUpPointExtraAddress"`
	WarehouseID                    flexInt `json:"warehouseId"`

	OrderItems []struct {
		Sku         string  `json:"sku"`
		Quantity    flexInt `json:"quantity"`
		Name        string  `json:"name"`
		Price       flexNum `json:"price"`
		Vat         flexNum `json:"vat"`
		Extra6      string  `json:"extra6"`
		Extra7      string  `json:"extra7"`
		WarehouseID flexInt `json:"warehouseId"`
	} `json:"orderItems"`
}

// validate checks the document's required fields; a missing one is a 400.
func (o *orderRequest) validate() error {
	var missing []string
	for name, ok := range map[string]bool{
		"externalOrderNumber": o.ExternalOrderNumber != "", "paymentMethodId": o.PaymentMethodID.Set,
		"deliveryAddressLastName": o.DeliveryAddressLastName != "", "deliveryAddressStreet": o.DeliveryAddressStreet != "",
		"deliveryAddressCountryIso": o.DeliveryAddressCountryIso != "", "languageId": o.LanguageID.Set, "orderTypeId": o.OrderTypeID.Set,
		"orderItems": len(o.OrderItems) > 0,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	// Postal code and house number are required within the Netherlands,
	// Belgium and Germany "(and most other countries)".
	if o.DeliveryAddressCountryIso != "" && o.PickUpPointID == "" {
		if o.DeliveryAddressPostalCode == "" {
			missing = append(missing, "deliveryAddressPostalCode")
		}
		if !o.DeliveryAddressHouseNumber.Set && !strings.ContainsAny(o.DeliveryAddressStreet, "0123456789") {
			missing = append(missing, "deliveryAddressHouseNumber")
		}
	}
	for i, it := range o.OrderItems {
		if it.Sku == "" {
			missing = append(missing, fmt.Sprintf("orderItems[%d].sku", i))
		}
		if !it.Quantity.Set {
			missing = append(missing, fmt.Sprintf("orderItems[%d].quantity", i))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return invalid("%s is required", strings.Join(missing, ", "))
	}
	return nil
}

func (s *Sim) addOrder(w http.ResponseWriter, r *http.Request, _ []string) {
	var req orderRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	number, err := s.placeOrder(&req)
	s.answer(w, http.StatusOK, "Order has been successfully added.", number, err)
}

func (s *Sim) placeOrder(req *orderRequest) (int64, error) {
	if err := req.validate(); err != nil {
		return 0, err
	}
	wd := s.w
	if len(wd.byExt[strings.ToLower(req.ExternalOrderNumber)]) > 0 {
		return 0, refuse("Order with external order number (%s) already exists.", req.ExternalOrderNumber)
	}
	if _, ok := findSetting(wd.settings.PaymentMethods, req.PaymentMethodID.V); !ok {
		return 0, refuse("Unknown paymentMethodId (%d).", req.PaymentMethodID.V)
	}
	if _, ok := findSetting(wd.settings.Languages, req.LanguageID.V); !ok {
		return 0, refuse("Unknown languageId (%d).", req.LanguageID.V)
	}
	if _, ok := findSetting(wd.settings.OrderTypes, req.OrderTypeID.V); !ok {
		return 0, refuse("Unknown orderTypeId (%d).", req.OrderTypeID.V)
	}
	if !slices.ContainsFunc(wd.settings.Countries, func(c Setting) bool { return strings.EqualFold(c.Code, req.DeliveryAddressCountryIso) }) {
		return 0, refuse("Unknown deliveryAddressCountryIso (%s).", req.DeliveryAddressCountryIso)
	}
	main, v2, ok := wd.resolveShippingMethod(req.ShippingMethodID.V)
	if !ok {
		return 0, refuse("Unknown shippingMethodId (%d).", req.ShippingMethodID.V)
	}
	now := s.warehouseNow()
	o := &order{
		ext: req.ExternalOrderNumber, orderType: req.OrderTypeID.V, shippingMethodID: v2, mainMethod: main, methodCode: main.Code,
		onHold: req.OnHold.V, partial: req.PartialDelivery.V, created: now, postcode: req.DeliveryAddressPostalCode,
		country: strings.ToUpper(req.DeliveryAddressCountryIso), pickUpPoint: req.PickUpPointID != "",
		extras: [5]*string{req.Extra1, req.Extra2, req.Extra3, req.Extra4, req.Extra5},
	}
	if req.PreferredShippingDate != "" {
		t, err := parseDate(req.PreferredShippingDate)
		if err != nil {
			return 0, invalid("preferredShippingDate: %v", err)
		}
		o.notBefore = t
	}
	for _, it := range req.OrderItems {
		if it.Quantity.V <= 0 {
			return 0, refuse("Quantity of sku (%s) must be positive.", it.Sku)
		}
		p := wd.bySKU[strings.ToLower(it.Sku)]
		if p == nil {
			if !s.cfg.AcceptUnknownSKUs {
				return 0, refuse("Product with sku (%s) does not exist.", it.Sku)
			}
			name := it.Name
			if name == "" {
				name = it.Sku
			}
			p = &product{sku: it.Sku, name: name, barcode: genEAN(wd.rng), weight: 0.25}
			wd.addProduct(p)
			wd.addLots(p, 50+wd.rng.IntN(200), now)
		}
		o.items = append(o.items, &orderItem{sku: p.sku, name: it.Name, qty: int(it.Quantity.V), price: it.Price.V, vat: it.Vat.V, extra6: it.Extra6, extra7: it.Extra7})
	}
	wd.placeOrder(o)
	return o.number, nil
}

func (s *Sim) releaseOrder(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		ExternalOrderNumber string `json:"externalOrderNumber"`
	}
	err := decodeBody(r, &req)
	if err == nil && req.ExternalOrderNumber == "" {
		err = invalid("externalOrderNumber is required")
	}
	if err == nil {
		err = s.release(req.ExternalOrderNumber)
	}
	s.answer(w, http.StatusOK, "status is OK", nil, err)
}

func (s *Sim) release(ext string) error {
	os := s.w.byExt[strings.ToLower(ext)]
	if len(os) == 0 {
		return refuse("Order (%s) not found.", ext)
	}
	o := os[0]
	if !o.onHold {
		return refuse("Order (%s) is not on hold.", ext)
	}
	o.onHold = false
	s.w.planPick(o, s.warehouseNow())
	return nil
}

type orderFound struct {
	OrderNumber         int64   `json:"orderNumber"`
	ExternalOrderNumber string  `json:"externalOrderNumber"`
	Extra1              *string `json:"extra1"`
	Extra2              *string `json:"extra2"`
	Extra3              *string `json:"extra3"`
	Extra4              *string `json:"extra4"`
	Extra5              *string `json:"extra5"`
}

func (s *Sim) searchOrder(w http.ResponseWriter, ext string, err error) {
	if err == nil && ext == "" {
		err = invalid("externalOrderNumber is required")
	}
	var res any
	if err == nil {
		os := s.w.byExt[strings.ToLower(ext)]
		if len(os) == 0 {
			err = refuse("Order not found.")
		} else {
			o := os[0]
			res = orderFound{o.number, o.ext, o.extras[0], o.extras[1], o.extras[2], o.extras[3], o.extras[4]}
		}
	}
	s.answer(w, http.StatusOK, "Order found.", res, err)
}

func (s *Sim) searchOrderQuery(w http.ResponseWriter, r *http.Request, _ []string) {
	s.searchOrder(w, queryGet(r, "externalOrderNumber"), nil)
}

func (s *Sim) searchOrderBody(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		ExternalOrderNumber string `json:"externalOrderNumber"`
	}
	err := decodeBody(r, &req)
	s.searchOrder(w, req.ExternalOrderNumber, err)
}

// queryGet reads a query parameter without regard to the case of its name.
func queryGet(r *http.Request, name string) string {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Shipment answers, in the document's order of keys.
type wireCollo struct {
	ColloNr       string `json:"colloNr"`
	PackageNumber string `json:"packageNumber"`
	TrackTraceURL string `json:"trackTraceUrl"`
}

type wireShippedProduct struct {
	Sku       string   `json:"sku"`
	Quantity  int      `json:"quantity"`
	SerialNrs []string `json:"serialNrs"`
	Weight    float64  `json:"weight"`
	THT       *string  `json:"tht"`
	Extra6    *string  `json:"extra6"`
	Extra7    *string  `json:"extra7"`
	LotNumber *string  `json:"lotNumber"`
	Parts     []any    `json:"parts"`
}

type wireShipment struct {
	ID                              int64                `json:"id"`
	OrderNumber                     int64                `json:"orderNumber"`
	OrderType                       int64                `json:"orderType"`
	ExternalOrderNumber             string               `json:"externalOrderNumber"`
	ShippingDate                    string               `json:"shippingDate"`
	NumberOfColli                   int                  `json:"numberOfColli"`
	TotalNumberOfProducts           int                  `json:"totalNumberOfProducts"`
	ShippingMethodID                int64                `json:"shippingMethodId"`
	ReturnPackageNumber             *string              `json:"returnPackageNumber"`
	ShippedColli                    []wireCollo          `json:"shippedColli"`
	ShippedProducts                 []wireShippedProduct `json:"shippedProducts"`
	Extra1                          *string              `json:"extra1"`
	Extra2                          *string              `json:"extra2"`
	Extra3                          *string              `json:"extra3"`
	Extra4                          *string              `json:"extra4"`
	Extra5                          *string              `json:"extra5"`
	CurrentTrackTraceStatus         string               `json:"currentTrackTraceStatus"`
	CurrentTrackTraceExceptionLevel *string              `json:"currentTrackTraceExceptionLevel"`
	WarehouseAbbrevation            string               `json:"warehouseAbbrevation"`
	MainShippingMethodID            int64                `json:"mainShippingMethodId"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Sim) wireShipment(sh *shipment) wireShipment {
	o := sh.order
	ws := wireShipment{
		ID: sh.id, OrderNumber: o.number, OrderType: o.orderType, ExternalOrderNumber: o.ext, ShippingDate: localTime(sh.date),
		NumberOfColli: len(sh.colli), ShippingMethodID: o.shippingMethodID, ReturnPackageNumber: strPtr(sh.returnPackage),
		ShippedColli: []wireCollo{}, ShippedProducts: []wireShippedProduct{},
		Extra1: o.extras[0], Extra2: o.extras[1], Extra3: o.extras[2], Extra4: o.extras[3], Extra5: o.extras[4],
		CurrentTrackTraceStatus: "New", WarehouseAbbrevation: sh.warehouse, MainShippingMethodID: o.mainMethod.ID,
	}
	if cur, ok := sh.current(s.warehouseNow()); ok {
		ws.CurrentTrackTraceStatus = statusInfo(cur.status).Name
		ws.CurrentTrackTraceExceptionLevel = strPtr(levelName(cur.level))
	}
	for _, c := range sh.colli {
		ws.ShippedColli = append(ws.ShippedColli, wireCollo{c.nr, c.packageNumber, c.url})
	}
	for _, p := range sh.products {
		ws.TotalNumberOfProducts += p.qty
		serials := p.serials
		if serials == nil {
			serials = []string{}
		}
		ws.ShippedProducts = append(ws.ShippedProducts, wireShippedProduct{
			Sku: p.sku, Quantity: p.qty, SerialNrs: serials, Weight: p.weight, THT: localTimePtr(p.tht), LotNumber: strPtr(p.lotNumber), Parts: []any{},
			Extra6: strPtr(p.extra6), Extra7: strPtr(p.extra7),
		})
	}
	return ws
}

// unsynced is the first page of the shipments not marked synced that
// keep passes.
func (s *Sim) unsynced(keep func(*shipment) bool) []wireShipment {
	out := []wireShipment{}
	for _, sh := range s.w.shipments {
		if len(out) == s.cfg.PageSize {
			break
		}
		if !sh.synced && keep(sh) {
			out = append(out, s.wireShipment(sh))
		}
	}
	return out
}

func (s *Sim) getShipments(w http.ResponseWriter, _ *http.Request, _ []string) {
	res := s.unsynced(func(*shipment) bool { return true })
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d shipments that match your criteria.", len(res)), res, nil)
}

func (s *Sim) shipmentsByOrderType(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		OrderTypes []int64 `json:"orderTypes"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	res := s.unsynced(func(sh *shipment) bool { return slices.Contains(req.OrderTypes, sh.order.orderType) })
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d shipments that match your criteria.", len(res)), res, nil)
}

type idsRequest struct {
	IDs []int64 `json:"ids"`
}

func (s *Sim) syncShipments(w http.ResponseWriter, r *http.Request, _ []string) {
	var req idsRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	for _, id := range req.IDs {
		if sh := s.w.byShipID[id]; sh != nil {
			sh.synced = true
			sh.syncs++
		}
	}
	s.answer(w, http.StatusOK, "Request processed successfully.", nil, nil)
}

type wireShipmentItem struct {
	ShipmentItemID int64   `json:"shipmentItemId"`
	Quantity       int     `json:"quantity"`
	Sku            string  `json:"sku"`
	LotNumber      *string `json:"lotNumber"`
}

type wireFoundShipment struct {
	ID                              int64              `json:"id"`
	ExternalOrderNumber             string             `json:"externalOrderNumber"`
	TrackingNumber                  int                `json:"trackingNumber"`
	ShippingDate                    string             `json:"shippingDate"`
	NumberOfColli                   int                `json:"numberOfColli"`
	TotalNumberOfProducts           int                `json:"totalNumberOfProducts"`
	TrackAndTraceCode               string             `json:"trackAndTraceCode"`
	TrackAndTraceBarCode            string             `json:"trackAndTraceBarCode"`
	ShippingMethodID                int64              `json:"shippingMethodId"`
	ReturnPackageNumber             *string            `json:"returnPackageNumber"`
	PackageNumber                   *string            `json:"packageNumber"`
	CurrentTrackTraceStatus         string             `json:"currentTrackTraceStatus"`
	CurrentTrackTraceExceptionLevel *string            `json:"currentTrackTraceExceptionLevel"`
	ShipmentItems                   []wireShipmentItem `json:"shipmentItems"`
	WarehouseAbbreviation           string             `json:"warehouseAbbreviation"`
	MainShippingMethodID            int64              `json:"mainShippingMethodId"`
}

// searchShipments answers shipment/search by id, external order number or
// shipping date (its day), synced or not; it carries the shipment item ids
// an RMA needs.
func (s *Sim) searchShipments(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		ID                  flexInt `json:"id"`
		ExternalOrderNumber string  `json:"externalOrderNumber"`
		ShippingDate        string  `json:"shippingDate"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	var day time.Time
	if req.ShippingDate != "" {
		t, err := parseDate(req.ShippingDate)
		if err != nil {
			s.answer(w, 0, "", nil, invalid("shippingDate: %v", err))
			return
		}
		day = t
	}
	out := []wireFoundShipment{}
	for _, sh := range s.w.shipments {
		switch {
		case req.ID.Set && req.ID.V != 0 && sh.id != req.ID.V,
			req.ExternalOrderNumber != "" && !strings.EqualFold(sh.order.ext, req.ExternalOrderNumber),
			!day.IsZero() && sh.date.In(amsterdam).Format(time.DateOnly) != day.In(amsterdam).Format(time.DateOnly):
			continue
		}
		ws := s.wireShipment(sh)
		f := wireFoundShipment{
			ID: sh.id, ExternalOrderNumber: sh.order.ext, TrackingNumber: sh.seq, ShippingDate: ws.ShippingDate,
			NumberOfColli: ws.NumberOfColli, TotalNumberOfProducts: ws.TotalNumberOfProducts, TrackAndTraceCode: "",
			ShippingMethodID: ws.ShippingMethodID, ReturnPackageNumber: ws.ReturnPackageNumber,
			CurrentTrackTraceStatus: ws.CurrentTrackTraceStatus, CurrentTrackTraceExceptionLevel: ws.CurrentTrackTraceExceptionLevel,
			ShipmentItems: []wireShipmentItem{}, WarehouseAbbreviation: sh.warehouse, MainShippingMethodID: ws.MainShippingMethodID,
		}
		if len(sh.colli) > 0 {
			f.TrackAndTraceBarCode = sh.colli[0].packageNumber
			f.PackageNumber = &sh.colli[0].packageNumber
			f.TrackAndTraceCode = sh.colli[0].url
		}
		for _, p := range sh.products {
			f.ShipmentItems = append(f.ShipmentItems, wireShipmentItem{p.itemID, p.qty, p.sku, strPtr(p.lotNumber)})
		}
		out = append(out, f)
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d shipments that match your criteria.", len(out)), out, nil)
}

type wireTrackTrace struct {
	ShipmentID                      int64   `json:"shipmentId"`
	ExternalOrderNumber             string  `json:"externalOrderNumber"`
	PackageNumber                   string  `json:"packageNumber"`
	ShipmentMethod                  string  `json:"shipmentMethod"`
	CurrentTrackTraceStatus         int     `json:"currentTrackTraceStatus"`
	CurrentTrackTraceStatusDateTime *string `json:"currentTrackTraceStatusDateTime"`
	CurrentTrackTraceExceptionLevel int     `json:"currentTrackTraceExceptionLevel"`
}

// trackTrace lists the shipments in trackable delivery: labelled and not
// yet delivered, or delivered within DeliveredLinger. An exception's time
// is null, as in the document's status 19.
func (s *Sim) trackTrace(w http.ResponseWriter, _ *http.Request, _ []string) {
	wall, now := s.cfg.Now(), s.warehouseNow()
	// Too soon is less than an hour on both clocks: with a warehouse clock
	// that runs faster (Speed), the document's hour is the warehouse's.
	if s.trackTraceAll > 0 && wall.Sub(s.lastTrackTrace) < time.Hour && now.Sub(s.lastTrackTraceWarehouse) < time.Hour {
		s.trackTraceSoon++
	}
	s.trackTraceAll++
	s.lastTrackTrace, s.lastTrackTraceWarehouse = wall, now
	out := []wireTrackTrace{}
	for _, sh := range s.w.shipments {
		cur, ok := sh.current(now)
		if !ok || len(sh.colli) == 0 {
			continue
		}
		if statusInfo(cur.status).Terminal && (s.cfg.DeliveredLinger < 0 || now.Sub(cur.at) > s.cfg.DeliveredLinger) {
			continue
		}
		t := wireTrackTrace{ShipmentID: sh.id, ExternalOrderNumber: sh.order.ext, PackageNumber: sh.colli[0].packageNumber,
			ShipmentMethod: sh.order.mainMethod.Name, CurrentTrackTraceStatus: cur.status, CurrentTrackTraceExceptionLevel: cur.level}
		if cur.status != StatusException {
			t.CurrentTrackTraceStatusDateTime = localTimePtr(cur.at)
		}
		out = append(out, t)
	}
	s.answer(w, http.StatusOK, "Found track trace status data", out, nil)
}

type rmaRequest struct {
	ShipmentID        flexInt `json:"shipmentId"`
	Remark            string  `json:"remark"`
	ExternalReference string  `json:"externalReference"`
	RmaItems          oneOrMany[struct {
		ShipmentItemID    flexInt        `json:"shipmentItemId"`
		Quantity          flexInt        `json:"quantity"`
		ReturnReasonID    flexInt        `json:"returnReasonId"`
		ExternalReference string         `json:"externalReference"`
		Metadata          map[string]any `json:"metadata"`
	}] `json:"rmaItems"`
}

func (s *Sim) addRMA(w http.ResponseWriter, r *http.Request, _ []string) {
	var req rmaRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	id, err := s.createRMA(&req)
	s.answer(w, http.StatusOK, "RMA created.", id, err)
}

func (s *Sim) createRMA(req *rmaRequest) (int64, error) {
	if !req.ShipmentID.Set {
		return 0, invalid("shipmentId is required")
	}
	if len(req.RmaItems) == 0 {
		return 0, invalid("rmaItems is required")
	}
	sh := s.w.byShipID[req.ShipmentID.V]
	if sh == nil {
		return 0, refuse("Shipment (%d) not found.", req.ShipmentID.V)
	}
	rm := &rma{shipment: sh, remark: req.Remark, external: req.ExternalReference}
	for i, it := range req.RmaItems {
		idx := slices.IndexFunc(sh.products, func(p shippedProduct) bool { return p.itemID == it.ShipmentItemID.V })
		if idx < 0 {
			return 0, refuse("Shipment item (%d) is not part of shipment (%d).", it.ShipmentItemID.V, sh.id)
		}
		if it.Quantity.V <= 0 || int(it.Quantity.V) > sh.products[idx].qty {
			return 0, refuse("Quantity of rmaItems[%d] must be between 1 and %d.", i, sh.products[idx].qty)
		}
		reason, ok := findSetting(s.w.settings.ReturnReasons, it.ReturnReasonID.V)
		if !ok {
			return 0, refuse("Unknown returnReasonId (%d).", it.ReturnReasonID.V)
		}
		rm.items = append(rm.items, rmaItem{sp: &sh.products[idx], qty: int(it.Quantity.V), reason: reason, external: it.ExternalReference})
	}
	s.w.nextRMA++
	rm.id = s.w.nextRMA
	s.w.rmas = append(s.w.rmas, rm)
	s.w.schedule(s.warehouseNow().Add(s.cfg.ReturnDelay), func(at time.Time) { s.w.returnArrives(rm, at) })
	return rm.id, nil
}

type wireReturnItem struct {
	RmaID               int64   `json:"rmaId"`
	ShipmentID          int64   `json:"shipmentId"`
	ShipmentItemID      int64   `json:"shipmentItemId"`
	ExternalOrderNumber string  `json:"externalOrderNumber"`
	Sku                 string  `json:"sku"`
	Quantity            int     `json:"quantity"`
	ReturnReasonID      int64   `json:"returnReasonId"`
	ReturnReason        string  `json:"returnReason"`
	ExternalReference   *string `json:"externalReference"`
	ReceivedAt          string  `json:"receivedAt"`
}

// returnItems answers the document's return items (its fields
// ExternalOrderNumber, Starttime, Endtime; the answer's shape is lost in the
// capture, so these keys are the simulator's): the items of RMAs whose
// goods have arrived.
func (s *Sim) returnItems(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		ExternalOrderNumber flexText `json:"externalOrderNumber"`
		Starttime           string   `json:"starttime"`
		Endtime             string   `json:"endtime"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	from, err := optDate("Starttime", req.Starttime)
	if err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	to, err := optDate("Endtime", req.Endtime)
	if err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	out := []wireReturnItem{}
	for _, rm := range s.w.rmas {
		switch {
		case rm.arrived.IsZero(),
			req.ExternalOrderNumber != "" && !strings.EqualFold(string(req.ExternalOrderNumber), rm.shipment.order.ext),
			!from.IsZero() && rm.arrived.Before(from),
			!to.IsZero() && rm.arrived.After(to):
			continue
		}
		for _, it := range rm.items {
			out = append(out, wireReturnItem{rm.id, rm.shipment.id, it.sp.itemID, rm.shipment.order.ext, it.sp.sku, it.qty,
				it.reason.ID, it.reason.Name, strPtr(it.external), localTime(rm.arrived)})
		}
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d return items that match your criteria.", len(out)), out, nil)
}

type wireLabel struct {
	MimeType                        string `json:"mimeType"`
	FileName                        string `json:"fileName"`
	ShippingMethodID                string `json:"shippingMethodId"`
	PackageNumber                   string `json:"packageNumber"`
	IsPaperlessReturnShippingMethod bool   `json:"isPaperlessReturnShippingMethod"`
	Data                            string `json:"data"`
}

// returnLabel makes a return label for a shipment: a small PDF, Base64 in
// result.data, with a return package number that the shipment keeps.
func (s *Sim) returnLabel(w http.ResponseWriter, r *http.Request, params []string) {
	id, err := strconv.ParseInt(params[0], 10, 64)
	sh := s.w.byShipID[id]
	if err != nil || sh == nil {
		s.answer(w, 0, "", nil, refuse("Return label not found."))
		return
	}
	method := s.w.settings.ReturnShippingMethods
	var rm Setting
	if len(method) > 0 {
		rm = method[0]
	}
	smRaw := queryGet(r, "sm")
	if len(params) > 1 {
		smRaw = params[1]
	}
	if smRaw != "" {
		smID, _ := strconv.ParseInt(smRaw, 10, 64)
		found, ok := findSetting(method, smID)
		if !ok {
			s.answer(w, 0, "", nil, refuse("Unknown return shipping method (%s).", smRaw))
			return
		}
		rm = found
	}
	if sh.returnPackage == "" {
		sh.returnPackage = "3S" + strconv.FormatInt(sh.id, 10) + digits(s.w.rng, 6)
	}
	pdf := ReturnLabelPDF(sh.returnPackage, sh.order.ext)
	s.answer(w, http.StatusOK, "Return label found.", wireLabel{
		MimeType: "application/pdf", FileName: fmt.Sprintf("%d_RETURN_%sLabel.pdf", sh.id, strings.ReplaceAll(rm.Code, "_", "")),
		ShippingMethodID: strconv.FormatInt(rm.ID, 10), PackageNumber: sh.returnPackage, Data: base64.StdEncoding.EncodeToString(pdf),
	}, nil)
}

// productRequest is the body of product/add and product/edit; the document
// types some fields as strings in one and numbers in the other.
type productRequest struct {
	Sku                    string   `json:"sku"`
	Name                   *string  `json:"name"`
	Barcode                *string  `json:"barcode"`
	Description            *string  `json:"description"`
	HarmonisationCode      string   `json:"harmonisationCode"`
	CountryOfOriginIso     string   `json:"countryOfOriginIso"`
	EncodedImage           string   `json:"encodedImage"`
	CostPrice              flexNum  `json:"costPrice"`
	Weight                 flexNum  `json:"weight"`
	SupplierCode           string   `json:"supplierCode"`
	SupplierProductCode    string   `json:"supplierProductCode"`
	StockMinimum           flexInt  `json:"stockMinimum"`
	StockMaximum           flexInt  `json:"stockMaximum"`
	PriceA                 flexText `json:"priceA"`
	PriceB                 flexText `json:"priceB"`
	PriceC                 flexText `json:"priceC"`
	PriceD                 flexText `json:"priceD"`
	VatLevel               flexText `json:"vatLevel"`
	OrderQuantity          flexText `json:"orderQuantity"`
	HasThtDate             flexBool `json:"hasThtDate"`
	WarningDaysTillThtDate flexInt  `json:"warningDaysTillThtDate"`
	MaxDaysTillThtDate     flexInt  `json:"maxDaysTillThtDate"`
	HasLotNumber           flexBool `json:"hasLotNumber"`
	HasSerial              flexBool `json:"hasSerial"`
	UseEconomicStock       flexBool `json:"useEconomicStock"`
}

func (req *productRequest) apply(p *product) {
	if req.Name != nil {
		p.name = *req.Name
	}
	if req.Barcode != nil {
		p.barcode = *req.Barcode
	}
	if req.Description != nil {
		d := []rune(*req.Description)
		p.description = string(d[:min(len(d), 200)]) // "Truncated after 200 characters"
	}
	if req.CostPrice.Set {
		p.costPrice = req.CostPrice.V
	}
	if req.Weight.Set {
		p.weight = req.Weight.V
	}
	if req.StockMinimum.Set {
		p.stockMin = req.StockMinimum.V
	}
	if req.StockMaximum.Set {
		p.stockMax = req.StockMaximum.V
	}
	if req.HasThtDate.Set {
		p.hasTht = req.HasThtDate.V
	}
	if req.HasLotNumber.Set {
		p.hasLot = req.HasLotNumber.V
	}
	if req.HasSerial.Set {
		p.hasSerial = req.HasSerial.V
	}
	if req.UseEconomicStock.Set {
		p.economic = req.UseEconomicStock.V
		p.needsSync = true
	}
}

func (s *Sim) addProduct(w http.ResponseWriter, r *http.Request, _ []string) {
	var req productRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	var id int64
	var err error
	switch {
	case req.Sku == "" || req.Name == nil || *req.Name == "":
		err = invalid("sku and name are required")
	case s.w.bySKU[strings.ToLower(req.Sku)] != nil:
		err = refuse("Product with sku (%s) already exists.", req.Sku)
	default:
		p := &product{sku: req.Sku}
		req.apply(p)
		s.w.addProduct(p)
		p.needsSync = true
		id = p.id
	}
	status := http.StatusOK
	if s.cfg.ProductCreated {
		status = http.StatusCreated
	}
	s.answer(w, status, "Product has been successfully added", id, err)
}

// editProduct applies product/edit. The barcode "can only be changed as
// long as the product is not in stock": a different barcode while the
// product has physical stock is refused, and nothing is changed.
func (s *Sim) editProduct(w http.ResponseWriter, r *http.Request, _ []string) {
	var req productRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	var err error
	p := s.w.bySKU[strings.ToLower(req.Sku)]
	switch {
	case req.Sku == "":
		err = invalid("sku is required")
	case p == nil:
		err = refuse("Product with sku (%s) not found.", req.Sku)
	case req.Name != nil && *req.Name == "":
		err = refuse("Name of product (%s) cannot be empty.", req.Sku)
	case req.Barcode != nil && *req.Barcode != p.barcode && p.physical > 0:
		err = refuse("Barcode of product (%s) can only be changed as long as the product is not in stock (physical stock %d).", p.sku, p.physical)
	default:
		req.apply(p)
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Edit of product (%s) completed successfully.", req.Sku), nil, err)
}

func (s *Sim) findProduct(sku, barcode string) *product {
	if sku != "" {
		return s.w.bySKU[strings.ToLower(sku)]
	}
	if barcode != "" {
		for _, p := range s.w.products {
			if p.barcode == barcode {
				return p
			}
		}
	}
	return nil
}

func (s *Sim) searchProductBody(w http.ResponseWriter, r *http.Request, _ []string) {
	var req struct {
		Sku     string `json:"sku"`
		Barcode string `json:"barcode"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	p := s.findProduct(req.Sku, req.Barcode)
	if p == nil {
		s.answer(w, 0, "", nil, refuse("Product not found."))
		return
	}
	// The sources show only result.sku; the simulator answers the
	// document's product fields too, so that a read-back has something to
	// carry.
	s.answer(w, http.StatusOK, "Product found.", struct {
		ID          int64   `json:"id"`
		Sku         string  `json:"sku"`
		Name        string  `json:"name"`
		Barcode     string  `json:"barcode"`
		Description string  `json:"description,omitempty"`
		Weight      float64 `json:"weight"`
		CostPrice   float64 `json:"costPrice"`
	}{p.id, p.sku, p.name, p.barcode, p.description, p.weight, p.costPrice}, nil)
}

func (s *Sim) searchProductQuery(w http.ResponseWriter, r *http.Request, _ []string) {
	p := s.findProduct(queryGet(r, "sku"), queryGet(r, "barcode"))
	if p == nil {
		s.answer(w, 0, "", nil, refuse("Product not found."))
		return
	}
	var minTHT *string
	for _, l := range p.lots {
		if !l.tht.IsZero() && l.qty > 0 {
			minTHT = localTimePtr(l.tht)
			break
		}
	}
	s.answer(w, http.StatusOK, "Product found.", struct {
		Sku       string   `json:"sku"`
		Barcode   string   `json:"barcode"`
		Weight    *float64 `json:"weight"`
		CostPrice float64  `json:"costPrice"`
		MinTHT    *string  `json:"minTHT"`
	}{p.sku, p.barcode, &p.weight, p.costPrice, minTHT}, nil)
}

func (s *Sim) stockOne(w http.ResponseWriter, _ *http.Request, params []string) {
	p := s.w.bySKU[strings.ToLower(params[0])]
	if p == nil {
		s.answer(w, 0, "", nil, refuse("No stock found for the provided information."))
		return
	}
	s.answer(w, http.StatusOK, "Found stock for the provided information.", p.stock(), nil)
}

type wireTHT struct {
	Quantity  int     `json:"quantity"`
	THT       *string `json:"tht"`
	LotNumber *string `json:"lotNumber"`
}

type wireStock struct {
	Sku              string    `json:"sku"`
	Name             string    `json:"name"`
	Stock            int       `json:"stock"`
	THTs             []wireTHT `json:"thts"`
	FreeStock        int       `json:"freeStock"`
	EconomicStock    int       `json:"economicStock"`
	AvailableStock   int       `json:"availableStock"`
	PhysicalStock    int       `json:"physicalStock"`
	UnavailableStock int       `json:"unavailableStock"`
	ExpectedStock    int       `json:"expectedStock"`
}

func thts(p *product) []wireTHT {
	out := []wireTHT{}
	for _, l := range p.lots {
		if l.qty != 0 {
			out = append(out, wireTHT{l.qty, localTimePtr(l.tht), strPtr(l.lotNumber)})
		}
	}
	return out
}

// wireStockOf is a product's stock figures. Economic stock is available
// plus expected (incoming on purchase orders less ordered), which is how the
// document's bulk example adds up (2272 - 17 = 2255).
func wireStockOf(p *product) wireStock {
	return wireStock{
		Sku: p.sku, Name: p.name, Stock: p.stock(), THTs: thts(p), FreeStock: p.available(), EconomicStock: p.economicStock(),
		AvailableStock: p.available(), PhysicalStock: p.physical, UnavailableStock: p.unavailable, ExpectedStock: p.incoming - p.ordered,
	}
}

func (s *Sim) stockOneV2(w http.ResponseWriter, _ *http.Request, params []string) {
	p := s.w.bySKU[strings.ToLower(params[0])]
	if p == nil {
		s.answer(w, 0, "", nil, refuse("No stock found for the provided information."))
		return
	}
	ws := wireStockOf(p)
	s.answer(w, http.StatusOK, "Found stock for the provided information.", struct {
		Name             string    `json:"name"`
		Sku              string    `json:"sku"`
		ProductID        int64     `json:"productId"`
		UseEconomicStock bool      `json:"useEconomicStock"`
		PhysicalStock    int       `json:"physicalStock"`
		ExpectedStock    int       `json:"expectedStock"`
		OrderedStock     int       `json:"orderedStock"`
		UnavailableStock int       `json:"unavailableStock"`
		FreeStock        int       `json:"freeStock"`
		EconomicStock    int       `json:"economicStock"`
		AvailableStock   int       `json:"availableStock"`
		THTs             []wireTHT `json:"thts"`
	}{p.name, p.sku, p.id, p.economic, p.physical, ws.ExpectedStock, p.ordered, p.unavailable, ws.FreeStock, ws.EconomicStock, ws.AvailableStock, ws.THTs}, nil)
}

func (s *Sim) stockBulk(w http.ResponseWriter, _ *http.Request, params []string) {
	all, err := strconv.ParseBool(params[0])
	if err != nil {
		s.answer(w, 0, "", nil, invalid("all must be true or false"))
		return
	}
	out := []wireStock{}
	for _, p := range s.w.products {
		if all || p.needsSync {
			out = append(out, wireStockOf(p))
			p.needsSync = false
		}
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d products suitable for stock synchronization.", len(out)), out, nil)
}

// stockSince answers the document's stock of the products mutated since
// from (all of them with all_products=true), with the period it covers.
func (s *Sim) stockSince(w http.ResponseWriter, r *http.Request, _ []string) {
	all, _ := strconv.ParseBool(queryGet(r, "all_products"))
	var from time.Time
	if f := queryGet(r, "from"); f != "" {
		t, err := parseDate(f)
		if err != nil {
			s.answer(w, 0, "", nil, invalid("from: %v", err))
			return
		}
		from = t
	} else if !all {
		s.answer(w, 0, "", nil, invalid("from is required"))
		return
	}
	now := s.warehouseNow()
	out := []wireStock{}
	for _, p := range s.w.products {
		if all || !p.mutatedAt.Before(from) {
			out = append(out, wireStockOf(p))
		}
	}
	type period struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	if from.IsZero() {
		from = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d products suitable for stock synchronization.", len(out)), struct {
		StockMutationPeriod period      `json:"stockMutationPeriod"`
		Stock               []wireStock `json:"stock"`
	}{period{from.Format("2006-01-02T15:04:05-07:00"), now.In(amsterdam).Format("2006-01-02T15:04:05-07:00")}, out}, nil)
}

type wirePOLink struct {
	Quantity               int    `json:"quantity"`
	PurchaseOrderReference string `json:"purchaseOrderReference"`
}

type wireMutation struct {
	ID                  int64        `json:"id"`
	Sku                 string       `json:"sku"`
	Quantity            int          `json:"quantity"`
	Type                int          `json:"type"`
	CreatedAt           string       `json:"createdAt"`
	THTDate             *string      `json:"thtDate"`
	WarehouseCode       string       `json:"warehouseCode"`
	LocationType        string       `json:"locationType"`
	CorrectionReason    *string      `json:"correctionReason"`
	Remark              string       `json:"remark"`
	PurchaseOrders      []wirePOLink `json:"purchaseOrders"`
	SupplierID          *int64       `json:"supplierId"`
	ShippingID          *int64       `json:"shippingId"`
	OrderNumber         *int64       `json:"orderNumber"`
	ExternalOrderNumber *string      `json:"externalOrderNumber"`
	ReturnReason        *string      `json:"returnReason"`
	LotNumber           *string      `json:"lotNumber"`
}

func wireMutationOf(m *mutation) wireMutation {
	wm := wireMutation{
		ID: m.id, Sku: m.sku, Quantity: m.qty, Type: m.typ, CreatedAt: localTime(m.at), THTDate: localTimePtr(m.tht),
		WarehouseCode: m.warehouse, LocationType: m.locationType, CorrectionReason: strPtr(m.correction), Remark: m.remark,
		PurchaseOrders: []wirePOLink{}, ReturnReason: strPtr(m.returnReason), LotNumber: strPtr(m.lotNumber),
	}
	for _, l := range m.pos {
		wm.PurchaseOrders = append(wm.PurchaseOrders, wirePOLink{l.qty, l.ref})
	}
	if sh := m.shipment; sh != nil {
		wm.ShippingID, wm.OrderNumber, wm.ExternalOrderNumber = &sh.id, &sh.order.number, &sh.order.ext
	}
	return wm
}

func (s *Sim) getMutations(w http.ResponseWriter, _ *http.Request, _ []string) {
	out := []wireMutation{}
	for _, m := range s.w.mutations {
		if len(out) == s.cfg.PageSize {
			break
		}
		if !m.synced {
			out = append(out, wireMutationOf(m))
		}
	}
	s.answer(w, http.StatusOK, fmt.Sprintf("Found %d stock Mutations that match your criteria.", len(out)), out, nil)
}

func (s *Sim) syncMutations(w http.ResponseWriter, r *http.Request, _ []string) {
	var req idsRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	ids := map[int64]bool{}
	for _, id := range req.IDs {
		ids[id] = true
	}
	for _, m := range s.w.mutations {
		if ids[m.id] {
			m.synced = true
			m.syncs++
		}
	}
	s.answer(w, http.StatusOK, "Request processed successfully.", nil, nil)
}

package activeants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Normalize turns a committed message into the canonical changes it
// states, by its topic. It is a pure function of the message (topic, body,
// Meta, ReceivedAt). Items of a whole answer (stock, track-trace) that do
// not decode are left out: the poll service recorded each as an intake
// error when it committed the answer.
func (c *Connector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	var (
		ch  model.Changes
		err error
	)
	switch m.Topic {
	case TopicShipment:
		ch, err = normalizeShipment(m)
	case TopicStockMutation:
		ch, err = normalizeStockMutation(m)
	case TopicStock:
		ch, err = normalizeStock(m)
	case TopicTrackTrace:
		ch, err = normalizeTrackTrace(m)
	case TopicCommandOrder, TopicCommandProduct, TopicCommandInbound, TopicCommandReturn:
		ch, err = normalizeCommand(m)
	default:
		err = fmt.Errorf("%w: unknown topic %q", provider.ErrBadInput, m.Topic)
	}
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising active ants %s message %d: %w", m.Topic, m.ID, err)
	}
	return ch, nil
}

// Order status ranks: a shipment of an order makes it at least partially
// shipped; shipped is final. A late partially_shipped never replaces
// shipped.
const (
	rankPartiallyShipped = 1
	rankShipped          = 2
)

// normalizeShipment maps one shipment of GET /v2/shipment/get:
//
//	id                       ProviderRef, and a reference of kind shipment
//	externalOrderNumber      OrderReference (the order applier links it) and a reference of kind order;
//	                         an OrderUpdate of that reference (see below)
//	orderNumber              the OrderUpdate's ProviderRef; Attributes["order_number"]
//	shippingDate             AsOf; the info_received event's time
//	shippedColli[i]          packageNumber: TrackingNumber (the first), a reference of kind tracking_number each;
//	                         trackTraceUrl: TrackingURL (the first); both in Attributes["colli[i].…"]
//	shippedProducts[i]       Items[i] (sku, quantity); lotNumber, serialNrs, tht, weight, parts in
//	                         Attributes["products[i].lot|serials|tht|weight|parts"]
//	shipmentItems[i]         the search answers' lines, read like shippedProducts
//	currentTrackTraceStatus  with its exception level, an event by track_trace_statuses.tsv
//	everything else          Attributes (shipping_method_id, main_shipping_method_id, warehouse,
//	                         order_type, number_of_colli, total_number_of_products,
//	                         return_package_number, extra1…extra5)
//
// The OrderUpdate states the order shipped or partially_shipped, as the
// message's Meta order_status says (default shipped), ranked so that a
// late partial never replaces shipped, with the shipment's time.
func normalizeShipment(m *model.InboxMessage) (model.Changes, error) {
	s, err := DecodeShipment(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	if err := checkText(m.Body); err != nil {
		return model.Changes{}, err
	}
	id := s.ID.String()
	asOf := s.ShippingDate.Time
	if asOf.IsZero() {
		asOf = m.ReceivedAt.UTC()
	}
	u := model.ShipmentUpdate{
		AsOf:           asOf,
		ProviderRef:    id,
		OrderReference: strings.TrimSpace(s.ExternalOrderNumber),
		References:     []model.Reference{{Kind: model.RefShipment, Value: id}},
		Attributes:     map[string]string{},
	}
	if u.OrderReference != "" {
		u.References = append(u.References, model.Reference{Kind: model.RefOrder, Value: u.OrderReference})
	}
	attr := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			u.Attributes[k] = v
		}
	}
	attrp := func(k string, v *string) {
		if v != nil {
			attr(k, *v)
		}
	}
	attr("order_number", s.OrderNumber.String())
	attr("order_type", s.OrderType.String())
	attr("shipping_method_id", s.ShippingMethodID.String())
	attr("main_shipping_method_id", s.MainShippingMethodID.String())
	attr("warehouse", s.Warehouse())
	attr("number_of_colli", s.NumberOfColli.String())
	attr("total_number_of_products", s.TotalNumberOfProducts.String())
	attrp("return_package_number", s.ReturnPackageNumber)
	for i, e := range []*string{s.Extra1, s.Extra2, s.Extra3, s.Extra4, s.Extra5} {
		attrp(fmt.Sprintf("extra%d", i+1), e)
	}
	addTracking := func(number, link string) {
		number = strings.TrimSpace(number)
		if number != "" {
			if u.TrackingNumber == "" {
				u.TrackingNumber = number
			}
			u.References = appendRef(u.References, model.RefTrackingNumber, number)
		}
		if u.TrackingURL == "" && strings.HasPrefix(strings.TrimSpace(link), "http") {
			u.TrackingURL = strings.TrimSpace(link)
		}
	}
	for i, col := range s.ShippedColli {
		p := fmt.Sprintf("colli[%d].", i)
		attr(p+"collo_nr", string(col.ColloNr))
		attr(p+"package_number", col.PackageNumber)
		attr(p+"track_trace_url", col.TrackTraceURL)
		addTracking(col.PackageNumber, col.TrackTraceURL)
	}
	if s.PackageNumber != nil {
		addTracking(*s.PackageNumber, "")
	}
	addTracking(s.TrackAndTraceBarCode, s.TrackAndTraceCode)
	attr("track_and_trace_code", s.TrackAndTraceCode)
	for i, p := range s.ShippedProducts {
		u.Items = append(u.Items, model.Item{SKU: p.SKU, Quantity: p.Quantity.F})
		k := fmt.Sprintf("products[%d].", i)
		attrp(k+"lot", p.LotNumber)
		if len(p.SerialNrs) > 0 {
			attr(k+"serials", strings.Join(p.SerialNrs, ","))
		}
		if !p.THT.IsZero() {
			attr(k+"tht", calendarDay(p.THT.Time))
		}
		if p.Weight.Valid {
			attr(k+"weight", strconv.FormatFloat(p.Weight.F, 'f', -1, 64))
		}
		attrp(k+"extra6", p.Extra6)
		attrp(k+"extra7", p.Extra7)
		if len(p.Parts) > 0 {
			raw, _ := json.Marshal(p.Parts)
			attr(k+"parts", string(raw))
		}
	}
	for i, it := range s.ShipmentItems {
		u.Items = append(u.Items, model.Item{SKU: it.SKU, Quantity: it.Quantity.F})
		k := fmt.Sprintf("products[%d].", len(s.ShippedProducts)+i)
		attrp(k+"lot", it.LotNumber)
		attr(k+"shipment_item_id", it.ShipmentItemID.String())
	}
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	}
	shipped := model.Event{
		Status: model.StatusInfoReceived, ProviderCode: "shipped",
		Description: "Shipped from the Active Ants warehouse", OccurredAt: asOf,
		Source: model.SourcePoll, DedupKey: "shipped",
	}
	if wh := s.Warehouse(); wh != "" {
		shipped.Description += " " + wh
	}
	u.Events = append(u.Events, shipped)
	if s.CurrentStatus != "" {
		// The shipment answer's status has no time: the hub's is used.
		u.Events = append(u.Events, trackTraceEvent(s.CurrentStatus, s.CurrentExceptionLevel, time.Time{}, m.ReceivedAt.UTC()))
	}
	if err := checkShipmentKeys(&u); err != nil {
		return model.Changes{}, err
	}
	ch := model.Changes{Shipments: []model.ShipmentUpdate{u}}
	if u.OrderReference != "" {
		status, rank := model.OrderShipped, rankShipped
		if model.OrderStatus(m.Meta[MetaOrderStatus]) == model.OrderPartiallyShipped {
			status, rank = model.OrderPartiallyShipped, rankPartiallyShipped
		}
		ch.Orders = []model.OrderUpdate{{
			AsOf: asOf, Reference: u.OrderReference, ProviderRef: s.OrderNumber.String(),
			Status: status, StatusRank: rank,
			ProviderStatus: &model.ProviderStatus{Code: "shipment", Description: "shipment " + id + " left the warehouse"},
		}}
	}
	return ch, nil
}

// trackTraceEvent makes the event of a track-trace status: at the
// status's own time, or at the hub's when Active Ants gives none. Its
// dedup key is the status, level and time, so the same status served
// every hour is one event.
func trackTraceEvent(status, level Code, at, received time.Time) model.Event {
	mp := MapTrackTrace(status, level)
	e := model.Event{
		Status: mp.Status, Substatus: mp.Substatus, ActionRequired: mp.ActionRequired,
		ProviderCode: string(status), Source: model.SourcePoll, OccurredAt: at, Unmapped: mp.Unmapped,
		Description: "Track-trace status " + string(status),
	}
	if level != "" {
		e.ProviderGroup = "level " + string(level)
		e.Description += ", exception level " + string(level)
	}
	key := "tt:" + strings.ToLower(string(status)) + ":" + strings.ToLower(string(level))
	if at.IsZero() {
		e.OccurredAt = received
	} else {
		key += ":" + at.UTC().Format(time.RFC3339Nano)
	}
	e.DedupKey = key
	return e
}

// normalizeTrackTrace maps a track-trace answer: one ShipmentUpdate per
// item, keyed by shipmentId (the same key as the shipment's own message),
// with the status event.
//
//	shipmentId                          ProviderRef, a reference of kind shipment
//	externalOrderNumber                 OrderReference, a reference of kind order
//	packageNumber                       TrackingNumber, a reference of kind tracking_number
//	shipmentMethod                      Method
//	currentTrackTraceStatus             with the level, the event's status (track_trace_statuses.tsv);
//	                                    the raw code is the event's provider_code
//	currentTrackTraceExceptionLevel     the event's provider_group ("level 2")
//	currentTrackTraceStatusDateTime     the event's time and AsOf (the hub's time when null);
//	                                    DeliveredAt when the status maps to delivered
func normalizeTrackTrace(m *model.InboxMessage) (model.Changes, error) {
	items, err := answerItems(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	var ch model.Changes
	for _, raw := range items {
		u, err := trackTraceUpdate(raw, m.ReceivedAt.UTC())
		if err != nil {
			continue // recorded as an intake error when committed
		}
		ch.Shipments = append(ch.Shipments, u)
	}
	return ch, nil
}

// trackTraceUpdate maps one track-trace item.
func trackTraceUpdate(raw []byte, received time.Time) (model.ShipmentUpdate, error) {
	t, err := DecodeTrackTrace(raw)
	if err != nil {
		return model.ShipmentUpdate{}, err
	}
	if err := checkText(raw); err != nil {
		return model.ShipmentUpdate{}, err
	}
	id := t.ShipmentID.String()
	at := t.CurrentTrackTraceStatusDateTime.Time
	asOf := at
	if asOf.IsZero() {
		asOf = received
	}
	u := model.ShipmentUpdate{
		AsOf: asOf, ProviderRef: id, Method: t.ShipmentMethod,
		OrderReference: strings.TrimSpace(t.ExternalOrderNumber),
		TrackingNumber: strings.TrimSpace(t.PackageNumber),
		References:     []model.Reference{{Kind: model.RefShipment, Value: id}},
	}
	if u.OrderReference != "" {
		u.References = append(u.References, model.Reference{Kind: model.RefOrder, Value: u.OrderReference})
	}
	if u.TrackingNumber != "" {
		u.References = append(u.References, model.Reference{Kind: model.RefTrackingNumber, Value: u.TrackingNumber})
	}
	e := trackTraceEvent(t.CurrentTrackTraceStatus, t.CurrentTrackTraceExceptionLevel, at, received)
	if e.Status == model.StatusDelivered {
		u.DeliveredAt = &e.OccurredAt
	}
	u.Events = []model.Event{e}
	return u, checkShipmentKeys(&u)
}

// normalizeStock maps a stock answer, one StockUpdate and one
// ProductUpdate per product, as of the hub's time (the answer has none):
//
//	sku              the key; warehouse is empty (the account's stock is one figure)
//	stock            Available: "either economic or available, depending on the
//	                 product's settings" (the document), so the figure the product says
//	physicalStock    Physical
//	expectedStock    Announced, when not negative (the example has -17)
//	name             the product's Name
//	the rest         the product's Attributes: stock_basis (economic or available, when
//	                 useEconomicStock says or the figures tell), stock.economic,
//	                 stock.available, stock.free, stock.unavailable, stock.expected,
//	                 and stock.lots, the lot/THT breakdown as JSON
//	                 [{"lot":…,"best_before":"YYYY-MM-DD","quantity":…}]
func normalizeStock(m *model.InboxMessage) (model.Changes, error) {
	items, err := answerItems(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	asOf := m.ReceivedAt.UTC()
	var ch model.Changes
	for _, raw := range items {
		su, pu, err := stockUpdate(raw, asOf)
		if err != nil {
			continue // recorded as an intake error when committed
		}
		ch.Stock = append(ch.Stock, su)
		ch.Products = append(ch.Products, pu)
	}
	return ch, nil
}

// stockUpdate maps one stock item.
func stockUpdate(raw []byte, asOf time.Time) (model.StockUpdate, model.ProductUpdate, error) {
	s, err := DecodeStockItem(raw)
	if err != nil {
		return model.StockUpdate{}, model.ProductUpdate{}, err
	}
	if err := errors.Join(checkText(raw), checkKey("sku", s.SKU)); err != nil {
		return model.StockUpdate{}, model.ProductUpdate{}, err
	}
	su := model.StockUpdate{AsOf: asOf, SKU: s.SKU}
	if s.Stock.Valid {
		su.Available = ptr(s.Stock.F)
	}
	if s.PhysicalStock.Valid {
		su.Physical = ptr(s.PhysicalStock.F)
	}
	if s.ExpectedStock.Valid && s.ExpectedStock.F >= 0 {
		su.Announced = ptr(s.ExpectedStock.F)
	}
	attrs := map[string]string{}
	num := func(k string, f Float) {
		if f.Valid {
			attrs[k] = strconv.FormatFloat(f.F, 'f', -1, 64)
		}
	}
	num("stock.economic", s.EconomicStock)
	num("stock.available", s.AvailableStock)
	num("stock.free", s.FreeStock)
	num("stock.unavailable", s.UnavailableStock)
	num("stock.expected", s.ExpectedStock)
	if b := stockBasis(s); b != "" {
		attrs["stock_basis"] = b
	}
	type lot struct {
		Lot        string  `json:"lot,omitempty"`
		BestBefore string  `json:"best_before,omitempty"`
		Quantity   float64 `json:"quantity"`
	}
	var lots []lot
	for _, l := range s.THTs {
		var ln lot
		if l.LotNumber != nil {
			ln.Lot = *l.LotNumber
		}
		if !l.THT.IsZero() {
			ln.BestBefore = calendarDay(l.THT.Time)
		}
		ln.Quantity = l.Quantity.F
		lots = append(lots, ln)
	}
	if len(lots) > 0 {
		raw, _ := json.Marshal(lots)
		attrs["stock.lots"] = string(raw)
	}
	return su, model.ProductUpdate{AsOf: asOf, SKU: s.SKU, Name: s.Name, Attributes: attrs}, nil
}

// stockBasis says which figure a product's stock is: what
// useEconomicStock says, else what the figures tell when stock equals
// exactly one of economicStock and availableStock.
func stockBasis(s *StockItem) string {
	if s.UseEconomicStock != nil {
		if *s.UseEconomicStock {
			return "economic"
		}
		return "available"
	}
	if !s.Stock.Valid {
		return ""
	}
	eco := s.EconomicStock.Valid && s.EconomicStock.F == s.Stock.F
	avail := s.AvailableStock.Valid && s.AvailableStock.F == s.Stock.F
	switch {
	case eco && !avail:
		return "economic"
	case avail && !eco:
		return "available"
	}
	return ""
}

// normalizeStockMutation maps one stock mutation of GET
// /v2/stockmutation/get:
//
//	id                   DedupKey "aa:<id>" (stored once)
//	sku, quantity        SKU, Quantity (as signed as Active Ants sends it)
//	type                 ReasonCode
//	returnReason, correctionReason, remark   Reason (the first that is not blank)
//	createdAt            OccurredAt
//	warehouseCode        Warehouse
//	locationType         Location
//	lotNumber, thtDate   Lot, BestBefore (the calendar day)
//	purchaseOrders[i]    an InboundUpdate per purchase order (by purchaseOrderReference, else
//	                     its id), with a receipt "mutation:<id>" of the received quantity:
//	                     the link of the goods to their purchase order
func normalizeStockMutation(m *model.InboxMessage) (model.Changes, error) {
	s, err := DecodeStockMutation(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	if err := errors.Join(checkText(m.Body), checkKey("sku", s.SKU), checkKey("warehouseCode", s.WarehouseCode)); err != nil {
		return model.Changes{}, err
	}
	for i, po := range s.PurchaseOrders {
		if err := checkKey(fmt.Sprintf("purchaseOrders[%d].purchaseOrderReference", i), po.PurchaseOrderReference); err != nil {
			return model.Changes{}, err
		}
	}
	if math.IsInf(s.Quantity.F, 0) || math.IsNaN(s.Quantity.F) {
		return model.Changes{}, fmt.Errorf("%w: stock mutation %d: quantity is not a finite number", provider.ErrBadInput, s.ID.N)
	}
	u := model.StockMutationUpdate{
		DedupKey: "aa:" + s.ID.String(), SKU: s.SKU, Warehouse: s.WarehouseCode, Quantity: s.Quantity.F,
		ReasonCode: string(s.Type), OccurredAt: s.CreatedAt.Time, Location: s.LocationType,
	}
	for _, r := range []*string{s.ReturnReason, s.CorrectionReason, s.Remark} {
		if r != nil && strings.TrimSpace(*r) != "" {
			u.Reason = strings.TrimSpace(*r)
			break
		}
	}
	if s.LotNumber != nil {
		u.Lot = *s.LotNumber
	}
	if !s.THTDate.IsZero() {
		d, _ := time.Parse(time.DateOnly, calendarDay(s.THTDate.Time))
		u.BestBefore = &d
	}
	ch := model.Changes{StockMutations: []model.StockMutationUpdate{u}}
	for _, po := range s.PurchaseOrders {
		ref := strings.TrimSpace(po.PurchaseOrderReference)
		if ref == "" {
			ref = po.PurchaseOrderID.String()
		}
		if ref == "" {
			continue
		}
		qty := s.Quantity.F
		if po.Quantity.Valid {
			qty = po.Quantity.F
		}
		ch.Inbound = append(ch.Inbound, model.InboundUpdate{
			AsOf: s.CreatedAt.Time, Reference: ref, ProviderRef: po.PurchaseOrderID.String(),
			Receipts: []model.Receipt{{
				ProviderRef: "mutation:" + s.ID.String(), ReceivedAt: s.CreatedAt.Time,
				Lines: []model.ReceiptLine{{SKU: s.SKU, Quantity: qty, Lot: u.Lot, BestBefore: u.BestBefore}},
			}},
		})
	}
	return ch, nil
}

// MaxKeyBytes is the longest identifier the hub indexes, the pipeline's
// MaxKeyBytes (a test holds them equal). The pipeline would refuse a
// longer one after the answer was committed, failing the message; the
// connector refuses it when it pulls, as an intake error naming the field.
const MaxKeyBytes = 512

// checkKey refuses an identifier the hub cannot index.
func checkKey(field, v string) error {
	if len(v) > MaxKeyBytes {
		return fmt.Errorf("%w: %s is %d bytes long, over the %d the hub indexes", provider.ErrBadInput, field, len(v), MaxKeyBytes)
	}
	return nil
}

// checkShipmentKeys checks a shipment update's identifiers.
func checkShipmentKeys(u *model.ShipmentUpdate) error {
	errs := []error{checkKey("externalOrderNumber", u.OrderReference), checkKey("packageNumber", u.TrackingNumber)}
	for _, r := range u.References {
		errs = append(errs, checkKey(r.Kind, r.Value))
	}
	for i, it := range u.Items {
		errs = append(errs, checkKey(fmt.Sprintf("products[%d].sku", i), it.SKU))
	}
	return errors.Join(errs...)
}

// checkText refuses a body with an escaped NUL character (\u0000):
// PostgreSQL stores no NUL in text, so the hub could not keep what it
// says. (Raw NUL bytes are not JSON and never decode.)
func checkText(body []byte) error {
	if bytes.Contains(bytes.ToLower(body), []byte(`\u0000`)) {
		return fmt.Errorf("%w: the answer holds a NUL character (\\u0000)", provider.ErrBadInput)
	}
	return nil
}

// answerItems reads a whole answer's envelope and splits its result.
func answerItems(body []byte) ([]json.RawMessage, error) {
	env, err := DecodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	return ResultItems(env.Result)
}

// calendarDay is a THT's calendar day as Active Ants wrote it. Times
// without an offset are read in Europe/Amsterdam, so the day is taken in
// that zone ("2025-05-01T00:00:00" is the 1st, not the 30th of April UTC).
func calendarDay(t time.Time) string { return t.In(zone).Format(time.DateOnly) }

func appendRef(refs []model.Reference, kind, value string) []model.Reference {
	for _, r := range refs {
		if r.Kind == kind && r.Value == value {
			return refs
		}
	}
	return append(refs, model.Reference{Kind: kind, Value: value})
}

func ptr[T any](v T) *T { return &v }

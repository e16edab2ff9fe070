package wics

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// The mapping of each topic to canonical changes. Normalize is pure, so
// where a message has no time of its own the statement's time (AsOf) is the
// message's ReceivedAt: the moment the hub committed it to the inbox, which
// is stored with the raw message and so the same on every reprocess. WICS
// retries a failed webhook for 24 hours, so a retry that succeeds after a
// newer message of the same order is, for these topics, taken as newer;
// the documents give no better time. The order topics' statuses are
// therefore ranked as well (OrderStatusRank), so that a retried old status
// does not replace a newer one whatever its AsOf; the other topics keep
// that fault until their kinds have a rank of their own. Per topic:
//
//	shipment            deliveryDate (ReceivedAt when it is null)
//	receipt             receiptDate (ReceivedAt when it is null)
//	stock               none: ReceivedAt
//	stockmutation       registrationDate (required), the mutation's OccurredAt;
//	                    a mutation has no AsOf, it is stored once by DedupKey
//	announcementstatus  none: ReceivedAt
//	orderstatus         none: ReceivedAt
//	orderlinestatus     none: ReceivedAt
//	picksliplinestatus  none: ReceivedAt
//	rma                 none: ReceivedAt
type mapper struct {
	// loc is the connection's zone, for dates without a time of day.
	loc *time.Location
	// received is the message's ReceivedAt, in UTC.
	received time.Time
	// tolerated lists the status tables' liberal readings.
	tolerated Tolerated
	// err is the first key the hub could not store (see key).
	err error
}

// MaxKeyBytes is the longest identifier the hub indexes, the pipeline's
// MaxKeyBytes (a test holds them equal). The pipeline would refuse a longer
// one after the message was acknowledged, so the connector refuses it at
// the intake, with a 400 naming the field. (The decoder already refuses a
// NUL in any text, which PostgreSQL cannot store.)
const MaxKeyBytes = 512

// key returns v, recording an error naming path when the hub cannot
// store v as an identifier.
func (mp *mapper) key(path, v string) string {
	if mp.err != nil {
		return v
	}
	if len(v) > MaxKeyBytes {
		mp.err = fieldError(path, "is %d bytes long, over the %d the hub indexes", len(v), MaxKeyBytes)
	}
	return v
}

func (mp *mapper) mapMessage(msg Message) (model.Changes, error) {
	ch, err := mp.mapOne(msg)
	if err == nil {
		err = mp.err
	}
	return ch, err
}

func (mp *mapper) mapOne(msg Message) (model.Changes, error) {
	switch m := msg.(type) {
	case *Shipment:
		return mp.shipment(m), nil
	case *Receipt:
		return mp.receipt(m), nil
	case *Stock:
		return mp.stock(m), nil
	case *StockMutation:
		return mp.stockMutation(m), nil
	case *AnnouncementStatus:
		return mp.announcementStatus(m), nil
	case *OrderStatus:
		return mp.orderStatus(m), nil
	case *OrderLineStatus:
		return mp.orderLines(m.OrderNr, m.OrderReference, m.Lines), nil
	case *PickslipLineStatus:
		return mp.orderLines(m.OrderNr, m.OrderReference, m.Lines), nil
	case *RMA:
		return mp.rma(m), nil
	}
	return model.Changes{}, fmt.Errorf("%w %T", errNoMapping, msg)
}

// asOf is the time of a message's own time field, or received.
func (mp *mapper) asOf(t Time) time.Time {
	if at := mp.instant(t); !at.IsZero() {
		return at
	}
	return mp.received
}

// instant is the moment of t; a date without a time of day is its
// midnight in the connection's zone. Zero for no date.
func (mp *mapper) instant(t Time) time.Time {
	if !t.Instant.IsZero() {
		return t.Instant
	}
	if t.Date == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation(time.DateOnly, t.Date, mp.loc)
	if err != nil {
		return time.Time{}
	}
	return d.UTC()
}

// calendarDate is t's calendar date as WICS wrote it, at midnight UTC: the
// canonical form of a best-before date, whose instant would move it a day
// ("2021-09-13T00:00:00+02:00" is the 12th in UTC). Nil for no date.
func calendarDate(t Time) *time.Time {
	if t.Date == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, t.Date)
	if err != nil {
		return nil
	}
	return &d
}

// Shipment (Topic Shipment): one ShipmentUpdate.
//
//	shipmentNr            ProviderRef, and a reference of kind shipment
//	orderReference        OrderReference (the order applier links it), and a reference of kind order
//	additionalReference   a reference of kind merchant_reference
//	trackAndTrace         TrackingNumber, and a reference of kind tracking_number
//	trackAndTraceUrl      TrackingURL
//	shipperName           Carrier (shipperCode when the name is empty)
//	deliveryDate          AsOf; its date in Attributes["deliveryDate"]
//	shippingLines[i]      Items[i]: itemCode SKU, itemDescription Name, quantityDelivered Quantity
//	everything else       Attributes, so nothing WICS said is lost:
//	                      hasSerialNumbers ("true"/"false", always), shipperCode, colloId,
//	                      metaFields.<key>, and per line shippingLines[i].<field> for orderLine,
//	                      orderLineExternal, quantityOrdered, unit, hasSerialNumbers, bestBeforeDate,
//	                      lotNumber, EANSSCC and metaFields.<key>
//
// No OrderUpdate: the payload names the order only by its reference, with
// neither WICS's order number nor a status, and a line's quantityDelivered
// is this parcel's, not the order line's total shipped (an order may leave
// in several parcels). The order's status comes from Topic Order status.
// No event either: the carrier's statuses come from tracking.
func (mp *mapper) shipment(s *Shipment) model.Changes {
	ref := strconv.FormatInt(s.ShipmentNr, 10)
	u := model.ShipmentUpdate{
		AsOf:           mp.asOf(s.DeliveryDate),
		ProviderRef:    ref,
		Carrier:        s.ShipperName,
		TrackingNumber: mp.key("trackAndTrace", s.TrackAndTrace),
		TrackingURL:    s.TrackAndTraceURL,
		OrderReference: mp.key("orderReference", s.OrderReference),
		Attributes:     map[string]string{"hasSerialNumbers": strconv.FormatBool(s.HasSerialNumbers)},
	}
	if u.Carrier == "" {
		u.Carrier = s.ShipperCode
	}
	for _, r := range []model.Reference{
		{Kind: model.RefShipment, Value: ref},
		{Kind: model.RefOrder, Value: s.OrderReference},
		{Kind: model.RefMerchant, Value: mp.key("additionalReference", s.AdditionalReference)},
		{Kind: model.RefTrackingNumber, Value: s.TrackAndTrace},
	} {
		if r.Value != "" {
			u.References = append(u.References, r)
		}
	}
	attr := func(k, v string) {
		if v != "" {
			u.Attributes[k] = v
		}
	}
	attr("shipperCode", s.ShipperCode)
	attr("colloId", s.ColloID)
	attr("deliveryDate", s.DeliveryDate.Date)
	metaAttributes(u.Attributes, "metaFields.", s.MetaFields)
	u.OrderID = metaOrderID(s.MetaFields)
	for i, l := range s.ShippingLines {
		u.Items = append(u.Items, model.Item{SKU: mp.key(fmt.Sprintf("shippingLines[%d].itemCode", i), l.ItemCode), Name: l.ItemDescription, Quantity: float64(l.QuantityDelivered)})
		p := fmt.Sprintf("shippingLines[%d].", i)
		attr(p+"orderLine", strconv.FormatInt(l.OrderLine, 10))
		if l.OrderLineExternal != nil {
			attr(p+"orderLineExternal", strconv.FormatInt(*l.OrderLineExternal, 10))
		}
		attr(p+"quantityOrdered", strconv.FormatInt(l.QuantityOrdered, 10))
		attr(p+"unit", l.Unit)
		if l.HasSerialNumbers {
			attr(p+"hasSerialNumbers", "true")
		}
		attr(p+"bestBeforeDate", l.BestBeforeDate.Date)
		attr(p+"lotNumber", l.LotNumber)
		attr(p+"EANSSCC", l.EANSSCC)
		metaAttributes(u.Attributes, p+"metaFields.", l.MetaFields)
	}
	return model.ShipmentChanges(u)
}

// MetaOrderID is the metaFields key under which shiphub sends its own id of
// an order to WICS, and WICS hands it back on the order's shipments (the
// document's "you will receive this back in the shipment"): the shipment
// links to that order whatever orderReference it carries.
const MetaOrderID = "shiphub_order_id"

// metaOrderID reads shiphub's order id from metaFields: a positive whole
// number, as a JSON number or a string of digits; anything else is no id
// (it stays an attribute).
func metaOrderID(mf MetaFields) int64 {
	raw, ok := mf[MetaOrderID]
	if !ok {
		return 0
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		text = string(raw)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// metaAttributes copies metaFields into attrs under prefix: a JSON string
// as its text, any other value as its compact JSON.
func metaAttributes(attrs map[string]string, prefix string, mf MetaFields) {
	for k, raw := range mf {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil && strings.IndexByte(s, 0) < 0 {
			attrs[prefix+k] = s
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			attrs[prefix+k] = string(raw)
			continue
		}
		attrs[prefix+k] = buf.String()
	}
}

// orderStatus (Topic Order status): one OrderUpdate.
//
//	orderReference                    Reference (the order's key)
//	orderNr                           ProviderRef
//	statusCode, statusDescription     Status (order_statuses.tsv; unknown for a code no row
//	                                  knows), ProviderStatus {code, description} as sent,
//	                                  StatusRank (OrderStatusRank)
//	oldStatusCode/Description         not mapped: the previous status is history the
//	                                  order already has, and the rank orders the statuses
//	(no time field)                   AsOf = ReceivedAt
func (mp *mapper) orderStatus(s *OrderStatus) model.Changes {
	status, ps, rank := mp.orderCode(s.StatusCode, s.StatusDescription)
	return model.Changes{Orders: []model.OrderUpdate{{
		AsOf:           mp.received,
		Reference:      mp.key("orderReference", s.OrderReference),
		ProviderRef:    strconv.FormatInt(s.OrderNr, 10),
		Status:         status,
		ProviderStatus: ps,
		StatusRank:     rank,
	}}}
}

// orderLines (Topics OrderLineStatus and PickslipLineStatus): one
// OrderUpdate with a line update per line number; the order's own status is
// not stated.
//
//	orderReference, orderNr           Reference, ProviderRef
//	lines[i].lineNumber               Lines[].LineNumber (a pickslip line is the order line of
//	                                  that number: the document shows both with the order's codes)
//	lines[i].statusCode/Description   Lines[].Status (order_statuses.tsv), Lines[].ProviderStatus,
//	                                  Lines[].StatusRank (OrderStatusRank)
//	(no time field)                   AsOf = ReceivedAt
//
// A line listed twice (the OrderLineStatus example lists line 1 twice) is
// stated once, by its last entry in the message, at the place of its first.
func (mp *mapper) orderLines(orderNr int64, reference string, lines []LineStatus) model.Changes {
	u := model.OrderUpdate{AsOf: mp.received, Reference: mp.key("orderReference", reference), ProviderRef: strconv.FormatInt(orderNr, 10)}
	at := map[int64]int{}
	for _, l := range lines {
		status, ps, rank := mp.orderCode(l.StatusCode, l.StatusDescription)
		lu := model.OrderLineUpdate{LineNumber: int(l.LineNumber), Status: status, ProviderStatus: ps, StatusRank: rank}
		if i, ok := at[l.LineNumber]; ok {
			u.Lines[i] = lu
			continue
		}
		at[l.LineNumber] = len(u.Lines)
		u.Lines = append(u.Lines, lu)
	}
	return model.Changes{Orders: []model.OrderUpdate{u}}
}

func (mp *mapper) orderCode(code, description string) (model.OrderStatus, *model.ProviderStatus, int) {
	m := LookupOrderStatus(code, description)
	mp.noteStatus(m)
	ps := &model.ProviderStatus{Code: code, Description: description}
	if m.Tolerated != "" && m.Row != nil && (description == "" || strings.EqualFold(strings.TrimSpace(description), strings.TrimSpace(code))) {
		// A description sent as the code, and no other description (the
		// order list's statusCode "Bevestigd"), is stated as its row's
		// code with that description, as the webhooks state the same
		// status ("30", "Bevestigd"): a reconciliation that lists an order
		// the webhooks already brought then changes nothing, instead of
		// rewriting its provider status in another form (and counting
		// that as a find). A description that says something else is a
		// contradiction, kept as sent.
		ps = &model.ProviderStatus{Code: m.Row.Code, Description: cmp.Or(description, strings.TrimSpace(code))}
	}
	return model.OrderStatus(m.Status), ps, OrderStatusRank(m)
}

// OrderStatusRank is the rank (model.OrderUpdate.StatusRank) of an order
// or line status: its place in the WICS lifecycle, which WICS numbers in
// order, 00 created to 70 shipped, so the rank is the code plus one (a
// rank of 0 means none). 90 cancelled ranks above them all: a cancelled
// order is final in WICS, no status follows it, so a late retry of any
// earlier status leaves it cancelled. A two-digit code no row of
// order_statuses.tsv knows (its status unknown) still has its place by its
// number, 55 between 50 and 60, so that it neither undoes a higher status
// nor lets a retry of a lower one undo it. A description read as a code
// (StatusMatch.Tolerated) ranks as the code of its row. Anything else has
// no place and no rank: its message's time (ReceivedAt) decides.
func OrderStatusRank(m StatusMatch) int {
	code := m.Code
	if m.Row != nil {
		code = m.Row.Code
	}
	if len(code) != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9' {
		return 0
	}
	return int(code[0]-'0')*10 + int(code[1]-'0') + 1
}

func (mp *mapper) noteStatus(m StatusMatch) {
	if m.Tolerated != "" && len(mp.tolerated) < maxTolerated {
		mp.tolerated = append(mp.tolerated, m.Tolerated)
	}
}

// stock (Topic Stock): one StockUpdate per item, or one per warehouse when
// the message splits its levels by warehouse (the stock endpoints' form;
// the webhook example does not), never both, so that rows add up.
//
//	itemCode       SKU
//	physical       Physical
//	nettoSalable   Available
//	announced      Announced (nil, not 0, when the message leaves it out)
//	warehouses[i]  Warehouse = warehouseCode, with that warehouse's figures
//	(no time)      AsOf = ReceivedAt
func (mp *mapper) stock(s *Stock) model.Changes {
	num := func(v int64) *float64 { f := float64(v); return &f }
	if len(s.Warehouses) == 0 {
		u := model.StockUpdate{AsOf: mp.received, SKU: mp.key("itemCode", s.ItemCode), Physical: num(s.Physical), Available: num(s.NettoSalable)}
		if s.Announced != nil {
			u.Announced = num(*s.Announced)
		}
		return model.Changes{Stock: []model.StockUpdate{u}}
	}
	var ch model.Changes
	for i, w := range s.Warehouses {
		ch.Stock = append(ch.Stock, model.StockUpdate{
			AsOf: mp.received, SKU: mp.key("itemCode", s.ItemCode), Warehouse: mp.key(fmt.Sprintf("warehouses[%d].warehouseCode", i), w.WarehouseCode),
			Physical: num(w.Physical), Available: num(w.NettoSalable), Announced: num(w.Announced),
		})
	}
	return ch
}

// stockMutation (Topic StockMutation): one StockMutationUpdate.
//
//	itemCode                SKU
//	warehouseCode           Warehouse
//	quantity                Quantity (signed)
//	reasonCode              ReasonCode (its digits; empty when 0 and without description)
//	reasonCodeDescription   Reason
//	registrationDate        OccurredAt
//	location                Location
//	lotNumber               Lot
//	bestBeforeDate          BestBefore (the calendar date, midnight UTC)
//	DedupKey                WICS gives a mutation no id, so it is "sha256:" and the digest of
//	                        all its fields as decoded (the instant, not the text, of the dates),
//	                        so that the same mutation sent twice, even formatted otherwise, is one
func (mp *mapper) stockMutation(s *StockMutation) model.Changes {
	u := model.StockMutationUpdate{
		DedupKey:   mutationKey(s),
		SKU:        mp.key("itemCode", s.ItemCode),
		Warehouse:  mp.key("warehouseCode", s.WarehouseCode),
		Quantity:   float64(s.Quantity),
		Reason:     s.ReasonCodeDescription,
		OccurredAt: mp.instant(s.RegistrationDate),
		Location:   s.Location,
		Lot:        s.LotNumber,
		BestBefore: calendarDate(s.BestBeforeDate),
	}
	if s.ReasonCode != 0 || s.ReasonCodeDescription != "" {
		u.ReasonCode = strconv.FormatInt(s.ReasonCode, 10)
	}
	return model.Changes{StockMutations: []model.StockMutationUpdate{u}}
}

// mutationKey digests every field of a stock mutation.
func mutationKey(s *StockMutation) string {
	h := sha256.New()
	for _, f := range []string{
		s.ItemCode, s.WarehouseCode, s.Location, s.LotNumber, s.EANSSCC, s.StockKeepingUnit,
		s.BestBeforeDate.Date, s.RegistrationDate.Date, s.RegistrationDate.Instant.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(s.Quantity, 10), strconv.FormatInt(s.ReasonCode, 10), s.ReasonCodeDescription,
		strconv.FormatInt(s.StockStatus, 10), strconv.FormatInt(s.TypeMove, 10),
		strconv.FormatInt(s.CustomerNumber, 10), strconv.FormatBool(s.HasSerialNumbers),
	} {
		// Length-prefixed, so that fields cannot run into each other.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// receipt (Topic Receipt): one InboundUpdate for the announcement the
// receipt is against, with the receipt.
//
//	reference                    Reference (the announcement's), which links the receipt to it;
//	                             a receipt without one (goods WICS received unannounced) is
//	                             keyed by its own number as ProviderRef instead
//	receiptDate                  AsOf, Receipts[0].ReceivedAt (ReceivedAt when null)
//	number                       Receipts[0].ProviderRef
//	statusCode/Description       Status (inbound_statuses.tsv), ProviderStatus; not stated when
//	                             null (the example's), so a receipt does not invent a status
//	lines[i]                     Receipts[0].Lines[i]: itemCode SKU, quantityReceived Quantity,
//	                             lotNumber Lot, bestBeforeDate BestBefore
//	lines[i] with a lineNumber   also Lines[]: LineNumber, itemCode SKU, quantityExpected Expected
func (mp *mapper) receipt(r *Receipt) model.Changes {
	at := mp.asOf(r.ReceiptDate)
	u := model.InboundUpdate{AsOf: at, Reference: mp.key("reference", r.Reference)}
	if r.Reference == "" {
		u.ProviderRef = r.Number
	}
	if r.StatusCode != "" {
		m := LookupInboundStatus(r.StatusCode, r.StatusDescription)
		mp.noteStatus(m)
		u.Status = model.InboundStatus(m.Status)
		u.ProviderStatus = &model.ProviderStatus{Code: r.StatusCode, Description: r.StatusDescription}
	}
	rc := model.Receipt{ProviderRef: mp.key("number", r.Number), ReceivedAt: at, Lines: []model.ReceiptLine{}}
	for i, l := range r.Lines {
		rc.Lines = append(rc.Lines, model.ReceiptLine{
			SKU: mp.key(fmt.Sprintf("lines[%d].itemCode", i), l.ItemCode), Quantity: float64(l.QuantityReceived), Lot: l.LotNumber, BestBefore: calendarDate(l.BestBeforeDate),
		})
		if l.LineNumber != nil {
			expected := float64(l.QuantityExpected)
			u.Lines = append(u.Lines, model.InboundLineUpdate{LineNumber: int(*l.LineNumber), SKU: l.ItemCode, Expected: &expected})
		}
	}
	u.Receipts = []model.Receipt{rc}
	return model.Changes{Inbound: []model.InboundUpdate{u}}
}

// announcementStatus (Topic Announcement status): one InboundUpdate.
//
//	reference                     Reference (empty: the inbound is keyed by ProviderRef)
//	announcementNr                ProviderRef
//	statusCode/Description        Status (inbound_statuses.tsv; unknown for a code no row knows),
//	                              ProviderStatus {code, description} as sent
//	(no time field)               AsOf = ReceivedAt
func (mp *mapper) announcementStatus(a *AnnouncementStatus) model.Changes {
	m := LookupInboundStatus(a.StatusCode, a.StatusDescription)
	mp.noteStatus(m)
	return model.Changes{Inbound: []model.InboundUpdate{{
		AsOf:           mp.received,
		Reference:      mp.key("reference", a.Reference),
		ProviderRef:    strconv.FormatInt(a.AnnouncementNr, 10),
		Status:         model.InboundStatus(m.Status),
		ProviderStatus: &model.ProviderStatus{Code: a.StatusCode, Description: a.StatusDescription},
		// The message carries no time: its code's place in the lifecycle
		// keeps a late retry from moving the goods back.
		StatusRank: OrderStatusRank(m),
	}}}
}

// rma (Topic RMA): one ReturnUpdate, keyed by the order's reference (WICS
// gives an RMA no number of its own).
//
//	orderReference             Reference (the return applier links the order by it)
//	lines[i]                   Lines[i]: lineNumber LineNumber, itemCode SKU, quantity Quantity
//	lines[i].questions[j]      Lines[i].Answers[j]: question Question, answer Answer
//	(no time field)            AsOf = ReceivedAt
//	Status                     received: the warehouse reports an RMA once it has the goods
//	                           and has answered their questions ("Is het artikel
//	                           beschadigd?", is the item damaged), which needs the item in hand
//
// The lines are sorted by line number, and the answers by question number,
// so that the same return told in another order is the same statement.
func (mp *mapper) rma(r *RMA) model.Changes {
	u := model.ReturnUpdate{AsOf: mp.received, Reference: mp.key("orderReference", r.OrderReference), Status: model.ReturnReceived, Lines: []model.ReturnLine{}}
	for i, l := range r.Lines {
		mp.key(fmt.Sprintf("lines[%d].itemCode", i), l.ItemCode)
	}
	lines := append([]RMALine(nil), r.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].LineNumber < lines[j].LineNumber })
	for _, l := range lines {
		qs := append([]RMAQuestion(nil), l.Questions...)
		sort.SliceStable(qs, func(i, j int) bool { return qs[i].QuestionNumber < qs[j].QuestionNumber })
		rl := model.ReturnLine{LineNumber: int(l.LineNumber), SKU: l.ItemCode, Quantity: float64(l.Quantity)}
		for _, q := range qs {
			rl.Answers = append(rl.Answers, model.ReturnAnswer{Question: q.Question, Answer: q.Answer})
		}
		u.Lines = append(u.Lines, rl)
	}
	return model.Changes{Returns: []model.ReturnUpdate{u}}
}

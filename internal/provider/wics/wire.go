package wics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/provider"
)

// MetaFields are the key/value data a merchant's system stored with an
// entity at WICS and gets back in webhooks ("Metafields" in the document):
// shiphub puts its own ids there to link a shipment to its order. Each
// value is kept as compact JSON. Nil means none (the examples send "").
type MetaFields map[string]json.RawMessage

// Message is a decoded webhook body of any topic.
type Message interface {
	// Topic is the topic the message was decoded as.
	Topic() Topic
}

// Shipment is the body of Topic Shipment: a parcel has left the warehouse.
type Shipment struct {
	MetaFields MetaFields `json:"metaFields"`
	// ShipmentNr is WICS's number of the shipment.
	ShipmentNr int64 `json:"shipmentNr" wics:"required"`
	// ColloID is the parcel's id; the order's shipment list has it, the
	// webhook example does not.
	ColloID string `json:"colloId"`
	// OrderReference is the merchant's order reference (the order's
	// "reference"): the link to the order.
	OrderReference      string         `json:"orderReference" wics:"required"`
	AdditionalReference string         `json:"additionalReference"`
	DeliveryDate        Time           `json:"deliveryDate"`
	ShipperCode         string         `json:"shipperCode"`
	ShipperName         string         `json:"shipperName"`
	TrackAndTrace       string         `json:"trackAndTrace"`
	TrackAndTraceURL    string         `json:"trackAndTraceUrl"`
	HasSerialNumbers    bool           `json:"hasSerialNumbers"`
	ShippingLines       []ShipmentLine `json:"shippingLines"`
}

// ShipmentLine is one order line in a shipment.
type ShipmentLine struct {
	MetaFields MetaFields `json:"metaFields"`
	// OrderLine is the order's lineNumber.
	OrderLine int64 `json:"orderLine"`
	// OrderLineExternal is the merchant's own line number; null in the example.
	OrderLineExternal *int64 `json:"orderLineExternal"`
	ItemCode          string `json:"itemCode" wics:"required"`
	ItemDescription   string `json:"itemDescription"`
	QuantityOrdered   int64  `json:"quantityOrdered"`
	QuantityDelivered int64  `json:"quantityDelivered" wics:"required"`
	Unit              string `json:"unit"`
	HasSerialNumbers  bool   `json:"hasSerialNumbers"`
	BestBeforeDate    Time   `json:"bestBeforeDate" wics:"date"`
	LotNumber         string `json:"lotNumber"`
	EANSSCC           string `json:"EANSSCC"`
}

// Receipt is the body of Topic Receipt: goods received against an
// announcement (its reference).
type Receipt struct {
	MetaFields MetaFields `json:"metaFields"`
	// Number is WICS's number of the receipt.
	Number string `json:"number" wics:"required"`
	// Reference is the announcement's reference.
	Reference   string `json:"reference"`
	ReceiptDate Time   `json:"receiptDate"`
	Remarks     string `json:"remarks"`
	// Warehouse is the webhook's name of the field; the receipt endpoints
	// and public clients also use WarehouseCode.
	Warehouse              string        `json:"warehouse"`
	WarehouseCode          string        `json:"warehouseCode"`
	StockStatusCode        string        `json:"stockStatusCode" wics:"code"`
	StockStatusDescription string        `json:"stockStatusDescription"`
	TypeCode               string        `json:"typeCode" wics:"code"`
	TypeDescription        string        `json:"typeDescription"`
	StatusCode             string        `json:"statusCode" wics:"code"`
	StatusDescription      string        `json:"statusDescription"`
	HasSerialNumbers       bool          `json:"hasSerialNumbers"`
	CustomerNumber         int64         `json:"customerNumber"`
	Lines                  []ReceiptLine `json:"lines"`
}

// ReceiptLine is one received item.
type ReceiptLine struct {
	MetaFields MetaFields `json:"metaFields"`
	// LineNumber is the announcement's line; null in the example.
	LineNumber             *int64 `json:"lineNumber"`
	ItemCode               string `json:"itemCode" wics:"required"`
	ItemDescription        string `json:"itemDescription"`
	QuantityExpected       int64  `json:"quantityExpected"`
	QuantityReceived       int64  `json:"quantityReceived" wics:"required"`
	Unit                   string `json:"unit"`
	StatusCode             string `json:"statusCode" wics:"code"`
	StatusDescription      string `json:"statusDescription"`
	HasSerialNumbers       bool   `json:"hasSerialNumbers"`
	BestBeforeDate         Time   `json:"bestBeforeDate" wics:"date"`
	LotNumber              string `json:"lotNumber"`
	EANSSCC                string `json:"EANSSCC"`
	StockStatusCode        string `json:"stockStatusCode" wics:"code"`
	StockStatusDescription string `json:"stockStatusDescription"`
	WarehouseCode          string `json:"warehouseCode"`
}

// Stock is the body of Topic Stock: an item's stock levels.
type Stock struct {
	ItemCode        string `json:"itemCode" wics:"required"`
	ItemDescription string `json:"itemDescription"`
	// StockKeeping is null in the example; its type is not documented, so
	// it is kept as text.
	StockKeeping string `json:"stockKeeping"`
	Physical     int64  `json:"physical" wics:"required"`
	// NettoSalable is what can be sold: canonical "available".
	NettoSalable int64 `json:"nettoSalable" wics:"required"`
	// Announced is the quantity expected in; nil when the message does not
	// say (the stock endpoints' field table leaves it out), which is not 0.
	Announced      *int64 `json:"announced"`
	CustomerNumber int64  `json:"customerNumber"`
	// Warehouses splits the levels per warehouse, as the stock endpoints
	// do; the webhook example has none.
	Warehouses []StockWarehouse `json:"warehouses"`
}

// StockWarehouse is one warehouse's stock levels of an item.
type StockWarehouse struct {
	WarehouseCode string `json:"warehouseCode" wics:"required"`
	Physical      int64  `json:"physical" wics:"required"`
	NettoSalable  int64  `json:"nettoSalable" wics:"required"`
	Announced     int64  `json:"announced"`
}

// StockMutation is the body of Topic StockMutation: one change of stock.
type StockMutation struct {
	EANSSCC          string `json:"EANSSCC"`
	BestBeforeDate   Time   `json:"bestBeforeDate" wics:"date"`
	CustomerNumber   int64  `json:"customerNumber"`
	HasSerialNumbers bool   `json:"hasSerialNumbers"`
	ItemCode         string `json:"itemCode" wics:"required"`
	Location         string `json:"location"`
	LotNumber        string `json:"lotNumber"`
	// Quantity is signed: -1 is one taken out.
	Quantity              int64  `json:"quantity" wics:"required"`
	ReasonCode            int64  `json:"reasonCode"`
	ReasonCodeDescription string `json:"reasonCodeDescription"`
	// RegistrationDate is when the mutation happened.
	RegistrationDate Time   `json:"registrationDate" wics:"required"`
	StockKeepingUnit string `json:"stockKeepingUnit"`
	StockStatus      int64  `json:"stockStatus"`
	TypeMove         int64  `json:"typeMove"`
	WarehouseCode    string `json:"warehouseCode"`
}

// AnnouncementStatus is the body of Topic Announcement status: an inbound
// announcement changed status.
type AnnouncementStatus struct {
	AnnouncementNr       int64  `json:"announcementNr" wics:"required"`
	Reference            string `json:"reference"`
	StatusCode           string `json:"statusCode" wics:"required,code"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode" wics:"code"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// OrderStatus is the body of Topic Order status: an order changed status.
type OrderStatus struct {
	// OrderNr is WICS's number of the order.
	OrderNr int64 `json:"orderNr" wics:"required"`
	// OrderReference is the merchant's reference of the order.
	OrderReference       string `json:"orderReference" wics:"required"`
	StatusCode           string `json:"statusCode" wics:"required,code"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode" wics:"code"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// OrderLineStatus is the body of Topic OrderLineStatus: order lines changed
// status. The document's example lists line 1 twice.
type OrderLineStatus struct {
	OrderNr        int64        `json:"orderNr" wics:"required"`
	OrderReference string       `json:"orderReference" wics:"required"`
	Lines          []LineStatus `json:"lines"`
}

// PickslipLineStatus is the body of Topic PickslipLineStatus: lines of the
// order's pickslip changed status.
type PickslipLineStatus struct {
	OrderNr        int64        `json:"orderNr" wics:"required"`
	OrderReference string       `json:"orderReference" wics:"required"`
	Lines          []LineStatus `json:"lines"`
}

// LineStatus is one line's status change in OrderLineStatus and
// PickslipLineStatus.
type LineStatus struct {
	LineNumber           int64  `json:"lineNumber" wics:"required"`
	StatusCode           string `json:"statusCode" wics:"required,code"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode" wics:"code"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// RMA is the body of Topic RMA: a return of an order, with the answers to
// the return questions.
type RMA struct {
	OrderReference string    `json:"orderReference" wics:"required"`
	Lines          []RMALine `json:"lines"`
}

// RMALine is one returned item.
type RMALine struct {
	LineNumber      int64         `json:"lineNumber"`
	ItemCode        string        `json:"itemCode" wics:"required"`
	ItemDescription string        `json:"itemDescription"`
	Quantity        int64         `json:"quantity" wics:"required"`
	Questions       []RMAQuestion `json:"questions"`
}

// RMAQuestion is a return question and the customer's answer.
type RMAQuestion struct {
	QuestionNumber int64  `json:"questionNumber"`
	Question       string `json:"question"`
	AnswerNumber   int64  `json:"answerNumber"`
	Answer         string `json:"answer"`
}

// Topic implementations: each wire type is the body of one topic.
func (*Shipment) Topic() Topic           { return TopicShipment }
func (*Receipt) Topic() Topic            { return TopicReceipt }
func (*Stock) Topic() Topic              { return TopicStock }
func (*StockMutation) Topic() Topic      { return TopicStockMutation }
func (*AnnouncementStatus) Topic() Topic { return TopicAnnouncementStatus }
func (*OrderStatus) Topic() Topic        { return TopicOrderStatus }
func (*OrderLineStatus) Topic() Topic    { return TopicOrderLineStatus }
func (*PickslipLineStatus) Topic() Topic { return TopicPickslipLineStatus }
func (*RMA) Topic() Topic                { return TopicRMA }

var (
	_ Message = (*Shipment)(nil)
	_ Message = (*Receipt)(nil)
	_ Message = (*Stock)(nil)
	_ Message = (*StockMutation)(nil)
	_ Message = (*AnnouncementStatus)(nil)
	_ Message = (*OrderStatus)(nil)
	_ Message = (*OrderLineStatus)(nil)
	_ Message = (*PickslipLineStatus)(nil)
	_ Message = (*RMA)(nil)
)

// Decoder decodes webhook bodies for one connection. The zero Decoder reads
// offset-less date-times in Europe/Amsterdam.
type Decoder struct {
	// Location is the connection's zone (Settings.Timezone), in which a
	// date-time without a UTC offset is read; nil means Europe/Amsterdam.
	Location *time.Location
	// Strict refuses every tolerance (see the package doc): the decoder
	// then accepts only what the document describes, exactly.
	Strict bool
}

// defaultLocation is DefaultTimezone, loaded once.
var defaultLocation = func() *time.Location {
	loc, err := provider.LoadLocation(DefaultTimezone)
	if err != nil {
		panic("wics: " + err.Error())
	}
	return loc
}()

// NewDecoder returns a decoder that reads offset-less date-times in loc.
func NewDecoder(loc *time.Location) *Decoder { return &Decoder{Location: loc} }

// Decode decodes body as a message of topic t; an unknown topic is
// ErrUnknownTopic. Errors in the body wrap provider.ErrBadInput (as a
// *FieldError that names the field). Tolerated lists what was read
// liberally; it is nil for a message exactly as documented.
func (d *Decoder) Decode(t Topic, body []byte) (Message, Tolerated, error) {
	var m Message
	switch t {
	case TopicShipment:
		m = new(Shipment)
	case TopicReceipt:
		m = new(Receipt)
	case TopicStock:
		m = new(Stock)
	case TopicStockMutation:
		m = new(StockMutation)
	case TopicAnnouncementStatus:
		m = new(AnnouncementStatus)
	case TopicOrderStatus:
		m = new(OrderStatus)
	case TopicOrderLineStatus:
		m = new(OrderLineStatus)
	case TopicPickslipLineStatus:
		m = new(PickslipLineStatus)
	case TopicRMA:
		m = new(RMA)
	default:
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownTopic, clip(string(t)))
	}
	tol, err := d.decodeInto(body, m)
	if err != nil {
		return nil, nil, err
	}
	return m, tol, nil
}

// DecodeShipment decodes a body of Topic Shipment.
func (d *Decoder) DecodeShipment(body []byte) (*Shipment, Tolerated, error) {
	return decodeAs[Shipment](d, body)
}

// DecodeReceipt decodes a body of Topic Receipt.
func (d *Decoder) DecodeReceipt(body []byte) (*Receipt, Tolerated, error) {
	return decodeAs[Receipt](d, body)
}

// DecodeStock decodes a body of Topic Stock.
func (d *Decoder) DecodeStock(body []byte) (*Stock, Tolerated, error) {
	return decodeAs[Stock](d, body)
}

// DecodeStockMutation decodes a body of Topic StockMutation.
func (d *Decoder) DecodeStockMutation(body []byte) (*StockMutation, Tolerated, error) {
	return decodeAs[StockMutation](d, body)
}

// DecodeAnnouncementStatus decodes a body of Topic Announcement status.
func (d *Decoder) DecodeAnnouncementStatus(body []byte) (*AnnouncementStatus, Tolerated, error) {
	return decodeAs[AnnouncementStatus](d, body)
}

// DecodeOrderStatus decodes a body of Topic Order status.
func (d *Decoder) DecodeOrderStatus(body []byte) (*OrderStatus, Tolerated, error) {
	return decodeAs[OrderStatus](d, body)
}

// DecodeOrderLineStatus decodes a body of Topic OrderLineStatus.
func (d *Decoder) DecodeOrderLineStatus(body []byte) (*OrderLineStatus, Tolerated, error) {
	return decodeAs[OrderLineStatus](d, body)
}

// DecodePickslipLineStatus decodes a body of Topic PickslipLineStatus.
func (d *Decoder) DecodePickslipLineStatus(body []byte) (*PickslipLineStatus, Tolerated, error) {
	return decodeAs[PickslipLineStatus](d, body)
}

// DecodeRMA decodes a body of Topic RMA.
func (d *Decoder) DecodeRMA(body []byte) (*RMA, Tolerated, error) {
	return decodeAs[RMA](d, body)
}

func decodeAs[T any](d *Decoder, body []byte) (*T, Tolerated, error) {
	v := new(T)
	tol, err := d.decodeInto(body, v)
	if err != nil {
		return nil, nil, err
	}
	return v, tol, nil
}

// decodeInto runs the whole decoding of body into the wire struct v: UTF-8
// check, the tolerant pre-pass, the parser and the binder.
func (d *Decoder) decodeInto(body []byte, v any) (Tolerated, error) {
	if !utf8.Valid(body) {
		return nil, fieldError("", "the body is not valid UTF-8 (at offset %d)", invalidUTF8At(body))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fieldError("", "the body is empty")
	}
	b := &binder{loc: d.Location, strict: d.Strict}
	if b.loc == nil {
		b.loc = defaultLocation
	}
	clean, tol, removed := tolerantJSON(body)
	for _, t := range tol {
		if err := b.tolerate("", t); err != nil {
			return nil, err
		}
	}
	tree, err := parseTree(clean)
	if err != nil {
		var se *syntaxError
		var dup *duplicateKeyError
		switch {
		case errors.As(err, &se):
			return nil, fieldError("", "invalid JSON: %s at offset %d", se.msg, originalOffset(se.off, removed))
		case errors.As(err, &dup):
			return nil, fieldError(dup.path, "given twice")
		}
		return nil, fieldError("", "invalid JSON: %v", err)
	}
	if err := b.bindStruct("", tree, reflect.ValueOf(v).Elem()); err != nil {
		return nil, err
	}
	return b.tolerated(), nil
}

// invalidUTF8At is the offset of the first byte that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// Decode decodes body as a message of topic t with the zero Decoder:
// date-times without a UTC offset are read in Europe/Amsterdam. A connector
// uses a Decoder with its connection's zone instead.
func Decode(t Topic, body []byte) (Message, Tolerated, error) {
	var d Decoder
	return d.Decode(t, body)
}

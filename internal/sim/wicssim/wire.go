package wicssim

// The payloads of the nine webhook topics, with the keys in the order and
// with the types of the document's examples (chapter "Topic's"): numbers
// where the example has a number ("shipmentNr": 9313), strings where it has a
// string ("number": "1175", "statusCode": "00"), pointers where the example
// shows null. The simulator writes these itself; nothing here is shared with
// a connector.

// Shipment is the body of the shipment topic: one parcel of an order.
type Shipment struct {
	// MetaFields is "" in the document's example and a JSON object when the
	// order was created with metafields (chapter "Metafields").
	MetaFields       any            `json:"metaFields"`
	ShipmentNr       int            `json:"shipmentNr"`
	OrderReference   string         `json:"orderReference"`
	DeliveryDate     string         `json:"deliveryDate"`
	ShipperCode      string         `json:"shipperCode"`
	ShipperName      string         `json:"shipperName"`
	TrackAndTrace    string         `json:"trackAndTrace"`
	TrackAndTraceURL string         `json:"trackAndTraceUrl"`
	HasSerialNumbers bool           `json:"hasSerialNumbers"`
	ShippingLines    []ShippingLine `json:"shippingLines"`
}

// ShippingLine is one order line in a shipment.
type ShippingLine struct {
	MetaFields        any     `json:"metaFields"`
	OrderLine         int     `json:"orderLine"`
	OrderLineExternal *string `json:"orderLineExternal"`
	ItemCode          string  `json:"itemCode"`
	ItemDescription   string  `json:"itemDescription"`
	QuantityOrdered   int     `json:"quantityOrdered"`
	QuantityDelivered int     `json:"quantityDelivered"`
	Unit              string  `json:"unit"`
	HasSerialNumbers  bool    `json:"hasSerialNumbers"`
	BestBeforeDate    *string `json:"bestBeforeDate"`
	LotNumber         string  `json:"lotNumber"`
	EANSSCC           string  `json:"EANSSCC"`
}

// Receipt is the body of the receipt topic: goods received against an
// announcement, whose reference it carries.
type Receipt struct {
	MetaFields             any           `json:"metaFields"`
	Number                 string        `json:"number"`
	Reference              string        `json:"reference"`
	ReceiptDate            string        `json:"receiptDate"`
	Remarks                string        `json:"remarks"`
	Warehouse              *string       `json:"warehouse"`
	StockStatusCode        *string       `json:"stockStatusCode"`
	StockStatusDescription *string       `json:"stockStatusDescription"`
	StatusCode             *string       `json:"statusCode"`
	StatusDescription      *string       `json:"statusDescription"`
	HasSerialNumbers       bool          `json:"hasSerialNumbers"`
	CustomerNumber         int           `json:"customerNumber"`
	Lines                  []ReceiptLine `json:"lines"`
}

// ReceiptLine is one item of a receipt.
type ReceiptLine struct {
	MetaFields             any     `json:"metaFields"`
	LineNumber             *int    `json:"lineNumber"`
	ItemCode               string  `json:"itemCode"`
	ItemDescription        *string `json:"itemDescription"`
	QuantityExpected       int     `json:"quantityExpected"`
	QuantityReceived       int     `json:"quantityReceived"`
	Unit                   string  `json:"unit"`
	StatusCode             *string `json:"statusCode"`
	StatusDescription      *string `json:"statusDescription"`
	HasSerialNumbers       bool    `json:"hasSerialNumbers"`
	BestBeforeDate         *string `json:"bestBeforeDate"`
	LotNumber              string  `json:"lotNumber"`
	EANSSCC                string  `json:"EANSSCC"`
	StockStatusCode        string  `json:"stockStatusCode"`
	StockStatusDescription string  `json:"stockStatusDescription"`
}

// Stock is the body of the stock topic: the whole stock level of one item.
type Stock struct {
	ItemCode        string  `json:"itemCode"`
	ItemDescription string  `json:"itemDescription"`
	StockKeeping    *string `json:"stockKeeping"`
	Physical        int     `json:"physical"`
	NettoSalable    int     `json:"nettoSalable"`
	Announced       int     `json:"announced"`
	CustomerNumber  int     `json:"customerNumber"`
}

// StockMutation is the body of the stockMutation topic: one signed change
// of the physical stock of an item at a location. Its keys are in the
// example's alphabetical order.
type StockMutation struct {
	EANSSCC               string  `json:"EANSSCC"`
	BestBeforeDate        *string `json:"bestBeforeDate"`
	CustomerNumber        int     `json:"customerNumber"`
	HasSerialNumbers      bool    `json:"hasSerialNumbers"`
	ItemCode              string  `json:"itemCode"`
	Location              string  `json:"location"`
	LotNumber             string  `json:"lotNumber"`
	Quantity              int     `json:"quantity"`
	ReasonCode            int     `json:"reasonCode"`
	ReasonCodeDescription string  `json:"reasonCodeDescription"`
	RegistrationDate      string  `json:"registrationDate"`
	StockKeepingUnit      string  `json:"stockKeepingUnit"`
	StockStatus           int     `json:"stockStatus"`
	TypeMove              int     `json:"typeMove"`
	WarehouseCode         string  `json:"warehouseCode"`
}

// AnnouncementStatus is the body of the announcementStatus topic: a status
// change of an announcement (expected inbound goods).
type AnnouncementStatus struct {
	AnnouncementNr       int    `json:"announcementNr"`
	Reference            string `json:"reference"`
	StatusCode           string `json:"statusCode"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// OrderStatus is the body of the orderStatus topic: a status change of an
// order header.
type OrderStatus struct {
	OrderNr              int    `json:"orderNr"`
	OrderReference       string `json:"orderReference"`
	StatusCode           string `json:"statusCode"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// LineStatuses is the body of both the orderLineStatus and the
// pickslipLineStatus topic, which have the same shape.
type LineStatuses struct {
	OrderNr        int          `json:"orderNr"`
	OrderReference string       `json:"orderReference"`
	Lines          []LineStatus `json:"lines"`
}

// LineStatus is the status change of one order or pickslip line.
type LineStatus struct {
	LineNumber           int    `json:"lineNumber"`
	StatusCode           string `json:"statusCode"`
	StatusDescription    string `json:"statusDescription"`
	OldStatusCode        string `json:"oldStatusCode"`
	OldStatusDescription string `json:"oldStatusDescription"`
}

// RMA is the body of the RMA topic: a return announced against an order.
type RMA struct {
	OrderReference string    `json:"orderReference"`
	Lines          []RMALine `json:"lines"`
}

// RMALine is one returned order line with the customer's answers.
type RMALine struct {
	LineNumber      int           `json:"lineNumber"`
	ItemCode        string        `json:"itemCode"`
	ItemDescription string        `json:"itemDescription"`
	Quantity        int           `json:"quantity"`
	Questions       []RMAQuestion `json:"questions"`
}

// RMAQuestion is one question of the return form and the answer given.
type RMAQuestion struct {
	QuestionNumber int    `json:"questionNumber"`
	Question       string `json:"question"`
	AnswerNumber   int    `json:"answerNumber"`
	Answer         string `json:"answer"`
}

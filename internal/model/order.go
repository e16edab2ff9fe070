package model

import "time"

// OrderStatus is the canonical status of an order (DESIGN.md).
type OrderStatus string

// Order statuses.
const (
	// OrderPending: held by shiphub, not yet by the provider.
	OrderPending          OrderStatus = "pending"
	OrderAccepted         OrderStatus = "accepted"
	OrderOnHold           OrderStatus = "on_hold"
	OrderProcessing       OrderStatus = "processing"
	OrderPartiallyShipped OrderStatus = "partially_shipped"
	OrderShipped          OrderStatus = "shipped"
	OrderCancelled        OrderStatus = "cancelled"
	// OrderRejected: the provider refused the command (see LastCommand).
	OrderRejected OrderStatus = "rejected"
	// OrderUnknown: a provider code no table maps; the raw code is kept.
	OrderUnknown OrderStatus = "unknown"
)

// OrderStatuses lists every order status, for validation and API filters.
var OrderStatuses = []OrderStatus{OrderPending, OrderAccepted, OrderOnHold, OrderProcessing,
	OrderPartiallyShipped, OrderShipped, OrderCancelled, OrderRejected, OrderUnknown}

// Order is a merchant's order as the fulfilment provider handles it.
type Order struct {
	Resource
	// Reference is the merchant's order number, unique per connection.
	Reference       string          `json:"reference" doc:"The merchant's order number, unique per connection."`
	Status          OrderStatus     `json:"status" enum:"pending,accepted,on_hold,processing,partially_shipped,shipped,cancelled,rejected,unknown" doc:"The canonical status: the newest the provider stated."`
	ProviderStatus  *ProviderStatus `json:"provider_status,omitempty" doc:"The provider's own status code and description, verbatim, that go with the status."`
	Lines           []OrderLine     `json:"lines" doc:"The order lines, by line number."`
	DeliveryAddress *Address        `json:"delivery_address,omitempty"`
	InvoiceAddress  *Address        `json:"invoice_address,omitempty"`
	ShippingMethod  string          `json:"shipping_method,omitempty"`
	Note            string          `json:"note,omitempty"`
	// ShipmentIDs are the shipments linked to the order (by their
	// OrderReference, or by metaFields that carry shiphub's ids).
	ShipmentIDs []int64 `json:"shipment_ids" doc:"The shipments linked to the order by their order reference: those of its connection, or of a connection without an order of that reference."`
	// LastCommand is the latest command shiphub sent about the order.
	LastCommand *CommandRef `json:"last_command,omitempty"`
	// StatusRanks records, by field name ("status", "lines.3.status"), the
	// StatusRank of the statement that set the field, when it had one, so
	// that a provider's own order of its statuses holds across messages
	// and rebuilds. Stored with FactTimes, not part of the API.
	StatusRanks map[string]int `json:"-"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	LineNumber      int             `json:"line_number"`
	SKU             string          `json:"sku"`
	Description     string          `json:"description,omitempty"`
	Quantity        float64         `json:"quantity"`
	QuantityShipped float64         `json:"quantity_shipped"`
	Status          OrderStatus     `json:"status,omitempty" enum:"pending,accepted,on_hold,processing,partially_shipped,shipped,cancelled,rejected,unknown" doc:"The line's canonical status, when the provider states one."`
	ProviderStatus  *ProviderStatus `json:"provider_status,omitempty"`
}

// CommandRef is the short form of a command on the resource it concerns.
type CommandRef struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// OrderUpdate is what a message states about one order. Empty fields mean
// "not stated" and leave what the hub knows alone; every stated field is
// versioned by AsOf.
type OrderUpdate struct {
	// AsOf is the provider's time of the statement.
	AsOf time.Time `json:"AsOf,omitzero"`
	// Reference is the merchant's order number: the order's key within the
	// connection. ProviderRef is the provider's own number, when stated.
	Reference      string
	ProviderRef    string          `json:",omitempty"`
	Status         OrderStatus     `json:",omitempty"`
	ProviderStatus *ProviderStatus `json:",omitempty"`
	// StatusRank is the provider's own order of its statuses, for
	// providers whose status messages carry no time (their AsOf is the
	// hub's arrival, and a retried old message arrives after a newer one):
	// a status statement with a lower rank never replaces one of a higher
	// rank, whatever their AsOf, and a higher rank replaces a lower one.
	// Between equal ranks, or when either statement has none (0), AsOf
	// decides, as for every other field. It goes with Status and
	// ProviderStatus and means nothing without one of them.
	StatusRank int `json:",omitempty"`
	// Lines states lines by LineNumber; a line not named is left alone.
	Lines           []OrderLineUpdate `json:",omitempty"`
	DeliveryAddress *Address          `json:",omitempty"`
	InvoiceAddress  *Address          `json:",omitempty"`
	ShippingMethod  string            `json:",omitempty"`
	Note            string            `json:",omitempty"`
}

// OrderLineUpdate is what a message states about one order line, keyed by
// its LineNumber. Nil or empty fields are not stated.
type OrderLineUpdate struct {
	LineNumber      int
	SKU             string          `json:",omitempty"`
	Description     string          `json:",omitempty"`
	Quantity        *float64        `json:",omitempty"`
	QuantityShipped *float64        `json:",omitempty"`
	Status          OrderStatus     `json:",omitempty"`
	ProviderStatus  *ProviderStatus `json:",omitempty"`
	// StatusRank orders the line's status statements as
	// OrderUpdate.StatusRank orders the order's.
	StatusRank int `json:",omitempty"`
}

package model

import (
	"encoding/json"
	"time"
)

// CommandKind names what a command asks of a provider (DESIGN.md,
// "Fulfilment contract": resource command).
type CommandKind string

// Command kinds. The subject of each is the resource named before the dot.
const (
	CommandOrderCreate    CommandKind = "order.create"
	CommandOrderCancel    CommandKind = "order.cancel"
	CommandProductUpsert  CommandKind = "product.upsert"
	CommandInboundCreate  CommandKind = "inbound.create"
	CommandInboundCancel  CommandKind = "inbound.cancel"
	CommandReturnCreate   CommandKind = "return.create"
	CommandOrderRelease   CommandKind = "order.release"
	CommandInboundUpdate  CommandKind = "inbound.update"
	CommandProductGet     CommandKind = "product.get"
	CommandReturnGetLabel CommandKind = "return.label"
)

// CommandStatus is where a command stands.
type CommandStatus string

// Command statuses (DESIGN.md).
const (
	// CommandQueued: committed, waiting for the worker (or for its next attempt
	// after a retry by the API).
	CommandQueued CommandStatus = "queued"
	// CommandRunning: a worker is sending it now.
	CommandRunning CommandStatus = "running"
	// CommandSucceeded: the provider accepted it; its answer went to the inbox.
	CommandSucceeded CommandStatus = "succeeded"
	// CommandFailed: the last attempt failed and another is scheduled
	// (NextAttemptAt).
	CommandFailed CommandStatus = "failed"
	// CommandDead: given up, after the retry schedule or because the
	// provider refused it for good; POST /commands/{id}/retry queues it again.
	CommandDead CommandStatus = "dead"
)

// CommandStatuses lists every command status, for validation and filters.
var CommandStatuses = []CommandStatus{CommandQueued, CommandRunning, CommandSucceeded, CommandFailed, CommandDead}

// Command is a request shiphub makes of a provider on a merchant's behalf.
// It is committed in the same transaction as the resource it concerns and
// carried out by the command worker, within the connection's rate budget.
type Command struct {
	ID         int64       `json:"id"`
	Workspace  string      `json:"workspace"`
	Connection string      `json:"connection"`
	Provider   string      `json:"provider"`
	Kind       CommandKind `json:"kind" doc:"What the command asks of the provider, such as order.create or order.cancel."`
	// SubjectID is the id of the resource the command concerns: an order
	// for order.*, a product for product.*, inbound goods for inbound.*, a
	// return for return.*.
	SubjectID int64         `json:"subject_id" doc:"The id of the resource the command concerns (an order for order.*, a product for product.*, inbound goods for inbound.*, a return for return.*)."`
	Status    CommandStatus `json:"status" enum:"queued,running,succeeded,failed,dead"`
	Attempts  int           `json:"attempts" doc:"How many times the worker sent it."`
	LastError string        `json:"last_error,omitempty" doc:"Why the last attempt failed, in the provider's words where it gave them."`
	// NextAttemptAt is when a failed command is tried again.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// Payload is the canonical request the command carries out (an
	// OrderRequest for order.create, a ProductRequest for product.upsert,
	// an InboundRequest for inbound.create, nothing for the cancels): the
	// merchant's own words, validated, from which the connector builds the
	// provider's request on every attempt.
	Payload   json.RawMessage `json:"payload,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Ref is the command's short form, as it stands on its subject
// (Order.LastCommand).
func (c *Command) Ref() *CommandRef {
	return &CommandRef{ID: c.ID, Status: string(c.Status), Error: c.LastError}
}

// OrderRequest is a merchant's order as POST /orders states it: the payload
// of an order.create command.
type OrderRequest struct {
	Reference       string             `json:"reference" minLength:"1" maxLength:"100" doc:"The merchant's order number, unique per connection."`
	Lines           []OrderRequestLine `json:"lines" minItems:"1" doc:"The lines to ship."`
	DeliveryAddress Address            `json:"delivery_address"`
	InvoiceAddress  *Address           `json:"invoice_address,omitempty" doc:"Defaults to the delivery address."`
	ShippingMethod  string             `json:"shipping_method,omitempty" doc:"The provider's shipping method code."`
	// DeliveryDate is the day the goods should arrive (or leave, as the
	// provider reads it), as YYYY-MM-DD.
	DeliveryDate string `json:"delivery_date,omitempty" doc:"The requested delivery date, YYYY-MM-DD."`
	Note         string `json:"note,omitempty"`
	// Fields the Active Ants connector reads (ignored by providers without them).
	OrderType     string `json:"order_type,omitempty" doc:"The provider's order type code (Active Ants)."`
	Language      string `json:"language,omitempty" doc:"The language code of the order's documents (Active Ants)."`
	OnHold        bool   `json:"on_hold,omitempty" doc:"Create the order on hold, to be released later (Active Ants)."`
	PickupPointID string `json:"pickup_point_id,omitempty" doc:"A pickup point to deliver to, by the carrier's id (Active Ants)."`
	// PickupPoint is the pickup point's name and address, which Active
	// Ants needs with its id ("Please ensure that the pickup point address
	// is valid and complete").
	PickupPoint *PickupPoint `json:"pickup_point,omitempty" doc:"The pickup point's name and address, with pickup_point_id (Active Ants)."`
	// PartialDelivery lets the provider ship what it has and the rest later.
	PartialDelivery bool   `json:"partial_delivery,omitempty" doc:"Ship what is in stock now and the rest later (Active Ants)."`
	Currency        string `json:"currency,omitempty" doc:"The order's currency, ISO 4217 (Active Ants; default EUR)."`
	VATNumber       string `json:"vat_number,omitempty" doc:"The customer's VAT number (Active Ants)."`
}

// PickupPoint is a carrier's pickup point (service point) an order is
// delivered to.
type PickupPoint struct {
	Name    string  `json:"name,omitempty" doc:"The pickup point's name, as printed on the label."`
	Address Address `json:"address" doc:"The pickup point's address."`
}

// OrderRequestLine is one line of an OrderRequest.
type OrderRequestLine struct {
	SKU         string  `json:"sku" minLength:"1"`
	Quantity    float64 `json:"quantity" exclusiveMinimum:"0"`
	Description string  `json:"description,omitempty"`
	// Price is the line's unit price including VAT, when the provider wants one.
	Price float64 `json:"price,omitempty"`
	// VAT is the line's VAT rate in percent, when the provider wants one.
	VAT float64 `json:"vat,omitempty" doc:"The line's VAT rate in percent (Active Ants)."`
}

// ProductRequest is a product as POST /products states it: the payload of a
// product.upsert command.
type ProductRequest struct {
	SKU        string            `json:"sku" minLength:"1" maxLength:"100"`
	Name       string            `json:"name" minLength:"1"`
	Barcodes   []string          `json:"barcodes,omitempty" doc:"EAN and other barcodes; the first is the main one."`
	Attributes map[string]string `json:"attributes,omitempty" doc:"Provider-specific fields by name (weight, dimensions…)."`
}

// InboundRequest is an announcement of goods (a purchase order) as POST
// /inbound states it: the payload of an inbound.create command.
type InboundRequest struct {
	Reference  string               `json:"reference" minLength:"1" maxLength:"100"`
	ExpectedAt string               `json:"expected_at,omitempty" doc:"The expected day of arrival, YYYY-MM-DD."`
	Supplier   string               `json:"supplier,omitempty"`
	Note       string               `json:"note,omitempty"`
	Lines      []InboundRequestLine `json:"lines" minItems:"1"`
}

// InboundRequestLine is one line of an InboundRequest.
type InboundRequestLine struct {
	SKU      string  `json:"sku" minLength:"1"`
	Quantity float64 `json:"quantity" exclusiveMinimum:"0"`
}

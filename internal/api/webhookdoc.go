package api

import (
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
)

// The types below describe the body of a webhook delivery in the OpenAPI
// document's webhooks section. The hub never decodes them: the pipeline
// writes the data (internal/pipeline) and the deliver package wraps it
// (deliver.Body). They exist so that the document states exactly that
// shape, and a test validates real deliveries against it, which keeps the
// three in step.

// WebhookEnvelope is what every webhook body carries around its data: the
// Standard Webhooks shape (type, timestamp, data) with the event's id,
// workspace and subject. It differs from the feed's FeedEvent, whose id is
// the feed position and whose time is occurred_at.
type WebhookEnvelope struct {
	ID        string    `json:"id" pattern:"^evt_[0-9]+$" doc:"The event's id, evt_<feed position>; the same as the webhook-id header and the same on every attempt, so deduplicate by it." example:"evt_42"`
	Timestamp time.Time `json:"timestamp" doc:"When the event happened (RFC 3339, UTC)."`
	Workspace string    `json:"workspace" doc:"The workspace the event belongs to."`
	SubjectID int64     `json:"subject_id" doc:"The id of the resource the event is about: the shipment's id for shipment events, the order's for order events, the stock row's, the stock mutation's, the inbound goods' or the return's for theirs."`
}

// ShipmentCreatedWebhook is the body of a shipment.created delivery.
type ShipmentCreatedWebhook struct {
	WebhookEnvelope
	Type string              `json:"type" enum:"shipment.created" doc:"The event type."`
	Data ShipmentCreatedData `json:"data"`
}

// ShipmentCreatedData is the data of shipment.created.
type ShipmentCreatedData struct {
	Shipment model.Shipment `json:"shipment" doc:"The new shipment, without its events."`
}

// ShipmentEventAddedWebhook is the body of a shipment.event_added delivery.
type ShipmentEventAddedWebhook struct {
	WebhookEnvelope
	Type string                 `json:"type" enum:"shipment.event_added" doc:"The event type."`
	Data ShipmentEventAddedData `json:"data"`
}

// ShipmentEventAddedData is the data of shipment.event_added.
type ShipmentEventAddedData struct {
	ShipmentID int64          `json:"shipment_id" doc:"The shipment's id."`
	Event      model.Event    `json:"event" doc:"The tracking event that was added."`
	Shipment   model.Shipment `json:"shipment" doc:"The shipment after the event, without its events."`
}

// ShipmentStatusChangedWebhook is the body of a shipment.status_changed
// delivery.
type ShipmentStatusChangedWebhook struct {
	WebhookEnvelope
	Type string                    `json:"type" enum:"shipment.status_changed" doc:"The event type."`
	Data ShipmentStatusChangedData `json:"data"`
}

// ShipmentStatusChangedData is the data of shipment.status_changed.
type ShipmentStatusChangedData struct {
	ShipmentID     int64          `json:"shipment_id" doc:"The shipment's id."`
	PreviousStatus model.Status   `json:"previous_status" doc:"The status before; pending for a new shipment."`
	Status         model.Status   `json:"status" doc:"The new canonical status."`
	Substatus      string         `json:"substatus,omitempty" doc:"A finer reason for the status, such as customs, not_home or refused."`
	Shipment       model.Shipment `json:"shipment" doc:"The shipment after the change, without its events."`
}

// ShipmentEDDChangedWebhook is the body of a shipment.edd_changed delivery.
type ShipmentEDDChangedWebhook struct {
	WebhookEnvelope
	Type string                 `json:"type" enum:"shipment.edd_changed" doc:"The event type."`
	Data ShipmentEDDChangedData `json:"data"`
}

// ShipmentEDDChangedData is the data of shipment.edd_changed.
type ShipmentEDDChangedData struct {
	ShipmentID               int64          `json:"shipment_id" doc:"The shipment's id."`
	PreviousExpectedDelivery string         `json:"previous_expected_delivery,omitempty" doc:"The expected delivery before; absent when there was none."`
	ExpectedDelivery         string         `json:"expected_delivery" doc:"The new expected delivery date or window, as the provider states it."`
	Shipment                 model.Shipment `json:"shipment" doc:"The shipment after the change, without its events."`
}

// ShipmentStuckWebhook is the body of a shipment.stuck delivery.
type ShipmentStuckWebhook struct {
	WebhookEnvelope
	Type string            `json:"type" enum:"shipment.stuck" doc:"The event type."`
	Data ShipmentStuckData `json:"data"`
}

// ShipmentStuckData is the data of shipment.stuck (model.ShipmentStuck).
type ShipmentStuckData struct {
	ShipmentID int64          `json:"shipment_id" doc:"The shipment's id."`
	Status     model.Status   `json:"status" doc:"The canonical status the shipment is stuck in."`
	StuckSince time.Time      `json:"stuck_since" doc:"The shipment's last update (RFC 3339, UTC): nothing has been heard of it since."`
	Shipment   model.Shipment `json:"shipment" doc:"The shipment as it stands, without its events."`
}

// OrderCreatedWebhook is the body of an order.created delivery.
type OrderCreatedWebhook struct {
	WebhookEnvelope
	Type string           `json:"type" enum:"order.created" doc:"The event type."`
	Data OrderCreatedData `json:"data"`
}

// OrderCreatedData is the data of order.created (pipeline.OrderCreated).
type OrderCreatedData struct {
	Order model.Order `json:"order" doc:"The new order, with its lines and linked shipments."`
}

// OrderStatusChangedWebhook is the body of an order.status_changed
// delivery.
type OrderStatusChangedWebhook struct {
	WebhookEnvelope
	Type string                 `json:"type" enum:"order.status_changed" doc:"The event type."`
	Data OrderStatusChangedData `json:"data"`
}

// OrderStatusChangedData is the data of order.status_changed
// (pipeline.OrderStatusChanged).
type OrderStatusChangedData struct {
	OrderID        int64             `json:"order_id" doc:"The order's id."`
	PreviousStatus model.OrderStatus `json:"previous_status" enum:"pending,accepted,on_hold,processing,partially_shipped,shipped,cancelled,rejected,unknown" doc:"The status before."`
	Status         model.OrderStatus `json:"status" enum:"pending,accepted,on_hold,processing,partially_shipped,shipped,cancelled,rejected,unknown" doc:"The new canonical status."`
	Order          model.Order       `json:"order" doc:"The order after the change, with its lines and linked shipments."`
}

// StockChangedWebhook is the body of a stock.changed delivery: its data is
// the stock row as it stands.
type StockChangedWebhook struct {
	WebhookEnvelope
	Type string      `json:"type" enum:"stock.changed" doc:"The event type."`
	Data model.Stock `json:"data" doc:"The stock row after the change."`
}

// StockMutationAddedWebhook is the body of a stock.mutation_added
// delivery: its data is the new stock mutation.
type StockMutationAddedWebhook struct {
	WebhookEnvelope
	Type string              `json:"type" enum:"stock.mutation_added" doc:"The event type."`
	Data model.StockMutation `json:"data" doc:"The stock mutation the provider reported."`
}

// InboundStatusChangedWebhook is the body of an inbound.status_changed
// delivery: its data is the inbound goods as they stand.
type InboundStatusChangedWebhook struct {
	WebhookEnvelope
	Type string        `json:"type" enum:"inbound.status_changed" doc:"The event type."`
	Data model.Inbound `json:"data" doc:"The inbound goods after the change, with their lines and receipts."`
}

// InboundReceivedWebhook is the body of an inbound.received delivery: its
// data is the inbound goods with the new receipt.
type InboundReceivedWebhook struct {
	WebhookEnvelope
	Type string        `json:"type" enum:"inbound.received" doc:"The event type."`
	Data model.Inbound `json:"data" doc:"The inbound goods after the receipt, with their lines and receipts (the new one among them)."`
}

// ReturnCreatedWebhook is the body of a return.created delivery: its data
// is the new return.
type ReturnCreatedWebhook struct {
	WebhookEnvelope
	Type string       `json:"type" enum:"return.created" doc:"The event type."`
	Data model.Return `json:"data" doc:"The new return, with its lines and answers, linked to its order when the hub knows it."`
}

// ReturnStatusChangedWebhook is the body of a return.status_changed
// delivery: its data is the return as it stands.
type ReturnStatusChangedWebhook struct {
	WebhookEnvelope
	Type string       `json:"type" enum:"return.status_changed" doc:"The event type."`
	Data model.Return `json:"data" doc:"The return after the change."`
}

// CommandFailedWebhook is the body of a command.failed delivery: its data
// is the command as it stands after the failed attempt.
type CommandFailedWebhook struct {
	WebhookEnvelope
	Type string        `json:"type" enum:"command.failed" doc:"The event type."`
	Data model.Command `json:"data" doc:"The command after the failed attempt: status failed, with last_error and next_attempt_at."`
}

// CommandDeadWebhook is the body of a command.dead delivery: its data is
// the command the hub gave up on.
type CommandDeadWebhook struct {
	WebhookEnvelope
	Type string        `json:"type" enum:"command.dead" doc:"The event type."`
	Data model.Command `json:"data" doc:"The command given up on: status dead, with last_error in the provider's words where it gave them."`
}

// webhookPayload is one event type's entry in the webhooks section.
type webhookPayload struct {
	eventType   string
	body        reflect.Type
	summary     string
	description string
}

// webhookPayloads describes every type of model.EventTypes, in its order;
// a test checks that the two lists agree.
var webhookPayloads = []webhookPayload{
	{model.EventShipmentCreated, reflect.TypeFor[ShipmentCreatedWebhook](), "A shipment was created",
		"The hub saw a shipment for the first time."},
	{model.EventShipmentStatusChanged, reflect.TypeFor[ShipmentStatusChangedWebhook](), "A shipment's status changed",
		"The shipment's canonical status or substatus changed; a new shipment whose first status is not pending also has one."},
	{model.EventShipmentEventAdded, reflect.TypeFor[ShipmentEventAddedWebhook](), "A tracking event was added",
		"A provider reported a new tracking event of the shipment (one delivery per event)."},
	{model.EventShipmentEDDChanged, reflect.TypeFor[ShipmentEDDChangedWebhook](), "The expected delivery changed",
		"The carrier moved the shipment's expected delivery date."},
	{model.EventShipmentStuck, reflect.TypeFor[ShipmentStuckWebhook](), "A shipment is stuck",
		"The shipment has had no update for longer than its status allows (the hub's dashboard.stuck_after, per status: " +
			"by default 2 days out for delivery, 3 days after a failed attempt or an exception, 7 days available for pickup, 5 days otherwise). " +
			"One delivery per episode: the shipment's next update ends it, and it is stuck again only after another quiet stretch. " +
			"A shipment in a final status (delivered, returned, cancelled, expired) is never stuck."},
	{model.EventOrderCreated, reflect.TypeFor[OrderCreatedWebhook](), "An order was created",
		"The hub saw an order for the first time: created through the API or first reported by a provider."},
	{model.EventOrderStatusChanged, reflect.TypeFor[OrderStatusChangedWebhook](), "An order's status changed",
		"The order's canonical status changed. A late, older message never moves it back."},
	{model.EventStockChanged, reflect.TypeFor[StockChangedWebhook](), "A stock level changed",
		"A figure of a stock row (physical, available, announced) changed, or the row is new."},
	{model.EventStockMutationAdded, reflect.TypeFor[StockMutationAddedWebhook](), "A stock mutation was added",
		"The provider reported a new stock mutation (one delivery per mutation; a repeated report is not delivered again)."},
	{model.EventInboundStatusChanged, reflect.TypeFor[InboundStatusChangedWebhook](), "Inbound goods changed status",
		"The status of inbound goods (an announcement or purchase order) changed; new inbound goods also have one."},
	{model.EventInboundReceived, reflect.TypeFor[InboundReceivedWebhook](), "Inbound goods were received",
		"The provider reported a receipt new to the inbound goods (one delivery per receipt)."},
	{model.EventReturnCreated, reflect.TypeFor[ReturnCreatedWebhook](), "A return was created",
		"The hub saw a return (RMA) for the first time."},
	{model.EventReturnStatusChanged, reflect.TypeFor[ReturnStatusChangedWebhook](), "A return's status changed",
		"The return's canonical status changed. A late, older message never moves it back."},
	{model.EventCommandFailed, reflect.TypeFor[CommandFailedWebhook](), "A command failed and will be retried",
		"An attempt to carry out a command at its provider failed (the provider was unreachable, answered an error or asked to wait); " +
			"the hub tries again at next_attempt_at, within the provider's rate budget."},
	{model.EventCommandDead, reflect.TypeFor[CommandDeadWebhook](), "A command was given up",
		"The provider refused the command for good (an order.create's order is then rejected), or every attempt of the retry " +
			"schedule failed. POST /commands/{id}/retry queues it again."},
}

// webhookSignatureScheme is the security scheme of webhook deliveries.
const webhookSignatureScheme = "webhookSignature"

// webhookEventSchema is the name of the schema of any webhook body.
const webhookEventSchema = "WebhookEvent"

// describeWebhooks fills the document's webhooks section: for every event
// type, the POST the hub sends, with its Standard Webhooks headers and its
// body. It also adds WebhookEvent, any of the bodies by type, for clients
// that take every event at one URL.
func describeWebhooks(doc *huma.OpenAPI) {
	registry := doc.Components.Schemas
	statuses := make([]any, len(model.Statuses))
	for i, s := range model.Statuses {
		statuses[i] = string(s)
	}
	header := func(name, desc, example string) *huma.Param {
		return &huma.Param{Name: name, In: "header", Required: true, Description: desc, Example: example,
			Schema: &huma.Schema{Type: huma.TypeString}}
	}
	params := []*huma.Param{
		header("webhook-id", "The event's id, evt_<feed position>: the same on every attempt. Deduplicate by it.", "evt_42"),
		header("webhook-timestamp", "When this attempt was signed, in Unix seconds. Reject old timestamps to prevent replays.", "1767258000"),
		header("webhook-signature", "v1,<base64 HMAC-SHA256 of webhook-id.webhook-timestamp.body> with the endpoint's whsec_ secret "+
			"(Standard Webhooks); during a secret rotation two signatures, separated by a space.", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
	}
	responses := map[string]*huma.Response{
		"200": {Description: "Any 2xx answer acknowledges the delivery. Answer quickly and process later: a slow answer counts as a failure."},
		"410": {Description: "Gone: the hub disables the endpoint and delivers nothing more until it is recovered (POST /endpoints/{id}/recover)."},
		"default": {Description: "Any other answer, or none within the timeout, fails the attempt: the hub retries on its schedule, " +
			"and after the last attempt the delivery becomes a dead letter (GET /deliveries?status=failed)."},
	}

	// The receiver authenticates the hub by the signature; saying so as a
	// security scheme lets tools show it (the routes' bearer middleware
	// only looks at registered operations, which webhooks are not).
	doc.Components.SecuritySchemes[webhookSignatureScheme] = &huma.SecurityScheme{
		Type: "apiKey", In: "header", Name: "webhook-signature",
		Description: "Standard Webhooks: verify the HMAC-SHA256 signature of webhook-id.webhook-timestamp.body with the endpoint's " +
			"whsec_ secret (the official standardwebhooks libraries do it), and refuse the request when none matches.",
	}
	doc.Webhooks = map[string]*huma.PathItem{}
	oneOf := make([]*huma.Schema, 0, len(webhookPayloads))
	mapping := map[string]string{}
	for _, p := range webhookPayloads {
		ref := registry.Schema(p.body, true, "")
		oneOf = append(oneOf, &huma.Schema{Ref: ref.Ref})
		mapping[p.eventType] = ref.Ref
		doc.Webhooks[p.eventType] = &huma.PathItem{Post: &huma.Operation{
			OperationID: strings.NewReplacer(".", "-", "_", "-").Replace(p.eventType) + "-webhook",
			Summary:     p.summary,
			Description: p.description + " The hub POSTs this to every endpoint subscribed to " + p.eventType +
				" (or to a pattern matching it), signed with the endpoint's secret.",
			Tags:       []string{"Webhooks"},
			Parameters: params,
			RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
				"application/json": {Schema: &huma.Schema{Ref: ref.Ref}},
			}},
			Responses: responses,
			Security:  []map[string][]string{{webhookSignatureScheme: {}}},
		}}
	}
	registry.Map()[webhookEventSchema] = &huma.Schema{
		Description: "The body of any webhook delivery, by its type. Unlike a FeedEvent, its id is the string evt_<feed position> " +
			"and its time is timestamp. The webhooks section describes each type.",
		OneOf:         oneOf,
		Discriminator: &huma.Discriminator{PropertyName: "type", Mapping: mapping},
	}

	schemas := registry.Map()
	if s, ok := schemas["DeliveryDetail"]; ok {
		// A RawMessage would be "anything"; it is a webhook body. The
		// reference also keeps WebhookEvent and the bodies in code that
		// generators make (oapi-codegen prunes what no path reaches).
		s.Description = "One delivery with its attempt log and the body it sends."
		s.Properties["payload"] = &huma.Schema{Ref: "#/components/schemas/" + webhookEventSchema,
			Description: "The webhook body the hub sends, byte for byte (absent once the feed entry was pruned)."}
		for name, p := range schemas["Delivery"].Properties {
			if q, ok := s.Properties[name]; ok && q.Description == "" {
				q.Description = p.Description
			}
		}
	}
	for name, s := range schemas {
		if !strings.HasPrefix(name, "Shipment") || (!strings.HasSuffix(name, "Data") && !strings.HasSuffix(name, "Webhook")) {
			continue
		}
		for _, field := range []string{"status", "previous_status"} {
			if p, ok := s.Properties[field]; ok {
				p.Enum = statuses
			}
		}
	}
}

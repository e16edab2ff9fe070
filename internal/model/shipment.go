package model

import (
	"encoding/json"
	"time"
)

// Shipment is one parcel or consignment as the merchant sees it, whichever
// provider it came from. Its status is derived from its events (see
// StatusPosition).
type Shipment struct {
	ID         int64  `json:"id"`
	Workspace  string `json:"workspace"`
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	// ProviderRef is the provider's own key of the shipment within the
	// connection: the courier's order number, Winkelstraat's increment_id.
	ProviderRef string `json:"provider_ref"`
	// References are every identifier the merchant may search by: order
	// numbers, barcodes, containers, tracking numbers, merchant references.
	References []Reference `json:"references"`

	StatusPosition

	Carrier          string     `json:"carrier,omitempty"`
	Method           string     `json:"method,omitempty"`
	TrackingNumber   string     `json:"tracking_number,omitempty"`
	TrackingURL      string     `json:"tracking_url,omitempty"`
	OrderReference   string     `json:"order_reference,omitempty"`
	PONumber         string     `json:"po_number,omitempty"`
	Currency         string     `json:"currency,omitempty"`
	Items            []Item     `json:"items,omitempty"`
	ShippingAddress  *Address   `json:"shipping_address,omitempty"`
	OriginAddress    *Address   `json:"origin_address,omitempty"`
	CollectedAt      *time.Time `json:"collected_at,omitempty"`
	DeliveredAt      *time.Time `json:"delivered_at,omitempty"`
	ExpectedDelivery string     `json:"expected_delivery,omitempty"`
	// Attributes keeps provider facts that have no canonical field yet (for
	// example Winkelstraat's x-version), so nothing the provider said is lost.
	Attributes map[string]string `json:"attributes,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Events []Event `json:"events,omitempty"`

	// FactTimes records, by field name, the time of the statement that set
	// the field (see ShipmentUpdate.AsOf), so that a statement arriving late
	// does not overwrite a newer one. It is stored with the shipment but is
	// not part of the API.
	FactTimes map[string]time.Time `json:"-"`
}

// Reference is one identifier of a shipment, with what kind it is.
type Reference struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Reference kinds.
const (
	RefOrder          = "order"
	RefBarcode        = "barcode"
	RefContainer      = "container"
	RefMerchant       = "merchant_reference"
	RefTrackingNumber = "tracking_number"
	RefPONumber       = "po_number"
	RefExternalOrder  = "external_order"
	RefShipment       = "shipment"
)

// Item is one line of a shipment.
type Item struct {
	SKU          string   `json:"sku,omitempty"`
	ParentSKU    string   `json:"parent_sku,omitempty"`
	MPN          string   `json:"mpn,omitempty"`
	Name         string   `json:"name,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	Size         string   `json:"size,omitempty"`
	Quantity     float64  `json:"quantity"`
	UnitPrice    *float64 `json:"unit_price,omitempty"`
	RowTotal     *float64 `json:"row_total,omitempty"`
}

// Address is a postal address with its contact.
type Address struct {
	Company     string `json:"company,omitempty"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	Street      string `json:"street,omitempty"`
	HouseNumber string `json:"house_number,omitempty"`
	// HouseNumberAddition is the part after the number ("A", "bis").
	HouseNumberAddition string `json:"house_number_addition,omitempty"`
	// AddressLine2 is a second address line (building, floor).
	AddressLine2 string `json:"address_line2,omitempty"`
	Postcode     string `json:"postcode,omitempty"`
	City         string `json:"city,omitempty"`
	Region       string `json:"region,omitempty"`
	Country      string `json:"country,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

// Event is one tracking event of a shipment.
type Event struct {
	ID             int64  `json:"id"`
	Status         Status `json:"status"`
	Substatus      string `json:"substatus,omitempty"`
	ActionRequired bool   `json:"action_required"`
	// ProviderCode and ProviderGroup are the provider's raw status code and
	// group, kept verbatim so nothing is lost when a mapping is wrong.
	ProviderCode  string `json:"provider_code"`
	ProviderGroup string `json:"provider_group,omitempty"`
	// Labels holds the provider's description by language: nl, fr, en.
	Labels      map[string]string `json:"labels,omitempty"`
	Description string            `json:"description,omitempty"`
	Location    *Location         `json:"location,omitempty"`
	OccurredAt  time.Time         `json:"occurred_at"`
	Source      Source            `json:"source"`
	// Connection and Provider are where the event came from. They differ
	// from the shipment's own when another connection knows the same
	// parcel (a GCL tracker of a Winkelstraat shipment, see ShipmentLink).
	Connection string `json:"connection,omitempty"`
	Provider   string `json:"provider,omitempty"`
	InboxID    int64  `json:"inbox_id"`
	// Scan is who scanned the parcel, and when, where the provider says so.
	Scan       *Scan    `json:"scan,omitempty"`
	Signatures []string `json:"signatures,omitempty"`
	Pictures   []string `json:"pictures,omitempty"`
	Comment    string   `json:"comment,omitempty"`
	// DedupKey identifies the event within its shipment: the same event
	// reported twice (through two channels, or in two polls) is stored once.
	DedupKey   string    `json:"-"`
	RecordedAt time.Time `json:"recorded_at"`
	// Unmapped marks an event whose provider code no table maps, even when
	// something else the provider said (the courier's group) gave it a
	// status: it is counted with the unknown codes, so that the missing
	// mapping is seen. Not stored.
	Unmapped bool `json:"-"`
}

// Position is the event's place in status derivation.
func (e *Event) Position() StatusPosition {
	return StatusPosition{Status: e.Status, Substatus: e.Substatus, ActionRequired: e.ActionRequired, At: e.OccurredAt, EventID: e.ID}
}

// Location is where an event happened.
type Location struct {
	Text string   `json:"text,omitempty"`
	Lat  *float64 `json:"lat,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
}

// Scan describes a scan reported with an event.
type Scan struct {
	At     *time.Time `json:"at,omitempty"`
	By     string     `json:"by,omitempty"`
	Phone  string     `json:"phone,omitempty"`
	Status string     `json:"status,omitempty"`
}

// Source is the channel an event arrived through.
type Source string

// Sources.
const (
	SourceWebhook Source = "webhook"
	SourceFTP     Source = "ftp"
	SourcePoll    Source = "poll"
)

// InboxMessage is one raw inbound message, stored exactly as received before
// it is acknowledged. Canonical state can always be rebuilt from the inbox.
type InboxMessage struct {
	ID         int64  `json:"id"`
	Workspace  string `json:"workspace"`
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	Source     Source `json:"source"`
	// Topic is a sub-channel of the connection (a WICS webhook topic, an FTP
	// file name); empty when the provider has one channel.
	Topic string `json:"topic,omitempty"`
	// DedupKey makes a provider's retry of the same message a duplicate.
	DedupKey    string `json:"dedup_key"`
	ContentType string `json:"content_type"`
	// Meta keeps request facts the normaliser may need (for example the
	// x-version header); never credentials.
	Meta       map[string]string `json:"meta,omitempty"`
	Body       []byte            `json:"-"`
	ReceivedAt time.Time         `json:"received_at"`
}

// ShipmentUpdate is what a provider's normaliser makes of a raw message: the
// facts it states about one shipment. Empty fields mean "not stated" and leave
// what the hub knows alone.
type ShipmentUpdate struct {
	// AsOf is when the provider stated these facts. Zero means the time of
	// the update's newest event; an update without either overwrites
	// whatever is stored. (Left out of JSON when zero, so the providers'
	// golden files of updates need not state it.)
	AsOf           time.Time `json:"AsOf,omitzero"`
	ProviderRef    string
	References     []Reference
	Carrier        string
	Method         string
	TrackingNumber string
	TrackingURL    string
	OrderReference string
	// OrderID is shiphub's own id of the shipment's order, where the
	// provider hands it back (WICS metaFields that carry the ids shiphub
	// sent with the order). It links the shipment to that order, whatever
	// reference the provider gives the shipment.
	OrderID          int64 `json:",omitempty"`
	PONumber         string
	Currency         string
	Items            []Item
	ShippingAddress  *Address
	OriginAddress    *Address
	CollectedAt      *time.Time
	DeliveredAt      *time.Time
	ExpectedDelivery string
	Attributes       map[string]string
	Events           []Event
	// Link, when set, lets the update apply to a shipment another
	// connection keeps for the same parcel (see ShipmentLink).
	Link *ShipmentLink `json:"Link,omitempty"`
}

// FeedEvent is one entry of the workspace's event feed, the outbox from which
// merchant webhooks are delivered.
type FeedEvent struct {
	ID         int64           `json:"id"`
	Workspace  string          `json:"workspace"`
	Type       string          `json:"type"`
	SubjectID  int64           `json:"subject_id"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// Feed event types.
const (
	EventShipmentCreated       = "shipment.created"
	EventShipmentStatusChanged = "shipment.status_changed"
	EventShipmentEventAdded    = "shipment.event_added"
	// EventShipmentEDDChanged is a change of the carrier's expected delivery date.
	EventShipmentEDDChanged = "shipment.edd_changed"
	// EventShipmentStuck says a shipment has had no update for longer than
	// its status allows (dashboard.stuck_after); see ShipmentStuck.
	EventShipmentStuck = "shipment.stuck"
)

package model

import "time"

// InboundStatus is the canonical status of inbound goods (DESIGN.md).
type InboundStatus string

// Inbound statuses.
const (
	InboundAnnounced InboundStatus = "announced"
	InboundReceiving InboundStatus = "receiving"
	InboundReceived  InboundStatus = "received"
	InboundCancelled InboundStatus = "cancelled"
	InboundUnknown   InboundStatus = "unknown"
)

// InboundStatuses lists every inbound status.
var InboundStatuses = []InboundStatus{InboundAnnounced, InboundReceiving, InboundReceived, InboundCancelled, InboundUnknown}

// Inbound is goods announced to the warehouse (a purchase order or
// announcement), with what was received against it.
type Inbound struct {
	Resource
	Reference      string          `json:"reference" doc:"The merchant's reference of the announcement (purchase order); a receipt names it to link to it."`
	Status         InboundStatus   `json:"status" enum:"announced,receiving,received,cancelled,unknown" doc:"The canonical status; goods with a receipt are at least receiving."`
	ProviderStatus *ProviderStatus `json:"provider_status,omitempty" doc:"The provider's own status, verbatim."`
	ExpectedAt     *time.Time      `json:"expected_at,omitempty" doc:"When the goods are expected at the warehouse."`
	Lines          []InboundLine   `json:"lines" doc:"The announced lines, by line number."`
	Receipts       []Receipt       `json:"receipts" doc:"The receipts against the announcement, by received_at then provider_ref; each is kept once."`
	// Colour is the provider's grade of the announcement by what was
	// received, where the provider has one (Active Ants: red, nothing
	// received; yellow, some; green, all), which decides what may still
	// change. Derived on read from the lines, not stored.
	Colour string `json:"colour,omitempty" enum:"red,yellow,green" doc:"The provider's grade by what was received, where it has one (Active Ants: red = nothing received, everything may change; yellow = partly received; green = all received, nothing may change)."`
	// StatedStatus is the status the provider last stated (by AsOf), or
	// empty. Status is derived from it and the receipts: goods with a
	// receipt are at least receiving, whichever arrived first. Stored, not
	// part of the API.
	StatedStatus InboundStatus `json:"-"`
	// StatusRank is the provider's rank of StatedStatus (see
	// InboundUpdate.StatusRank), or 0. Stored, not part of the API.
	StatusRank int `json:"-"`
}

// InboundLine is one announced line and how much of it was received.
type InboundLine struct {
	LineNumber int     `json:"line_number"`
	SKU        string  `json:"sku"`
	Expected   float64 `json:"expected"`
	Received   float64 `json:"received" doc:"The sum of the receipts' quantities of this sku (on the first line of the sku)."`
}

// Receipt is one receipt of goods against an announcement.
type Receipt struct {
	ProviderRef string        `json:"provider_ref"`
	ReceivedAt  time.Time     `json:"received_at"`
	Lines       []ReceiptLine `json:"lines"`
}

// ReceiptLine is one received quantity.
type ReceiptLine struct {
	SKU        string     `json:"sku"`
	Quantity   float64    `json:"quantity"`
	Lot        string     `json:"lot,omitempty"`
	BestBefore *time.Time `json:"best_before,omitempty"`
}

// InboundUpdate is what a message states about inbound goods, keyed by the
// merchant's Reference (or ProviderRef when the provider names no
// reference). A receipt is linked to its announcement by that key; a
// receipt whose announcement is unknown creates the inbound resource.
type InboundUpdate struct {
	AsOf           time.Time `json:"AsOf,omitzero"`
	Reference      string
	ProviderRef    string          `json:",omitempty"`
	Status         InboundStatus   `json:",omitempty"`
	ProviderStatus *ProviderStatus `json:",omitempty"`
	// StatusRank is the provider's own order of its statuses, for providers
	// whose status messages carry no time (their AsOf is the hub's arrival,
	// so a retry of an old status arrives as the newest), as for orders
	// (OrderUpdate.StatusRank): a status of a lower rank never replaces
	// one of a higher rank, and ProviderStatus goes with the status. 0 =
	// no rank: AsOf decides.
	StatusRank int                 `json:",omitempty"`
	ExpectedAt *time.Time          `json:",omitempty"`
	Lines      []InboundLineUpdate `json:",omitempty"`
	// Receipts are added by their ProviderRef; one reported twice is kept once.
	Receipts []Receipt `json:",omitempty"`
}

// InboundLineUpdate states one announced line by LineNumber.
type InboundLineUpdate struct {
	LineNumber int
	SKU        string   `json:",omitempty"`
	Expected   *float64 `json:",omitempty"`
}

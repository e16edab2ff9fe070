package model

import "time"

// Stock is one stock figure: one SKU in one warehouse of one connection.
type Stock struct {
	Resource
	SKU       string  `json:"sku" doc:"The product's SKU."`
	Warehouse string  `json:"warehouse" doc:"The warehouse, or empty when the connection's provider has one."`
	Physical  float64 `json:"physical" doc:"The quantity on the shelves."`
	Available float64 `json:"available" doc:"The quantity free to be ordered: physical less what is reserved."`
	Announced float64 `json:"announced" doc:"The quantity announced as inbound and not yet received."`
	// AsOf is the provider's time of the figure: an older figure arriving
	// late never replaces a newer one.
	AsOf time.Time `json:"as_of" doc:"The provider's time of the newest figure of the row."`
}

// StockUpdate is a stock figure a message states. Nil quantities are not
// stated. Warehouse may be empty when the provider has one.
type StockUpdate struct {
	AsOf      time.Time `json:"AsOf,omitzero"`
	SKU       string
	Warehouse string   `json:",omitempty"`
	Physical  *float64 `json:",omitempty"`
	Available *float64 `json:",omitempty"`
	Announced *float64 `json:",omitempty"`
}

// StockMutation is one change of stock the warehouse registered.
type StockMutation struct {
	Resource
	SKU       string `json:"sku" doc:"The product's SKU."`
	Warehouse string `json:"warehouse,omitempty" doc:"The warehouse, when the provider names one."`
	// Quantity is signed: negative takes stock out.
	Quantity   float64    `json:"quantity" doc:"The change of stock, signed: negative takes stock out."`
	ReasonCode string     `json:"reason_code,omitempty" doc:"The provider's code of the reason."`
	Reason     string     `json:"reason,omitempty" doc:"The reason in the provider's words."`
	OccurredAt time.Time  `json:"occurred_at" doc:"When the warehouse registered the mutation."`
	Location   string     `json:"location,omitempty" doc:"The storage location in the warehouse."`
	Lot        string     `json:"lot,omitempty" doc:"The lot or batch number."`
	BestBefore *time.Time `json:"best_before,omitempty" doc:"The lot's best-before date."`
	InboxID    int64      `json:"inbox_id" doc:"The inbox message the mutation came in."`
}

// StockMutationUpdate states one stock mutation. DedupKey identifies it
// within the connection (the provider's id, or a digest of its fields), so
// that the same mutation reported twice is stored once.
type StockMutationUpdate struct {
	DedupKey   string
	SKU        string
	Warehouse  string `json:",omitempty"`
	Quantity   float64
	ReasonCode string     `json:",omitempty"`
	Reason     string     `json:",omitempty"`
	OccurredAt time.Time  `json:",omitzero"`
	Location   string     `json:",omitempty"`
	Lot        string     `json:",omitempty"`
	BestBefore *time.Time `json:",omitempty"`
}

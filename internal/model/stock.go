package model

import "time"

// Stock is one stock figure: one SKU in one warehouse of one connection.
type Stock struct {
	Resource
	SKU       string  `json:"sku"`
	Warehouse string  `json:"warehouse"`
	Physical  float64 `json:"physical"`
	Available float64 `json:"available"`
	Announced float64 `json:"announced"`
	// AsOf is the provider's time of the figure: an older figure arriving
	// late never replaces a newer one.
	AsOf time.Time `json:"as_of"`
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
	SKU       string `json:"sku"`
	Warehouse string `json:"warehouse,omitempty"`
	// Quantity is signed: negative takes stock out.
	Quantity   float64    `json:"quantity"`
	ReasonCode string     `json:"reason_code,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	OccurredAt time.Time  `json:"occurred_at"`
	Location   string     `json:"location,omitempty"`
	Lot        string     `json:"lot,omitempty"`
	BestBefore *time.Time `json:"best_before,omitempty"`
	InboxID    int64      `json:"inbox_id"`
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

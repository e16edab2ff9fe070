package model

import "time"

// Product is an item the warehouse keeps, by SKU.
type Product struct {
	Resource
	SKU        string            `json:"sku"`
	Name       string            `json:"name,omitempty"`
	Barcodes   []string          `json:"barcodes"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ProductUpdate is what a message states about one product, keyed by SKU
// within the connection. Empty fields are not stated.
type ProductUpdate struct {
	AsOf        time.Time `json:"AsOf,omitzero"`
	SKU         string
	ProviderRef string            `json:",omitempty"`
	Name        string            `json:",omitempty"`
	Barcodes    []string          `json:",omitempty"`
	Attributes  map[string]string `json:",omitempty"`
}

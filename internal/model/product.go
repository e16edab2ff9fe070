package model

import "time"

// Product is an item the warehouse keeps, by SKU.
type Product struct {
	Resource
	SKU        string            `json:"sku" doc:"The stock keeping unit: the product's key within its connection."`
	Name       string            `json:"name,omitempty" doc:"The product's name as the provider states it."`
	Barcodes   []string          `json:"barcodes" doc:"The product's barcodes (EAN and the like): a set, sorted."`
	Attributes map[string]string `json:"attributes,omitempty" doc:"The provider's further fields, by name, each from its newest statement."`
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

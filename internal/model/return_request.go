package model

// ReturnRequest is a return (RMA) as POST /returns states it: the payload of
// a return.create command. The provider finds the shipment of the order
// and its items by SKU; the merchant names the shipment only when the
// order was shipped in several and the SKU is in more than one.
type ReturnRequest struct {
	Reference string `json:"reference" minLength:"1" maxLength:"100" doc:"The reference of the order the goods were shipped for."`
	// ShipmentRef is the provider's number of the shipment the goods came
	// in; empty: the order's shipment that has the lines' SKUs.
	ShipmentRef string              `json:"shipment_ref,omitempty" doc:"The provider's number of the shipment the goods came in; by default the order's shipment that holds the lines' SKUs."`
	Note        string              `json:"note,omitempty" doc:"A remark for the warehouse."`
	Lines       []ReturnRequestLine `json:"lines" minItems:"1" doc:"The goods coming back."`
}

// ReturnRequestLine is one line of a ReturnRequest.
type ReturnRequestLine struct {
	SKU      string  `json:"sku" minLength:"1"`
	Quantity float64 `json:"quantity" exclusiveMinimum:"0"`
	// Reason is the provider's return reason code (Active Ants: a code of
	// its settings' returnReasons).
	Reason string `json:"reason,omitempty" doc:"The provider's return reason code (Active Ants: a code of the account's return reasons)."`
}

package model

// Changes is what a connector's normalize step makes of one raw message:
// the facts it states, typed by kind of resource. One message may state
// facts of several kinds (a WICS shipment webhook states a shipment and
// the status of its order), so every kind is a field of its own and the
// pipeline applies each through its own apply step, in one transaction
// with the message's processed mark. There is one path through the core
// for every kind: intake, inbox, normalize, apply, feed.
//
// Shipments is the first kind. Adding a kind (orders, products, stock
// levels, stock mutations, inbound goods, returns) touches these places
// and no other part of the core:
//
//   - model: the kind's update type (say OrderUpdate in order.go) and its
//     field here (Orders []OrderUpdate), with a line in Len.
//   - store: the kind's tables (a migration in both stores), its Tx
//     methods (load by provider reference, insert, update) and their
//     conformance cases in storetest.
//   - pipeline: one file with the kind's applier (orders.go: check and
//     apply), and its entry in appliers (apply.go). Kinds that others link
//     to come first, so that, for example, a shipment applied in the same
//     message finds the order its OrderReference names.
//   - the connectors that state the kind fill the field in Normalize.
//
// Links between kinds are made by the later kind's applier from the facts
// the message states, never by the connector, which cannot see the store
// (Normalize is pure, so that a reprocess gives the same result). Once
// orders exist, a shipment links to its order through its OrderReference
// (ShipmentUpdate already carries it; for WICS also the metaFields that
// carry shiphub's ids): the order applier runs before the shipment
// applier, which looks the order up by that reference, among the orders
// of this message or earlier ones, and stores the order's id with the
// shipment. ShipmentLink is the same idea for one parcel that two
// connections know, and works today.
type Changes struct {
	// Shipments are the facts stated about shipments, one update each.
	Shipments []ShipmentUpdate `json:",omitempty"`
	// Orders are the facts stated about orders and their lines.
	Orders []OrderUpdate `json:",omitempty"`
	// Products are the facts stated about products.
	Products []ProductUpdate `json:",omitempty"`
	// Stock are stock figures.
	Stock []StockUpdate `json:",omitempty"`
	// StockMutations are stock mutations the warehouse registered.
	StockMutations []StockMutationUpdate `json:",omitempty"`
	// Inbound are the facts stated about inbound goods and their receipts.
	Inbound []InboundUpdate `json:",omitempty"`
	// Returns are the facts stated about returns.
	Returns []ReturnUpdate `json:",omitempty"`
}

// Len is how many updates the change set holds, of every kind.
func (c *Changes) Len() int {
	return len(c.Shipments) + len(c.Orders) + len(c.Products) + len(c.Stock) +
		len(c.StockMutations) + len(c.Inbound) + len(c.Returns)
}

// ShipmentChanges is a change set of shipment updates only, for the
// connectors whose providers state nothing else.
func ShipmentChanges(updates ...ShipmentUpdate) Changes {
	return Changes{Shipments: updates}
}

// ShipmentLink tells the pipeline that the parcel an update describes may
// already be a shipment of another connection, so that one parcel stays
// one shipment however many connections know it. A tracking connection
// (GCL) sets it: the parcel it polls was usually sent by a shop or
// warehouse connection whose shipment the merchant already sees. The
// pipeline applies the update to the first of these that exists:
//
//  1. the shipment ShipmentID names, in the message's workspace (a carrier
//     rule attached the tracker to it);
//  2. the connection's own shipment of the update's ProviderRef (it was
//     created before any other connection knew the parcel, and stays
//     the one its updates go to);
//  3. the oldest shipment of another connection of the workspace whose
//     tracking number is TrackingNumber (a tracker created through the
//     API for a parcel the hub knows);
//
// and creates the connection's own shipment when none does. The events
// the update adds keep their connection and provider (Event.Connection).
type ShipmentLink struct {
	// ShipmentID is the shipment the update was asked for, or 0.
	ShipmentID int64 `json:"ShipmentID,omitempty"`
	// TrackingNumber is the parcel's tracking number, or empty.
	TrackingNumber string `json:"TrackingNumber,omitempty"`
}

package provider

// Meta keys and values that mark an inbox message a reconciliation found:
// a poll of the provider's state that catches what its webhooks missed.
// The pipeline counts such a message in
// shiphub_reconcile_found_total{connection,kind} when applying it changed
// something (it appended a feed event): that is a change no webhook
// brought, or not yet.
const (
	// MetaSource is the Meta key naming what committed a message.
	MetaSource = "source"
	// SourceReconcile is MetaSource's value for reconciliation.
	SourceReconcile = "reconcile"
	// MetaReconcileKind is the Meta key of what was reconciled ("order",
	// "shipment", "receipt", "announcement", "stock"): the metric's kind
	// label.
	MetaReconcileKind = "reconcile_kind"
)

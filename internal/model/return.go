package model

import (
	"strconv"
	"strings"
	"time"
)

// ReturnStatus is the canonical status of a return (RMA).
type ReturnStatus string

// Return statuses.
const (
	ReturnAnnounced ReturnStatus = "announced"
	ReturnReceived  ReturnStatus = "received"
	ReturnProcessed ReturnStatus = "processed"
	ReturnUnknown   ReturnStatus = "unknown"
)

// ReturnStatuses lists every return status.
var ReturnStatuses = []ReturnStatus{ReturnAnnounced, ReturnReceived, ReturnProcessed, ReturnUnknown}

// Return is goods a customer sends back (an RMA).
type Return struct {
	Resource
	// Reference is the order's reference; OrderID links the order when the
	// hub knows it.
	Reference      string          `json:"reference"`
	OrderID        int64           `json:"order_id,omitempty" doc:"The id of the order the return belongs to, when the hub knows it."`
	Status         ReturnStatus    `json:"status" enum:"announced,received,processed,unknown" doc:"The canonical status."`
	ProviderStatus *ProviderStatus `json:"provider_status,omitempty"`
	Lines          []ReturnLine    `json:"lines" doc:"The returned lines, by line number, as the newest statement of them gives them."`
	// Label is where the provider makes a return label, or the label
	// itself as a data: URL when the provider sent it (Active Ants's PDF);
	// served at /returns/{id}/label; empty otherwise. The API shows a kept
	// label as that address.
	Label string `json:"label,omitempty" doc:"Where the return label is: GET /returns/{id}/label serves it (a PDF the hub keeps) or redirects to the provider."`
}

// ReturnLine is one returned line with the customer's answers.
type ReturnLine struct {
	LineNumber int            `json:"line_number"`
	SKU        string         `json:"sku"`
	Quantity   float64        `json:"quantity"`
	Reason     string         `json:"reason,omitempty"`
	Answers    []ReturnAnswer `json:"answers,omitempty"`
}

// ReturnAnswer is one question of the return form and its answer.
type ReturnAnswer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// ReturnUpdate is what a message states about one return, keyed by
// ProviderRef (the RMA number) or, without one, by Reference.
type ReturnUpdate struct {
	AsOf           time.Time `json:"AsOf,omitzero"`
	Reference      string
	ProviderRef    string          `json:",omitempty"`
	Status         ReturnStatus    `json:",omitempty"`
	ProviderStatus *ProviderStatus `json:",omitempty"`
	// Lines, when stated, replace the return's lines.
	Lines []ReturnLine `json:",omitempty"`
	Label string       `json:",omitempty"`
}

// KeepsLabel reports whether the hub keeps the return's label itself (a
// data: URL of the PDF the provider sent) rather than its address.
func (r *Return) KeepsLabel() bool { return strings.HasPrefix(r.Label, "data:") }

// ReturnLabelPath is the API's address of a return's label.
func ReturnLabelPath(id int64) string {
	return "/api/v1/returns/" + strconv.FormatInt(id, 10) + "/label"
}

// Shown is the return as merchants see it (the API, the feed, webhooks): a
// label the hub keeps is shown as the address that serves it, not as its
// bytes.
func (r *Return) Shown() *Return {
	if !r.KeepsLabel() {
		return r
	}
	c := *r
	c.Label = ReturnLabelPath(r.ID)
	return &c
}

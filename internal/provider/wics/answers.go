package wics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// The answers to commands. SendCommand returns a CommandResult, which the
// worker commits to the connection's inbox under one of the topics below
// with the dedup key "command:<id>" (an answer recorded twice is applied
// once); Normalize maps it, a pure function of the message, as it maps the
// webhooks:
//
//	command.order    order.create   OrderUpdate: Reference, ProviderRef WICS's number,
//	                                Status accepted (the order's own statusCode when an
//	                                earlier attempt's order was found), ranked as WICS's code
//	                                00 (or that statusCode), so a status webhook that came
//	                                first is not undone; Lines from the order sent (or
//	                                found): lineNumber, itemCode, itemDescription, quantity
//	                 order.cancel   OrderUpdate: Reference, ProviderRef, Status cancelled,
//	                                ranked as code 90 (final)
//	command.product  product.upsert ProductUpdate: SKU, ProviderRef the item code, Name
//	                                (description), Barcodes (barcode), Attributes (the WICS
//	                                fields sent, by name)
//	command.inbound  inbound.create InboundUpdate: Reference, ProviderRef WICS's number,
//	                                Status announced (ranked as code 00), ExpectedAt
//	                                (plannedDate), Lines
//	                 inbound.cancel InboundUpdate: Reference, ProviderRef, Status cancelled,
//	                                ranked as code 90
//
// Every statement's AsOf is the message's ReceivedAt.

// The inbox topics of command answers. They are not webhook topics: no
// webhook URL names them (ParseTopic refuses them).
const (
	TopicCommandOrder   = "command.order"
	TopicCommandProduct = "command.product"
	TopicCommandInbound = "command.inbound"
)

// IsCommandTopic reports whether an inbox message's topic is a command
// answer's, which Normalize hands to NormalizeCommandAnswer.
func IsCommandTopic(topic string) bool {
	switch topic {
	case TopicCommandOrder, TopicCommandProduct, TopicCommandInbound:
		return true
	}
	return false
}

// CommandResult is the body of a command answer in the inbox: what was
// sent, what WICS answered, and WICS's identifier of the subject.
type CommandResult struct {
	Kind      model.CommandKind `json:"kind"`
	CommandID int64             `json:"command_id"`
	SubjectID int64             `json:"subject_id"`
	// Reference is the subject's merchant reference (the order's or the
	// announcement's reference, the product's SKU).
	Reference string `json:"reference"`
	// Number is WICS's identifier of the subject (the order or
	// announcement number, the item code); empty when unknown.
	Number string `json:"number,omitempty"`
	// Existing is set when WICS had the subject before this attempt sent
	// anything (an earlier attempt created it, or the item existed).
	Existing bool `json:"existing,omitempty"`
	// Absent is set by a cancel whose subject WICS does not have.
	Absent bool `json:"absent,omitempty"`
	// Order, Item and Announcement are the subject as sent or, with
	// Existing, as WICS holds it.
	Order        *Order           `json:"order,omitempty"`
	Item         *Item            `json:"item,omitempty"`
	Announcement *cmdAnnouncement `json:"announcement,omitempty"`
	// Answer is WICS's answer to the creating or deleting call, verbatim
	// (when it is JSON).
	Answer json.RawMessage `json:"answer,omitempty"`
}

// answer wraps the result as the inbox message of the command.
func (r *CommandResult) answer() (*provider.CommandAnswer, error) {
	topic := TopicCommandOrder
	switch r.Kind {
	case model.CommandProductUpsert:
		topic = TopicCommandProduct
	case model.CommandInboundCreate, model.CommandInboundCancel:
		topic = TopicCommandInbound
	}
	if len(r.Answer) > 0 && !json.Valid(r.Answer) {
		r.Answer = jsonString(string(bytes.ToValidUTF8(r.Answer, nil)))
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the wics answer of command %d: %w", r.CommandID, err)
	}
	return &provider.CommandAnswer{Topic: topic, Inbound: provider.Inbound{
		DedupKey:    "command:" + strconv.FormatInt(r.CommandID, 10),
		ContentType: "application/json",
		Body:        body,
		Meta:        map[string]string{"command_kind": string(r.Kind)},
	}}, nil
}

// DecodeCommandResult decodes the body of a command answer, strictly as to
// its shape: the kind must be one the connector sends and the reference
// must be present.
func DecodeCommandResult(body []byte) (*CommandResult, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var r CommandResult
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding a wics command answer: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding a wics command answer: data after the JSON value")
	}
	known := false
	for _, k := range commandKinds {
		known = known || k == r.Kind
	}
	if !known {
		return nil, fmt.Errorf("a wics command answer of kind %q, which the connector does not send", clip(string(r.Kind)))
	}
	if strings.TrimSpace(r.Reference) == "" {
		return nil, fmt.Errorf("a wics %s command answer without a reference", r.Kind)
	}
	return &r, nil
}

// NormalizeCommandAnswer maps a command answer to canonical changes (see
// the table above). It is a pure function of the message.
func (c *Connector) NormalizeCommandAnswer(m *model.InboxMessage) (model.Changes, error) {
	r, err := DecodeCommandResult(m.Body)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising wics message %d: %w", m.ID, err)
	}
	ch, err := commandChanges(r, m.ReceivedAt.UTC())
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising wics message %d: %w", m.ID, err)
	}
	return ch, nil
}

// answeredStatus is the order status a command's answer states: the code
// (or, as the order list writes it, the description) read in the status
// table, and the provider status as WICS's webhooks state that status, its
// code and its first description ("00", "Aangemaakt"). A status statement
// carries the provider status with it (pipeline.MergeOrder), so an answer
// that stated none would wipe out the one of a webhook of the same status
// that came in first (WICS sends Order status 00 as it creates the order,
// which may beat the answer to the hub); stated in the webhooks' words, the
// same status is the same statement. A code no row knows is kept as it is.
func answeredStatus(code string) (model.OrderStatus, *model.ProviderStatus, int) {
	m := LookupOrderStatus(code, "")
	ps := webhookProviderStatus(code, m)
	if m.Row != nil && m.Tolerated != "" {
		ps.Description = strings.TrimSpace(code)
	}
	return model.OrderStatus(m.Status), ps, OrderStatusRank(m)
}

// webhookProviderStatus is the provider status of code as WICS's webhooks
// state it: the row's code and its first description, or the code alone
// when no row knows it.
func webhookProviderStatus(code string, m StatusMatch) *model.ProviderStatus {
	ps := &model.ProviderStatus{Code: code}
	if m.Row != nil {
		ps.Code = m.Row.Code
		if len(m.Row.Descriptions) > 0 {
			ps.Description = m.Row.Descriptions[0]
		}
	}
	return ps
}

// answeredInboundStatus is answeredStatus for announcements: the inbound
// status a command's answer states, with the provider status in the words
// of WICS's Announcement status webhook ("90", "Geannuleerd"). An answer
// that stated none lost the webhook's provider status when the webhook,
// though received first, was applied after the answer: of two statements
// of the same rank the newer wins, and the provider status goes with the
// status (TestWICSCommandsEndToEnd saw the cancel's 90 never arrive).
func answeredInboundStatus(code string) (model.InboundStatus, *model.ProviderStatus, int) {
	m := LookupInboundStatus(code, "")
	return model.InboundStatus(m.Status), webhookProviderStatus(code, m), OrderStatusRank(m)
}

// commandChanges maps a decoded command answer.
func commandChanges(r *CommandResult, at time.Time) (model.Changes, error) {
	if len(r.Reference) > MaxKeyBytes || len(r.Number) > MaxKeyBytes {
		return model.Changes{}, fmt.Errorf("a reference or number over the %d bytes the hub indexes", MaxKeyBytes)
	}
	switch r.Kind {
	case model.CommandOrderCreate:
		u := model.OrderUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number}
		code := "00" // a new order is Aangemaakt
		if r.Order != nil && r.Order.StatusCode != "" {
			code = string(r.Order.StatusCode)
		}
		u.Status, u.ProviderStatus, u.StatusRank = answeredStatus(code)
		if r.Order != nil {
			for _, l := range r.Order.Lines {
				q := float64(l.Quantity)
				u.Lines = append(u.Lines, model.OrderLineUpdate{LineNumber: int(l.LineNumber), SKU: string(l.ItemCode), Description: string(l.ItemDescription), Quantity: &q})
			}
		}
		return model.Changes{Orders: []model.OrderUpdate{u}}, nil
	case model.CommandOrderCancel:
		st, ps, rank := answeredStatus("90")
		return model.Changes{Orders: []model.OrderUpdate{{AsOf: at, Reference: r.Reference, ProviderRef: r.Number,
			Status: st, ProviderStatus: ps, StatusRank: rank}}}, nil
	case model.CommandProductUpsert:
		u := model.ProductUpdate{AsOf: at, SKU: r.Reference, ProviderRef: r.Number}
		if it := r.Item; it != nil {
			u.Name = string(it.Description)
			if it.Barcode != "" {
				u.Barcodes = []string{string(it.Barcode)}
			}
			attrs := map[string]string{}
			for k, v := range map[string]Text{"assemblyType": it.AssemblyType, "defaultUnit": it.DefaultUnit,
				"internalDescription": it.InternalDescription, "itemGroup": it.ItemGroup, "safetyDataSheet": it.SafetyDataSheet,
				"traceability": it.Traceability, "weight": it.Weight} {
				if v != "" {
					attrs[k] = string(v)
				}
			}
			if it.StatusCode != 0 {
				attrs["statusCode"] = strconv.FormatInt(int64(it.StatusCode), 10)
			}
			if len(attrs) > 0 {
				u.Attributes = attrs
			}
		}
		return model.Changes{Products: []model.ProductUpdate{u}}, nil
	case model.CommandInboundCreate:
		u := model.InboundUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number}
		u.Status, u.ProviderStatus, u.StatusRank = answeredInboundStatus("00")
		if a := r.Announcement; a != nil {
			if d, err := time.Parse(time.DateOnly, string(a.PlannedDate)); err == nil {
				u.ExpectedAt = &d
			}
			for _, l := range a.Lines {
				q := float64(l.QuantityExpected)
				u.Lines = append(u.Lines, model.InboundLineUpdate{LineNumber: int(l.LineNumber), SKU: string(l.ItemCode), Expected: &q})
			}
		}
		return model.Changes{Inbound: []model.InboundUpdate{u}}, nil
	case model.CommandInboundCancel:
		// 90 Geannuleerd, which ranks above every status an announcement
		// had, as the Announcement status webhook that confirms it does.
		u := model.InboundUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number}
		u.Status, u.ProviderStatus, u.StatusRank = answeredInboundStatus("90")
		return model.Changes{Inbound: []model.InboundUpdate{u}}, nil
	}
	return model.Changes{}, fmt.Errorf("%w: command kind %s", errNoMapping, r.Kind)
}

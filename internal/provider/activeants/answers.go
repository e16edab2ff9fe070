package activeants

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// The answers to commands. SendCommand returns a CommandResult, which the
// worker commits to the connection's inbox under one of the topics below,
// with the dedup key "command:<id>" (an answer recorded twice is applied
// once); Normalize maps it, a pure function of the message:
//
//	command.order    order.create   OrderUpdate: Reference, ProviderRef Active Ants's order number,
//	                                Status on_hold (onHold sent) or accepted, Lines from the order sent
//	                 order.release  OrderUpdate: Reference, Status accepted
//	command.product  product.upsert ProductUpdate: SKU, ProviderRef Active Ants's product id (add) or
//	                                the SKU, Name, Barcodes (barcode), Attributes (the fields sent, by name)
//	                 product.get    ProductUpdate: SKU, ProviderRef Active Ants's id (or the SKU), and
//	                                what the search answered: Name, Barcodes, Attributes (description,
//	                                weight, costPrice)
//	command.inbound  inbound.create InboundUpdate: Reference, ProviderRef the purchase order id,
//	                                Status announced, ExpectedAt, Lines
//	                 inbound.update InboundUpdate: Reference, ExpectedAt, Lines (every line sent; the
//	                                lines dropped are stated with expected 0)
//	                 inbound.cancel InboundUpdate: red: Status cancelled; yellow (a partial delete):
//	                                Status received, each line's expected cut to what was received
//	command.return   return.create  ReturnUpdate: Reference (the order's), ProviderRef the RMA id,
//	                                Status announced, Lines (sku, quantity, reason code), Label (the
//	                                label PDF as a data: URL)
//
// Every statement's AsOf is the message's ReceivedAt.

// The inbox topics of command answers.
const (
	TopicCommandOrder   = "command.order"
	TopicCommandProduct = "command.product"
	TopicCommandInbound = "command.inbound"
	TopicCommandReturn  = "command.return"
)

// IsCommandTopic reports whether an inbox message's topic is a command
// answer's.
func IsCommandTopic(topic string) bool {
	switch topic {
	case TopicCommandOrder, TopicCommandProduct, TopicCommandInbound, TopicCommandReturn:
		return true
	}
	return false
}

// CommandResult is the body of a command answer in the inbox: what was
// sent, what Active Ants answered, and its id of the subject.
type CommandResult struct {
	Kind      model.CommandKind `json:"kind"`
	CommandID int64             `json:"command_id"`
	SubjectID int64             `json:"subject_id"`
	// Reference is the subject's merchant reference (the order's, the
	// purchase order's, the product's SKU; a return's order).
	Reference string `json:"reference"`
	// Number is Active Ants's id of the subject (order number, product id,
	// purchase order id, RMA id); empty when unknown.
	Number string `json:"number,omitempty"`
	// Existing is set when Active Ants had the subject before this attempt
	// (found by the lookup, or its "already exists").
	Existing bool `json:"existing,omitempty"`
	// Absent is set by a cancel whose subject Active Ants does not have.
	Absent bool `json:"absent,omitempty"`
	// Colour is the purchase order's colour when an edit or delete was sent.
	Colour string `json:"colour,omitempty"`
	// Received is what was received of each line of a deleted purchase order.
	Received []ReceivedLine `json:"received,omitempty"`

	Order         *OrderAdd            `json:"order,omitempty"`
	Product       *ProductAdd          `json:"product,omitempty"`
	PurchaseOrder *PurchaseOrderAdd    `json:"purchase_order,omitempty"`
	RMA           *RMAAdd              `json:"rma,omitempty"`
	Return        *model.ReturnRequest `json:"return,omitempty"`
	// Found is what the product search answered (product.get).
	Found *FoundProduct `json:"found,omitempty"`
	// Label is the return label as a data: URL; LabelError why there is none.
	Label              string `json:"label,omitempty"`
	LabelPackageNumber string `json:"label_package_number,omitempty"`
	LabelError         string `json:"label_error,omitempty"`
	// Answer is Active Ants's answer to the creating call, verbatim.
	Answer json.RawMessage `json:"answer,omitempty"`
}

// ReceivedLine is one line of a purchase order and what was received of it.
type ReceivedLine struct {
	LineNumber int     `json:"line_number"`
	SKU        string  `json:"sku"`
	Received   float64 `json:"received"`
}

func (r *CommandResult) topic() string {
	switch r.Kind {
	case model.CommandProductUpsert, model.CommandProductGet:
		return TopicCommandProduct
	case model.CommandInboundCreate, model.CommandInboundUpdate, model.CommandInboundCancel:
		return TopicCommandInbound
	case model.CommandReturnCreate:
		return TopicCommandReturn
	}
	return TopicCommandOrder
}

// answer wraps the result as the inbox message of the command.
func (r *CommandResult) answer() (*provider.CommandAnswer, error) {
	if len(r.Answer) > 0 && !json.Valid(r.Answer) {
		s, _ := json.Marshal(string(bytes.ToValidUTF8(r.Answer, nil)))
		r.Answer = s
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the active ants answer of command %d: %w", r.CommandID, err)
	}
	return &provider.CommandAnswer{Topic: r.topic(), Inbound: provider.Inbound{
		DedupKey:    "command:" + strconv.FormatInt(r.CommandID, 10),
		ContentType: "application/json",
		Body:        body,
		Meta:        map[string]string{"command_kind": string(r.Kind)},
	}}, nil
}

// DecodeCommandResult decodes the body of a command answer, strictly as to
// its shape: a kind the connector sends, a reference, and the part the
// kind needs.
func DecodeCommandResult(body []byte) (*CommandResult, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var r CommandResult
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: an active ants command answer: %v", provider.ErrBadInput, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: an active ants command answer: data after the JSON value", provider.ErrBadInput)
	}
	if !slices.Contains(commandKinds, r.Kind) {
		return nil, fmt.Errorf("%w: an active ants command answer of kind %q, which the connector does not send", provider.ErrBadInput, excerptString(string(r.Kind)))
	}
	if strings.TrimSpace(r.Reference) == "" {
		return nil, fmt.Errorf("%w: an active ants %s command answer without a reference", provider.ErrBadInput, r.Kind)
	}
	if r.Kind == model.CommandProductGet && r.Found == nil {
		return nil, fmt.Errorf("%w: an active ants product.get answer without the product found", provider.ErrBadInput)
	}
	if r.Kind == model.CommandReturnCreate && r.Return == nil {
		return nil, fmt.Errorf("%w: an active ants return.create answer without its return", provider.ErrBadInput)
	}
	if r.Label != "" && !strings.HasPrefix(r.Label, "data:") {
		return nil, fmt.Errorf("%w: an active ants return label that is not a data: URL", provider.ErrBadInput)
	}
	return &r, nil
}

// normalizeCommand maps a command answer (see the table above).
func normalizeCommand(m *model.InboxMessage) (model.Changes, error) {
	r, err := DecodeCommandResult(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	if err := checkText(m.Body); err != nil {
		return model.Changes{}, err
	}
	at := m.ReceivedAt.UTC()
	switch r.Kind {
	case model.CommandOrderCreate:
		u := model.OrderUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number, Status: model.OrderAccepted}
		if o := r.Order; o != nil {
			if o.OnHold {
				u.Status = model.OrderOnHold
			}
			for i, it := range o.OrderItems {
				q := float64(it.Quantity)
				u.Lines = append(u.Lines, model.OrderLineUpdate{LineNumber: i + 1, SKU: it.SKU, Description: it.Name, Quantity: &q})
			}
		}
		return model.Changes{Orders: []model.OrderUpdate{u}}, nil
	case model.CommandOrderRelease:
		return model.Changes{Orders: []model.OrderUpdate{{AsOf: at, Reference: r.Reference, ProviderRef: r.Number, Status: model.OrderAccepted}}}, nil
	case model.CommandProductUpsert:
		u := model.ProductUpdate{AsOf: at, SKU: r.Reference, ProviderRef: r.Number}
		if u.ProviderRef == "" {
			u.ProviderRef = r.Reference
		}
		if p := r.Product; p != nil {
			u.Name = p.Name
			if p.Barcode != nil && *p.Barcode != "" {
				u.Barcodes = []string{*p.Barcode}
			}
			u.Attributes = productAttrs(p)
		}
		return model.Changes{Products: []model.ProductUpdate{u}}, nil
	case model.CommandProductGet:
		u := model.ProductUpdate{AsOf: at, SKU: r.Reference, ProviderRef: r.Number}
		if u.ProviderRef == "" {
			u.ProviderRef = r.Reference
		}
		return model.Changes{Products: []model.ProductUpdate{foundProductUpdate(r, u)}}, nil
	case model.CommandInboundCreate, model.CommandInboundUpdate:
		u := model.InboundUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number}
		if r.Kind == model.CommandInboundCreate {
			u.Status = model.InboundAnnounced
		}
		if po := r.PurchaseOrder; po != nil {
			if t, err := ParseTime(po.ExpectedDate); err == nil && !t.IsZero() {
				d := t.Truncate(24 * time.Hour)
				u.ExpectedAt = &d
			}
			for i, it := range po.PurchaseOrderItems {
				q := float64(it.Quantity)
				u.Lines = append(u.Lines, model.InboundLineUpdate{LineNumber: i + 1, SKU: it.SKU, Expected: &q})
			}
		}
		return model.Changes{Inbound: []model.InboundUpdate{u}}, nil
	case model.CommandInboundCancel:
		u := model.InboundUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number, Status: model.InboundCancelled}
		if r.Colour == ColourYellow && !r.Absent {
			u.Status = model.InboundReceived
			for _, l := range r.Received {
				q := l.Received
				u.Lines = append(u.Lines, model.InboundLineUpdate{LineNumber: l.LineNumber, SKU: l.SKU, Expected: &q})
			}
		}
		return model.Changes{Inbound: []model.InboundUpdate{u}}, nil
	case model.CommandReturnCreate:
		u := model.ReturnUpdate{AsOf: at, Reference: r.Reference, ProviderRef: r.Number, Status: model.ReturnAnnounced, Label: r.Label}
		for i, l := range r.Return.Lines {
			u.Lines = append(u.Lines, model.ReturnLine{LineNumber: i + 1, SKU: l.SKU, Quantity: l.Quantity, Reason: l.Reason})
		}
		return model.Changes{Returns: []model.ReturnUpdate{u}}, nil
	}
	return model.Changes{}, fmt.Errorf("%w: command kind %s", provider.ErrBadInput, r.Kind)
}

// productAttrs are the fields of a product sent, by the document's names.
func productAttrs(p *ProductAdd) map[string]string {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	var fields map[string]any
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	delete(fields, "sku")
	delete(fields, "name")
	delete(fields, "barcode")
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(v)
		}
	}
	return out
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

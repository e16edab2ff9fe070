package activeants

import (
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Purchase orders (canonical inbound goods) follow the document's colours,
// which Maya shows:
//
//	red     "This purchase-order is new: no goods have been received"
//	yellow  "not all expected goods have been delivered, but there is at least one
//	        purchase-order-item that has goods (partially) delivered"
//	green   "Each and every purchase-order-item is matched completely to incoming
//	        goods. There are no actions open"
//
// The capture lost the notes of what each colour allows, except for delete
// ("if red/yellow will do a full/partial delete respectively"). The
// connector reads them as the simulator does (activeantssim
// purchaseorders.go), and refuses before sending (409) what they forbid:
//
//   - red: everything may change, and delete removes the purchase order.
//   - yellow: the header may change and lines be added, but no line may go
//     below what was received of it, and no line with goods received may
//     be dropped; delete removes what is still open (the purchase order
//     then holds what was received, and the hub's inbound goods are
//     received).
//   - green: nothing may change, nothing be deleted.
//
// The colour is worked out from the hub's inbound lines (expected and
// received, the latter from the stock mutations' purchase-order links), so
// it is as current as the last sync; Active Ants checks again, and its
// refusal (a NOK naming the colour) is final (provider.ErrRefused): the
// colour only moves on, from red to yellow to green.

// Colours of a purchase order.
const (
	ColourRed    = "red"
	ColourYellow = "yellow"
	ColourGreen  = "green"
)

// Colour grades inbound goods by what was received of their lines.
func Colour(in *model.Inbound) string {
	if in == nil || len(in.Lines) == 0 {
		return ColourRed
	}
	anyReceived, allReceived := false, true
	for _, l := range in.Lines {
		if l.Received > 0 {
			anyReceived = true
		}
		if l.Received < l.Expected {
			allReceived = false
		}
	}
	switch {
	case allReceived && anyReceived:
		return ColourGreen
	case anyReceived:
		return ColourYellow
	}
	return ColourRed
}

// InboundColour is the inbound resource's colour (provider.InboundGrader).
func (c *Connector) InboundColour(in *model.Inbound) string { return Colour(in) }

// received sums what was received of each SKU (the hub counts a SKU's
// receipts on its first line).
func received(in *model.Inbound) map[string]float64 {
	out := map[string]float64{}
	for _, l := range in.Lines {
		out[strings.ToLower(l.SKU)] += l.Received
	}
	return out
}

// CheckPurchaseOrderEdit says whether the colour rules allow changing in
// to what req states; the error wraps provider.ErrConflict.
func CheckPurchaseOrderEdit(in *model.Inbound, req *model.InboundRequest) error {
	colour := Colour(in)
	switch colour {
	case ColourGreen:
		return fmt.Errorf("%w: the purchase order is green: all goods have been received, and it can no longer be changed", provider.ErrConflict)
	case ColourRed:
		return nil
	}
	got := received(in)
	wanted := map[string]float64{}
	for _, l := range req.Lines {
		wanted[strings.ToLower(l.SKU)] += l.Quantity
	}
	for _, l := range in.Lines {
		sku := strings.ToLower(l.SKU)
		r := got[sku]
		if r == 0 {
			continue
		}
		q, listed := wanted[sku]
		if !listed {
			return fmt.Errorf("%w: the purchase order is yellow: sku %s cannot be dropped, %g of it has been received", provider.ErrConflict, l.SKU, r)
		}
		if q < r {
			return fmt.Errorf("%w: the purchase order is yellow: the quantity of sku %s cannot be less than the %g already received", provider.ErrConflict, l.SKU, r)
		}
	}
	return nil
}

// CheckPurchaseOrderDelete says whether the colour rules allow deleting in.
func CheckPurchaseOrderDelete(in *model.Inbound) error {
	if Colour(in) == ColourGreen {
		return fmt.Errorf("%w: the purchase order is green: all goods have been received, and it cannot be deleted", provider.ErrConflict)
	}
	return nil
}

// PurchaseOrderAdd is the body of POST /purchaseorder/add (the document's
// fields: reference, comment, expectedDate, warehouseId,
// purchaseOrderItems[{sku, quantity, expectedDate}]).
type PurchaseOrderAdd struct {
	Reference          string              `json:"reference"`
	Comment            string              `json:"comment,omitempty"`
	ExpectedDate       string              `json:"expectedDate,omitempty"`
	WarehouseID        int64               `json:"warehouseId,omitempty"`
	PurchaseOrderItems []PurchaseOrderItem `json:"purchaseOrderItems"`
}

// PurchaseOrderItem is one item of a purchase order request.
type PurchaseOrderItem struct {
	SKU          string `json:"sku"`
	Quantity     int64  `json:"quantity,omitempty"`
	ExpectedDate string `json:"expectedDate,omitempty"`
}

// PurchaseOrderEdit is the body of the edit (the document's fields:
// purchaseOrderId, reference, comment, expectedDate,
// purchaseOrderItems[{sku, quantity}]: "Any PurchaseOrderItem / SKU not
// listed will not be modified").
type PurchaseOrderEdit struct {
	PurchaseOrderID    int64               `json:"purchaseOrderId"`
	Reference          string              `json:"reference,omitempty"`
	Comment            string              `json:"comment,omitempty"`
	ExpectedDate       string              `json:"expectedDate,omitempty"`
	PurchaseOrderItems []PurchaseOrderItem `json:"purchaseOrderItems,omitempty"`
}

// PurchaseOrderDelete is the body of the delete: the purchase order's id
// alone deletes it (red: fully, yellow: what is open); with SKUs, those
// items.
type PurchaseOrderDelete struct {
	PurchaseOrderID    int64               `json:"purchaseOrderId"`
	PurchaseOrderItems []PurchaseOrderItem `json:"purchaseOrderItems,omitempty"`
}

// PurchaseOrderBody maps canonical inbound goods onto the document's
// purchase order: reference, note comment, expected_at expectedDate
// (midnight UTC, RFC 3339 as the document's example), lines
// purchaseOrderItems (sku, quantity in whole units). The supplier has no
// field in the document and is not sent.
func PurchaseOrderBody(req *model.InboundRequest) (*PurchaseOrderAdd, error) {
	var fe provider.FieldErrors
	po := &PurchaseOrderAdd{Reference: strings.TrimSpace(req.Reference), Comment: req.Note}
	if po.Reference == "" {
		fe = append(fe, provider.FieldError{Field: "reference", Message: "is required"})
	}
	if req.ExpectedAt != "" {
		d, err := time.Parse(time.DateOnly, req.ExpectedAt)
		if err != nil {
			fe = append(fe, provider.FieldError{Field: "expected_at", Message: "must be a date as YYYY-MM-DD", Value: req.ExpectedAt})
		}
		po.ExpectedDate = d.UTC().Format(time.RFC3339)
	}
	if len(req.Lines) == 0 {
		fe = append(fe, provider.FieldError{Field: "lines", Message: "at least one line is required"})
	}
	seen := map[string]bool{}
	for i, l := range req.Lines {
		sku := strings.TrimSpace(l.SKU)
		if seen[strings.ToLower(sku)] {
			fe = append(fe, provider.FieldError{Field: fmt.Sprintf("lines[%d].sku", i), Message: "is listed twice: Active Ants keeps one item per SKU", Value: l.SKU})
		}
		seen[strings.ToLower(sku)] = true
		q, ok := wholeUnits(l.Quantity)
		if !ok {
			fe = append(fe, provider.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Message: "must be a positive whole number: Active Ants counts units", Value: l.Quantity})
		}
		po.PurchaseOrderItems = append(po.PurchaseOrderItems, PurchaseOrderItem{SKU: sku, Quantity: q})
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return po, nil
}

// purchaseOrderEdit is the edit of a purchase order to what add states,
// and the SKUs of in that add no longer lists (to be deleted).
func purchaseOrderEdit(id int64, add *PurchaseOrderAdd, in *model.Inbound) (*PurchaseOrderEdit, []PurchaseOrderItem) {
	e := &PurchaseOrderEdit{PurchaseOrderID: id, Reference: add.Reference, Comment: add.Comment, ExpectedDate: add.ExpectedDate,
		PurchaseOrderItems: add.PurchaseOrderItems}
	listed := map[string]bool{}
	for _, it := range add.PurchaseOrderItems {
		listed[strings.ToLower(it.SKU)] = true
	}
	var drop []PurchaseOrderItem
	if in != nil {
		for _, l := range in.Lines {
			if !listed[strings.ToLower(l.SKU)] {
				listed[strings.ToLower(l.SKU)] = true
				drop = append(drop, PurchaseOrderItem{SKU: l.SKU})
			}
		}
	}
	return e, drop
}

package activeantssim

import (
	"net/http"
	"strings"
	"time"
)

// Purchase orders follow the document's colours, which Maya shows:
//
//	RED     new, nothing received
//	YELLOW  not complete, at least one item (partially) received
//	GREEN   every item received completely, "no actions open"
//
// The document keeps the notes of what each colour allows (its "Notes:"
// are empty in the capture) except for delete: "if red/yellow will do a
// full/partial delete respectively". The simulator reads the rest so:
//
//   - RED: everything may change: reference, comment, expected date, any
//     item's quantity, new items; delete removes the order or the items.
//   - YELLOW: the header may change and items be added, but no item may go
//     below what was received of it; delete cancels what is still open (an
//     item with nothing received goes, a partly received one is cut to what
//     was received) and refuses an item received completely.
//   - GREEN: nothing may change and nothing be deleted.
//
// A forbidden change is refused as a whole (HTTP 200, NOK) with the
// colour in the message, and changes nothing.

type poItemRequest struct {
	Sku                  string  `json:"sku"`
	Quantity             flexInt `json:"quantity"`
	ExpectedDate         string  `json:"expectedDate"`
	ExpectedDeliveryDate string  `json:"expectedDeliveryDate"`
}

type poRequest struct {
	PurchaseOrderID    flexInt                  `json:"purchaseOrderId"`
	Reference          *string                  `json:"reference"`
	Comment            *string                  `json:"comment"`
	ExpectedDate       string                   `json:"expectedDate"`
	WarehouseID        flexInt                  `json:"warehouseId"`
	PurchaseOrderItems oneOrMany[poItemRequest] `json:"purchaseOrderItems"`
	// ApiPurchaseOrderItemViewModels is afosto's name for the items.
	APIPurchaseOrderItemViewModels oneOrMany[poItemRequest] `json:"apiPurchaseOrderItemViewModels"`
}

func (req *poRequest) items() []poItemRequest {
	if len(req.PurchaseOrderItems) > 0 {
		return req.PurchaseOrderItems
	}
	return req.APIPurchaseOrderItemViewModels
}

func optDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseDate(s)
	if err != nil {
		return time.Time{}, invalid("%s: %v", field, err)
	}
	return t, nil
}

func (s *Sim) addPurchaseOrder(w http.ResponseWriter, r *http.Request, _ []string) {
	var req poRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	id, err := s.createPO(&req)
	s.answer(w, http.StatusOK, "PurchaseOrder added successfully.", id, err)
}

func (s *Sim) createPO(req *poRequest) (int64, error) {
	if req.Reference == nil || *req.Reference == "" {
		return 0, invalid("reference is required")
	}
	items := req.items()
	if len(items) == 0 {
		return 0, invalid("purchaseOrderItems is required")
	}
	for _, po := range s.w.pos {
		if !po.deleted && strings.EqualFold(po.reference, *req.Reference) {
			return 0, refuse("PurchaseOrder with reference (%s) already exists.", *req.Reference)
		}
	}
	expected, err := optDate("expectedDate", req.ExpectedDate)
	if err != nil {
		return 0, err
	}
	po := &purchaseOrder{reference: *req.Reference, expected: expected, warehouseID: req.WarehouseID.V}
	if req.Comment != nil {
		po.comment = *req.Comment
	}
	for i, it := range items {
		if err := s.checkPOItem(i, it); err != nil {
			return 0, err
		}
		d := it.ExpectedDate
		if d == "" {
			d = it.ExpectedDeliveryDate
		}
		ed, err := optDate("purchaseOrderItems.expectedDate", d)
		if err != nil {
			return 0, err
		}
		if po.item(it.Sku) != nil {
			return 0, refuse("Sku (%s) is listed twice.", it.Sku)
		}
		po.items = append(po.items, &poItem{sku: s.w.bySKU[strings.ToLower(it.Sku)].sku, qty: int(it.Quantity.V), expected: ed})
	}
	s.w.addPurchaseOrder(po, s.warehouseNow())
	return po.id, nil
}

func (s *Sim) checkPOItem(i int, it poItemRequest) error {
	if it.Sku == "" {
		return invalid("purchaseOrderItems[%d].sku is required", i)
	}
	if !it.Quantity.Set {
		return invalid("purchaseOrderItems[%d].quantity is required", i)
	}
	if it.Quantity.V <= 0 {
		return refuse("Quantity of sku (%s) must be positive.", it.Sku)
	}
	if s.w.bySKU[strings.ToLower(it.Sku)] == nil {
		return refuse("Product with sku (%s) does not exist.", it.Sku)
	}
	return nil
}

func (s *Sim) lookupPO(req *poRequest) (*purchaseOrder, error) {
	if !req.PurchaseOrderID.Set {
		return nil, invalid("purchaseOrderId is required")
	}
	po := s.w.pos[req.PurchaseOrderID.V]
	if po == nil || po.deleted {
		return nil, refuse("PurchaseOrder (%d) not found.", req.PurchaseOrderID.V)
	}
	return po, nil
}

func (s *Sim) editPurchaseOrder(w http.ResponseWriter, r *http.Request, _ []string) {
	var req poRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	id, err := s.editPO(&req)
	s.answer(w, http.StatusOK, "PurchaseOrder(Items) processed successfully.", id, err)
}

func (s *Sim) editPO(req *poRequest) (int64, error) {
	po, err := s.lookupPO(req)
	if err != nil {
		return 0, err
	}
	colour := po.colour()
	if colour == Green {
		return 0, refuse("PurchaseOrder (%d) is GREEN: all goods have been received and it can no longer be edited.", po.id)
	}
	expected, err := optDate("expectedDate", req.ExpectedDate)
	if err != nil {
		return 0, err
	}
	items := req.items()
	for i, it := range items {
		if err := s.checkPOItem(i, it); err != nil {
			return 0, err
		}
		if ex := po.item(it.Sku); ex != nil && colour == Yellow && int(it.Quantity.V) < ex.received {
			return 0, refuse("PurchaseOrder (%d) is YELLOW: the quantity of sku (%s) cannot be less than the %d already received.", po.id, ex.sku, ex.received)
		}
	}
	if req.Reference != nil && *req.Reference != "" {
		po.reference = *req.Reference
	}
	if req.Comment != nil {
		po.comment = *req.Comment
	}
	if !expected.IsZero() {
		po.expected = expected
	}
	for _, it := range items {
		p := s.w.bySKU[strings.ToLower(it.Sku)]
		ex := po.item(it.Sku)
		if ex == nil {
			ex = &poItem{sku: p.sku}
			po.items = append(po.items, ex)
		}
		p.incoming += int(it.Quantity.V) - ex.qty
		p.needsSync = true
		ex.qty = int(it.Quantity.V)
	}
	return po.id, nil
}

func (s *Sim) deletePurchaseOrder(w http.ResponseWriter, r *http.Request, _ []string) {
	var req poRequest
	if err := decodeBody(r, &req); err != nil {
		s.answer(w, 0, "", nil, err)
		return
	}
	id, err := s.deletePO(&req)
	s.answer(w, http.StatusOK, "PurchaseOrder(Items) deleted successfully.", id, err)
}

func (s *Sim) deletePO(req *poRequest) (int64, error) {
	po, err := s.lookupPO(req)
	if err != nil {
		return 0, err
	}
	colour := po.colour()
	if colour == Green {
		return 0, refuse("PurchaseOrder (%d) is GREEN: all goods have been received and it cannot be deleted.", po.id)
	}
	targets := po.items
	if items := req.items(); len(items) > 0 {
		targets = nil
		for _, it := range items {
			ex := po.item(it.Sku)
			if ex == nil {
				return 0, refuse("Sku (%s) is not part of PurchaseOrder (%d).", it.Sku, po.id)
			}
			if colour == Yellow && ex.received >= ex.qty {
				return 0, refuse("PurchaseOrder (%d) is YELLOW: sku (%s) has been received completely and cannot be deleted.", po.id, ex.sku)
			}
			targets = append(targets, ex)
		}
	}
	var keep []*poItem
	for _, it := range po.items {
		hit := false
		for _, t := range targets {
			hit = hit || t == it
		}
		if !hit {
			keep = append(keep, it)
			continue
		}
		if p := s.w.bySKU[strings.ToLower(it.sku)]; p != nil {
			p.incoming = max(p.incoming-(it.qty-it.received), 0)
			p.needsSync = true
		}
		if it.received > 0 { // yellow: cut to what was received
			it.qty = it.received
			keep = append(keep, it)
		}
	}
	po.items = keep
	if len(keep) == 0 {
		po.deleted = true
	}
	return po.id, nil
}

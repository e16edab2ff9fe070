package wicssim

import (
	"fmt"
	"net/http"
	"strconv"
)

// Receipts (goods received against an announcement): GET /api/receipt,
// GET /api/receipt/{identifier} and GET /api/receipt/{identifier}/serialnumber.

type simReceipt struct {
	number       string
	announcement *simAnnouncement
	date         string
	lines        []*simReceiptLine
}

type simReceiptLine struct {
	number          int
	item            *simItem
	expected, qty   int
	eansscc         string
	lot, bestBefore string
	serials         []string
	warehouse       string
}

type receiptLineView struct {
	LineNumber             int     `json:"lineNumber"`
	ItemCode               string  `json:"itemCode"`
	ItemDescription        string  `json:"itemDescription"`
	QuantityExpected       int     `json:"quantityExpected"`
	QuantityReceived       int     `json:"quantityReceived"`
	Unit                   string  `json:"unit"`
	StatusCode             string  `json:"statusCode"`
	StatusDescription      string  `json:"statusDescription"`
	StockStatusCode        string  `json:"stockStatusCode"`
	StockStatusDescription string  `json:"stockStatusDescription"`
	HasSerialNumbers       bool    `json:"hasSerialNumbers"`
	WarehouseCode          string  `json:"warehouseCode"`
	BestBeforeDate         *string `json:"bestBeforeDate,omitempty"`
	LotNumber              string  `json:"lotNumber,omitempty"`
	EANSSCC                string  `json:"EANSSCC"`
}

// receiptView is a receipt as its get endpoint shows it; the list leaves
// out the lines.
type receiptView struct {
	Number                 string            `json:"number"`
	Reference              string            `json:"reference"`
	ReceiptDate            string            `json:"receiptDate"`
	Warehouse              string            `json:"warehouse"`
	StockStatusCode        string            `json:"stockStatusCode"`
	StockStatusDescription string            `json:"stockStatusDescription"`
	TypeCode               string            `json:"typeCode"`
	TypeDescription        string            `json:"typeDescription"`
	StatusCode             string            `json:"statusCode"`
	StatusDescription      string            `json:"statusDescription"`
	HasSerialNumbers       bool              `json:"hasSerialNumbers"`
	CustomerNumber         int               `json:"customerNumber"`
	Lines                  []receiptLineView `json:"lines,omitempty"`
}

func (s *Server) receiptView(rc *simReceipt, full bool) receiptView {
	a := rc.announcement
	v := receiptView{Number: rc.number, Reference: a.body.Reference, ReceiptDate: rc.date, Warehouse: a.warehouse(),
		StockStatusCode: "31", StockStatusDescription: "Vrij", TypeCode: a.body.Type, TypeDescription: "Normaal, wel naar RF",
		StatusCode: "60", StatusDescription: "Opgeslagen", CustomerNumber: s.st.customer}
	for _, l := range rc.lines {
		v.HasSerialNumbers = v.HasSerialNumbers || len(l.serials) > 0
	}
	if !full {
		return v
	}
	for _, l := range rc.lines {
		lv := receiptLineView{LineNumber: l.number, ItemCode: l.item.body.Code, ItemDescription: l.item.body.Description,
			QuantityExpected: l.expected, QuantityReceived: l.qty, Unit: "ST", StatusCode: "60", StatusDescription: "Opgeslagen",
			StockStatusCode: "31", StockStatusDescription: "Vrij", HasSerialNumbers: len(l.serials) > 0,
			WarehouseCode: l.warehouse, LotNumber: l.lot, EANSSCC: l.eansscc}
		if l.bestBefore != "" {
			bb := l.bestBefore
			lv.BestBeforeDate = &bb
		}
		v.Lines = append(v.Lines, lv)
	}
	return v
}

// receive receives everything an announcement expects: the Receipt
// webhook, then per line a stock mutation and the stock. Call with s.mu
// held.
func (s *Server) receive(a *simAnnouncement) {
	s.st.nextReceipt++
	now := s.clock.Now().In(amsterdam)
	rc := &simReceipt{number: strconv.Itoa(1620 + s.st.nextReceipt), announcement: a, date: now.Format(layoutDate)}
	wh, free, freeText, stored, storedText := a.warehouse(), "31", "Vrij", "60", "Opgeslagen"
	hook := Receipt{MetaFields: metaOrEmpty(a.body.MetaFields), Number: rc.number, Reference: a.body.Reference,
		ReceiptDate: midnight(now).Format(layoutDateTime), Warehouse: &wh, StockStatusCode: &free,
		StockStatusDescription: &freeText, StatusCode: &stored, StatusDescription: &storedText, CustomerNumber: s.st.customer}
	for _, l := range a.lines {
		rl := &simReceiptLine{number: l.number, item: l.item, expected: l.expected, qty: l.expected, eansscc: s.st.ean(),
			lot: l.body.LotNumber.value, bestBefore: l.body.BestBeforeDate.value, warehouse: wh}
		if l.item.serials {
			for range l.expected {
				rl.serials = append(rl.serials, s.st.serial(l.item.body.Code))
			}
		}
		rc.lines = append(rc.lines, rl)
		n, desc := l.number, l.item.body.Description
		h := ReceiptLine{MetaFields: metaOrEmpty(l.body.MetaFields), LineNumber: &n, ItemCode: l.item.body.Code,
			ItemDescription: &desc, QuantityExpected: l.expected, QuantityReceived: l.expected, Unit: "ST",
			StatusCode: &stored, StatusDescription: &storedText, HasSerialNumbers: len(rl.serials) > 0,
			LotNumber: rl.lot, EANSSCC: rl.eansscc, StockStatusCode: free, StockStatusDescription: freeText}
		if rl.bestBefore != "" {
			bb := rl.bestBefore
			h.BestBeforeDate = &bb
		}
		hook.HasSerialNumbers = hook.HasSerialNumbers || h.HasSerialNumbers
		hook.Lines = append(hook.Lines, h)
	}
	a.receipt = rc
	s.st.receipts = append(s.st.receipts, rc)
	s.st.receiptBy[rc.number] = rc
	s.emit(TopicReceipt, a.body.Reference, hook)
	for _, rl := range rc.lines {
		lv := rl.item.stock(wh)
		lv.announced -= rl.qty
		lv.salable += rl.qty
		s.mutateStock(rl.item, rl.qty, reasonReceipt, &stockDetail{warehouse: wh, location: "RA01A1", quantity: rl.qty,
			eansscc: rl.eansscc, lot: rl.lot, bestBefore: rl.bestBefore, serials: append([]string(nil), rl.serials...)})
	}
}

func (s *Server) listReceipts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*simReceipt]{noun: "receipts", records: s.st.receipts,
		full: func(rc *simReceipt) map[string]any { return flatten(s.receiptView(rc, true)) },
		view: func(rc *simReceipt) any { return s.receiptView(rc, false) }})
}

func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := s.st.receiptBy[r.PathValue("id")]
	if rc == nil {
		s.fail(w, notFound("Receipt %s not found", r.PathValue("id")))
		return
	}
	ok(w, http.StatusOK, "Receipt "+rc.number, s.receiptView(rc, true))
}

func (s *Server) receiptSerials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := s.st.receiptBy[r.PathValue("id")]
	if rc == nil {
		s.fail(w, notFound("Receipt %s not found", r.PathValue("id")))
		return
	}
	data := []serialView{}
	for _, l := range rc.lines {
		if len(l.serials) == 0 {
			continue
		}
		sv := serialView{ItemCode: l.item.body.Code, Description: l.item.body.Description, LineNumber: l.number}
		for _, sn := range l.serials {
			sv.SerialNumbers = append(sv.SerialNumbers, []string{sn})
		}
		data = append(data, sv)
	}
	ok(w, http.StatusOK, fmt.Sprintf("List of %d serialnumbers", len(data)), data)
}

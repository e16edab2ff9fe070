package wicssim

import (
	"fmt"
	"net/http"
	"strings"
)

// Stock: GET /api/stock, /api/stock/{itemCode}, /api/stock/detail,
// /api/stock/{itemCode}/detail and /api/stock/{EANSSCC}/serialnumber.

// stockDetail is one handling unit of an item at a location.
type stockDetail struct {
	warehouse, location string
	quantity            int
	eansscc             string
	lot, bestBefore     string
	serials             []string
}

type stockWarehouseView struct {
	Announced     int    `json:"announced"`
	Physical      int    `json:"physical"`
	NettoSalable  int    `json:"nettoSalable"`
	WarehouseCode string `json:"warehouseCode"`
}

type stockView struct {
	ItemCode        string               `json:"itemCode"`
	ItemDescription string               `json:"itemDescription"`
	Physical        int                  `json:"physical"`
	NettoSalable    int                  `json:"nettoSalable"`
	Announced       int                  `json:"announced"`
	CustomerNumber  int                  `json:"customerNumber"`
	Warehouses      []stockWarehouseView `json:"warehouses"`
}

type stockDetailView struct {
	ItemCode               string  `json:"itemCode"`
	ItemDescription        string  `json:"itemDescription"`
	CustomerNr             int     `json:"customerNr"`
	WarehouseCode          string  `json:"warehouseCode"`
	Location               string  `json:"location"`
	StockStatusCode        string  `json:"stockStatusCode"`
	StockStatusDescription string  `json:"stockStatusDescription"`
	BestBefore             *string `json:"bestBefore"`
	LotNumber              string  `json:"lotNumber"`
	QuantitySKU            int     `json:"quantitySKU"`
	SkuCode                string  `json:"skuCode"`
	QuantityHU             int     `json:"quantityHU"`
	HuCode                 string  `json:"huCode"`
	Eansscc                string  `json:"eansscc"`
}

// serialView is a serial number answer of the receipt, shipment and stock
// endpoints; each serial number is a list of one, as in the document.
type serialView struct {
	ItemCode      string     `json:"itemCode"`
	Description   string     `json:"description"`
	LineNumber    int        `json:"lineNumber"`
	SerialNumbers [][]string `json:"serialNumbers"`
}

func (st *state) stockView(it *simItem) stockView {
	v := stockView{ItemCode: it.body.Code, ItemDescription: it.body.Description, CustomerNumber: st.customer,
		Warehouses: []stockWarehouseView{}}
	for _, l := range it.levels {
		v.Physical += l.physical
		v.NettoSalable += l.salable
		v.Announced += l.announced
		v.Warehouses = append(v.Warehouses, stockWarehouseView{Announced: l.announced, Physical: l.physical,
			NettoSalable: l.salable, WarehouseCode: l.warehouse})
	}
	return v
}

func (st *state) detailViews(it *simItem) []stockDetailView {
	var out []stockDetailView
	for _, d := range it.details {
		if d.quantity <= 0 {
			continue
		}
		v := stockDetailView{ItemCode: it.body.Code, ItemDescription: it.body.Description, CustomerNr: st.customer,
			WarehouseCode: d.warehouse, Location: d.location, StockStatusCode: "31", StockStatusDescription: "Vrij",
			LotNumber: d.lot, QuantitySKU: d.quantity, SkuCode: "ST", QuantityHU: d.quantity, HuCode: "ST", Eansscc: d.eansscc}
		if d.bestBefore != "" {
			bb := d.bestBefore
			v.BestBefore = &bb
		}
		out = append(out, v)
	}
	return out
}

// emitStock sends an item's stock level (topic Stock). Call with s.mu held.
func (s *Server) emitStock(it *simItem) {
	v := s.st.stockView(it)
	s.emit(TopicStock, it.body.Code, Stock{ItemCode: v.ItemCode, ItemDescription: v.ItemDescription,
		Physical: v.Physical, NettoSalable: v.NettoSalable, Announced: v.Announced, CustomerNumber: v.CustomerNumber})
}

// mutateStock changes an item's physical stock by qty at its first location
// (or a new handling unit for a receipt) and sends the stock mutation and
// the new level. Taking stock takes serial numbers too; it returns them.
// Call with s.mu held.
func (s *Server) mutateStock(it *simItem, qty int, r reason, newUnit *stockDetail) []string {
	l := it.stock("WHS")
	l.physical += qty
	var d *stockDetail
	var taken []string
	switch {
	case newUnit != nil:
		d = newUnit
		it.details = append(it.details, d)
	case qty < 0:
		for _, c := range it.details {
			if c.quantity > 0 {
				d = c
				break
			}
		}
		if d == nil {
			d = &stockDetail{warehouse: "WHS", location: "AA99Z9", eansscc: s.st.ean()}
			it.details = append(it.details, d)
		}
		d.quantity += qty
		n := min(-qty, len(d.serials))
		taken = append(taken, d.serials[:n]...)
		d.serials = d.serials[n:]
	default:
		if len(it.details) == 0 {
			it.details = append(it.details, &stockDetail{warehouse: "WHS", location: "AA99Z9", eansscc: s.st.ean()})
		}
		d = it.details[0]
		d.quantity += qty
	}
	m := StockMutation{EANSSCC: d.eansscc, CustomerNumber: s.st.customer, HasSerialNumbers: it.serials,
		ItemCode: it.body.Code, Location: d.location, LotNumber: d.lot, Quantity: qty, ReasonCode: r.code,
		ReasonCodeDescription: r.description, RegistrationDate: s.clock.Now().In(amsterdam).Format(layoutDateTime),
		StockKeepingUnit: "ST", StockStatus: 31, TypeMove: r.typeMove, WarehouseCode: d.warehouse}
	if d.bestBefore != "" {
		bb := d.bestBefore
		m.BestBeforeDate = &bb
	}
	s.emit(TopicStockMutation, it.body.Code, m)
	s.emitStock(it)
	return taken
}

func (s *Server) listStock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*simItem]{noun: "items", records: s.st.items,
		full: func(it *simItem) map[string]any { return flatten(s.st.stockView(it)) },
		view: func(it *simItem) any { return s.st.stockView(it) }})
}

func (s *Server) getStock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.itemBy[r.PathValue("code")]
	if it == nil {
		s.fail(w, notFound("No stock found for item %s", r.PathValue("code")))
		return
	}
	ok(w, http.StatusOK, "Stock "+it.body.Code, s.st.stockView(it))
}

func (s *Server) allDetails() []stockDetailView {
	var out []stockDetailView
	for _, it := range s.st.items {
		out = append(out, s.st.detailViews(it)...)
	}
	return out
}

func (s *Server) listStockDetail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[stockDetailView]{noun: "stock details", records: s.allDetails(),
		full: func(d stockDetailView) map[string]any { return flatten(d) },
		view: func(d stockDetailView) any { return d }})
}

func (s *Server) getStockDetail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.itemBy[r.PathValue("code")]
	if it == nil {
		s.fail(w, notFound("No stock found for item %s", r.PathValue("code")))
		return
	}
	serveList(s, w, r, listing[stockDetailView]{noun: "stock details", records: s.st.detailViews(it),
		full: func(d stockDetailView) map[string]any { return flatten(d) },
		view: func(d stockDetailView) any { return d }})
}

// stockSerials answers the serial numbers of the handling unit with an
// EANSSCC, all in one list as in the document's example.
func (s *Server) stockSerials(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := r.PathValue("code")
	for _, it := range s.st.items {
		for _, d := range it.details {
			if !strings.EqualFold(d.eansscc, code) {
				continue
			}
			data := []serialView{}
			if len(d.serials) > 0 {
				data = append(data, serialView{ItemCode: it.body.Code, Description: it.body.Description,
					SerialNumbers: [][]string{append([]string(nil), d.serials...)}})
			}
			ok(w, http.StatusOK, fmt.Sprintf("List of %d serialnumbers", len(d.serials)), data)
			return
		}
	}
	s.fail(w, notFound("No stock found for EANSSCC %s", code))
}

package wicssim

import (
	"fmt"
	"net/http"
	"strings"
)

// Items: GET /api/item, GET /api/item/{code} (not in the document, which
// lists items only; the simulator answers it like the other get endpoints),
// the EAN conversions, POST /api/item, POST /api/item/list and
// PUT /api/item/{identifier}.

// itemBody is an item as created (the document's "Create Item" fields).
type itemBody struct {
	Code                string          `json:"code"`
	Description         string          `json:"description"`
	InternalDescription string          `json:"internalDescription"`
	Assembled           bool            `json:"assembled"`
	AssemblyType        string          `json:"assemblyType,omitempty"`
	ItemGroup           string          `json:"itemGroup"`
	DefaultUnit         string          `json:"defaultUnit"`
	StatusCode          flexNumber      `json:"statusCode"`
	Barcode             string          `json:"barcode,omitempty"`
	SafetyDataSheet     string          `json:"safetyDataSheet,omitempty"`
	Traceability        string          `json:"traceability,omitempty"`
	Weight              flexNumber      `json:"weight,omitempty"`
	BestBefore          *itemBestBefore `json:"bestBefore,omitempty"`
	Components          []itemComponent `json:"components,omitempty"`
	Units               []itemUnit      `json:"units,omitempty"`
	Warehouses          []itemWarehouse `json:"warehouses,omitempty"`
}

type itemBestBefore struct {
	ReceiptDateEntry string `json:"receiptDateEntry"`
	BestBeforePeriod int    `json:"bestBeforePeriod"`
	QuarantinePeriod int    `json:"quarantinePeriod"`
	WarrantyPeriod   int    `json:"warrantyPeriod"`
}

type itemComponent struct {
	Code     string     `json:"code"`
	SkuCode  string     `json:"skuCode"`
	Quantity flexNumber `json:"quantity"`
}

type itemUnit struct {
	Unit      string     `json:"unit"`
	Length    flexNumber `json:"length"`
	Width     flexNumber `json:"width"`
	Height    flexNumber `json:"height"`
	AmountSKU int        `json:"amountSKU"`
	Barcode   string     `json:"barcode,omitempty"`
}

type itemWarehouse struct {
	Code            string `json:"code"`
	MinimumQuantity int    `json:"minimumQuantity"`
	MaximumQuantity int    `json:"maximumQuantity"`
	SafeQuantity    int    `json:"safeQuantity"`
	ReorderQuantity int    `json:"reorderQuantity"`
}

// itemUpdate is the document's "Update Item" body; absent fields stay.
type itemUpdate struct {
	Description     *string         `json:"description"`
	Assembled       *bool           `json:"assembled"`
	DefaultUnit     *string         `json:"defaultUnit"`
	SafetyDataSheet *string         `json:"safetyDataSheet"`
	StatusCode      *flexNumber     `json:"statusCode"`
	Traceability    *string         `json:"traceability"`
	Weight          *flexNumber     `json:"weight"`
	BestBefore      *itemBestBefore `json:"bestBefore"`
	Units           []itemUnit      `json:"units"`
}

// simItem is a catalogue item with its stock.
type simItem struct {
	body    itemBody
	serials bool
	lots    bool
	levels  []*whLevel
	details []*stockDetail
}

// whLevel is an item's stock in one warehouse.
type whLevel struct {
	warehouse                    string
	physical, salable, announced int
}

func (it *simItem) stock(wh string) *whLevel {
	for _, l := range it.levels {
		if l.warehouse == wh {
			return l
		}
	}
	l := &whLevel{warehouse: wh}
	it.levels = append(it.levels, l)
	return l
}

// itemListView is a row of the item list, as the document's example.
type itemListView struct {
	Code                string `json:"code"`
	InternalDescription string `json:"internalDescription"`
	Description         string `json:"description"`
	ItemGroup           string `json:"itemGroup"`
	DefaultUnit         string `json:"defaultUnit"`
	Assembled           bool   `json:"assembled"`
	StatusCode          string `json:"statusCode"`
}

func (it *simItem) listView() any {
	b := it.body
	return itemListView{Code: b.Code, InternalDescription: b.InternalDescription, Description: b.Description,
		ItemGroup: b.ItemGroup, DefaultUnit: b.DefaultUnit, Assembled: b.Assembled, StatusCode: string(b.StatusCode)}
}

func (it *simItem) ean() string {
	if it.body.Barcode != "" {
		return it.body.Barcode
	}
	for _, u := range it.body.Units {
		if u.Barcode != "" {
			return u.Barcode
		}
	}
	return ""
}

func (st *state) addItem(it *simItem) {
	st.items = append(st.items, it)
	st.itemBy[it.body.Code] = it
	st.indexEANs(it)
	it.stock("WHS")
}

func (st *state) indexEANs(it *simItem) {
	if it.body.Barcode != "" {
		st.eanBy[it.body.Barcode] = it
	}
	for _, u := range it.body.Units {
		if u.Barcode != "" {
			st.eanBy[u.Barcode] = it
		}
	}
}

// validateItem checks a new item: a code, an internal description ("only
// required for WICS", and WICS is what this is) of at most 40 characters,
// no code twice. taken holds the codes of the same
// request.
func (st *state) validateItem(b itemBody, prefix string, taken map[string]bool, v validation) {
	v.required(prefix+"code", strings.TrimSpace(b.Code) == "")
	v.required(prefix+"internalDescription", strings.TrimSpace(b.InternalDescription) == "")
	if n := len([]rune(b.InternalDescription)); n > 40 {
		v.add(prefix+"internalDescription", "The %sinternalDescription may not be greater than 40 characters (it has %d).", prefix, n)
	}
	if b.Code != "" && (st.itemBy[b.Code] != nil || taken[b.Code]) {
		v.add(prefix+"code", "Item with code %s already exists.", b.Code)
	}
	switch b.Traceability {
	case "", "lot", "serialnumber", "none":
	default:
		v.add(prefix+"traceability", "The %straceability must be lot, serialnumber or none.", prefix)
	}
	taken[b.Code] = true
}

func newSimItem(b itemBody) *simItem {
	if b.StatusCode == "" {
		b.StatusCode = "30"
	}
	return &simItem{body: b, serials: b.Traceability == "serialnumber", lots: b.Traceability == "lot" || b.BestBefore != nil}
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*simItem]{noun: "items", records: s.st.items,
		full: func(it *simItem) map[string]any { return flatten(it.body) },
		view: func(it *simItem) any { return it.listView() }})
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.itemBy[r.PathValue("code")]
	if it == nil {
		s.fail(w, notFound("Item %s not found", r.PathValue("code")))
		return
	}
	ok(w, http.StatusOK, "Item "+it.body.Code, it.body)
}

func (s *Server) eanToItem(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ean := r.PathValue("ean")
	it := s.st.eanBy[ean]
	if it == nil {
		s.fail(w, notFound("No itemcode found for EAN %s", ean))
		return
	}
	ok(w, http.StatusOK, "Found itemcode for EAN "+ean, it.body.Code)
}

func (s *Server) itemToEAN(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := r.PathValue("code")
	it := s.st.itemBy[code]
	if it == nil || it.ean() == "" {
		s.fail(w, notFound("No EAN found for item code %s", code))
		return
	}
	ok(w, http.StatusOK, "Found EAN for item code "+code, it.ean())
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request) {
	var b itemBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := validation{}
	s.st.validateItem(b, "", map[string]bool{}, v)
	if e := v.err(); e != nil {
		s.fail(w, e)
		return
	}
	s.st.addItem(newSimItem(b))
	s.emitStock(s.st.itemBy[b.Code])
	ok(w, http.StatusCreated, fmt.Sprintf("Item with %s created successfully", b.Code), nil)
}

// createItems creates a list of items, all or none.
func (s *Server) createItems(w http.ResponseWriter, r *http.Request) {
	var bs []itemBody
	if e := decode(r, &bs); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(bs) == 0 {
		s.fail(w, unprocessable("The list of items is empty."))
		return
	}
	v := validation{}
	taken := map[string]bool{}
	for i, b := range bs {
		s.st.validateItem(b, fmt.Sprintf("%d.", i), taken, v)
	}
	if e := v.err(); e != nil {
		s.fail(w, e)
		return
	}
	var codes []string
	for _, b := range bs {
		s.st.addItem(newSimItem(b))
		s.emitStock(s.st.itemBy[b.Code])
		codes = append(codes, b.Code)
	}
	ok(w, http.StatusCreated, fmt.Sprintf("Item with %s created successfully", strings.Join(codes, ", ")), nil)
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) {
	var u itemUpdate
	if e := decode(r, &u); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := r.PathValue("code")
	it := s.st.itemBy[code]
	if it == nil {
		s.fail(w, notFound("Item %s not found", code))
		return
	}
	b := &it.body
	set(&b.Description, u.Description)
	set(&b.Assembled, u.Assembled)
	set(&b.DefaultUnit, u.DefaultUnit)
	set(&b.SafetyDataSheet, u.SafetyDataSheet)
	set(&b.StatusCode, u.StatusCode)
	set(&b.Traceability, u.Traceability)
	set(&b.Weight, u.Weight)
	if u.BestBefore != nil {
		b.BestBefore = u.BestBefore
	}
	if u.Units != nil {
		b.Units = u.Units
		s.st.indexEANs(it)
	}
	ok(w, http.StatusOK, fmt.Sprintf("Item with number %s has been updated.", code), []string{code})
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

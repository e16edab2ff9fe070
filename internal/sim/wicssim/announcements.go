package wicssim

import (
	"fmt"
	"net/http"
	"strconv"
)

// Announcements (expected inbound goods): GET|POST /api/announcement and
// GET|PUT|DELETE /api/announcement/{identifier}.

type announcementLineBody struct {
	LineNumber       *int    `json:"lineNumber"`
	ItemCode         string  `json:"itemCode"`
	ItemDescription  string  `json:"itemDescription"`
	Unit             string  `json:"unit"`
	QuantityExpected *int    `json:"quantityExpected"`
	LotNumber        present `json:"lotNumber"`
	BestBeforeDate   present `json:"bestBeforeDate"`
	MetaFields       any     `json:"metaFields,omitempty"`
}

// announcementBody is the document's "Create Announcement" body. The
// document's example writes the warehouse as "warehouse", its field table
// as "warehouseCode"; both are read.
type announcementBody struct {
	Reference           string                 `json:"reference"`
	AdditionalReference string                 `json:"additionalReference"`
	PlannedDate         string                 `json:"plannedDate"`
	Type                string                 `json:"type"`
	Warehouse           string                 `json:"warehouse"`
	WarehouseCode       string                 `json:"warehouseCode"`
	Door                string                 `json:"door"`
	Carrier             *int                   `json:"carrier"`
	StockStatus         *int                   `json:"stockStatus"`
	Supplier            *int                   `json:"supplier"`
	MetaFields          any                    `json:"metaFields,omitempty"`
	Lines               []announcementLineBody `json:"lines"`
}

type simAnnouncement struct {
	number  string
	body    announcementBody
	status  code
	lines   []*simAnnouncementLine
	receipt *simReceipt
	deleted bool
}

type simAnnouncementLine struct {
	body     announcementLineBody
	number   int
	item     *simItem
	expected int
}

func (a *simAnnouncement) nr() int { n, _ := strconv.Atoi(a.number); return n }

func (a *simAnnouncement) warehouse() string {
	switch {
	case a.body.WarehouseCode != "":
		return a.body.WarehouseCode
	case a.body.Warehouse != "":
		return a.body.Warehouse
	}
	return "WHS"
}

type announcementLineView struct {
	LineNumber       int     `json:"lineNumber"`
	ItemCode         string  `json:"itemCode"`
	ItemDescription  string  `json:"itemDescription"`
	Unit             string  `json:"unit"`
	QuantityExpected int     `json:"quantityExpected"`
	LotNumber        string  `json:"lotNumber"`
	BestBeforeDate   *string `json:"bestBeforeDate"`
}

// announcementView is an announcement as its get endpoint shows it; the
// list leaves out additionalReference, door and lines.
type announcementView struct {
	Number              string                 `json:"number"`
	Reference           string                 `json:"reference"`
	AdditionalReference *string                `json:"additionalReference,omitempty"`
	PlannedDate         string                 `json:"plannedDate"`
	Type                string                 `json:"type"`
	WarehouseCode       string                 `json:"warehouseCode"`
	Door                *string                `json:"door,omitempty"`
	Supplier            int                    `json:"supplier"`
	Carrier             int                    `json:"carrier"`
	StockStatus         int                    `json:"stockStatus"`
	Lines               []announcementLineView `json:"lines,omitempty"`
}

func (a *simAnnouncement) view(full bool) announcementView {
	b := a.body
	v := announcementView{Number: a.number, Reference: b.Reference, PlannedDate: b.PlannedDate, Type: b.Type,
		WarehouseCode: a.warehouse()}
	if b.Supplier != nil {
		v.Supplier = *b.Supplier
	}
	if b.Carrier != nil {
		v.Carrier = *b.Carrier
	}
	if b.StockStatus != nil {
		v.StockStatus = *b.StockStatus
	}
	if !full {
		return v
	}
	v.AdditionalReference, v.Door = &b.AdditionalReference, &b.Door
	v.Lines = []announcementLineView{}
	for _, l := range a.lines {
		lv := announcementLineView{LineNumber: l.number, ItemCode: l.item.body.Code, ItemDescription: l.body.ItemDescription,
			Unit: l.body.Unit, QuantityExpected: l.expected, LotNumber: l.body.LotNumber.value}
		if lv.ItemDescription == "" {
			lv.ItemDescription = l.item.body.Description
		}
		if lv.Unit == "" {
			lv.Unit = "ST"
		}
		if l.body.BestBeforeDate.value != "" {
			bb := l.body.BestBeforeDate.value
			lv.BestBeforeDate = &bb
		}
		v.Lines = append(v.Lines, lv)
	}
	return v
}

// validateAnnouncement checks the document's required fields: reference,
// plannedDate (YYYY-MM-DD), stockStatus and supplier; on every line
// itemCode (an existing item), quantityExpected, and the keys lotNumber and
// bestBeforeDate, which may be empty for an item without lots. An update
// (create false) requires nothing but checks what it is given.
func (s *Server) validateAnnouncement(b announcementBody, create bool) *apiError {
	v := validation{}
	if create {
		v.required("reference", b.Reference == "")
		v.required("plannedDate", b.PlannedDate == "")
		v.required("stockStatus", b.StockStatus == nil)
		v.required("supplier", b.Supplier == nil)
		v.required("lines", len(b.Lines) == 0)
	}
	if b.PlannedDate != "" && !validDate(b.PlannedDate) {
		v.add("plannedDate", "The plannedDate %q does not match the format YYYY-MM-DD.", b.PlannedDate)
	}
	for i, l := range b.Lines {
		p := fmt.Sprintf("lines.%d.", i)
		switch {
		case l.ItemCode == "":
			v.required(p+"itemCode", true)
		case s.st.itemBy[l.ItemCode] == nil:
			v.add(p+"itemCode", "Item %s does not exist.", l.ItemCode)
		}
		switch {
		case l.QuantityExpected == nil:
			v.required(p+"quantityExpected", true)
		case *l.QuantityExpected < 1:
			v.add(p+"quantityExpected", "The %squantityExpected must be at least 1.", p)
		}
		v.required(p+"lotNumber", !l.LotNumber.set)
		v.required(p+"bestBeforeDate", !l.BestBeforeDate.set)
		if bb := l.BestBeforeDate.value; bb != "" && !validDate(bb) {
			v.add(p+"bestBeforeDate", "The %sbestBeforeDate %q does not match the format YYYY-MM-DD.", p, bb)
		}
	}
	return v.err()
}

func (s *Server) setAnnouncementLines(a *simAnnouncement, ls []announcementLineBody) {
	a.lines = nil
	for i, l := range ls {
		n := i + 1
		if l.LineNumber != nil {
			n = *l.LineNumber
		}
		a.lines = append(a.lines, &simAnnouncementLine{body: l, number: n, item: s.st.itemBy[l.ItemCode], expected: *l.QuantityExpected})
	}
}

// findAnnouncement finds a live announcement by number or else reference.
func (s *Server) findAnnouncement(id string) *simAnnouncement {
	if a := s.st.annBy[id]; a != nil && !a.deleted {
		return a
	}
	for i := len(s.st.announcements) - 1; i >= 0; i-- {
		if a := s.st.announcements[i]; a.body.Reference == id && !a.deleted {
			return a
		}
	}
	return nil
}

func (s *Server) liveAnnouncements() []*simAnnouncement {
	var out []*simAnnouncement
	for _, a := range s.st.announcements {
		if !a.deleted {
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) listAnnouncements(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*simAnnouncement]{noun: "announcements", records: s.liveAnnouncements(),
		full: func(a *simAnnouncement) map[string]any { return flatten(a.view(true)) },
		view: func(a *simAnnouncement) any { return a.view(false) }})
}

func (s *Server) getAnnouncement(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findAnnouncement(r.PathValue("id"))
	if a == nil {
		s.fail(w, notFound("Announcement %s not found", r.PathValue("id")))
		return
	}
	ok(w, http.StatusOK, "Announcement "+a.body.Reference, a.view(true))
}

func (s *Server) createAnnouncement(w http.ResponseWriter, r *http.Request) {
	var b announcementBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.validateAnnouncement(b, true); e != nil {
		s.fail(w, e)
		return
	}
	s.st.nextAnnouncement++
	a := &simAnnouncement{number: strconv.Itoa(2460 + s.st.nextAnnouncement), body: b, status: noCode}
	s.setAnnouncementLines(a, b.Lines)
	s.st.announcements = append(s.st.announcements, a)
	s.st.annBy[a.number] = a
	s.startAnnouncement(a)
	ok(w, http.StatusCreated, fmt.Sprintf("Announcement with number %s created successfully", a.number), []string{a.number})
}

// updateAnnouncement changes an announcement that has not been received:
// the fields given replace the old ones, lines replace all lines.
func (s *Server) updateAnnouncement(w http.ResponseWriter, r *http.Request) {
	var b announcementBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findAnnouncement(r.PathValue("id"))
	if a == nil {
		s.fail(w, notFound("Announcement %s not found", r.PathValue("id")))
		return
	}
	if e := s.validateAnnouncement(b, false); e != nil {
		s.fail(w, e)
		return
	}
	if a.status != announcementCreated {
		s.fail(w, unprocessable("Announcement %s has status %s %s and can no longer be updated.", a.number, a.status.code, a.status.description))
		return
	}
	old := a.body
	setNonEmpty(&old.Reference, b.Reference)
	setNonEmpty(&old.AdditionalReference, b.AdditionalReference)
	setNonEmpty(&old.PlannedDate, b.PlannedDate)
	setNonEmpty(&old.Type, b.Type)
	setNonEmpty(&old.Warehouse, b.Warehouse)
	setNonEmpty(&old.WarehouseCode, b.WarehouseCode)
	setNonEmpty(&old.Door, b.Door)
	if b.Carrier != nil {
		old.Carrier = b.Carrier
	}
	if b.StockStatus != nil {
		old.StockStatus = b.StockStatus
	}
	if b.Supplier != nil {
		old.Supplier = b.Supplier
	}
	s.announce(a, -1)
	a.body = old
	if len(b.Lines) > 0 {
		a.body.Lines = b.Lines
		s.setAnnouncementLines(a, b.Lines)
	}
	s.announce(a, 1)
	ok(w, http.StatusOK, fmt.Sprintf("Announcement with number %s has been updated.", a.number), []string{a.number})
}

func setNonEmpty(dst *string, src string) {
	if src != "" {
		*dst = src
	}
}

// deleteAnnouncement removes an announcement that has not been received;
// its announced stock is taken back and status 90 Geannuleerd is sent.
func (s *Server) deleteAnnouncement(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findAnnouncement(r.PathValue("id"))
	if a == nil {
		s.fail(w, notFound("Announcement %s not found", r.PathValue("id")))
		return
	}
	if a.receipt != nil || a.status == announcementStored {
		s.fail(w, unprocessable("Announcement %s has been received and can no longer be deleted.", a.number))
		return
	}
	a.deleted = true
	s.announce(a, -1)
	s.setAnnouncementStatus(a, code{"90", "Geannuleerd"})
	ok(w, http.StatusOK, a.number+" deleted succesfully", nil)
}

package wicssim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Test hooks: faults to inject into the API, webhooks to lose, and what the
// warehouse holds.

// Fault is a failure injected into the API's next matching requests.
type Fault struct {
	// Method and Path select the requests (Path is a prefix of the URL
	// path, e.g. "/api/order"); empty matches every request.
	Method, Path string
	// User selects one login's requests; empty matches every login.
	User string
	// Status answers the request with this status (e.g. 503) without
	// carrying it out, in the document's envelope.
	Status int
	// LoseAnswer carries the request out and then drops the connection
	// before answering: the client cannot tell whether it happened.
	LoseAnswer bool
	// Delay holds the request this long (wall time) before it is answered
	// or failed, for clients' timeouts. A fault with only a Delay answers
	// normally after it.
	Delay time.Duration
	// HoldAnswer makes Delay come after the request is carried out: the
	// request takes effect at once and its answer (or, with LoseAnswer,
	// the dropped connection) waits for Delay, or for the client to go
	// away. A client killed meanwhile has sent a request that took effect
	// without learning so, which is how a crash between sending and
	// recording is shown.
	HoldAnswer bool
	// Times is how many requests it hits; 0 means 1.
	Times int
}

// InjectFault adds a fault; faults are tried in the order added.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Status == 0 && !f.LoseAnswer && f.Delay <= 0 {
		f.Status = http.StatusServiceUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault not yet used up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault that matches the request and counts it.
func (s *Server) takeFault(r *http.Request, u User) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.Path) &&
			(f.User == "" || f.User == u.Key) {
			f.Times--
			if f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			c := *f
			return &c
		}
	}
	return nil
}

// DropRule loses webhook messages as if WICS had given up on them: no
// subscription receives them, so only a poll finds what they said.
type DropRule struct {
	// Topic is a topic path name (TopicShipment, …); empty matches all.
	Topic string
	// Key is what the message is about: an order or announcement reference
	// or an item code; empty matches all.
	Key string
	// Times is how many messages it drops; 0 means 1.
	Times int
}

// DropWebhooks adds a rule that drops the next matching messages.
func (s *Server) DropWebhooks(d DropRule) {
	if d.Times <= 0 {
		d.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = append(s.drops, &d)
}

// Emitted returns every webhook message produced so far, in order, dropped
// ones included.
func (s *Server) Emitted() []Emitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.emitted)
}

// OrderCount is how many orders with this reference the warehouse holds,
// cancelled ones included: a connector that created an order twice shows 2.
func (s *Server) OrderCount(reference string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.st.orders {
		if o.body.Reference == reference {
			n++
		}
	}
	return n
}

// Orders is how many orders the warehouse holds in all.
func (s *Server) Orders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.orders)
}

// OrderStatus is the status code ("00" … "70", "90") of the newest order
// with this number or reference, and false if there is none.
func (s *Server) OrderStatus(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil {
		return "", false
	}
	return o.status.code, true
}

// AnnouncementStatus is the status code of the live announcement with this
// number or reference, and false if there is none.
func (s *Server) AnnouncementStatus(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findAnnouncement(id)
	if a == nil {
		return "", false
	}
	return a.status.code, true
}

// StockLevel is an item's stock over all warehouses: physical, nettoSalable
// and announced, and false for an unknown item.
func (s *Server) StockLevel(itemCode string) (physical, salable, announced int, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.itemBy[itemCode]
	if it == nil {
		return 0, 0, 0, false
	}
	v := s.st.stockView(it)
	return v.Physical, v.NettoSalable, v.Announced, true
}

// HasItem reports whether the catalogue has an item code.
func (s *Server) HasItem(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.itemBy[code] != nil
}

// SeedOrders creates n orders directly, without a request and outside the
// limits, as if other channels had sent them, and returns their
// references: prefix-1 … prefix-n. Each has one line of a seeded item; they
// progress like any order. Benchmarks use it to fill the warehouse.
func (s *Server) SeedOrders(n int, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	refs := make([]string, 0, n)
	date := s.clock.Now().In(amsterdam).AddDate(0, 0, 1).Format(layoutDate)
	street := 157
	for i := range n {
		ref := fmt.Sprintf("%s-%d", prefix, i+1)
		item := seedItems[i%len(seedItems)].code
		qty := 1
		addr := &address{Name: "Hans de Groot", Street: "Concordiaweg", StreetNumber: &street, Zipcode: "4206BK",
			City: "Gorinchem", Country: "NL", Email: "info@wics.nl"}
		b := orderBody{Reference: ref, DeliveryDate: &date, DeliveryAddress: addr,
			Lines: []orderLineBody{{ItemCode: item, Quantity: &qty}}}
		s.st.nextOrder++
		o := &simOrder{number: strconv.Itoa(13300 + s.st.nextOrder), body: b, status: noCode, paid: true}
		s.setLines(o, b.Lines)
		s.st.orders = append(s.st.orders, o)
		s.st.orderBy[o.number] = o
		s.startOrder(o)
		refs = append(refs, ref)
	}
	return refs
}

// AdjustStock corrects an item's physical and salable stock by qty, as a
// count in the warehouse does, and sends the stock mutation (the
// document's reason 10, "Manuele creatie / mutatie") and the new stock. It
// reports false for an unknown item.
func (s *Server) AdjustStock(itemCode string, qty int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.st.itemBy[itemCode]
	if it == nil {
		return false
	}
	it.stock("WHS").salable += qty
	s.mutateStock(it, qty, reasonManual, nil)
	return true
}

// ReturnOrder announces a return of every line of a shipped order, one
// unit each, with the document's question "Is het artikel beschadigd?"
// answered "Ja", and sends the RMA webhook. It reports false when there is
// no such shipped order.
func (s *Server) ReturnOrder(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil || o.shipped == nil {
		return false
	}
	rma := RMA{OrderReference: o.body.Reference}
	for _, l := range o.lines {
		rma.Lines = append(rma.Lines, RMALine{LineNumber: l.number, ItemCode: l.item.body.Code,
			ItemDescription: l.item.body.Description, Quantity: 1,
			Questions: []RMAQuestion{{QuestionNumber: 4, Question: "Is het artikel beschadigd?", AnswerNumber: 2, Answer: "Ja"}}})
	}
	s.emit(TopicRMA, o.body.Reference, rma)
	return true
}

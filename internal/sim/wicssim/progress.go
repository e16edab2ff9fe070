package wicssim

import (
	"fmt"
	"strconv"
	"strings"
)

// The life of an order after it is created, one step per
// ServerConfig.ProgressStep of simulated time, with the webhooks of every
// step (the same topics, codes and payload types as the generated world):
//
//	create   orderStatus 00 Aangemaakt, orderLineStatus 00 Ingevoerd, the
//	         stock of every item (nettoSalable lowered by the reservation)
//	step     orderStatus 10 Ingevoerd
//	step     orderStatus 20 Vrijgegeven, once the order is paid
//	step     orderStatus 30 Bevestigd, orderLineStatus 30 Bevestigd
//	step     orderStatus 40 In uitvoering, orderLineStatus 40, pickslipLineStatus 40
//	step     per line: stockMutation (the pick), stock, pickslipLineStatus 60
//	step     orderStatus 50 Gepickt
//	step     orderStatus 60 Afgehandeld, orderLineStatus 60
//	step     orderStatus 70 Verzonden, then the Shipment with track and trace
//
// A deleted order stops where it is and sends orderStatus 90 Geannuleerd,
// orderLineStatus 90, and the stock it had reserved or picked back.
//
// An announcement moves 00 Aangemaakt (on create), 40 In uitvoering, then a
// receipt of everything announced (Receipt, and per line a stockMutation
// and the stock), then 60 Opgeslagen.

// startOrder reserves an order's stock, sends its first webhooks and starts
// its progression. Call with s.mu held.
func (s *Server) startOrder(o *simOrder) {
	s.setOrderStatus(o, orderCreated)
	s.emitLineStatus(o, lineEntered, o.lines)
	s.reserve(o)
	if s.cfg.ProgressStep > 0 {
		s.wg.Go(func() { s.progressOrder(o) })
	}
}

func (s *Server) progressOrder(o *simOrder) {
	for {
		if !s.clock.Sleep(s.ctx, s.cfg.ProgressStep) {
			return
		}
		s.mu.Lock()
		done := s.advanceOrder(o)
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// reserve lowers the salable stock by the order's lines and sends the
// items' stock.
func (s *Server) reserve(o *simOrder) {
	for _, l := range o.lines {
		l.item.stock("WHS").salable -= l.qty
		s.emitStock(l.item)
	}
}

// release gives back what reserve took, for lines not picked.
func (s *Server) release(o *simOrder) {
	for _, l := range o.lines {
		l.item.stock("WHS").salable += l.qty
		s.emitStock(l.item)
	}
}

func (s *Server) setOrderStatus(o *simOrder, c code) {
	s.emit(TopicOrderStatus, o.body.Reference, OrderStatus{OrderNr: o.nr(), OrderReference: o.body.Reference,
		StatusCode: c.code, StatusDescription: c.description,
		OldStatusCode: o.status.code, OldStatusDescription: o.status.description})
	o.status, o.flat = c, nil
}

func (s *Server) emitLineStatus(o *simOrder, c code, lines []*simOrderLine) {
	ls := []LineStatus{}
	for _, l := range lines {
		ls = append(ls, LineStatus{LineNumber: l.number, StatusCode: c.code, StatusDescription: c.description,
			OldStatusCode: l.status.code, OldStatusDescription: l.status.description})
		l.status = c
	}
	s.emit(TopicOrderLineStatus, o.body.Reference, LineStatuses{OrderNr: o.nr(), OrderReference: o.body.Reference, Lines: ls})
}

func (s *Server) emitPickslip(o *simOrder, c, old code, lines []*simOrderLine) {
	ls := []LineStatus{}
	for _, l := range lines {
		ls = append(ls, LineStatus{LineNumber: l.number, StatusCode: c.code, StatusDescription: c.description,
			OldStatusCode: old.code, OldStatusDescription: old.description})
	}
	s.emit(TopicPickslipLineStatus, o.body.Reference, LineStatuses{OrderNr: o.nr(), OrderReference: o.body.Reference, Lines: ls})
}

// advanceOrder makes one step of an order's life and reports whether it is
// over. Call with s.mu held.
func (s *Server) advanceOrder(o *simOrder) bool {
	switch o.status {
	case orderCreated:
		s.setOrderStatus(o, orderEntered)
	case orderEntered:
		if !o.paid {
			return false
		}
		s.setOrderStatus(o, orderReleased)
	case orderReleased:
		s.setOrderStatus(o, orderConfirmed)
		s.emitLineStatus(o, lineConfirmed, o.lines)
	case orderConfirmed:
		s.setOrderStatus(o, orderInProgress)
		s.emitLineStatus(o, lineInProgress, o.lines)
		s.emitPickslip(o, pickOpen, noCode, o.lines)
	case orderInProgress:
		for _, l := range o.lines {
			if l.picked < l.qty {
				s.pick(o, l)
				return false
			}
		}
		s.setOrderStatus(o, orderPicked)
	case orderPicked:
		s.setOrderStatus(o, orderHandled)
		s.emitLineStatus(o, lineHandled, o.lines)
	case orderHandled:
		s.setOrderStatus(o, orderShipped)
		s.ship(o)
		return true
	default: // shipped or cancelled
		return true
	}
	return false
}

// pick takes one line's goods from stock.
func (s *Server) pick(o *simOrder, l *simOrderLine) {
	qty := l.qty - l.picked
	var d *stockDetail
	for _, c := range l.item.details {
		if c.quantity > 0 {
			d = c
			break
		}
	}
	if d != nil {
		l.eansscc = d.eansscc
	}
	l.serials = append(l.serials, s.mutateStock(l.item, -qty, reasonPick, nil)...)
	if l.eansscc == "" && len(l.item.details) > 0 {
		l.eansscc = l.item.details[0].eansscc
	}
	l.picked = l.qty
	s.emitPickslip(o, pickDone, pickOpen, []*simOrderLine{l})
	o.flat = nil
}

// ship makes the order's one parcel and sends the Shipment webhook.
func (s *Server) ship(o *simOrder) {
	s.st.nextShipment++
	nr := 20070 + s.st.nextShipment
	zip := ""
	if o.body.DeliveryAddress != nil {
		zip = o.body.DeliveryAddress.Zipcode
	}
	h := Shipment{MetaFields: metaOrEmpty(o.body.MetaFields), ShipmentNr: nr, OrderReference: o.body.Reference}
	if o.body.DeliveryDate != nil {
		if t, err := parseDate(*o.body.DeliveryDate); err == nil {
			h.DeliveryDate = t.Format(layoutDateTime)
		}
	}
	if tag := strings.ToLower(o.body.ShippingTag + " " + o.body.Tag + " " + o.body.Method); strings.Contains(tag, "dhl") {
		h.ShipperCode, h.ShipperName = "9001000", "DHL"
		h.TrackAndTrace = fmt.Sprintf("JVGL%014d", 60000000000000+nr)
		h.TrackAndTraceURL = "https://www.dhlparcel.nl/nl/volg-uw-zending?tc=" + h.TrackAndTrace + "&pc=" + zip
	} else {
		h.ShipperCode, h.ShipperName = "9000000", "PostNL"
		h.TrackAndTrace = fmt.Sprintf("3SDEVC%07d", nr)
		h.TrackAndTraceURL = "http://postnl.nl/tracktrace/?D=NL&B=" + h.TrackAndTrace + "&P=" + zip + "&L=NL&T=C"
	}
	for _, l := range o.lines {
		l.delivered = l.qty
		sl := ShippingLine{MetaFields: metaOrEmpty(l.body.MetaFields), OrderLine: l.number, ItemCode: l.item.body.Code,
			ItemDescription: l.body.ItemDescription, QuantityOrdered: l.qty, QuantityDelivered: l.qty, Unit: "ST",
			HasSerialNumbers: len(l.serials) > 0, EANSSCC: l.eansscc}
		if sl.ItemDescription == "" {
			sl.ItemDescription = l.item.body.Description
		}
		if l.body.Unit != "" {
			sl.Unit = l.body.Unit
		}
		if l.item.lots && len(l.item.details) > 0 {
			d := l.item.details[0]
			sl.LotNumber = d.lot
			if d.bestBefore != "" {
				bb := d.bestBefore
				sl.BestBeforeDate = &bb
			}
		}
		h.HasSerialNumbers = h.HasSerialNumbers || sl.HasSerialNumbers
		h.ShippingLines = append(h.ShippingLines, sl)
	}
	sh := &simShipment{order: o, colloID: strconv.Itoa(6170 + s.st.nextShipment), hook: h}
	o.shipped = sh
	s.st.shipments = append(s.st.shipments, sh)
	s.st.shipBy[strconv.Itoa(nr)] = sh
	s.emit(TopicShipment, o.body.Reference, h)
}

// cancelOrder stops an order: status 90, its reservation freed and picked
// goods put back. Call with s.mu held.
func (s *Server) cancelOrder(o *simOrder) {
	o.deleted = true
	s.setOrderStatus(o, orderCancelled)
	s.emitLineStatus(o, lineCancelled, o.lines)
	for _, l := range o.lines {
		l.item.stock("WHS").salable += l.qty
		if l.picked > 0 {
			s.mutateStock(l.item, l.picked, reasonManual, nil)
			if len(l.item.details) > 0 {
				l.item.details[0].serials = append(l.item.details[0].serials, l.serials...)
			}
			l.serials, l.picked = nil, 0
		} else {
			s.emitStock(l.item)
		}
	}
}

// AdvanceOrder makes one step of the life of the order with this number or
// reference now, whatever the clock, and reports whether the order's life
// is over; false with no such order. With ServerConfig.ProgressStep
// negative, tests drive orders with it.
func (s *Server) AdvanceOrder(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil {
		return false
	}
	return s.advanceOrder(o)
}

// startAnnouncement sends an announcement's first status, raises the
// announced stock and starts its progression. Call with s.mu held.
func (s *Server) startAnnouncement(a *simAnnouncement) {
	s.setAnnouncementStatus(a, announcementCreated)
	s.announce(a, 1)
	if s.cfg.ProgressStep > 0 {
		s.wg.Go(func() { s.progressAnnouncement(a) })
	}
}

func (s *Server) progressAnnouncement(a *simAnnouncement) {
	for {
		if !s.clock.Sleep(s.ctx, s.cfg.ProgressStep) {
			return
		}
		s.mu.Lock()
		done := s.advanceAnnouncement(a)
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// announce adds (sign 1) or takes back (sign -1) the announced stock.
func (s *Server) announce(a *simAnnouncement, sign int) {
	for _, l := range a.lines {
		l.item.stock(a.warehouse()).announced += sign * l.expected
		s.emitStock(l.item)
	}
}

func (s *Server) setAnnouncementStatus(a *simAnnouncement, c code) {
	s.emit(TopicAnnouncementStatus, a.body.Reference, AnnouncementStatus{AnnouncementNr: a.nr(), Reference: a.body.Reference,
		StatusCode: c.code, StatusDescription: c.description, OldStatusCode: a.status.code, OldStatusDescription: a.status.description})
	a.status = c
}

// advanceAnnouncement makes one step of an announcement's life and reports
// whether it is over. Call with s.mu held.
func (s *Server) advanceAnnouncement(a *simAnnouncement) bool {
	if a.deleted {
		return true
	}
	switch a.status {
	case announcementCreated:
		s.setAnnouncementStatus(a, announcementReceiving)
	case announcementReceiving:
		if a.receipt == nil {
			s.receive(a)
			return false
		}
		s.setAnnouncementStatus(a, announcementStored)
		return true
	default:
		return true
	}
	return false
}

// AdvanceAnnouncement makes one step of the life of the announcement with
// this number or reference now and reports whether its life is over.
func (s *Server) AdvanceAnnouncement(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.findAnnouncement(id)
	if a == nil {
		return false
	}
	return s.advanceAnnouncement(a)
}

// AdvanceAll makes one step of every order and announcement whose life is
// not over, and reports how many are still going.
func (s *Server) AdvanceAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	going := 0
	for _, o := range s.st.orders {
		if !s.advanceOrder(o) {
			going++
		}
	}
	for _, a := range s.st.announcements {
		if !s.advanceAnnouncement(a) {
			going++
		}
	}
	return going
}

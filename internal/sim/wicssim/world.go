package wicssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	// Europe/Amsterdam must resolve on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// Message is one webhook message: a topic and its JSON body, sent as is.
type Message struct {
	// Topic is one of the Topic* path names.
	Topic string
	// Body is the JSON payload, byte for byte.
	Body []byte
	// Key names what the message is about (an order or announcement
	// reference, an item code), for logs and reports.
	Key string
}

// amsterdam is the zone of the document's date-times (+02:00 in summer).
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(fmt.Sprintf("wicssim: loading Europe/Amsterdam: %v", err))
	}
	return loc
}()

// Date-time layouts of the payloads. The document writes
// "2021-09-13T00:00:00.000+02:00"; its StockMutation example writes
// registrationDate with a space before the T, and the simulator uses that
// form for about half of its stock mutations, so a receiver meets both.
const (
	layoutDateTime      = "2006-01-02T15:04:05.000-07:00"
	layoutDateTimeSpace = "2006-01-02 T15:04:05.000-07:00"
	layoutDate          = "2006-01-02"
)

// code is a WICS status code with its Dutch description.
type code struct{ code, description string }

// Order header statuses, from wics-public-clients.md "Order status codes"
// (a third party's labels; the document's own examples agree on 00, 30, 40
// and 60). An order passes them in rising order; 10, 20 and 50 are
// sometimes skipped, as a warehouse does not report every step.
var (
	orderCreated    = code{"00", "Aangemaakt"}
	orderEntered    = code{"10", "Ingevoerd"}
	orderReleased   = code{"20", "Vrijgegeven"}
	orderConfirmed  = code{"30", "Bevestigd"}
	orderInProgress = code{"40", "In uitvoering"}
	orderPicked     = code{"50", "Gepickt"}
	orderHandled    = code{"60", "Afgehandeld"}
	orderShipped    = code{"70", "Verzonden"}
	orderCancelled  = code{"90", "Geannuleerd"}
)

// Line statuses. The document's OrderLineStatus example pairs 00 with
// "Ingevoerd" and 30 with "Bevestigd"; its PickslipLineStatus example goes
// from 40 "In uitvoering" to 60 "Afgehandeld, volledige levering".
var (
	lineEntered    = code{"00", "Ingevoerd"}
	lineConfirmed  = code{"30", "Bevestigd"}
	lineInProgress = code{"40", "In uitvoering"}
	lineHandled    = code{"60", "Afgehandeld"}
	lineCancelled  = code{"90", "Geannuleerd"}
	pickOpen       = code{"40", "In uitvoering"}
	pickDone       = code{"60", "Afgehandeld, volledige levering"}
	noCode         = code{"", ""}
)

// Announcement statuses. The document shows only 00 "Aangemaakt" for an
// announcement; 40 "In uitvoering" (receiving) and 60 "Opgeslagen" (stored,
// the status of its receipt examples) are the simulator's reading.
var (
	announcementCreated   = code{"00", "Aangemaakt"}
	announcementReceiving = code{"40", "In uitvoering"}
	announcementStored    = code{"60", "Opgeslagen"}
)

// reason is a stock mutation's reason and type of move.
type reason struct {
	code        int
	description string
	typeMove    int
}

// Stock mutation reasons. Only the manual one is the document's; the
// document lists no other reason codes, so those for picks and receipts are
// the simulator's own, and a receiver must keep any reason code it is given.
var (
	reasonManual  = reason{10, "Manuele creatie / mutatie", 99}
	reasonPick    = reason{20, "Orderpick", 20}
	reasonReceipt = reason{30, "Ontvangst", 30}
)

// item is a catalogue article. The names are the document's own (its item,
// stock and receipt examples) except for the items the nine topic examples
// use, which stay out of the generated world so that its stock figures do not
// contradict the examples'.
type item struct {
	code, description string
	// serials marks serial-number managed items (the document lists serial
	// numbers for 190130 and 190140).
	serials bool
	// lots marks lot and best-before managed items.
	lots     bool
	location string
}

var catalogue = []item{
	{code: "16081", description: "UTO Kabel", location: "AA01A4"},
	{code: "190130", description: "XLR Kabel", serials: true, location: "AA02B1"},
	{code: "190140", description: "DIN Kabel", serials: true, location: "AA02B2"},
	{code: "PEN001", description: "Pen blauw 001", location: "BA01B1"},
	{code: "A001", description: "Money Box Elephant", location: "BA02C3"},
	{code: "WTI-030", description: "TESTING", location: "AA02D4"},
	{code: "starterset-01", description: "School startset", lots: true, location: "CA01A1"},
}

// rmaQuestion is a question of the return form with its possible answers.
type rmaQuestion struct {
	number   int
	question string
	answers  []string // answer number i+1
}

// The return form. Question 4 and its answer 2 "Ja" are the document's;
// answer 1 "Nee" and question 1 are the simulator's own.
var rmaForm = []rmaQuestion{
	{1, "Wat is de reden van retour?", []string{"Te klein", "Te groot", "Voldoet niet aan verwachting", "Verkeerd artikel ontvangen"}},
	{4, "Is het artikel beschadigd?", []string{"Nee", "Ja"}},
}

var postcodes = []string{"4206BK", "4251BC", "1017CE", "3012AN", "3511LZ", "2514JM", "5611EM", "9711LV", "6811CZ", "8011XW"}

// level is an item's stock: physical in the warehouse, nettoSalable
// (physical minus what open orders reserve) and announced (expected on open
// announcements).
type level struct{ physical, salable, announced int }

type orderLine struct {
	number int
	item   *item
	qty    int
	// external is the shop's own line id, carried back when the order has
	// metafields.
	external *string
	guid     string
	status   code
	ean      string
}

type order struct {
	nr         int
	ref        string
	postcode   string
	metaFields any
	lines      []*orderLine
	status     code
}

// journey is a sequence of steps; each step sends a few messages at one
// moment of the warehouse's clock.
type journey struct {
	order *order
	steps []func()
	// shipped is set by an order journey's last step.
	shipped bool
}

// Tunables of the world.
const (
	reorderLevel = 5
	stepMinutes  = 45 // mean warehouse minutes between two steps
	manualChance = 30 // one tick in this many also makes a manual mutation
)

// world generates a consistent stream of WICS messages from a seed: the
// examples first, then orders, announcements and returns whose stock figures
// add up.
type world struct {
	rng            *rand.Rand
	start, now     time.Time
	orders         int // 0: endless
	interleave     int
	returnEvery    int
	customerNumber int
	examples       bool

	base                                               int
	nextOrder, nextAnnouncement, nextReceipt, nextShip int
	nextEAN                                            int

	stock map[string]*level
	// onOrder marks items on an open announcement.
	onOrder map[string]bool

	began        bool
	started      int // orders started
	activeOrders int
	shipped      int
	active       []*journey
	out          []Message

	// ordersDone counts ended order journeys; read by Stats.
	ordersDone atomic.Int64
}

type worldConfig struct {
	seed           int64
	start          time.Time
	orders         int
	interleave     int
	returnEvery    int
	customerNumber int
	examples       bool
}

func newWorld(c worldConfig) *world {
	w := &world{
		rng:            rand.New(rand.NewPCG(uint64(c.seed), 0x5749435353494d)), // "WICSSIM"
		start:          c.start.In(amsterdam),
		now:            c.start.In(amsterdam),
		orders:         c.orders,
		interleave:     c.interleave,
		returnEvery:    c.returnEvery,
		customerNumber: c.customerNumber,
		examples:       c.examples,
		stock:          map[string]*level{},
		onOrder:        map[string]bool{},
	}
	// Different seeds give different numbers, so runs against one hub do
	// not reuse references; seed 0 starts at the round numbers.
	w.base = int(uint64(c.seed)%100_000) * 1000
	return w
}

// next returns the next message, or false when the stream has ended.
func (w *world) next() (Message, bool) {
	for len(w.out) == 0 {
		if !w.advance() {
			return Message{}, false
		}
	}
	m := w.out[0]
	w.out = w.out[1:]
	if len(w.out) == 0 {
		w.out = nil
	}
	return m, true
}

// advance moves the world on by one step and queues what it sends. It
// reports false when there is nothing left to do.
func (w *world) advance() bool {
	if !w.began {
		w.began = true
		w.begin()
		return true
	}
	w.now = w.now.Add(time.Duration(1+w.rng.IntN(2*stepMinutes)) * time.Minute)
	if w.rng.IntN(manualChance) == 0 {
		w.manualMutation()
	}
	if (w.orders == 0 || w.started < w.orders) && w.activeOrders < w.interleave && w.startOrder() {
		return true
	}
	if len(w.active) == 0 {
		// Nothing is moving: either all orders are done, or no item has
		// stock and no announcement is open, which reordering prevents.
		return len(w.out) > 0
	}
	i := w.rng.IntN(len(w.active))
	j := w.active[i]
	step := j.steps[0]
	j.steps = j.steps[1:]
	step()
	if len(j.steps) == 0 {
		w.active = slices.Delete(w.active, i, i+1)
		w.finished(j)
	}
	return true
}

// begin queues the document's examples, one per topic, then the stock of
// every catalogue item and a first announcement.
func (w *world) begin() {
	if w.examples {
		for _, t := range topics {
			b, err := Example(t)
			if err != nil {
				panic(err) // embedded at build time; a missing file is a build defect
			}
			w.out = append(w.out, Message{Topic: t, Body: b, Key: "document example"})
		}
	}
	for i := range catalogue {
		it := &catalogue[i]
		n := 8 + w.rng.IntN(40)
		w.stock[it.code] = &level{physical: n, salable: n}
		w.sendStock(it)
	}
	w.startAnnouncement([]*item{&catalogue[w.rng.IntN(len(catalogue))]})
}

func (w *world) finished(j *journey) {
	if j.order == nil {
		return
	}
	w.activeOrders--
	w.ordersDone.Add(1)
	if !j.shipped {
		return
	}
	w.shipped++
	if w.returnEvery > 0 && (w.shipped-1)%w.returnEvery == 0 {
		w.startReturn(j.order)
	}
}

// emit queues a message. The JSON keeps & < > as they are, as the
// document's trackAndTraceUrl does, instead of Go's \u0026 escapes.
func (w *world) emit(topic, key string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("wicssim: encoding %s: %v", topic, err)) // plain structs always encode
	}
	w.out = append(w.out, Message{Topic: topic, Body: bytes.TrimSuffix(buf.Bytes(), []byte("\n")), Key: key})
}

func (w *world) sendStock(it *item) {
	l := w.stock[it.code]
	w.emit(TopicStock, it.code, Stock{
		ItemCode:        it.code,
		ItemDescription: it.description,
		Physical:        l.physical,
		NettoSalable:    l.salable,
		Announced:       l.announced,
		CustomerNumber:  w.customerNumber,
	})
}

func (w *world) ean() string {
	w.nextEAN++
	return fmt.Sprintf("WICS%d", 3000+w.base+w.nextEAN)
}

func (w *world) guid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", w.rng.Uint32(), w.rng.IntN(1<<16), w.rng.IntN(1<<12),
		0x8000|w.rng.IntN(1<<14), w.rng.Uint64()&(1<<48-1))
}

// mutate changes an item's physical stock and sends the mutation and the new
// stock level, in that order.
func (w *world) mutate(it *item, qty int, r reason, ean string) {
	l := w.stock[it.code]
	l.physical += qty
	layout := layoutDateTime
	if w.rng.IntN(2) == 0 {
		layout = layoutDateTimeSpace
	}
	m := StockMutation{
		EANSSCC:               ean,
		CustomerNumber:        w.customerNumber,
		HasSerialNumbers:      it.serials,
		ItemCode:              it.code,
		Location:              it.location,
		Quantity:              qty,
		ReasonCode:            r.code,
		ReasonCodeDescription: r.description,
		RegistrationDate:      w.now.Format(layout),
		StockKeepingUnit:      "ST",
		StockStatus:           31,
		TypeMove:              r.typeMove,
		WarehouseCode:         "WHS",
	}
	if it.lots {
		m.LotNumber, m.BestBeforeDate = w.lot(it)
	}
	w.emit(TopicStockMutation, it.code, m)
	w.sendStock(it)
}

// lot returns the lot number and best-before date of a lot-managed item: one
// lot per item for the whole run, so a pick, its shipment line and the
// receipts agree.
func (w *world) lot(it *item) (string, *string) {
	bb := w.start.AddDate(2, 0, 0).Format(layoutDate)
	return "LOT" + strconv.Itoa(6851990+slices.IndexFunc(catalogue, func(c item) bool { return c.code == it.code })), &bb
}

// manualMutation corrects one item's stock by one, as after a count. It
// never takes away stock that open orders have reserved.
func (w *world) manualMutation() {
	it := &catalogue[w.rng.IntN(len(catalogue))]
	l := w.stock[it.code]
	qty := 1
	if l.salable > 0 && w.rng.IntN(2) == 0 {
		qty = -1
	}
	l.salable += qty
	w.mutate(it, qty, reasonManual, w.ean())
	w.reorder()
}

// reorder announces new goods for every item whose salable stock has fallen
// below the reorder level and that is not already on an announcement.
func (w *world) reorder() {
	var low []*item
	for i := range catalogue {
		it := &catalogue[i]
		if w.stock[it.code].salable < reorderLevel && !w.onOrder[it.code] {
			low = append(low, it)
		}
	}
	if len(low) > 0 {
		w.startAnnouncement(low)
	}
}

// ---- orders ----

// startOrder creates an order from items in stock, reserves the stock and
// sends the order's first messages. It reports false when no item has
// salable stock.
func (w *world) startOrder() bool {
	var avail []*item
	for i := range catalogue {
		if w.stock[catalogue[i].code].salable > 0 {
			avail = append(avail, &catalogue[i])
		}
	}
	if len(avail) == 0 {
		w.reorder()
		return false
	}
	w.rng.Shuffle(len(avail), func(i, j int) { avail[i], avail[j] = avail[j], avail[i] })
	avail = avail[:1+w.rng.IntN(min(3, len(avail)))]

	w.nextOrder++
	nr := 20000 + w.base + w.nextOrder
	o := &order{nr: nr, ref: fmt.Sprintf("SO%d", 600000+w.base+w.nextOrder), postcode: postcodes[w.rng.IntN(len(postcodes))], status: noCode}
	withMeta := w.rng.IntN(2) == 0
	if withMeta {
		o.metaFields = map[string]any{"Webshop_app": map[string]any{"orderReference": o.ref, "guid": w.guid()}}
	} else {
		o.metaFields = ""
	}
	extBase := 70 + w.rng.IntN(900)
	for i, it := range avail {
		l := &orderLine{number: i + 1, item: it, qty: 1 + w.rng.IntN(min(3, w.stock[it.code].salable)), status: noCode, ean: w.ean()}
		if withMeta {
			ext := strconv.Itoa(extBase + i)
			l.external = &ext
			l.guid = w.guid()
		}
		o.lines = append(o.lines, l)
	}
	w.started++
	w.activeOrders++

	// Aangemaakt: the order is in WICS and its stock reserved.
	w.orderStatus(o, orderCreated)
	w.lineStatus(o, lineEntered, o.lines)
	for _, l := range o.lines {
		w.stock[l.item.code].salable -= l.qty
		w.sendStock(l.item)
	}
	w.reorder()

	j := &journey{order: o}
	if w.rng.IntN(4) != 0 {
		j.steps = append(j.steps, func() { w.orderStatus(o, orderEntered) })
	}
	if w.rng.IntN(3) != 0 {
		j.steps = append(j.steps, func() { w.orderStatus(o, orderReleased) })
	}
	cancel := w.rng.IntN(12) // 0: cancelled before, 1: after confirmation
	if cancel == 0 {
		j.steps = append(j.steps, func() { w.cancelOrder(o) })
		w.active = append(w.active, j)
		return true
	}
	j.steps = append(j.steps, func() {
		w.orderStatus(o, orderConfirmed)
		w.lineStatus(o, lineConfirmed, o.lines)
	})
	if cancel == 1 {
		j.steps = append(j.steps, func() { w.cancelOrder(o) })
		w.active = append(w.active, j)
		return true
	}
	j.steps = append(j.steps, func() {
		w.orderStatus(o, orderInProgress)
		w.lineStatus(o, lineInProgress, o.lines)
		w.pickslipStatus(o, pickOpen, o.lines)
	})
	for _, l := range o.lines {
		j.steps = append(j.steps, func() {
			w.mutate(l.item, -l.qty, reasonPick, l.ean)
			w.pickslipStatus(o, pickDone, []*orderLine{l})
		})
	}
	if w.rng.IntN(4) != 0 {
		j.steps = append(j.steps, func() { w.orderStatus(o, orderPicked) })
	}
	j.steps = append(j.steps, func() {
		w.orderStatus(o, orderHandled)
		w.lineStatus(o, lineHandled, o.lines)
	}, func() {
		w.orderStatus(o, orderShipped)
		w.ship(o)
		j.shipped = true
	})
	w.active = append(w.active, j)
	return true
}

func (w *world) orderStatus(o *order, c code) {
	w.emit(TopicOrderStatus, o.ref, OrderStatus{
		OrderNr: o.nr, OrderReference: o.ref,
		StatusCode: c.code, StatusDescription: c.description,
		OldStatusCode: o.status.code, OldStatusDescription: o.status.description,
	})
	o.status = c
}

// lineStatus sends the order lines' new status, in one message or, one time
// in four, one message per line.
func (w *world) lineStatus(o *order, c code, lines []*orderLine) {
	var ls []LineStatus
	for _, l := range lines {
		ls = append(ls, LineStatus{LineNumber: l.number, StatusCode: c.code, StatusDescription: c.description,
			OldStatusCode: l.status.code, OldStatusDescription: l.status.description})
		l.status = c
	}
	if len(ls) > 1 && w.rng.IntN(4) == 0 {
		for _, s := range ls {
			w.emit(TopicOrderLineStatus, o.ref, LineStatuses{OrderNr: o.nr, OrderReference: o.ref, Lines: []LineStatus{s}})
		}
		return
	}
	w.emit(TopicOrderLineStatus, o.ref, LineStatuses{OrderNr: o.nr, OrderReference: o.ref, Lines: ls})
}

// pickslipStatus sends pickslip line statuses: 40 for every line when
// picking starts (there was no old status), 60 for a line once picked.
func (w *world) pickslipStatus(o *order, c code, lines []*orderLine) {
	var ls []LineStatus
	for _, l := range lines {
		old := noCode
		if c == pickDone {
			old = pickOpen
		}
		ls = append(ls, LineStatus{LineNumber: l.number, StatusCode: c.code, StatusDescription: c.description,
			OldStatusCode: old.code, OldStatusDescription: old.description})
	}
	w.emit(TopicPickslipLineStatus, o.ref, LineStatuses{OrderNr: o.nr, OrderReference: o.ref, Lines: ls})
}

// cancelOrder cancels an order that has not been picked and frees its stock.
func (w *world) cancelOrder(o *order) {
	w.orderStatus(o, orderCancelled)
	w.lineStatus(o, lineCancelled, o.lines)
	for _, l := range o.lines {
		w.stock[l.item.code].salable += l.qty
		w.sendStock(l.item)
	}
}

// ship sends the order's one parcel.
func (w *world) ship(o *order) {
	w.nextShip++
	sh := Shipment{
		MetaFields:     o.metaFields,
		ShipmentNr:     50000 + w.base + w.nextShip,
		OrderReference: o.ref,
		DeliveryDate:   midnight(w.now.AddDate(0, 0, 1)).Format(layoutDateTime),
	}
	if w.rng.IntN(4) == 0 {
		// The document's announcement example names carrier 9001000 without
		// saying who it is; the simulator calls it DHL.
		sh.ShipperCode, sh.ShipperName = "9001000", "DHL"
		sh.TrackAndTrace = fmt.Sprintf("JVGL%014d", 60000000000000+w.base*100+w.nextShip)
		sh.TrackAndTraceURL = "https://www.dhlparcel.nl/nl/volg-uw-zending?tc=" + sh.TrackAndTrace + "&pc=" + o.postcode
	} else {
		sh.ShipperCode, sh.ShipperName = "9000000", "PostNL"
		sh.TrackAndTrace = fmt.Sprintf("3SSHUB%07d", (w.base+w.nextShip)%10_000_000)
		sh.TrackAndTraceURL = "http://postnl.nl/tracktrace/?D=NL&B=" + sh.TrackAndTrace + "&P=" + o.postcode + "&L=NL&T=C"
	}
	for _, l := range o.lines {
		sl := ShippingLine{
			MetaFields:        "",
			OrderLine:         l.number,
			OrderLineExternal: l.external,
			ItemCode:          l.item.code,
			ItemDescription:   l.item.description,
			QuantityOrdered:   l.qty,
			QuantityDelivered: l.qty,
			Unit:              "ST",
			HasSerialNumbers:  l.item.serials,
			EANSSCC:           l.ean,
		}
		if l.guid != "" {
			ext, _ := strconv.ParseFloat(*l.external, 64)
			sl.MetaFields = map[string]any{"Webshop_app": map[string]any{"external_line": ext, "guid": l.guid}}
		}
		if l.item.lots {
			sl.LotNumber, sl.BestBeforeDate = w.lot(l.item)
		}
		sh.HasSerialNumbers = sh.HasSerialNumbers || l.item.serials
		sh.ShippingLines = append(sh.ShippingLines, sl)
	}
	w.emit(TopicShipment, o.ref, sh)
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// ---- announcements and receipts ----

type announcementLine struct {
	number   int
	item     *item
	expected int
	received int
}

// startAnnouncement announces new goods for the items: their announced
// stock rises now, and the goods arrive in one or two receipts later.
func (w *world) startAnnouncement(items []*item) {
	w.nextAnnouncement++
	nr := 30000 + w.base + w.nextAnnouncement
	ref := fmt.Sprintf("PO%d", 200000+w.base+w.nextAnnouncement)
	var lines []*announcementLine
	for i, it := range items {
		lines = append(lines, &announcementLine{number: i + 1, item: it, expected: 20 + w.rng.IntN(41)})
		w.onOrder[it.code] = true
	}
	status := noCode
	setStatus := func(c code) {
		w.emit(TopicAnnouncementStatus, ref, AnnouncementStatus{AnnouncementNr: nr, Reference: ref,
			StatusCode: c.code, StatusDescription: c.description,
			OldStatusCode: status.code, OldStatusDescription: status.description})
		status = c
	}
	setStatus(announcementCreated)
	for _, l := range lines {
		w.stock[l.item.code].announced += l.expected
		w.sendStock(l.item)
	}

	j := &journey{}
	j.steps = append(j.steps, func() { setStatus(announcementReceiving) })
	// One receipt in three is split in two: the first brings part of every
	// line.
	split := w.rng.IntN(3) == 0
	if split {
		j.steps = append(j.steps, func() { w.receive(ref, lines, true) })
	}
	j.steps = append(j.steps, func() { w.receive(ref, lines, false) }, func() {
		setStatus(announcementStored)
		// A short delivery is no longer expected once the announcement is
		// stored.
		for _, l := range lines {
			if rest := l.expected - l.received; rest > 0 {
				w.stock[l.item.code].announced -= rest
				w.sendStock(l.item)
			}
			delete(w.onOrder, l.item.code)
		}
		w.reorder()
	})
	w.active = append(w.active, j)
}

// receive sends a receipt against the announcement ref and puts its goods in
// stock. A partial receipt brings about half of every line; a final one
// brings the rest, one time in five a few short.
func (w *world) receive(ref string, lines []*announcementLine, partial bool) {
	w.nextReceipt++
	stored, free, wh := "60", "31", "WHS"
	storedText, freeText := "Opgeslagen", "Vrij"
	r := Receipt{
		MetaFields:             "",
		Number:                 strconv.Itoa(1700 + w.base + w.nextReceipt),
		Reference:              ref,
		ReceiptDate:            midnight(w.now).Format(layoutDateTime),
		Warehouse:              &wh,
		StockStatusCode:        &free,
		StockStatusDescription: &freeText,
		StatusCode:             &stored,
		StatusDescription:      &storedText,
		CustomerNumber:         w.customerNumber,
	}
	type got struct {
		l   *announcementLine
		qty int
		ean string
	}
	var gots []got
	for _, l := range lines {
		qty := l.expected - l.received
		if partial {
			qty = l.expected / 2
		} else if w.rng.IntN(5) == 0 {
			qty -= min(qty, 1+w.rng.IntN(3))
		}
		if qty <= 0 {
			continue
		}
		n := l.number
		desc := l.item.description
		rl := ReceiptLine{
			MetaFields:             "",
			LineNumber:             &n,
			ItemCode:               l.item.code,
			ItemDescription:        &desc,
			QuantityExpected:       l.expected,
			QuantityReceived:       qty,
			Unit:                   "ST",
			StatusCode:             &stored,
			StatusDescription:      &storedText,
			HasSerialNumbers:       l.item.serials,
			EANSSCC:                w.ean(),
			StockStatusCode:        free,
			StockStatusDescription: freeText,
		}
		if l.item.lots {
			rl.LotNumber, rl.BestBeforeDate = w.lot(l.item)
		}
		r.HasSerialNumbers = r.HasSerialNumbers || l.item.serials
		r.Lines = append(r.Lines, rl)
		gots = append(gots, got{l, qty, rl.EANSSCC})
	}
	if len(gots) == 0 {
		return
	}
	w.emit(TopicReceipt, ref, r)
	for _, g := range gots {
		g.l.received += g.qty
		lv := w.stock[g.l.item.code]
		lv.salable += g.qty
		lv.announced -= g.qty
		w.mutate(g.l.item, g.qty, reasonReceipt, g.ean)
	}
}

// ---- returns ----

// startReturn schedules an RMA for some lines of a shipped order.
func (w *world) startReturn(o *order) {
	lines := slices.Clone(o.lines)
	w.rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	lines = lines[:1+w.rng.IntN(len(lines))]
	slices.SortFunc(lines, func(a, b *orderLine) int { return a.number - b.number })
	rma := RMA{OrderReference: o.ref}
	for _, l := range lines {
		rl := RMALine{LineNumber: l.number, ItemCode: l.item.code, ItemDescription: l.item.description, Quantity: 1 + w.rng.IntN(l.qty)}
		for _, q := range rmaForm {
			a := w.rng.IntN(len(q.answers))
			rl.Questions = append(rl.Questions, RMAQuestion{QuestionNumber: q.number, Question: q.question, AnswerNumber: a + 1, Answer: q.answers[a]})
		}
		rl.Questions = slices.Clip(rl.Questions)
		rma.Lines = append(rma.Lines, rl)
	}
	w.active = append(w.active, &journey{steps: []func(){func() { w.emit(TopicRMA, o.ref, rma) }}})
}

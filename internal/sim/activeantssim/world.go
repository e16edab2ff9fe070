package activeantssim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// refusal is a request the warehouse turns down: answered HTTP 200 with
// messageCode NOK and this message.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &refusal{msg: fmt.Sprintf(format, args...)} }

// Timings of the world, in warehouse time.
const (
	backorderRetry = 6 * time.Hour
	partialShare   = 0.6 // of a purchase order received in its first delivery
	secondDelivery = 24 * time.Hour
)

// lot is a quantity of one product with one lot number and THT (best
// before) date; a product without lots has one lot with neither.
type lot struct {
	qty       int
	tht       time.Time
	lotNumber string
}

type product struct {
	id                                  int64
	sku, name, barcode, description     string
	weight, costPrice                   float64
	hasLot, hasSerial, hasTht, economic bool
	stockMin, stockMax                  int64
	physical, unavailable               int
	ordered, incoming                   int
	lots                                []lot
	needsSync                           bool
	mutatedAt                           time.Time
}

func (p *product) available() int { return p.physical - p.unavailable }
func (p *product) economicStock() int {
	return p.available() + p.incoming - p.ordered
}

// stock is what GET stock/get/{sku} reports: economic or available, as the
// product says.
func (p *product) stock() int {
	if p.economic {
		return p.economicStock()
	}
	return p.available()
}

type orderItem struct {
	sku, name      string
	qty, shipped   int
	price, vat     float64
	extra6, extra7 string
}

type order struct {
	number           int64
	ext              string
	orderType        int64
	shippingMethodID int64
	mainMethod       MainShippingMethod
	methodCode       string
	onHold, partial  bool
	created          time.Time
	notBefore        time.Time
	items            []*orderItem
	shipments        []*shipment
	postcode         string
	country          string
	pickUpPoint      bool
	extras           [5]*string
	fromShop         bool
	// pick is the order's one pending pick, nil if none.
	pick *event
}

func (o *order) open() bool {
	for _, it := range o.items {
		if it.shipped < it.qty {
			return true
		}
	}
	return false
}

type shippedProduct struct {
	itemID         int64
	sku            string
	qty            int
	serials        []string
	weight         float64
	tht            time.Time
	lotNumber      string
	extra6, extra7 string
}

type collo struct{ nr, packageNumber, url string }

// trackStep is one planned track-trace status of a shipment.
type trackStep struct {
	at     time.Time
	status int
	level  int
}

type shipment struct {
	id            int64
	order         *order
	seq           int
	date          time.Time
	colli         []collo
	products      []shippedProduct
	carrier       carrier
	warehouse     string
	plan          []trackStep
	synced        bool
	syncs         int
	returnPackage string
}

// current is the latest planned step that has happened by now; ok is false
// before the first.
func (s *shipment) current(now time.Time) (trackStep, bool) {
	var cur trackStep
	ok := false
	for _, st := range s.plan {
		if st.at.After(now) {
			break
		}
		cur, ok = st, true
	}
	return cur, ok
}

type poLink struct {
	qty int
	ref string
}

type mutation struct {
	id           int64
	sku          string
	qty          int
	typ          int
	at           time.Time
	tht          time.Time
	warehouse    string
	locationType string
	correction   string
	remark       string
	pos          []poLink
	shipment     *shipment
	returnReason string
	lotNumber    string
	synced       bool
	syncs        int
}

// Stock mutation types. The document shows only 3, for returns; the others
// are the simulator's.
const (
	MutationReceipt  = 1
	MutationShipment = 2
	MutationReturn   = 3
)

type poItem struct {
	sku           string
	qty, received int
	expected      time.Time
}

type purchaseOrder struct {
	id          int64
	reference   string
	comment     string
	expected    time.Time
	warehouseID int64
	items       []*poItem
	deleted     bool
}

// Purchase-order colours, as Maya shows them.
const (
	Red    = "RED"
	Yellow = "YELLOW"
	Green  = "GREEN"
)

// colour is the document's rule: red when nothing has been received,
// green when every item is received completely, yellow in between.
func (po *purchaseOrder) colour() string {
	some, all := false, true
	for _, it := range po.items {
		if it.received > 0 {
			some = true
		}
		if it.received < it.qty {
			all = false
		}
	}
	switch {
	case !some:
		return Red
	case all:
		return Green
	default:
		return Yellow
	}
}

func (po *purchaseOrder) item(sku string) *poItem {
	for _, it := range po.items {
		if strings.EqualFold(it.sku, sku) {
			return it
		}
	}
	return nil
}

type rmaItem struct {
	sp       *shippedProduct
	qty      int
	reason   Setting
	external string
}

type rma struct {
	id       int64
	shipment *shipment
	items    []rmaItem
	remark   string
	external string
	arrived  time.Time
}

// event is something the world does at a warehouse time.
type event struct {
	at  time.Time
	seq int64
	do  func(at time.Time)
	idx int // in the queue, -1 once popped
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) {
	e[i], e[j] = e[j], e[i]
	e[i].idx, e[j].idx = i, j
}
func (e *events) Push(x any) {
	ev := x.(*event)
	ev.idx = len(*e)
	*e = append(*e, ev)
}
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	x.idx = -1
	*e = old[:len(old)-1]
	return x
}

// world is the warehouse: products and their stock, orders, shipments,
// stock mutations, purchase orders and RMAs. It is guarded by Sim.mu.
type world struct {
	cfg      *Config
	rng      *rand.Rand
	settings Settings
	now      time.Time

	products   []*product
	bySKU      map[string]*product
	orders     []*order
	byExt      map[string][]*order
	shipments  []*shipment
	byShipID   map[int64]*shipment
	mutations  []*mutation
	pos        map[int64]*purchaseOrder
	rmas       []*rma
	queue      events
	seq        int64
	nextOrder  int64
	nextShip   int64
	nextItem   int64
	nextMut    int64
	nextPO     int64
	nextProd   int64
	nextRMA    int64
	shopOrders int
}

func newWorld(cfg *Config, start time.Time) *world {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x41637469766541))
	w := &world{
		cfg: cfg, rng: r, settings: *cfg.Settings, now: start,
		bySKU: map[string]*product{}, byExt: map[string][]*order{}, byShipID: map[int64]*shipment{}, pos: map[int64]*purchaseOrder{},
		nextOrder: 42375131 + int64(r.IntN(100000)), nextShip: 42434542 + int64(r.IntN(100000)),
		nextItem: 12274542 + int64(r.IntN(100000)), nextMut: 135682566 + int64(r.IntN(100000)),
		nextPO: 23056 + int64(r.IntN(1000)), nextProd: 1326169 + int64(r.IntN(10000)), nextRMA: 133 + int64(r.IntN(100)),
	}
	for i := range cfg.Products {
		w.genProduct(i)
	}
	for range cfg.ShopOrders {
		w.shopOrder(start)
	}
	if cfg.ShopOrderEvery > 0 {
		var again func(at time.Time)
		again = func(at time.Time) {
			w.shopOrder(at)
			w.schedule(at.Add(w.jitter(cfg.ShopOrderEvery)), again)
		}
		w.schedule(start.Add(w.jitter(cfg.ShopOrderEvery)), again)
	}
	return w
}

func (w *world) schedule(at time.Time, do func(time.Time)) *event {
	w.seq++
	e := &event{at: at, seq: w.seq, do: do}
	heap.Push(&w.queue, e)
	return e
}

// advance runs every event due by now, in time order.
func (w *world) advance(now time.Time) {
	for len(w.queue) > 0 && !w.queue[0].at.After(now) {
		e := heap.Pop(&w.queue).(*event)
		if e.at.After(w.now) {
			w.now = e.at
		}
		e.do(e.at)
	}
	if now.After(w.now) {
		w.now = now
	}
}

// jitter is d give or take half.
func (w *world) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(w.rng.Int64N(int64(d)+1))
}

func (w *world) genProduct(i int) *product {
	r := w.rng
	sku := genSKU(r, i)
	for w.bySKU[strings.ToLower(sku)] != nil {
		sku = genSKU(r, i+r.IntN(4))
	}
	name := productNames[i%len(productNames)]
	if i >= len(productNames) {
		name = fmt.Sprintf("%s #%d", name, i/len(productNames)+1)
	}
	p := &product{
		sku: sku, name: name, barcode: genEAN(r), weight: float64(50+r.IntN(950)) / 1000,
		costPrice: float64(100+r.IntN(4000)) / 100, economic: r.IntN(3) == 0,
		hasSerial: i%8 == 5,
	}
	if i%4 == 1 {
		p.hasLot, p.hasTht = true, true
	}
	qty := 0
	if i%7 != 6 {
		qty = 20 + r.IntN(480)
	}
	w.addProduct(p)
	if qty > 0 {
		w.addLots(p, qty, w.now)
	}
	p.needsSync = true
	return p
}

func (w *world) addProduct(p *product) {
	w.nextProd++
	p.id = w.nextProd
	p.mutatedAt = w.now
	w.products = append(w.products, p)
	w.bySKU[strings.ToLower(p.sku)] = p
}

// addLots puts qty into stock: one new lot with a THT for lot products,
// the anonymous lot otherwise.
func (w *world) addLots(p *product, qty int, at time.Time) (lotNumber string, tht time.Time) {
	p.physical += qty
	p.needsSync, p.mutatedAt = true, at
	if p.hasLot || p.hasTht {
		lotNumber = at.In(amsterdam).Format("060102") + digits(w.rng, 1)
		tht = time.Date(at.Year()+1+w.rng.IntN(2), time.Month(1+w.rng.IntN(12)), 1, 0, 0, 0, 0, amsterdam)
		p.lots = append(p.lots, lot{qty: qty, tht: tht, lotNumber: lotNumber})
		slices.SortStableFunc(p.lots, func(a, b lot) int { return a.tht.Compare(b.tht) })
		return lotNumber, tht
	}
	if len(p.lots) == 0 {
		p.lots = []lot{{}}
	}
	p.lots[0].qty += qty
	return "", time.Time{}
}

// takeLots takes qty out of stock, first expiring first, and returns the
// parts taken.
func (p *product) takeLots(qty int) []lot {
	var out []lot
	for i := range p.lots {
		if qty == 0 {
			break
		}
		n := min(qty, p.lots[i].qty)
		if n == 0 {
			continue
		}
		p.lots[i].qty -= n
		qty -= n
		out = append(out, lot{qty: n, tht: p.lots[i].tht, lotNumber: p.lots[i].lotNumber})
	}
	p.lots = slices.DeleteFunc(p.lots, func(l lot) bool { return l.qty == 0 && (l.lotNumber != "" || !l.tht.IsZero()) })
	if qty > 0 && len(out) > 0 { // stock went negative: book it on the last part
		out[len(out)-1].qty += qty
	}
	return out
}

// shopOrder is an order the shop's own plugin created, outside shiphub.
func (w *world) shopOrder(at time.Time) {
	r := w.rng
	if len(w.products) == 0 {
		return
	}
	w.shopOrders++
	a := genAddress(r)
	ot := w.settings.OrderTypes[r.IntN(len(w.settings.OrderTypes))]
	m := w.settings.MainShippingMethods[0]
	if a.country == "BE" {
		if mm, ok := w.mainByCode("BELBE_BP"); ok {
			m = mm
		}
	}
	o := &order{
		ext: fmt.Sprintf("%d", 3000231000+int64(w.shopOrders)*7+int64(r.IntN(7))), orderType: ot.ID, mainMethod: m,
		methodCode: m.Code, created: at, postcode: a.postcode, country: a.country, fromShop: true,
	}
	if len(m.ShippingMethods) > 0 {
		o.shippingMethodID = m.ShippingMethods[0].ID
	}
	for n := 1 + r.IntN(3); n > 0; n-- {
		p := w.products[r.IntN(len(w.products))]
		if slices.ContainsFunc(o.items, func(it *orderItem) bool { return it.sku == p.sku }) {
			continue
		}
		o.items = append(o.items, &orderItem{sku: p.sku, name: p.name, qty: 1 + r.IntN(3), price: float64(500+r.IntN(5000)) / 100, vat: 21})
	}
	w.placeOrder(o)
}

func (w *world) mainByCode(code string) (MainShippingMethod, bool) {
	for _, m := range w.settings.MainShippingMethods {
		if m.Code == code {
			return m, true
		}
	}
	return MainShippingMethod{}, false
}

// resolveShippingMethod finds a shipping method by a v2 shipping method id
// or a main shipping method id; 0 is the default method.
func (w *world) resolveShippingMethod(id int64) (MainShippingMethod, int64, bool) {
	for _, m := range w.settings.MainShippingMethods {
		if id == 0 || m.ID == id {
			var v2 int64
			if len(m.ShippingMethods) > 0 {
				v2 = m.ShippingMethods[0].ID
			}
			return m, v2, true
		}
		for _, sm := range m.ShippingMethods {
			if sm.ID == id {
				return m, sm.ID, true
			}
		}
	}
	return MainShippingMethod{}, 0, false
}

// placeOrder books an order: it reserves its goods and plans its picking.
func (w *world) placeOrder(o *order) {
	w.nextOrder++
	o.number = w.nextOrder
	w.orders = append(w.orders, o)
	key := strings.ToLower(o.ext)
	w.byExt[key] = append(w.byExt[key], o)
	for _, it := range o.items {
		if p := w.bySKU[strings.ToLower(it.sku)]; p != nil {
			p.ordered += it.qty
			p.needsSync, p.mutatedAt = true, o.created
		}
	}
	if !o.onHold {
		w.planPick(o, o.created)
	}
}

func (w *world) planPick(o *order, from time.Time) {
	at := from.Add(w.jitter(w.cfg.PickDelay))
	if at.Before(o.notBefore) {
		at = o.notBefore.Add(w.jitter(w.cfg.PickDelay))
	}
	w.pickAt(o, at)
}

// pickAt plans the order's pick at at, unless one is planned earlier.
func (w *world) pickAt(o *order, at time.Time) {
	if o.pick != nil {
		if !at.Before(o.pick.at) {
			return
		}
		heap.Remove(&w.queue, o.pick.idx)
	}
	o.pick = w.schedule(at, func(at time.Time) {
		o.pick = nil
		w.pick(o, at)
	})
}

// pick ships what it can of an order: everything if the stock allows,
// otherwise, if partial delivery is allowed, what is in stock, the rest
// later; else it waits for stock.
func (w *world) pick(o *order, at time.Time) {
	if o.onHold || !o.open() {
		return
	}
	type part struct {
		it *orderItem
		n  int
	}
	var parts []part
	complete := true
	for _, it := range o.items {
		need := it.qty - it.shipped
		if need == 0 {
			continue
		}
		have := 0
		if p := w.bySKU[strings.ToLower(it.sku)]; p != nil {
			have = p.available()
		}
		n := min(need, max(have, 0))
		if n < need {
			complete = false
		}
		if n > 0 {
			parts = append(parts, part{it, n})
		}
	}
	if len(parts) == 0 || (!complete && !o.partial) {
		w.pickAt(o, at.Add(backorderRetry))
		return
	}
	s := &shipment{order: o, seq: len(o.shipments) + 1, date: at, carrier: carrierFor(o.methodCode)}
	if len(o.mainMethod.ShippingMethods) > 0 {
		s.warehouse = o.mainMethod.ShippingMethods[0].Warehouse
	}
	for _, sm := range o.mainMethod.ShippingMethods {
		if sm.ID == o.shippingMethodID {
			s.warehouse = sm.Warehouse
		}
	}
	if s.warehouse == "" {
		s.warehouse = "NR"
	}
	w.nextShip++
	s.id = w.nextShip
	total := 0
	for _, pt := range parts {
		pt.it.shipped += pt.n
		total += pt.n
		p := w.bySKU[strings.ToLower(pt.it.sku)]
		p.ordered -= pt.n
		p.physical -= pt.n
		p.needsSync, p.mutatedAt = true, at
		for _, l := range p.takeLots(pt.n) {
			w.nextItem++
			sp := shippedProduct{itemID: w.nextItem, sku: p.sku, qty: l.qty, weight: p.weight, tht: l.tht, lotNumber: l.lotNumber,
				extra6: pt.it.extra6, extra7: pt.it.extra7}
			if p.hasSerial {
				for range l.qty {
					sp.serials = append(sp.serials, "SN"+digits(w.rng, 10))
				}
			}
			s.products = append(s.products, sp)
			w.addMutation(&mutation{sku: p.sku, qty: -l.qty, typ: MutationShipment, at: at, tht: l.tht, warehouse: s.warehouse,
				locationType: "PICK", remark: "\n", shipment: s, lotNumber: l.lotNumber})
		}
	}
	for c := range min(1+total/6, 3) {
		n := s.carrier.number(w.rng)
		s.colli = append(s.colli, collo{nr: fmt.Sprint(c + 1), packageNumber: n, url: s.carrier.url(n, o.postcode, o.country)})
	}
	s.plan = w.trackPlan(at, o.pickUpPoint)
	o.shipments = append(o.shipments, s)
	w.shipments = append(w.shipments, s)
	w.byShipID[s.id] = s
	if o.open() {
		w.pickAt(o, at.Add(backorderRetry))
	}
}

// Track-trace statuses of the simulator. The document shows the numbers 3,
// 4, 7 and 19 and the exception levels 1 and 2 without naming them, and
// the strings "New", "labelled" and "delivered" with the levels "success"
// and null on shipments; the rest of this table is the simulator's choice
// (see TrackTraceStatuses).
const (
	StatusLabelled       = 1
	StatusCollected      = 2
	StatusInTransit      = 3
	StatusOutForDelivery = 4
	StatusDelivered      = 5
	StatusAtPickUpPoint  = 6
	StatusFailedAttempt  = 7
	StatusReturned       = 8
	StatusException      = 19
)

// Exception levels.
const (
	LevelSuccess = 1
	LevelWarning = 2
	LevelError   = 3
)

// TrackTraceStatus names one numeric track-trace status of the simulator.
type TrackTraceStatus struct {
	Number int
	// Name is the string shipment answers carry in currentTrackTraceStatus.
	Name string
	// Terminal statuses are "delivered in the broad sense": the shipment
	// leaves the track-trace list after DeliveredLinger.
	Terminal bool
}

var trackStatuses = []TrackTraceStatus{
	{StatusLabelled, "labelled", false},
	{StatusCollected, "collected", false},
	{StatusInTransit, "in_transit", false},
	{StatusOutForDelivery, "out_for_delivery", false},
	{StatusDelivered, "delivered", true},
	{StatusAtPickUpPoint, "at_pickup_point", true},
	{StatusFailedAttempt, "delivery_failed", false},
	{StatusReturned, "returned_to_sender", true},
	{StatusException, "exception", false},
}

// TrackTraceStatuses is the simulator's table of numeric statuses, for a
// connector's tests to compare with its own mapping.
func TrackTraceStatuses() []TrackTraceStatus { return slices.Clone(trackStatuses) }

func statusInfo(n int) TrackTraceStatus {
	for _, s := range trackStatuses {
		if s.Number == n {
			return s
		}
	}
	return TrackTraceStatus{Number: n, Name: "unknown"}
}

func levelName(l int) string {
	switch l {
	case LevelSuccess:
		return "success"
	case LevelWarning:
		return "warning"
	case LevelError:
		return "error"
	}
	return ""
}

// trackPlan is a shipment's journey from its shipping date: mostly
// labelled, collected, sorted at night, out for delivery in the morning and
// delivered; sometimes through a failed attempt, an exception, to a pick-up
// point, or back to the sender.
func (w *world) trackPlan(at time.Time, pickUp bool) []trackStep {
	h := func(n float64) time.Time { return at.Add(time.Duration(n * float64(time.Hour))) }
	base := []trackStep{{h(1), StatusLabelled, LevelSuccess}, {h(5), StatusCollected, LevelSuccess}, {h(12), StatusInTransit, LevelSuccess}}
	n := w.rng.IntN(100)
	switch {
	case pickUp || n < 10:
		return append(base, trackStep{h(26), StatusAtPickUpPoint, LevelSuccess})
	case n < 22:
		return append(base, trackStep{h(20), StatusOutForDelivery, LevelSuccess}, trackStep{h(23), StatusFailedAttempt, LevelSuccess},
			trackStep{h(44), StatusOutForDelivery, LevelSuccess}, trackStep{h(47), StatusDelivered, LevelSuccess})
	case n < 27:
		return append(base, trackStep{h(14), StatusException, LevelWarning}, trackStep{h(30), StatusInTransit, LevelSuccess},
			trackStep{h(40), StatusOutForDelivery, LevelSuccess}, trackStep{h(44), StatusDelivered, LevelSuccess})
	case n < 30:
		return append(base, trackStep{h(20), StatusException, LevelWarning}, trackStep{h(72), StatusReturned, LevelWarning})
	default:
		return append(base, trackStep{h(20), StatusOutForDelivery, LevelSuccess}, trackStep{h(23), StatusDelivered, LevelSuccess})
	}
}

func (w *world) addMutation(m *mutation) {
	w.nextMut++
	m.id = w.nextMut
	w.mutations = append(w.mutations, m)
}

// addPurchaseOrder books a purchase order and plans its deliveries: most
// of it at the expected date, the rest a day later.
func (w *world) addPurchaseOrder(po *purchaseOrder, at time.Time) {
	w.nextPO++
	po.id = w.nextPO
	w.pos[po.id] = po
	for _, it := range po.items {
		if p := w.bySKU[strings.ToLower(it.sku)]; p != nil {
			p.incoming += it.qty
			p.needsSync, p.mutatedAt = true, at
		}
	}
	if !w.cfg.ManualReceipts {
		first := po.expected
		if first.IsZero() || first.Before(at) {
			first = at.Add(w.jitter(w.cfg.ReceiveDelay))
		}
		w.schedule(first, func(at time.Time) { w.deliverPO(po, at, partialShare) })
		w.schedule(first.Add(secondDelivery), func(at time.Time) { w.deliverPO(po, at, 1) })
	}
}

// deliverPO receives share of what is still open of every item.
func (w *world) deliverPO(po *purchaseOrder, at time.Time, share float64) {
	if po.deleted {
		return
	}
	for _, it := range po.items {
		open := it.qty - it.received
		n := int(float64(open) * share)
		if share >= 1 {
			n = open
		}
		if n > 0 {
			_ = w.receive(po, it, n, at)
		}
	}
}

// receive books n units of a purchase-order item into stock.
func (w *world) receive(po *purchaseOrder, it *poItem, n int, at time.Time) error {
	p := w.bySKU[strings.ToLower(it.sku)]
	if p == nil {
		return fmt.Errorf("purchase order %d: sku %q is not a product", po.id, it.sku)
	}
	it.received += n
	p.incoming = max(p.incoming-n, 0)
	lotNumber, tht := w.addLots(p, n, at)
	w.addMutation(&mutation{sku: p.sku, qty: n, typ: MutationReceipt, at: at, tht: tht, warehouse: "NR", locationType: "RECEIPT",
		remark: "\n", pos: []poLink{{qty: n, ref: po.reference}}, lotNumber: lotNumber})
	for _, o := range w.orders {
		if o.open() && !o.onHold {
			w.planPick(o, at)
		}
	}
	return nil
}

// returnArrives books an RMA's goods back into stock; damaged goods are
// unavailable.
func (w *world) returnArrives(r *rma, at time.Time) {
	r.arrived = at
	for _, it := range r.items {
		p := w.bySKU[strings.ToLower(it.sp.sku)]
		if p == nil {
			continue
		}
		w.addLots(p, it.qty, at)
		if it.reason.Code == "PRODT_BIONT" {
			p.unavailable += it.qty
		}
		w.addMutation(&mutation{sku: p.sku, qty: it.qty, typ: MutationReturn, at: at, warehouse: r.shipment.warehouse, locationType: "RETURN",
			remark: "\n", shipment: r.shipment, returnReason: it.reason.Name, lotNumber: it.sp.lotNumber})
	}
}

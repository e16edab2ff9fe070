package activeantssim

import (
	"fmt"
	"strings"
	"time"
)

// Product is a product as a test sees it.
type Product struct {
	ID               int64
	SKU, Name        string
	Barcode          string
	UseEconomicStock bool
	HasLot, HasTHT   bool
	HasSerial        bool
	// Physical is the stock in the warehouse; Ordered what open orders
	// reserve; Incoming what open purchase orders bring.
	Physical, Unavailable, Ordered, Incoming int
	// Stock is what stock/get answers: economic or available.
	Stock int
}

// Products lists the warehouse's products in the order they were created.
func (s *Sim) Products() []Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.advance(s.warehouseNow())
	out := make([]Product, 0, len(s.w.products))
	for _, p := range s.w.products {
		out = append(out, Product{
			ID: p.id, SKU: p.sku, Name: p.name, Barcode: p.barcode, UseEconomicStock: p.economic, HasLot: p.hasLot, HasTHT: p.hasTht,
			HasSerial: p.hasSerial, Physical: p.physical, Unavailable: p.unavailable, Ordered: p.ordered, Incoming: p.incoming, Stock: p.stock(),
		})
	}
	return out
}

// SetStock sets a product's physical stock (a stock count), booking the
// difference as a correction mutation (type 4, the simulator's); 0 empties
// it, so that its barcode may change.
func (s *Sim) SetStock(sku string, physical int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.w.bySKU[strings.ToLower(sku)]
	if p == nil {
		return fmt.Errorf("active ants simulator: no product %q", sku)
	}
	now := s.warehouseNow()
	diff := physical - p.physical
	switch {
	case diff > 0:
		s.w.addLots(p, diff, now)
	case diff < 0:
		p.physical += diff
		p.takeLots(-diff)
		p.needsSync, p.mutatedAt = true, now
	default:
		return nil
	}
	s.w.addMutation(&mutation{sku: p.sku, qty: diff, typ: MutationCorrection, at: now, warehouse: "NR", locationType: "STOCK",
		correction: "Telling / Stock count", remark: "\n"})
	return nil
}

// MutationCorrection is the type of a stock count's mutation (the
// simulator's number).
const MutationCorrection = 4

// Receive delivers n units of a purchase order's item now, as the
// warehouse's goods-in does; with Config.ManualReceipts it is the only way
// purchase orders change colour.
func (s *Sim) Receive(purchaseOrderID int64, sku string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	po := s.w.pos[purchaseOrderID]
	if po == nil || po.deleted {
		return fmt.Errorf("active ants simulator: no purchase order %d", purchaseOrderID)
	}
	it := po.item(sku)
	if it == nil {
		return fmt.Errorf("active ants simulator: purchase order %d has no sku %q", purchaseOrderID, sku)
	}
	return s.w.receive(po, it, n, s.warehouseNow())
}

// PurchaseOrderColour is a purchase order's colour (Red, Yellow, Green),
// or "" for none or a deleted one.
func (s *Sim) PurchaseOrderColour(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	po := s.w.pos[id]
	if po == nil || po.deleted {
		return ""
	}
	return po.colour()
}

// PurchaseOrderItems maps a purchase order's SKUs to their quantity and
// what was received of it.
func (s *Sim) PurchaseOrderItems(id int64) map[string][2]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	po := s.w.pos[id]
	if po == nil || po.deleted {
		return nil
	}
	out := map[string][2]int{}
	for _, it := range po.items {
		out[it.sku] = [2]int{it.qty, it.received}
	}
	return out
}

// OrderCount is how many orders carry an external order number; more than
// one would be a doubled create (the simulator refuses that, so it is 0 or
// 1).
func (s *Sim) OrderCount(externalOrderNumber string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.w.byExt[strings.ToLower(externalOrderNumber)])
}

// Orders is how many orders there are, and how many the shop's own
// plugin placed.
func (s *Sim) Orders() (total, fromShop int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.w.orders {
		total++
		if o.fromShop {
			fromShop++
		}
	}
	return total, fromShop
}

// OrderOnHold reports whether an order waits for its release.
func (s *Sim) OrderOnHold(externalOrderNumber string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	os := s.w.byExt[strings.ToLower(externalOrderNumber)]
	return len(os) > 0 && os[0].onHold
}

// Shipment is a shipment as a test sees it.
type Shipment struct {
	ID                  int64
	ExternalOrderNumber string
	PackageNumbers      []string
	TrackTraceURLs      []string
	Synced              bool
	// Syncs is how often it was marked synced.
	Syncs int
	// Status is its current numeric track-trace status, 0 before the
	// first.
	Status int
	Date   time.Time
}

// Shipments lists every shipment, synced or not, after running what is due.
func (s *Sim) Shipments() []Shipment {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.warehouseNow()
	s.w.advance(now)
	out := make([]Shipment, 0, len(s.w.shipments))
	for _, sh := range s.w.shipments {
		x := Shipment{ID: sh.id, ExternalOrderNumber: sh.order.ext, Synced: sh.synced, Syncs: sh.syncs, Date: sh.date}
		for _, c := range sh.colli {
			x.PackageNumbers = append(x.PackageNumbers, c.packageNumber)
			x.TrackTraceURLs = append(x.TrackTraceURLs, c.url)
		}
		if cur, ok := sh.current(now); ok {
			x.Status = cur.status
		}
		out = append(out, x)
	}
	return out
}

// ShipmentCounts is how many shipments are marked synced and how many not.
func (s *Sim) ShipmentCounts() (synced, unsynced int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.advance(s.warehouseNow())
	for _, sh := range s.w.shipments {
		if sh.synced {
			synced++
		} else {
			unsynced++
		}
	}
	return synced, unsynced
}

// SyncCount is how often a shipment was marked synced (0 for none).
func (s *Sim) SyncCount(shipmentID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.w.byShipID[shipmentID]; sh != nil {
		return sh.syncs
	}
	return 0
}

// MutationCounts is how many stock mutations are marked synced and how
// many not.
func (s *Sim) MutationCounts() (synced, unsynced int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.advance(s.warehouseNow())
	for _, m := range s.w.mutations {
		if m.synced {
			synced++
		} else {
			unsynced++
		}
	}
	return synced, unsynced
}

// RMAs is how many RMAs were created.
func (s *Sim) RMAs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.w.rmas)
}

// Stats is a snapshot of the warehouse and of the traffic, for the demo's
// summary and benchmarks.
type Stats struct {
	Orders, ShopOrders, OpenOrders int
	Shipments, ShipmentsSynced     int
	Mutations, MutationsSynced     int
	PurchaseOrders, RMAs           int
	TokensIssued                   int
	Requests                       int
	TrackTracePolls                int
}

// Stats counts what the simulator holds and has answered.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.advance(s.warehouseNow())
	st := Stats{Shipments: len(s.w.shipments), Mutations: len(s.w.mutations), RMAs: len(s.w.rmas), TokensIssued: s.issued, TrackTracePolls: s.trackTraceAll}
	for _, o := range s.w.orders {
		st.Orders++
		if o.fromShop {
			st.ShopOrders++
		}
		if o.open() {
			st.OpenOrders++
		}
	}
	for _, sh := range s.w.shipments {
		if sh.synced {
			st.ShipmentsSynced++
		}
	}
	for _, m := range s.w.mutations {
		if m.synced {
			st.MutationsSynced++
		}
	}
	for _, po := range s.w.pos {
		if !po.deleted {
			st.PurchaseOrders++
		}
	}
	for _, n := range s.requests {
		st.Requests += n
	}
	return st
}

// RenameProduct changes a product's name at the warehouse, as an edit in
// Maya does, without telling the hub: what a read-back (product.get)
// brings to it.
func (s *Sim) RenameProduct(sku, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.w.bySKU[strings.ToLower(sku)]
	if p == nil {
		return fmt.Errorf("active ants simulator: no product %q", sku)
	}
	p.name = name
	return nil
}

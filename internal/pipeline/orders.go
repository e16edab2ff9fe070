package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// orderApplier applies a change set's order updates: each is merged into
// its order (created when new), every stated field of the order and of its
// lines versioned by the provider's time, and the feed is told of new
// orders and of status changes. It runs before the shipment applier, so a
// shipment of the same message finds its order.
type orderApplier struct{}

func (orderApplier) kind() string { return "orders" }

func (orderApplier) check(c *model.Changes) error {
	for i := range c.Orders {
		if err := checkOrder(&c.Orders[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkOrder refuses an order update the hub cannot store: no reference, an
// indexed value the database refuses (see checkKey), a status outside the
// canonical taxonomy, a negative status rank, a line number below 1 or a
// quantity that is not a finite number.
func checkOrder(u *model.OrderUpdate) error {
	if u.Reference == "" {
		return errors.New("an order update has no reference")
	}
	if err := errors.Join(checkKey("order reference", u.Reference), checkKey("order provider reference", u.ProviderRef)); err != nil {
		return err
	}
	if err := checkOrderStatus("order status", u.Status); err != nil {
		return err
	}
	if u.StatusRank < 0 {
		return fmt.Errorf("order %q has status rank %d; a rank is 0 (none) or more", u.Reference, u.StatusRank)
	}
	for i := range u.Lines {
		l := &u.Lines[i]
		if l.LineNumber < 1 {
			return fmt.Errorf("order %q has line number %d; line numbers start at 1", u.Reference, l.LineNumber)
		}
		if l.StatusRank < 0 {
			return fmt.Errorf("order %q line %d has status rank %d; a rank is 0 (none) or more", u.Reference, l.LineNumber, l.StatusRank)
		}
		if err := errors.Join(finite("order line quantity", l.Quantity), finite("order line quantity shipped", l.QuantityShipped),
			checkOrderStatus("order line status", l.Status)); err != nil {
			return err
		}
	}
	return nil
}

func checkOrderStatus(what string, s model.OrderStatus) error {
	if s != "" && !slices.Contains(model.OrderStatuses, s) {
		return fmt.Errorf("%s %q is not a canonical order status", what, s)
	}
	return nil
}

func (orderApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Orders {
		if err := applyOrder(ctx, run, &c.Orders[i]); err != nil {
			return err
		}
	}
	return nil
}

// applyOrder merges one order update into its order, keyed by the
// message's connection and the update's reference.
func applyOrder(ctx context.Context, run *applyRun, u *model.OrderUpdate) error {
	tx, m := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	o, err := tx.OrderByRef(ctx, m.Workspace, m.Connection, u.Reference)
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		created = true
		// A provider states only orders it holds, so an order it names
		// without a status is accepted (ResetCanonical resets to it too).
		o = &model.Order{
			Resource:  model.Resource{Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, CreatedAt: now, UpdatedAt: now},
			Reference: u.Reference, Status: model.OrderAccepted, Lines: []model.OrderLine{}, ShipmentIDs: []int64{},
		}
	case err != nil:
		return fmt.Errorf("loading order: %w", err)
	}
	before := o.Status
	changed := MergeOrder(o, u)
	switch {
	case created:
		if err := tx.InsertOrder(ctx, o); err != nil {
			return fmt.Errorf("inserting order: %w", err)
		}
	case changed:
		o.UpdatedAt = now
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return fmt.Errorf("updating order: %w", err)
		}
	}
	statusChanged := !created && o.Status != before
	if run.quiet() || !created && !statusChanged {
		return nil
	}
	// The feed carries the order as it stands, with its shipments.
	ids, err := tx.OrderShipmentIDs(ctx, o)
	if err != nil {
		return fmt.Errorf("reading the shipments of order %d: %w", o.ID, err)
	}
	o.ShipmentIDs = ids
	order, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding order %d: %w", o.ID, err)
	}
	var (
		typ  = model.EventOrderCreated
		data any
	)
	if created {
		data = OrderCreated{Order: order}
	} else {
		typ = model.EventOrderStatusChanged
		data = OrderStatusChanged{OrderID: o.ID, PreviousStatus: before, Status: o.Status, Order: order}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", typ, err)
	}
	return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: o.Workspace, Type: typ, SubjectID: o.ID, OccurredAt: now, Data: raw})
}

// OrderCreated is the data of an order.created feed event.
type OrderCreated struct {
	Order json.RawMessage `json:"order"`
}

// OrderStatusChanged is the data of an order.status_changed feed event.
type OrderStatusChanged struct {
	OrderID        int64             `json:"order_id"`
	PreviousStatus model.OrderStatus `json:"previous_status"`
	Status         model.OrderStatus `json:"status"`
	Order          json.RawMessage   `json:"order"`
}

// MergeOrder applies the facts of an update to an order: every field the
// update states replaces the held one only when the statement is at least
// as new as the one that set it (model.Resource.Stated), so a late, older
// message changes nothing. The status and the provider's status are one
// statement: the newest wins, with its code, except that of two statements
// that carry the provider's rank of their status (OrderUpdate.StatusRank)
// the higher rank wins, whatever their times. Lines are merged by line
// number, each line's fields versioned on their own ("lines.3.status").
// Of two statements of the same time the greater value wins, so the outcome
// does not depend on the order of arrival either. It reports whether
// anything changed, the fields' times included.
func MergeOrder(o *model.Order, u *model.OrderUpdate) bool {
	asOf := u.AsOf
	changed := false
	set := func(field string, held, stated any, assign func()) {
		h, s := encode(held), encode(stated)
		if !statedAt(&o.Resource, field, asOf, h, s, &changed) || bytes.Equal(h, s) {
			return
		}
		assign()
		changed = true
	}
	// setStatus is set for a status statement, which may carry the
	// provider's rank of its status: of two ranked statements the higher
	// rank wins whatever the times, so a late retry of an older status of a
	// provider without times does not undo a newer one. Otherwise (equal
	// ranks, or a statement without one) AsOf decides as in set, and the
	// winner's rank is recorded with its time. Either way every statement
	// is compared by (rank, time, value), so the outcome of ranked
	// statements does not depend on their arrival.
	setStatus := func(field string, rank int, held, stated any, assign func()) {
		heldRank := o.StatusRanks[field]
		// The rank is part of the statement, so a tie of times between two
		// statements that differ only in rank is decided by content too.
		h, s := encode(rankedStatus{held, heldRank}), encode(rankedStatus{stated, rank})
		switch {
		case rank > 0 && heldRank > 0 && rank < heldRank:
			return
		case rank > 0 && heldRank > 0 && rank > heldRank:
			if o.FactTimes == nil {
				o.FactTimes = map[string]time.Time{}
			}
			o.FactTimes[field] = asOf
			changed = true
		case !statedAt(&o.Resource, field, asOf, h, s, &changed):
			return
		}
		if heldRank != rank {
			setRank(o, field, rank)
			changed = true
		}
		if !bytes.Equal(h, s) {
			assign()
			changed = true
		}
	}
	if u.Status != "" || u.ProviderStatus != nil {
		st := u.Status
		if st == "" {
			// A provider code without a canonical status: kept, unknown.
			st = model.OrderUnknown
		}
		setStatus("status", u.StatusRank, orderStatus{o.Status, o.ProviderStatus}, orderStatus{st, u.ProviderStatus}, func() {
			o.Status, o.ProviderStatus = st, u.ProviderStatus
		})
	}
	if u.ProviderRef != "" {
		set("provider_ref", o.ProviderRef, u.ProviderRef, func() { o.ProviderRef = u.ProviderRef })
	}
	if u.DeliveryAddress != nil {
		set("delivery_address", o.DeliveryAddress, u.DeliveryAddress, func() { o.DeliveryAddress = u.DeliveryAddress })
	}
	if u.InvoiceAddress != nil {
		set("invoice_address", o.InvoiceAddress, u.InvoiceAddress, func() { o.InvoiceAddress = u.InvoiceAddress })
	}
	if u.ShippingMethod != "" {
		set("shipping_method", o.ShippingMethod, u.ShippingMethod, func() { o.ShippingMethod = u.ShippingMethod })
	}
	if u.Note != "" {
		set("note", o.Note, u.Note, func() { o.Note = u.Note })
	}
	for i := range u.Lines {
		lu := &u.Lines[i]
		idx := slices.IndexFunc(o.Lines, func(l model.OrderLine) bool { return l.LineNumber == lu.LineNumber })
		if idx < 0 {
			o.Lines = append(o.Lines, model.OrderLine{LineNumber: lu.LineNumber})
			slices.SortFunc(o.Lines, func(a, b model.OrderLine) int { return a.LineNumber - b.LineNumber })
			idx = slices.IndexFunc(o.Lines, func(l model.OrderLine) bool { return l.LineNumber == lu.LineNumber })
			changed = true
		}
		l := &o.Lines[idx]
		prefix := "lines." + strconv.Itoa(lu.LineNumber) + "."
		if lu.SKU != "" {
			set(prefix+"sku", l.SKU, lu.SKU, func() { l.SKU = lu.SKU })
		}
		if lu.Description != "" {
			set(prefix+"description", l.Description, lu.Description, func() { l.Description = lu.Description })
		}
		if lu.Quantity != nil {
			set(prefix+"quantity", l.Quantity, *lu.Quantity, func() { l.Quantity = *lu.Quantity })
		}
		if lu.QuantityShipped != nil {
			set(prefix+"quantity_shipped", l.QuantityShipped, *lu.QuantityShipped, func() { l.QuantityShipped = *lu.QuantityShipped })
		}
		if lu.Status != "" || lu.ProviderStatus != nil {
			st := lu.Status
			if st == "" {
				st = model.OrderUnknown
			}
			setStatus(prefix+"status", lu.StatusRank, orderStatus{l.Status, l.ProviderStatus}, orderStatus{st, lu.ProviderStatus}, func() {
				l.Status, l.ProviderStatus = st, lu.ProviderStatus
			})
		}
	}
	return changed
}

// setRank records the rank of the status statement that set field; 0
// forgets it.
func setRank(o *model.Order, field string, rank int) {
	if rank == 0 {
		delete(o.StatusRanks, field)
		if len(o.StatusRanks) == 0 {
			o.StatusRanks = nil
		}
		return
	}
	if o.StatusRanks == nil {
		o.StatusRanks = map[string]int{}
	}
	o.StatusRanks[field] = rank
}

// rankedStatus is a status statement with its rank, for comparing.
type rankedStatus struct {
	Status any `json:"s"`
	Rank   int `json:"r,omitempty"`
}

// orderStatus is a status statement: the canonical status with the
// provider's own, which go together.
type orderStatus struct {
	Status   model.OrderStatus     `json:"s"`
	Provider *model.ProviderStatus `json:"p"`
}

// statedAt is model.Resource.Stated with a tie-break: a statement of the
// same (non-zero) time as the one held replaces it only when its value
// encodes greater, so which of two simultaneous statements wins does not
// depend on arrival. It records the field's time and notes a new time in
// changed.
func statedAt(r *model.Resource, field string, asOf time.Time, held, stated []byte, changed *bool) bool {
	prev, known := r.FactTimes[field]
	if known && !asOf.IsZero() && asOf.Equal(prev) {
		return bytes.Compare(stated, held) > 0
	}
	if !r.Stated(field, asOf) {
		return false
	}
	if now, ok := r.FactTimes[field]; ok && (!known || !now.Equal(prev)) {
		*changed = true
	}
	return true
}

// encode is the JSON of a value, for comparing statements.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only finite numbers reach here (checkOrder); unreachable.
		return nil
	}
	return b
}

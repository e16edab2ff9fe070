package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// shipmentApplier applies a change set's shipment updates: each is merged
// into its shipment (created when new), its events are added, the status
// is derived from all the shipment's events, and the feed is told.
type shipmentApplier struct{}

func (shipmentApplier) kind() string { return "shipments" }

func (shipmentApplier) check(c *model.Changes) error {
	for i := range c.Shipments {
		if c.Shipments[i].ProviderRef == "" {
			return errors.New("an update has no provider reference")
		}
		if err := checkUpdate(&c.Shipments[i]); err != nil {
			return err
		}
	}
	return nil
}

func (shipmentApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Shipments {
		added, err := applyUpdate(ctx, run, &c.Shipments[i])
		if err != nil {
			return err
		}
		run.result.events = append(run.result.events, added...)
	}
	return nil
}

// checkUpdate refuses an update the hub cannot store: an indexed value that
// is not valid UTF-8, holds a NUL byte (PostgreSQL refuses both in text) or
// is longer than MaxKeyBytes, or a number that is not finite (JSON has no
// NaN, so the shipment could not be encoded). Without it one provider
// request could stop the pipeline of every workspace.
func checkUpdate(u *model.ShipmentUpdate) error {
	for i := range u.Items {
		it := &u.Items[i]
		for _, err := range []error{finite("item quantity", &it.Quantity), finite("item unit price", it.UnitPrice), finite("item row total", it.RowTotal)} {
			if err != nil {
				return err
			}
		}
	}
	for i := range u.Events {
		if l := u.Events[i].Location; l != nil {
			if err := errors.Join(finite("event latitude", l.Lat), finite("event longitude", l.Lon)); err != nil {
				return err
			}
		}
	}
	if err := checkKey("provider reference", u.ProviderRef); err != nil {
		return err
	}
	for _, r := range u.References {
		if err := checkKey(r.Kind+" reference", r.Value); err != nil {
			return err
		}
	}
	for _, e := range u.Events {
		if err := checkKey("event key", e.DedupKey); err != nil {
			return err
		}
	}
	if l := u.Link; l != nil {
		if err := checkKey("linked tracking number", l.TrackingNumber); err != nil {
			return err
		}
	}
	return nil
}

// applyUpdate merges one shipment update into the shipment it belongs to
// (see findShipment), adds its new events and derives the status. It
// returns the events it added.
func applyUpdate(ctx context.Context, run *applyRun, u *model.ShipmentUpdate) ([]model.Event, error) {
	p, tx, m := run.p, run.tx, run.msg
	now := p.cfg.Now().UTC()
	s, err := findShipment(ctx, tx, m, u)
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		created = true
		s = &model.Shipment{
			Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, ProviderRef: u.ProviderRef,
			StatusPosition: model.StatusPosition{Status: model.StatusPending},
			CreatedAt:      now, UpdatedAt: now,
		}
		Merge(s, u)
		if err := tx.InsertShipment(ctx, s); err != nil {
			return nil, fmt.Errorf("inserting shipment: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("loading shipment: %w", err)
	}
	before := s.StatusPosition
	eddBefore := s.ExpectedDelivery
	orderRefBefore := ""
	if !created {
		orderRefBefore = s.OrderReference
	}
	changed := !created && Merge(s, u)
	eddChanged := !created && s.ExpectedDelivery != eddBefore

	var added []model.Event
	for i := range u.Events {
		e := u.Events[i]
		e.RecordedAt = now
		if e.InboxID == 0 {
			e.InboxID = m.ID
		}
		if e.Source == "" {
			e.Source = m.Source
		}
		e.Connection, e.Provider = m.Connection, m.Provider
		if s.Connection != m.Connection && e.DedupKey != "" {
			// Another connection's keys are its own: they must not make
			// an event of the shipment's connection a duplicate.
			e.DedupKey = m.Connection + ":" + e.DedupKey
		}
		inserted, err := tx.InsertEvent(ctx, s.ID, &e)
		if err != nil {
			return nil, fmt.Errorf("inserting event: %w", err)
		}
		if !inserted {
			continue
		}
		added = append(added, e)
		if pos := e.Position(); pos.Outranks(s.StatusPosition) {
			s.StatusPosition = pos
		}
	}
	statusChanged := s.Status != before.Status || s.Substatus != before.Substatus
	if created || changed || len(added) > 0 || s.StatusPosition != before {
		s.UpdatedAt = now
		if err := tx.UpdateShipment(ctx, s); err != nil {
			return nil, fmt.Errorf("updating shipment: %w", err)
		}
	}
	// The shipment belongs to the order its OrderReference names (see
	// store.OrderTx.LinkShipment), whichever of the two arrived first; or,
	// when the provider handed shiphub's own order id back (WICS
	// metaFields), to that order, whatever reference it gives the parcel.
	linkRef := s.OrderReference
	if u.OrderID != 0 {
		_, ref, err := tx.OrderRefByID(ctx, s.Workspace, u.OrderID)
		switch {
		case err == nil:
			linkRef = ref
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if linkRef != orderRefBefore || u.OrderID != 0 {
		if err := tx.LinkShipment(ctx, s.Workspace, s.Connection, s.ID, linkRef); err != nil {
			return nil, err
		}
	}

	// The feed: what a merchant subscribes to. Every entry carries the
	// shipment as it stands after this update, encoded once.
	if run.quiet() || !created && len(added) == 0 && !statusChanged && !eddChanged {
		return added, nil
	}
	shipment, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding shipment %d: %w", s.ID, err)
	}
	// data leaves its Shipment unset: withShipment writes it in.
	feed := func(typ string, data any) error {
		raw, err := withShipment(data, shipment)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", typ, err)
		}
		return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: s.Workspace, Type: typ, SubjectID: s.ID, OccurredAt: now, Data: raw})
	}
	if created {
		if err := feed(model.EventShipmentCreated, ShipmentCreated{}); err != nil {
			return nil, err
		}
	}
	for i := range added {
		if err := feed(model.EventShipmentEventAdded, EventAdded{ShipmentID: s.ID, Event: &added[i]}); err != nil {
			return nil, err
		}
	}
	if eddChanged {
		data := EDDChanged{ShipmentID: s.ID, PreviousExpectedDelivery: eddBefore, ExpectedDelivery: s.ExpectedDelivery}
		if err := feed(model.EventShipmentEDDChanged, data); err != nil {
			return nil, err
		}
	}
	if statusChanged && !created || created && s.Status != model.StatusPending {
		data := StatusChanged{ShipmentID: s.ID, PreviousStatus: before.Status, Status: s.Status, Substatus: s.Substatus}
		if err := feed(model.EventShipmentStatusChanged, data); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// findShipment finds the shipment an update applies to: its connection's
// own shipment of the update's ProviderRef or, when the update carries a
// Link, a shipment another connection keeps for the same parcel, in the
// order model.ShipmentLink gives. It returns store.ErrNotFound when the
// parcel is new to the workspace.
func findShipment(ctx context.Context, tx store.Tx, m *model.InboxMessage, u *model.ShipmentUpdate) (*model.Shipment, error) {
	l := u.Link
	if l != nil && l.ShipmentID != 0 {
		s, err := tx.ShipmentByID(ctx, m.Workspace, l.ShipmentID)
		if !errors.Is(err, store.ErrNotFound) {
			return s, err
		}
	}
	s, err := tx.ShipmentByRef(ctx, m.Workspace, m.Connection, u.ProviderRef)
	if l == nil || l.TrackingNumber == "" || !errors.Is(err, store.ErrNotFound) {
		return s, err
	}
	return tx.ShipmentByTrackingNumber(ctx, m.Workspace, l.TrackingNumber, m.Connection)
}

// shipmentLast is how the encoding of a feed event's data without its
// shipment ends: each data type's last field is the shipment, a
// json.RawMessage, which encodes nil as null.
var shipmentLast = []byte(`"shipment":null}`)

// withShipment encodes a feed event's data, whose Shipment is unset, with
// shipment (json.Marshal's encoding of the shipment) as its Shipment: the
// bytes json.Marshal gives for the data with Shipment set, without
// encoding/json reading the shipment again to check and compact it, which
// it does for every json.RawMessage it writes, once for each of the two or
// three events of an update (TestWithShipmentEncodesAsMarshal).
func withShipment(data any, shipment json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b, shipmentLast) || len(shipment) == 0 {
		return nil, fmt.Errorf("encoding %T: its shipment is not its last field, or there is no shipment", data)
	}
	out := make([]byte, 0, len(b)-len("null}")+len(shipment)+1)
	out = append(out, b[:len(b)-len("null}")]...)
	out = append(out, shipment...)
	return append(out, '}'), nil
}

// ShipmentCreated is the data of a shipment.created feed event.
type ShipmentCreated struct {
	Shipment json.RawMessage `json:"shipment"`
}

// EventAdded is the data of a shipment.event_added feed event.
type EventAdded struct {
	ShipmentID int64           `json:"shipment_id"`
	Event      *model.Event    `json:"event"`
	Shipment   json.RawMessage `json:"shipment"`
}

// StatusChanged is the data of a shipment.status_changed feed event.
type StatusChanged struct {
	ShipmentID     int64           `json:"shipment_id"`
	PreviousStatus model.Status    `json:"previous_status"`
	Status         model.Status    `json:"status"`
	Substatus      string          `json:"substatus,omitempty"`
	Shipment       json.RawMessage `json:"shipment"`
}

// EDDChanged is the data of a shipment.edd_changed feed event: the carrier
// moved the expected delivery date.
type EDDChanged struct {
	ShipmentID               int64           `json:"shipment_id"`
	PreviousExpectedDelivery string          `json:"previous_expected_delivery,omitempty"`
	ExpectedDelivery         string          `json:"expected_delivery"`
	Shipment                 json.RawMessage `json:"shipment"`
}

package wics

import (
	"fmt"
	"strconv"

	"github.com/shiphub/shiphub/internal/model"
)

// normalizeReconcile maps a message reconciliation committed (its topic
// reconcile.<kind>) to canonical changes, as the webhooks of the same facts
// are mapped; ok is false for any other topic. Like Normalize it is a pure
// function of the message: AsOf is ReceivedAt where the item has no time of
// its own.
//
//	reconcile.order         a listed order (GET /api/order): OrderUpdate with Reference,
//	                        ProviderRef (number), Status, ProviderStatus and StatusRank from
//	                        statusCode/statusDescription as for Topic Order status (the list
//	                        example's "Bevestigd" is read as the description of code 30).
//	                        The list has no lines: none are stated.
//	reconcile.receipt       a whole receipt (GET /api/receipt/{number}): as Topic Receipt.
//	reconcile.shipment      an item of an order's shipments (GET /api/order/{reference}/
//	                        shipment): as Topic Shipment, whose body it is but for colloId
//	                        and a deliveryDate the list may leave out (AsOf is then
//	                        ReceivedAt).
//	reconcile.announcement  a listed announcement: InboundUpdate with Reference, ProviderRef
//	                        (number) and ExpectedAt (plannedDate, midnight in the connection's
//	                        zone), and its lines when the item has them; no status (the list
//	                        says none).
//	reconcile.stock         a listed stock item: as Topic Stock, from the item's totals only.
//	                        The list splits them by warehouse too, but the Stock webhook does
//	                        not, and the hub's row of an item must be the one both write.
func (c *Connector) normalizeReconcile(m *model.InboxMessage) (model.Changes, bool, error) {
	mp := mapper{loc: c.dec.Location, received: m.ReceivedAt.UTC()}
	var (
		ch  model.Changes
		err error
	)
	switch m.Topic {
	case TopicReconcileReceipt:
		ch, _, err = c.changes(TopicReceipt, m.Body, m.ReceivedAt)
	case TopicReconcileShipment:
		ch, _, err = c.changes(TopicShipment, m.Body, m.ReceivedAt)
	case TopicReconcileStock:
		var s *Stock
		if s, _, err = c.dec.DecodeStock(m.Body); err == nil {
			s.Warehouses = nil
			ch, err = mp.mapMessage(s)
		}
	case TopicReconcileOrder:
		var o *reconOrder
		if o, _, err = decodeAs[reconOrder](c.dec, m.Body); err == nil {
			ch = mp.reconciledOrder(o)
			err = mp.err
		}
	case TopicReconcileAnnouncement:
		var a *Announcement
		if a, _, err = decodeAs[Announcement](c.dec, m.Body); err == nil {
			ch = mp.reconciledAnnouncement(a)
			err = mp.err
		}
	default:
		return model.Changes{}, false, nil
	}
	if err != nil {
		return model.Changes{}, true, fmt.Errorf("normalising wics %s message %d: %w", m.Topic, m.ID, err)
	}
	return ch, true, nil
}

func (mp *mapper) reconciledOrder(o *reconOrder) model.Changes {
	status, ps, rank := mp.orderCode(o.StatusCode, o.StatusDescription)
	u := model.OrderUpdate{
		AsOf:        mp.received,
		Reference:   mp.key("reference", o.Reference),
		ProviderRef: mp.key("number", o.Number),
	}
	if o.StatusCode != "" {
		u.Status, u.ProviderStatus, u.StatusRank = status, ps, rank
	}
	return model.Changes{Orders: []model.OrderUpdate{u}}
}

func (mp *mapper) reconciledAnnouncement(a *Announcement) model.Changes {
	u := model.InboundUpdate{
		AsOf:        mp.received,
		Reference:   mp.key("reference", a.Reference),
		ProviderRef: mp.key("number", a.Number),
	}
	if at := mp.instant(a.PlannedDate); !at.IsZero() {
		u.ExpectedAt = &at
	}
	for i, l := range a.Lines {
		expected := float64(l.QuantityExpected)
		u.Lines = append(u.Lines, model.InboundLineUpdate{
			LineNumber: int(l.LineNumber), SKU: mp.key("lines["+strconv.Itoa(i)+"].itemCode", l.ItemCode), Expected: &expected,
		})
	}
	return model.Changes{Inbound: []model.InboundUpdate{u}}
}

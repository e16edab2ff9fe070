// Package model holds shiphub's canonical types: the one picture of shipments,
// tracking events and their status that every provider is normalised into. It
// does no I/O.
package model

import (
	"fmt"
	"time"
)

// Status is the canonical shipment status. Every provider's codes map onto
// this one taxonomy (learned from AfterShip, EasyPost, Shippo and Karrio).
type Status string

// The canonical statuses. See DESIGN.md for their meaning.
const (
	StatusPending            Status = "pending"
	StatusInfoReceived       Status = "info_received"
	StatusInTransit          Status = "in_transit"
	StatusOutForDelivery     Status = "out_for_delivery"
	StatusAvailableForPickup Status = "available_for_pickup"
	StatusFailedAttempt      Status = "failed_attempt"
	StatusDelivered          Status = "delivered"
	StatusException          Status = "exception"
	StatusReturned           Status = "returned"
	StatusCancelled          Status = "cancelled"
	StatusExpired            Status = "expired"
	StatusUnknown            Status = "unknown"
)

// Statuses lists every canonical status, in the order a shipment usually
// moves through them. The API documents it as the enum of `status`.
var Statuses = []Status{
	StatusPending, StatusInfoReceived, StatusInTransit, StatusOutForDelivery,
	StatusAvailableForPickup, StatusFailedAttempt, StatusDelivered, StatusException,
	StatusReturned, StatusCancelled, StatusExpired, StatusUnknown,
}

// Valid reports whether s is one of the canonical statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Terminal reports whether s ends a shipment's life: delivered, returned or
// cancelled. A terminal status is not overturned by a non-terminal event.
func (s Status) Terminal() bool {
	return s == StatusDelivered || s == StatusReturned || s == StatusCancelled
}

// ParseStatus parses a canonical status name, as used in API filters.
func ParseStatus(v string) (Status, error) {
	s := Status(v)
	if !s.Valid() {
		return "", fmt.Errorf("unknown status %q", v)
	}
	return s, nil
}

// Substatus values used across providers. Providers may use others; these are
// the ones a merchant can rely on.
const (
	SubCustoms            = "customs"
	SubNotHome            = "not_home"
	SubClosed             = "closed"
	SubRefused            = "refused"
	SubAddressIssue       = "address_issue"
	SubDamaged            = "damaged"
	SubDelayed            = "delayed"
	SubPartialDelivery    = "partial_delivery"
	SubDeliveredNeighbour = "delivered_neighbour"
	SubNoSignature        = "delivered_without_signature"
	SubDocumentsNeeded    = "documents_needed"
	SubPayment            = "payment"
	SubRescheduled        = "rescheduled"
	SubPickupPlanned      = "pickup_planned"
	SubSorting            = "sorting"
	SubInspection         = "inspection"
	SubNotReady           = "not_ready"
	SubMoved              = "moved"
	SubLost               = "lost"
	SubOther              = "other"
)

// StatusPosition is where a shipment's status currently stands: the status and
// the event that set it. The shipment's status is the maximum, over all of its
// events, of Rank: a terminal event beats any non-terminal one, a known status
// beats unknown, and otherwise the newest event wins. Events of the same
// instant are ranked by what they say (the later status in Statuses, then
// the substatus, then action required), not by event id, which would be
// their order of arrival. Being a maximum over the events' content, the
// result does not depend on the order events arrive in, which is what lets
// late and out-of-order events be applied one at a time.
type StatusPosition struct {
	Status         Status    `json:"status"`
	Substatus      string    `json:"substatus,omitempty"`
	ActionRequired bool      `json:"action_required"`
	At             time.Time `json:"status_at,omitzero"`
	EventID        int64     `json:"-"`
}

// Outranks reports whether an event at position e should replace the current
// position cur as the shipment's status.
func (e StatusPosition) Outranks(cur StatusPosition) bool {
	if cur.EventID == 0 {
		return true
	}
	if a, b := e.Status.Terminal(), cur.Status.Terminal(); a != b {
		return a
	}
	if a, b := e.Status != StatusUnknown, cur.Status != StatusUnknown; a != b {
		return a
	}
	if !e.At.Equal(cur.At) {
		return e.At.After(cur.At)
	}
	if a, b := statusOrder(e.Status), statusOrder(cur.Status); a != b {
		return a > b
	}
	if e.Substatus != cur.Substatus {
		return e.Substatus > cur.Substatus
	}
	if e.ActionRequired != cur.ActionRequired {
		return e.ActionRequired
	}
	// The same status at the same instant: either gives the same shipment
	// state; the event id only makes the choice deterministic.
	return e.EventID > cur.EventID
}

// statusOrder is the place of s in Statuses.
func statusOrder(s Status) int {
	for i, v := range Statuses {
		if v == s {
			return i
		}
	}
	return len(Statuses)
}

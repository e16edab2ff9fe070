// Package gcl keeps parcels current through GCL Logistics' tracking API
// (/work/shared/providers/gcl-tracking.txt): GET /v1/tracking/{trackingNumber}
// returns the parcel's carrier, method, weight, tracking URL and checkpoints.
// It is shiphub's first pull provider: package poll decides when each
// parcel is polled, and this package knows the wire format, the client and
// the status table.
//
// Choices made where the document is silent, kept in one place each:
//
//   - Authentication: the connection's api_key is sent as
//     "<auth_header>: <auth_scheme> <api_key>", by default
//     "Authorization: Bearer <api_key>" (see authorize in client.go).
//   - Error answers: the document gives its error object no HTTP status, so
//     a body with a "code" is an error answer whatever the status, 200
//     included. Its code, message and details become the poll's error (the
//     tracker's last_error) and are logged.
//   - "Not found": the error answer with code TRACKING_DETAILS_NOT_FOUND,
//     whatever its HTTP status (the simulator uses 404). The number may just
//     not be known yet, so it is retried at growing intervals and expires
//     after expire_after_days.
//   - Retries: network errors, timeouts, 429 and 5xx are retried up to
//     max_attempts with exponential backoff (Retry-After is honoured, up to
//     30s); every attempt spends from the connection's request budget.
//     Other answers that are not a tracking answer (a 4xx for a wrong key,
//     an error object on 200) fail the poll at once; the tracker backs off.
//   - Status: statusUid is mapped by the table in status.go; when it is
//     missing or unknown, the status number is read through the document's
//     StatusEnum, whose order the example confirms for 1, 2 and 6. Only
//     when neither is known does a checkpoint become canonical unknown,
//     with the raw code kept. not_picked_up is an exception that needs
//     action (substatus not_picked_up); shipped is in_transit.
//   - Malformed checkpoints (a createdAt that is not RFC 3339, a status
//     that is not a number, …) are left out, and recorded as intake errors
//     when the answer is first seen; the answer's other checkpoints apply.
//   - signedBy is kept on the delivered event, as its scan's "by".
//
// Every poll answer is committed to the inbox like a webhook (source poll,
// dedup key the SHA-256 of the body, so an unchanged answer is a duplicate)
// and normalised by Normalize, so the raw answers are kept and
// `shiphub reprocess` rebuilds from them. A tracker that expires commits a
// record of its own (topic "expired") that becomes an expired event.
package gcl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Info registers the provider under the name used in shiphub.yaml.
var Info = provider.Info{Name: "gcl", New: New}

// Inbox meta keys of a poll answer.
const (
	MetaTrackingNumber = "tracking_number"
	MetaReference      = "reference"
	MetaTracker        = "tracker"
	// MetaOriginShipment is the id of the shipment a carrier rule attached
	// the tracker to (model.Tracker.OriginShipment), when it did.
	MetaOriginShipment = "origin_shipment"
)

// TopicExpired is the inbox topic of the record a tracker commits when it expires.
const TopicExpired = "expired"

// Attribute keys the connector sets on shipments.
const (
	AttrCarrierName   = "carrier_name"
	AttrMethodName    = "method_name"
	AttrWeightInGrams = "weight_grams"
	AttrShortUID      = "gcl_short_uid"
)

// Connector is one configured GCL connection.
type Connector struct {
	workspace, id string
	settings      Settings
	loc           *time.Location
}

var (
	_ provider.Connector     = (*Connector)(nil)
	_ provider.ParcelTracker = (*Connector)(nil)
)

// New builds a connector from the connection's settings.
func New(c provider.Connection) (provider.Connector, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, err
	}
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, _ := provider.LoadLocation(s.Timezone)
	return &Connector{workspace: c.Workspace, id: c.ID, settings: s, loc: loc}, nil
}

// Settings returns the connection's settings, defaults applied.
func (c *Connector) Settings() Settings { return c.settings }

// TracksParcels marks the connector as one that accepts trackers.
func (c *Connector) TracksParcels() {}

// Expired is the record a tracker commits when it gives up on a parcel.
type Expired struct {
	TrackingNumber string    `json:"trackingNumber"`
	Reason         string    `json:"reason"` // "not_found" or "no_update"
	Since          time.Time `json:"since"`
	ExpiredAt      time.Time `json:"expiredAt"`
}

// Normalize turns a committed poll answer into a shipment update: the
// shipment is keyed by the tracking number that was polled, its
// checkpoints become events. A "not found" answer gives a pending shipment
// without events, so the tracked number is visible from the start.
func (c *Connector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	number := m.Meta[MetaTrackingNumber]
	if m.Topic == TopicExpired {
		var e Expired
		if err := json.Unmarshal(m.Body, &e); err != nil || e.TrackingNumber == "" {
			return model.Changes{}, fmt.Errorf("%w: expiry record: not a valid record", provider.ErrBadInput)
		}
		u := c.baseUpdate(firstNonEmpty(number, e.TrackingNumber), m)
		text := "No tracking details for " + e.Since.UTC().Format(time.DateOnly) + " onwards; tracking stopped"
		if e.Reason == "no_update" {
			text = "No tracking update since " + e.Since.UTC().Format(time.DateOnly) + "; tracking stopped"
		}
		u.Events = []model.Event{{
			Status: model.StatusExpired, ProviderCode: "expired:" + e.Reason, Description: text,
			OccurredAt: e.ExpiredAt.UTC(), Source: model.SourcePoll, DedupKey: "expired",
		}}
		return model.ShipmentChanges(u), nil
	}
	resp, errResp, err := Decode(m.Body)
	if err != nil {
		return model.Changes{}, err
	}
	if errResp != nil {
		if errResp.Code != CodeNotFound {
			return model.Changes{}, fmt.Errorf("%w: error answer %s", provider.ErrBadInput, errResp.Describe())
		}
		return model.ShipmentChanges(c.baseUpdate(firstNonEmpty(number, errResp.TrackingNumber), m)), nil
	}
	u := c.baseUpdate(firstNonEmpty(number, resp.TrackingNumber), m)
	if resp.TrackingNumber != u.ProviderRef {
		u.References = append(u.References, model.Reference{Kind: model.RefTrackingNumber, Value: resp.TrackingNumber})
	}
	if resp.ShortUID != "" {
		u.References = append(u.References, model.Reference{Kind: model.RefShipment, Value: resp.ShortUID})
	}
	u.Carrier = firstNonEmpty(resp.CarrierUID, resp.CarrierName)
	u.Method = firstNonEmpty(resp.ShipmentMethodUID, resp.ShipmentMethodName)
	u.TrackingURL = resp.TrackingURL
	attrs := map[string]string{
		AttrCarrierName:   resp.CarrierName,
		AttrMethodName:    resp.ShipmentMethodName,
		AttrWeightInGrams: strings.TrimSpace(string(resp.WeightInGrams)),
		AttrShortUID:      resp.ShortUID,
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	if len(attrs) > 0 {
		u.Attributes = attrs
	}
	u.Events, u.ExpectedDelivery, u.CollectedAt, u.DeliveredAt = checkpointEvents(resp.Checkpoints)
	return model.ShipmentChanges(u), nil
}

// baseUpdate is the update every answer about the parcel starts from. Its
// Link makes it apply to the shipment another connection keeps for the
// parcel: the one a carrier rule attached the tracker to, or else one with
// the tracking number (a tracker created through the API for a parcel the
// hub knows), so that the merchant sees one shipment with the events of
// both sources rather than a second one beside it.
func (c *Connector) baseUpdate(number string, m *model.InboxMessage) model.ShipmentUpdate {
	u := model.ShipmentUpdate{
		ProviderRef:    number,
		TrackingNumber: number,
		References:     []model.Reference{{Kind: model.RefTrackingNumber, Value: number}},
		Link:           &model.ShipmentLink{TrackingNumber: number},
	}
	if id, err := strconv.ParseInt(m.Meta[MetaOriginShipment], 10, 64); err == nil && id > 0 {
		u.Link.ShipmentID = id
	}
	if ref := m.Meta[MetaReference]; ref != "" {
		u.References = append(u.References, model.Reference{Kind: model.RefMerchant, Value: ref})
	}
	return u
}

// checkpointEvents makes one event per checkpoint and finds the latest
// expected delivery date, the first pickup scan and the delivery.
func checkpointEvents(cps []Checkpoint) (events []model.Event, edd string, collected, delivered *time.Time) {
	order := make([]int, len(cps))
	for i := range order {
		order[i] = i
	}
	// Oldest first; the API lists newest first, but need not.
	sort.SliceStable(order, func(a, b int) bool { return cps[order[a]].at.Before(cps[order[b]].at) })
	var eddAt time.Time
	for _, i := range order {
		cp := &cps[i]
		m, code := mapStatus(cp)
		e := model.Event{
			Status:         m.status,
			Substatus:      m.substatus,
			ActionRequired: m.actionRequired,
			ProviderCode:   code,
			Description:    firstNonEmpty(cp.Message, cp.Description),
			OccurredAt:     cp.at,
			Source:         model.SourcePoll,
			DedupKey:       checkpointKey(cp),
		}
		if cp.Status.valid {
			e.ProviderGroup = fmt.Sprint(cp.Status.n)
		}
		if cp.Description != "" {
			e.Labels = map[string]string{"en": cp.Description}
		}
		if cp.Location != "" {
			e.Location = &model.Location{Text: cp.Location}
		}
		if m.status == model.StatusDelivered && strings.TrimSpace(cp.SignedBy) != "" {
			// Who signed for the delivery is part of its proof.
			e.Scan = &model.Scan{By: cp.SignedBy}
		}
		events = append(events, e)
		if cp.ExpectedDeliveryDate != "" && !cp.at.Before(eddAt) {
			edd, eddAt = cp.ExpectedDeliveryDate, cp.at
		}
		if m.status == model.StatusInTransit && collected == nil {
			collected = &cp.at
		}
		if m.status == model.StatusDelivered {
			delivered = &cp.at
		}
	}
	return events, edd, collected, delivered
}

// checkpointKey identifies a checkpoint across polls: the same status at the
// same time with the same message is one event, however often it is served.
func checkpointKey(cp *Checkpoint) string {
	h := sha256.Sum256([]byte(strings.ToLower(cp.StatusUID) + "\x00" + cp.at.Format(time.RFC3339Nano) + "\x00" + cp.Message))
	return "cp:" + hex.EncodeToString(h[:16])
}

// Summary is what the scheduler needs from an answer.
type Summary struct {
	Status           model.Status
	ExpectedDelivery string
}

// Summarize derives the parcel's current status the way the pipeline does
// (model.StatusPosition.Outranks over the checkpoints) and its latest
// expected delivery date.
func Summarize(r *Response) Summary {
	if r == nil {
		return Summary{Status: model.StatusPending}
	}
	events, edd, _, _ := checkpointEvents(r.Checkpoints)
	cur := model.StatusPosition{Status: model.StatusPending}
	for i := range events {
		events[i].ID = int64(i + 1)
		if p := events[i].Position(); p.Outranks(cur) {
			cur = p
		}
	}
	return Summary{Status: cur.Status, ExpectedDelivery: edd}
}

// DedupKey is the inbox key of a poll answer: identical answers are one message.
func DedupKey(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

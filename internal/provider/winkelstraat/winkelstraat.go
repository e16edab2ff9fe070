// Package winkelstraat receives the shipment webhooks of Winkelstraat.nl's
// stock hub (a Dutch fashion marketplace) and normalises them into shiphub's
// canonical shipments. It is the only place that knows the wire format of
// /work/shared/providers/winkelstraat-shipment-webhook.txt.
//
// Winkelstraat POSTs the whole shipment as JSON each time it changes, with a
// shared secret in the x-api-key header and the webhook's version in
// x-version. The choices this package makes where the document is silent:
//
//   - Authentication compares x-api-key with the connection's
//     inbound_api_key in constant time; a missing or different key is
//     provider.ErrUnauthorized.
//   - Only POST is accepted. The body must be JSON: a Content-Type of
//     application/json, text/json or application/*+json, or none at all.
//     Anything else is provider.ErrUnsupportedMedia.
//   - increment_id (Winkelstraat's shipment number) is required. Dates are
//     "2024-02-20 15:28:51" read in the connection's timezone (default
//     Europe/Amsterdam), or RFC 3339 with an offset; other forms are
//     rejected. status must be a string or null. Identifiers sent as JSON
//     numbers and prices sent as numeric strings are accepted. Unknown
//     fields are ignored here and kept in the raw inbox message.
//   - The inbox dedup key is the hex SHA-256 of the raw body: a retry sends
//     identical bytes, and a shipment that changed is a new message.
//   - Each message with a status becomes one canonical event. Status mapping:
//     UNKNOWN becomes canonical unknown, with the raw code kept: it says
//     nothing about where the parcel is, and as unknown it can never
//     overturn a known status (a later UNKNOWN after IN_TRANSIT leaves the
//     shipment in transit). A null or empty status gives no event at all, for
//     the same reason: the shipment's facts are updated, a new shipment
//     starts pending, and a known status stays. READY_FOR_PICKUP becomes info_received with
//     substatus pickup_planned, because the parcel is packed and waits for
//     the carrier to collect it (it is not available_for_pickup, which is
//     the recipient's pickup point); IN_TRANSIT becomes in_transit;
//     DELIVERED becomes delivered; EXCEPTION becomes exception with
//     action_required. Codes are matched case-insensitively. Any other code
//     becomes unknown, never a guess, with the raw code kept. The event's
//     provider_code is the raw status, or "null" when there is none.
//   - The event occurred at updated_at; for a DELIVERED shipment with a
//     delivered_at, at delivered_at. Without updated_at it falls back to
//     delivered_at, collected_at, created_at and finally the time the
//     message was received. An IN_TRANSIT or DELIVERED event never occurred
//     before collected_at, when the carrier took the parcel: updated_at is
//     not the time of the status (the document's own example has it three
//     days before collected_at), so such an event takes collected_at when
//     that is later. Its dedup key is the raw status and updated_at (in
//     UTC), so the same state pushed twice is stored once.
package winkelstraat

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Info registers the provider under the name used in shiphub.yaml.
var Info = provider.Info{Name: "winkelstraat", New: New}

// Header names Winkelstraat sends.
const (
	HeaderAPIKey  = "x-api-key"
	HeaderVersion = "x-version"
)

// MetaVersion is the inbox Meta key that keeps the x-version header, so that
// Normalize can record which webhook version a message came in.
const MetaVersion = "x-version"

// Connector is one configured Winkelstraat connection.
type Connector struct {
	settings Settings
	loc      *time.Location
	key      provider.Secret
}

var (
	_ provider.Connector       = (*Connector)(nil)
	_ provider.WebhookReceiver = (*Connector)(nil)
)

// New builds a connector from a connection's settings, validating them.
func New(c provider.Connection) (provider.Connector, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding winkelstraat settings: %w", err)
	}
	return NewWithSettings(s)
}

// NewWithSettings builds a connector from settings that are already decoded;
// tests and tools use it. Defaults are applied before validation.
func NewWithSettings(s Settings) (*Connector, error) {
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("winkelstraat settings: %w", err)
	}
	loc, err := loadLocation(s.Timezone)
	if err != nil {
		return nil, fmt.Errorf("winkelstraat settings: timezone: %w", err)
	}
	return &Connector{settings: s, loc: loc, key: provider.NewSecret(s.InboundAPIKey)}, nil
}

// Authenticate checks the x-api-key header against the connection's shared
// secret in constant time.
func (c *Connector) Authenticate(r *http.Request) error {
	got := r.Header.Get(HeaderAPIKey)
	if got == "" {
		return fmt.Errorf("%w: missing %s header", provider.ErrUnauthorized, HeaderAPIKey)
	}
	if !c.key.Matches(got) {
		return fmt.Errorf("%w: %s does not match", provider.ErrUnauthorized, HeaderAPIKey)
	}
	return nil
}

// Accept validates one webhook and returns the raw message to commit. It
// decodes the body fully, so that whatever is acknowledged can be
// normalised. Winkelstraat has one channel; topic is ignored, so the hook
// may be configured with or without a path suffix.
func (c *Connector) Accept(r *http.Request, topic string, body []byte) (provider.Inbound, error) {
	if r.Method != http.MethodPost {
		return provider.Inbound{}, fmt.Errorf("%w: winkelstraat webhooks are POST, got %s", provider.ErrMethodNotAllowed, r.Method)
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return provider.Inbound{}, err
	}
	sh, err := decodeShipment(body, c.loc)
	if err != nil {
		return provider.Inbound{}, fmt.Errorf("decoding winkelstraat shipment: %w", err)
	}
	meta := map[string]string{}
	if v := r.Header.Get(HeaderVersion); v != "" {
		meta[MetaVersion] = v
	}
	return provider.Inbound{
		DedupKey:    dedupKey(body, sh.UpdatedAt),
		ContentType: "application/json",
		Body:        body,
		Meta:        meta,
	}, nil
}

// dedupKey is the inbox key of a webhook (provider.TimeLedKey): the
// shipment's updated_at in UTC (YYYYMMDDhhmmss), when it has one, then 128
// bits of the body's SHA-256. A retry, byte for byte the same body, gets
// the same key.
func dedupKey(body []byte, updated *time.Time) string {
	at := ""
	if updated != nil {
		at = updated.UTC().Format("20060102150405")
	}
	return provider.TimeLedKey(at, body)
}

func checkContentType(ct string) error {
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: unreadable Content-Type %q", provider.ErrUnsupportedMedia, ct)
	}
	if mt == "application/json" || mt == "text/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return fmt.Errorf("%w: winkelstraat sends application/json, got %s", provider.ErrUnsupportedMedia, mt)
}

// Normalize turns one committed webhook into one canonical shipment update
// with one event. It is a pure function of the message and the settings.
func (c *Connector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	sh, err := decodeShipment(m.Body, c.loc)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising winkelstraat message %d: %w", m.ID, err)
	}
	u := model.ShipmentUpdate{
		ProviderRef:     sh.IncrementID,
		Carrier:         sh.Track.Carrier,
		Method:          sh.Track.Method,
		TrackingNumber:  sh.Track.TrackingNumber,
		TrackingURL:     sh.Track.TrackingURL,
		OrderReference:  sh.OrderIncrementID,
		PONumber:        sh.PONumber,
		Currency:        sh.Currency,
		ShippingAddress: sh.Shipping.canonical(),
		OriginAddress:   sh.Origin.canonical(),
		CollectedAt:     sh.CollectedAt,
		DeliveredAt:     sh.DeliveredAt,
	}
	for _, ref := range []model.Reference{
		{Kind: model.RefShipment, Value: sh.IncrementID},
		{Kind: model.RefOrder, Value: sh.OrderIncrementID},
		{Kind: model.RefTrackingNumber, Value: sh.Track.TrackingNumber},
		{Kind: model.RefPONumber, Value: sh.PONumber},
	} {
		if ref.Value != "" {
			u.References = append(u.References, ref)
		}
	}
	for _, it := range sh.Items {
		u.Items = append(u.Items, model.Item{
			SKU:          it.SKU,
			ParentSKU:    it.ParentSKU,
			MPN:          it.MPN,
			Manufacturer: it.Manufacturer,
			Size:         it.Size,
			Quantity:     it.Qty,
			UnitPrice:    it.ItemPriceIncTax,
			RowTotal:     it.RowTotalIncTax,
		})
	}
	attrs := map[string]string{}
	if v := m.Meta[MetaVersion]; v != "" {
		attrs["x_version"] = v
	}
	if sh.CreatedAt != nil {
		attrs["created_at"] = sh.CreatedAt.Format(time.RFC3339)
	}
	if len(attrs) > 0 {
		u.Attributes = attrs
	}
	u.Events = c.events(sh, m)
	return model.ShipmentChanges(u), nil
}

// statusMapping is the canonical meaning of one Winkelstraat status.
type statusMapping struct {
	status         model.Status
	substatus      string
	actionRequired bool
	description    string
}

// statuses maps Winkelstraat's five documented codes, upper-cased. Keep every
// mapping decision here, in one place, so it is easy to correct (and
// `shiphub reprocess` replays the inbox through the corrected table).
var statuses = map[string]statusMapping{
	"UNKNOWN":          {status: model.StatusUnknown, description: "Shipment status unknown"},
	"READY_FOR_PICKUP": {status: model.StatusInfoReceived, substatus: model.SubPickupPlanned, description: "Shipment ready for pickup by the carrier"},
	"IN_TRANSIT":       {status: model.StatusInTransit, description: "Shipment in transit"},
	"DELIVERED":        {status: model.StatusDelivered, description: "Shipment delivered"},
	"EXCEPTION":        {status: model.StatusException, actionRequired: true, description: "Shipment exception"},
}

// mapStatus maps a raw, non-empty status.
func mapStatus(raw string) statusMapping {
	if sm, ok := statuses[strings.ToUpper(raw)]; ok {
		return sm
	}
	return statusMapping{status: model.StatusUnknown, description: fmt.Sprintf("Shipment status %q is not known", raw)}
}

// events is the message's one event, or none when its status is null or
// empty: no status is no news about the parcel, and an event (pending or
// unknown) could only get in the way of what is known.
func (c *Connector) events(sh *shipment, m *model.InboxMessage) []model.Event {
	if !sh.StatusSet {
		return nil
	}
	return []model.Event{c.event(sh, m)}
}

func (c *Connector) event(sh *shipment, m *model.InboxMessage) model.Event {
	sm := mapStatus(sh.Status)
	code := sh.Status
	desc := sm.description
	if t := strings.TrimSpace(sh.Track.Carrier + " " + sh.Track.TrackingNumber); t != "" {
		desc += " (" + t + ")"
	}
	var updated string
	if sh.UpdatedAt != nil {
		updated = sh.UpdatedAt.Format(time.RFC3339)
	}
	return model.Event{
		Status:         sm.status,
		Substatus:      sm.substatus,
		ActionRequired: sm.actionRequired,
		ProviderCode:   code,
		Description:    desc,
		OccurredAt:     occurredAt(sh, sm.status, m.ReceivedAt),
		Source:         m.Source,
		InboxID:        m.ID,
		DedupKey:       code + "|" + updated,
	}
}

// occurredAt picks the event's time; see the package documentation.
func occurredAt(sh *shipment, st model.Status, received time.Time) time.Time {
	if st == model.StatusDelivered && sh.DeliveredAt != nil {
		return *sh.DeliveredAt
	}
	at := received.UTC()
	for _, t := range []*time.Time{sh.UpdatedAt, sh.DeliveredAt, sh.CollectedAt, sh.CreatedAt} {
		if t != nil {
			at = *t
			break
		}
	}
	if afterCollection[st] && sh.CollectedAt != nil && at.Before(*sh.CollectedAt) {
		at = *sh.CollectedAt
	}
	return at
}

// afterCollection are the statuses a parcel reaches only once the carrier
// has collected it, so their events are no earlier than collected_at.
var afterCollection = map[model.Status]bool{model.StatusInTransit: true, model.StatusDelivered: true}

// canonical converts a wire address; nil or all-empty becomes nil.
func (a *address) canonical() *model.Address {
	if a == nil || *a == (address{}) {
		return nil
	}
	return &model.Address{
		Company:     a.Company,
		FirstName:   a.FirstName,
		LastName:    a.LastName,
		Street:      a.Street,
		HouseNumber: a.HouseNumber,
		Postcode:    a.Postcode,
		City:        a.City,
		Region:      a.RegionCode,
		Country:     a.CountryID,
		Email:       a.Email,
		Phone:       a.Telephone,
	}
}

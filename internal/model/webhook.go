package model

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Feed event types of the fulfilment side (DESIGN.md). Until a type is in
// EventTypes it is not offered: no endpoint may subscribe to it and no
// webhook is delivered for it (not even to "*"), because the OpenAPI
// document does not describe its payload yet; the feed
// (GET /api/v1/events) records it all the same.
const (
	EventOrderCreated         = "order.created"
	EventOrderStatusChanged   = "order.status_changed"
	EventStockChanged         = "stock.changed"
	EventStockMutationAdded   = "stock.mutation_added"
	EventInboundStatusChanged = "inbound.status_changed"
	EventInboundReceived      = "inbound.received"
	EventReturnCreated        = "return.created"
	EventReturnStatusChanged  = "return.status_changed"
	EventCommandFailed        = "command.failed"
	EventCommandDead          = "command.dead"
)

// EventTypes is every feed event type the hub offers, and so every type a
// merchant endpoint can subscribe to and receive. The OpenAPI document's
// webhooks section describes the payload of each.
var EventTypes = []string{
	EventShipmentCreated, EventShipmentStatusChanged, EventShipmentEventAdded, EventShipmentEDDChanged,
	EventShipmentStuck, EventOrderCreated, EventOrderStatusChanged, EventStockChanged, EventStockMutationAdded,
	EventInboundStatusChanged, EventInboundReceived, EventReturnCreated, EventReturnStatusChanged,
	EventCommandFailed, EventCommandDead,
}

// PlannedEventTypes are reserved types that are not offered yet. None is
// planned now: the command events came with the commands (issue 11). A type
// reserved later goes here until something emits it and the OpenAPI
// document describes its payload.
var PlannedEventTypes []string

// Endpoint sources: where an endpoint was defined, and so who may change it.
const (
	EndpointFromAPI    = "api"
	EndpointFromConfig = "config"
)

// Endpoint is a merchant webhook target. The secrets are never part of its
// JSON: they are shown once, on creation or rotation, and on request.
type Endpoint struct {
	ID          int64             `json:"id"`
	Workspace   string            `json:"workspace"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Description string            `json:"description,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	// Source is api or config; a configured endpoint is changed in the
	// configuration, not through the API.
	Source string `json:"source"`
	// DisabledAt is set when the hub stopped delivering to the endpoint
	// (it answered 410, or failed continuously for too long).
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	// FailingSince is the first failed attempt since the last success.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`

	// Secret is the whsec_ signing secret.
	Secret string `json:"-"`
	// PreviousSecret is the secret before the last rotation; it still signs
	// until PreviousSecretUntil, so receivers can switch over without loss.
	PreviousSecret      string    `json:"-"`
	PreviousSecretUntil time.Time `json:"-"`
	// ConfigKey identifies a configured endpoint across restarts (its URL).
	ConfigKey string `json:"-"`
}

// Secrets returns the secrets a delivery at now is signed with: the current
// one, and the previous one during its grace period.
func (e *Endpoint) Secrets(now time.Time) []string {
	out := []string{e.Secret}
	if e.PreviousSecret != "" && now.Before(e.PreviousSecretUntil) {
		out = append(out, e.PreviousSecret)
	}
	return out
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one feed event on its way to one endpoint: the durable queue
// row, written in the same transaction as the event.
type Delivery struct {
	ID         int64  `json:"id"`
	Workspace  string `json:"workspace"`
	EndpointID int64  `json:"endpoint_id"`
	// EventID is the feed event's id; webhook-id is derived from it.
	EventID   int64  `json:"event_id"`
	EventType string `json:"event_type"`
	// Subject is the resource the event is about ("shipment/42"); events of
	// one subject reach one endpoint in order.
	Subject string `json:"subject"`
	// Status is pending, succeeded or failed (a dead letter).
	Status string `json:"status"`
	// Attempts counts the attempts of the current round (a retry or a
	// recovery starts a new round).
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	// Log is every attempt, oldest first; filled in only for one delivery.
	Log []DeliveryAttempt `json:"log,omitempty"`
}

// DeliveryAttempt is one HTTP attempt of a delivery.
type DeliveryAttempt struct {
	ID          int64     `json:"id"`
	DeliveryID  int64     `json:"delivery_id"`
	AttemptedAt time.Time `json:"attempted_at"`
	// DurationMS is how long the attempt took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// StatusCode is the HTTP status answered; 0 when there was no answer.
	StatusCode int `json:"status_code"`
	// Error says why the attempt failed; empty on success.
	Error string `json:"error,omitempty"`
	// Response is the start of the answer's body, bounded.
	Response string `json:"response,omitempty"`
}

// WebhookID is the Standard Webhooks webhook-id of a feed event: stable
// across retries and endpoints, so receivers deduplicate by it.
func WebhookID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// Subject names the resource a feed event is about, from the event type's
// resource part and the subject id.
func Subject(eventType string, subjectID int64) string {
	resource, _, _ := strings.Cut(eventType, ".")
	return fmt.Sprintf("%s/%d", resource, subjectID)
}

// MatchEventType reports whether a feed event type matches any of an
// endpoint's filters: "*" (everything offered), "shipment.*" (a resource)
// or an exact type. A type that is not offered (not in EventTypes) matches
// nothing: its payload is not documented yet.
func MatchEventType(filters []string, eventType string) bool {
	if !slices.Contains(EventTypes, eventType) {
		return false
	}
	for _, f := range filters {
		if f == "*" || f == eventType {
			return true
		}
		if prefix, ok := strings.CutSuffix(f, "*"); ok && strings.HasSuffix(prefix, ".") && strings.HasPrefix(eventType, prefix) {
			return true
		}
	}
	return false
}

// ValidateEventFilter checks one endpoint filter: "*", "<resource>.*" for a
// resource with emitted types, or an emitted event type. A typo, or a type
// that nothing emits yet, would otherwise subscribe to nothing, silently.
func ValidateEventFilter(f string) error {
	if f == "*" {
		return nil
	}
	for _, t := range EventTypes {
		if t == f {
			return nil
		}
		if resource, _, _ := strings.Cut(t, "."); f == resource+".*" {
			return nil
		}
	}
	known := "known: *, " + strings.Join(EventTypes, ", ") + ", or a resource followed by .*, such as shipment.*"
	for _, t := range PlannedEventTypes {
		if resource, _, _ := strings.Cut(t, "."); t == f || f == resource+".*" {
			return fmt.Errorf("event type %q is not emitted by this hub yet, so it cannot be subscribed to (%s)", f, known)
		}
	}
	return fmt.Errorf("unknown event type %q (%s)", f, known)
}

// reservedHeaders are set by the hub on every delivery and cannot be
// overridden by an endpoint's custom headers.
var reservedHeaders = map[string]bool{
	"Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true,
	"Content-Type": true, "Content-Length": true, "Host": true, "User-Agent": true,
	"Connection": true, "Transfer-Encoding": true, "Te": true, "Upgrade": true, "Trailer": true,
}

// ValidateEndpoint checks what a merchant may set on an endpoint: an
// absolute http(s) URL without credentials, known event filters, and custom
// headers that are valid and do not override the hub's own.
func ValidateEndpoint(e *Endpoint) error {
	var errs []error
	u, err := url.Parse(e.URL)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		errs = append(errs, fmt.Errorf("url: must be an absolute http or https URL"))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("url: scheme must be http or https, not %q", u.Scheme))
	case u.User != nil:
		errs = append(errs, fmt.Errorf("url: must not contain credentials; use a custom header"))
	case u.Fragment != "":
		errs = append(errs, fmt.Errorf("url: must not contain a fragment"))
	case len(e.URL) > 2048:
		errs = append(errs, fmt.Errorf("url: longer than 2048 characters"))
	}
	if len(e.Events) == 0 {
		errs = append(errs, errors.New("events: at least one event type filter is required (\"*\" for all)"))
	}
	for i, f := range e.Events {
		if err := ValidateEventFilter(f); err != nil {
			errs = append(errs, fmt.Errorf("events[%d]: %w", i, err))
		}
	}
	if len(e.Description) > 1000 {
		errs = append(errs, errors.New("description: longer than 1000 characters"))
	}
	if len(e.Headers) > 20 {
		errs = append(errs, errors.New("headers: at most 20 custom headers"))
	}
	for name, value := range e.Headers {
		if !validHeaderName(name) {
			errs = append(errs, fmt.Errorf("headers: %q is not a valid header name", name))
			continue
		}
		if reservedHeaders[http.CanonicalHeaderKey(name)] {
			errs = append(errs, fmt.Errorf("headers: %q is set by the hub and cannot be overridden", name))
		}
		if strings.ContainsAny(value, "\r\n\x00") || len(value) > 4096 {
			errs = append(errs, fmt.Errorf("headers: the value of %q must be one line of at most 4096 bytes", name))
		}
	}
	if e.Secret != "" {
		if _, err := SecretKey(e.Secret); err != nil {
			errs = append(errs, fmt.Errorf("secret: %w", err))
		}
	}
	return errors.Join(errs...)
}

func validHeaderName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		if c > 127 || !(c == '-' || c == '_' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
			c == '+' || c == '.' || c == '^' || c == '`' || c == '|' || c == '~' ||
			('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
			return false
		}
	}
	return true
}

// NewSecret returns a new whsec_ secret: 32 random bytes, base64-encoded.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// SecretKey returns the HMAC key of a whsec_ secret: the base64-decoded part
// after the prefix, as Standard Webhooks defines it.
func SecretKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("the part after whsec_ must be standard base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("must decode to 24 to 64 bytes, not %d", len(key))
	}
	return key, nil
}

// IsPublicIP reports whether ip is an address a webhook may be sent to when
// private networks are not allowed: not loopback, private, link-local
// (which includes the 169.254.169.254 cloud metadata service), shared
// carrier-grade NAT (100.64.0.0/10, Alibaba's metadata service), multicast,
// unspecified or otherwise reserved.
func IsPublicIP(ip net.IP) bool {
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, n := range reservedNets {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

var reservedNets = func() []*net.IPNet {
	var out []*net.IPNet
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16",
	} {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}()

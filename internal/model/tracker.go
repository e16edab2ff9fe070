package model

import "time"

// TrackerState is where a tracker stands in its life: it is polled while
// active or not found, rests once done, and gives up when expired.
type TrackerState string

// Tracker states.
const (
	// TrackerActive means the parcel is known to the provider and is polled
	// on its adaptive schedule.
	TrackerActive TrackerState = "active"
	// TrackerNotFound means the provider does not know the number yet (a label
	// is often registered before the carrier's first scan); it is retried at
	// growing intervals until it is found or expires.
	TrackerNotFound TrackerState = "not_found"
	// TrackerDone means the parcel reached a terminal status and one late
	// re-check found nothing new; it is no longer polled.
	TrackerDone TrackerState = "done"
	// TrackerExpired means the number stayed unknown, or the parcel without
	// news, for the connection's expiry period; it is no longer polled.
	TrackerExpired TrackerState = "expired"
)

// Tracker is one parcel a pull connection keeps current by polling its
// provider. The schedule lives with it in the database, so a restarted hub
// (or another instance) carries on where the last poll left off.
type Tracker struct {
	ID             int64  `json:"id"`
	Workspace      string `json:"workspace"`
	Connection     string `json:"connection"`
	TrackingNumber string `json:"tracking_number"`
	// Reference is the merchant's own reference for the parcel, if given;
	// it becomes a reference of the tracked shipment.
	Reference string `json:"reference,omitempty"`
	// Origin tells why the parcel is tracked: "api" (a merchant asked) or
	// "rule" (a carrier rule attached another connection's shipment).
	Origin string `json:"origin"`
	// OriginShipment is the id of the shipment a carrier rule attached, or 0.
	OriginShipment int64 `json:"origin_shipment,omitempty"`

	State TrackerState `json:"state"`
	// Status is the canonical status the latest answer showed.
	Status Status `json:"status"`
	// ExpectedDelivery is the latest expected delivery date (YYYY-MM-DD).
	ExpectedDelivery string `json:"expected_delivery,omitempty"`
	// Priority orders due polls when the request budget is short: lower
	// goes first (see package poll).
	Priority int `json:"priority"`

	// NextPollAt is when the tracker is due; nil when it is no longer polled.
	NextPollAt   *time.Time `json:"next_poll_at,omitempty"`
	LastPolledAt *time.Time `json:"last_polled_at,omitempty"`
	// LastChangeAt is when an answer last differed from the one before.
	LastChangeAt *time.Time `json:"last_change_at,omitempty"`
	// NotFoundSince is when the provider first answered "not found" in the
	// current run of such answers.
	NotFoundSince *time.Time `json:"not_found_since,omitempty"`
	// Polls counts requests made for this tracker.
	Polls int64 `json:"polls"`
	// Failures counts consecutive failed polls (errors, not "not found").
	Failures  int    `json:"failures"`
	LastError string `json:"last_error,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

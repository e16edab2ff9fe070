package store

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Insights answers the aggregates of the dashboard's insights page, each
// over a time window that starts at since and per workspace. They read
// many rows (the events of two days, the shipments of a month), so the
// page does not call them: package insights does, in the background, and
// keeps the latest answers as a snapshot.
//
// A shipment's carrier is its carrier field, or its provider when the
// provider does not name one.
type Insights interface {
	// EventsPerHour counts the workspace's events that occurred at or
	// after since, by the connection of their shipment and the UTC hour
	// they occurred in. Hours without events are absent.
	EventsPerHour(ctx context.Context, workspace string, since time.Time) ([]HourCount, error)
	// StatusesPerDay counts the workspace's events that occurred at or
	// after since by their canonical status and the UTC day they occurred
	// in: what happened to parcels each day.
	StatusesPerDay(ctx context.Context, workspace string, since time.Time) ([]DayStatusCount, error)
	// TransitTimes gives, per carrier, the p50 and p90 of the transit time
	// of the shipments delivered at or after since: from their first event
	// of status in_transit or later (in_transit, out_for_delivery,
	// available_for_pickup, failed_attempt, delivered), or their
	// collected_at when it is set, to their delivered_at, or their first
	// delivered event when the provider gives no delivered_at. A shipment
	// without a start or with a start after its delivery is left out.
	TransitTimes(ctx context.Context, workspace string, since time.Time) ([]CarrierTransit, error)
	// CarrierRates counts, per carrier, the shipments updated at or after
	// since, those of them with any exception event and those with any
	// failed_attempt event, and the delivered ones with and without a
	// failed attempt before their delivery (the first-attempt rate).
	CarrierRates(ctx context.Context, workspace string, since time.Time) ([]CarrierRate, error)
}

// HourCount is how many events a connection had in one hour.
type HourCount struct {
	Connection string
	// Hour is the start of the hour, UTC.
	Hour  time.Time
	Count int64
}

// DayStatusCount is how many events of one status occurred on one day.
type DayStatusCount struct {
	// Day is midnight UTC of the day.
	Day    time.Time
	Status model.Status
	Count  int64
}

// CarrierTransit is the transit time of one carrier's delivered shipments.
type CarrierTransit struct {
	Carrier string
	// Shipments is how many delivered shipments were measured.
	Shipments int64
	// P50 and P90 are the median and the 90th percentile (nearest rank).
	P50, P90 time.Duration
}

// CarrierRate is what went wrong with one carrier's shipments.
type CarrierRate struct {
	Carrier string
	// Shipments is how many shipments were updated in the window.
	Shipments int64
	// Exceptions is how many of them had any exception event.
	Exceptions int64
	// FailedAttempts is how many of them had any failed_attempt event.
	FailedAttempts int64
	// Delivered is how many of them are delivered, and FirstAttempt how
	// many of those had no failed_attempt event before their delivery.
	Delivered, FirstAttempt int64
}

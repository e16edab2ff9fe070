// Package poll is the machinery of shiphub's pull connectors: the parcels
// (trackers) a connection keeps current, the adaptive schedule that decides
// when each is polled next, a request budget shared by every hub instance,
// and a poller that spends that budget on the most useful polls first, on one
// instance at a time. GCL tracking is its first user; later pull connectors
// (Active Ants, WICS reconciliation) reuse the budget and the poller.
package poll

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Priorities order due polls when the budget cannot cover them all: a lower
// number goes first. A parcel with the driver today is worth more than one
// that sits in a depot, and a number the carrier does not know yet is worth
// least, because it will most likely still be unknown.
const (
	// PriorityUrgent is a parcel out for delivery or expected today.
	PriorityUrgent = 0
	// PriorityOverdue is a parcel whose expected delivery date has passed.
	PriorityOverdue = 1
	// PriorityTransit is a parcel on its way, or registered and waiting.
	PriorityTransit = 2
	// PriorityNotFound is a number the provider does not know yet.
	PriorityNotFound = 3
	// PriorityRecheck is the one late look at a delivered or returned parcel.
	PriorityRecheck = 4
)

// Intervals are the waits between two polls of a parcel, by what its last
// answer showed. Zero fields take the defaults of DefaultIntervals.
type Intervals struct {
	// OutForDelivery is the wait while the parcel is with the driver.
	OutForDelivery time.Duration `yaml:"out_for_delivery"`
	// DueToday is the wait while the expected delivery date is today.
	DueToday time.Duration `yaml:"due_today"`
	// Overdue is the wait once the expected delivery date has passed.
	Overdue time.Duration `yaml:"overdue"`
	// InTransit is the wait while the parcel travels (also after a failed
	// attempt, at a pickup point or with an exception).
	InTransit time.Duration `yaml:"in_transit"`
	// Registered is the wait while only a label exists (pending, info received).
	Registered time.Duration `yaml:"registered"`
	// NotFound is the first wait after "not found"; later waits grow with the
	// time the number has been unknown, up to NotFoundMax.
	NotFound    time.Duration `yaml:"not_found"`
	NotFoundMax time.Duration `yaml:"not_found_max"`
	// Error is the first wait after a failed poll; it doubles with every
	// further failure, up to ErrorMax.
	Error    time.Duration `yaml:"error"`
	ErrorMax time.Duration `yaml:"error_max"`
	// TerminalRecheck is how long after a terminal status (delivered,
	// returned, cancelled) the parcel is looked at once more, in case the
	// carrier corrects itself; if nothing changed it is no longer polled.
	TerminalRecheck time.Duration `yaml:"terminal_recheck"`
}

// DefaultIntervals suit a carrier tracking API with a daily budget in the
// tens of thousands: a parcel in transit costs about 8 polls a day, one out
// for delivery 4 an hour.
var DefaultIntervals = Intervals{
	OutForDelivery:  15 * time.Minute,
	DueToday:        30 * time.Minute,
	Overdue:         time.Hour,
	InTransit:       3 * time.Hour,
	Registered:      6 * time.Hour,
	NotFound:        15 * time.Minute,
	NotFoundMax:     12 * time.Hour,
	Error:           time.Minute,
	ErrorMax:        time.Hour,
	TerminalRecheck: 24 * time.Hour,
}

// SetDefaults fills every zero interval from DefaultIntervals.
func (iv *Intervals) SetDefaults() {
	d := DefaultIntervals
	for _, f := range []struct {
		dst *time.Duration
		def time.Duration
	}{
		{&iv.OutForDelivery, d.OutForDelivery}, {&iv.DueToday, d.DueToday}, {&iv.Overdue, d.Overdue},
		{&iv.InTransit, d.InTransit}, {&iv.Registered, d.Registered}, {&iv.NotFound, d.NotFound},
		{&iv.NotFoundMax, d.NotFoundMax}, {&iv.Error, d.Error}, {&iv.ErrorMax, d.ErrorMax},
		{&iv.TerminalRecheck, d.TerminalRecheck},
	} {
		if *f.dst == 0 {
			*f.dst = f.def
		}
	}
}

// Validate checks the intervals after SetDefaults; errors name the key.
func (iv *Intervals) Validate() error {
	var errs []error
	for _, f := range []struct {
		key string
		v   time.Duration
	}{
		{"out_for_delivery", iv.OutForDelivery}, {"due_today", iv.DueToday}, {"overdue", iv.Overdue},
		{"in_transit", iv.InTransit}, {"registered", iv.Registered}, {"not_found", iv.NotFound},
		{"not_found_max", iv.NotFoundMax}, {"error", iv.Error}, {"error_max", iv.ErrorMax},
		{"terminal_recheck", iv.TerminalRecheck},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", f.key))
		}
	}
	if iv.NotFoundMax < iv.NotFound {
		errs = append(errs, errors.New("not_found_max: must not be shorter than not_found"))
	}
	if iv.ErrorMax < iv.Error {
		errs = append(errs, errors.New("error_max: must not be shorter than error"))
	}
	return errors.Join(errs...)
}

// Policy decides a tracker's next poll from what its last poll found.
type Policy struct {
	Intervals
	// ExpireAfter is how long a number may stay unknown, or a parcel
	// without news, before its tracker expires and is no longer polled.
	ExpireAfter time.Duration
	// Location is where "today" is, for expected delivery dates; default UTC.
	Location *time.Location
	// Jitter spreads polls by up to ±Jitter of their interval (0.1 is
	// ±10%), so trackers created together do not stay in lockstep.
	Jitter float64
}

// Kind is what a poll came back with.
type Kind int

// Poll results.
const (
	// Found means the provider answered with the parcel's tracking.
	Found Kind = iota
	// NotFound means the provider does not know the number (yet).
	NotFound
	// Failed means no usable answer: network error, timeout, 5xx, garbage.
	Failed
)

// Outcome is what one poll of a tracker found.
type Outcome struct {
	Kind Kind
	// Status is the parcel's current canonical status (Found only).
	Status model.Status
	// ExpectedDelivery is the latest expected delivery date, YYYY-MM-DD,
	// or "" when the answer gives none (Found only).
	ExpectedDelivery string
	// Changed reports that the answer differs from the previous one.
	Changed bool
	// Err describes a failure (Failed only).
	Err string
}

// Apply records a poll made at now in t and schedules the next one: it
// sets the state, status, counters, NextPollAt and Priority. It reports
// expired=true when this poll made the tracker expire.
func (p *Policy) Apply(t *model.Tracker, o Outcome, now time.Time) (expired bool) {
	now = now.UTC()
	t.Polls++
	t.LastPolledAt = &now
	switch o.Kind {
	case Failed:
		t.Failures++
		t.LastError = o.Err
		wait := p.Error << min(t.Failures-1, 20)
		if wait <= 0 || wait > p.ErrorMax {
			wait = p.ErrorMax
		}
		p.schedule(t, now, wait)
		return false
	case NotFound:
		t.Failures, t.LastError = 0, ""
		if t.NotFoundSince == nil {
			t.NotFoundSince = &now
		}
		t.State = model.TrackerNotFound
		t.Priority = PriorityNotFound
		unknown := now.Sub(*t.NotFoundSince)
		if p.ExpireAfter > 0 && unknown >= p.ExpireAfter {
			return p.expire(t)
		}
		// The wait grows with the time the number has been unknown, so a
		// label printed an hour ago is asked about often and one unknown
		// for a week about twice a day.
		p.schedule(t, now, min(max(p.NotFound, unknown), p.NotFoundMax))
		return false
	}

	t.Failures, t.LastError = 0, ""
	t.NotFoundSince = nil
	t.State = model.TrackerActive
	if o.Changed || t.LastChangeAt == nil {
		t.LastChangeAt = &now
	}
	if o.Status != "" {
		t.Status = o.Status
	}
	if o.ExpectedDelivery != "" {
		t.ExpectedDelivery = o.ExpectedDelivery
	}
	quiet := now.Sub(*t.LastChangeAt)
	if t.Status.Terminal() {
		if quiet >= p.TerminalRecheck {
			// The late look found nothing new: the parcel's story is over.
			t.State = model.TrackerDone
			t.NextPollAt = nil
			t.Priority = PriorityRecheck
			return false
		}
		t.Priority = PriorityRecheck
		t.NextPollAt = ptr(t.LastChangeAt.Add(p.TerminalRecheck))
		return false
	}
	if p.ExpireAfter > 0 && quiet >= p.ExpireAfter {
		return p.expire(t)
	}
	today := p.today(now)
	var wait time.Duration
	switch {
	case t.Status == model.StatusOutForDelivery:
		t.Priority, wait = PriorityUrgent, p.OutForDelivery
	case t.ExpectedDelivery != "" && t.ExpectedDelivery == today:
		t.Priority, wait = PriorityUrgent, p.DueToday
	case t.ExpectedDelivery != "" && t.ExpectedDelivery < today:
		t.Priority, wait = PriorityOverdue, p.Overdue
	case t.Status == model.StatusPending || t.Status == model.StatusInfoReceived:
		t.Priority, wait = PriorityTransit, p.Registered
	default:
		t.Priority, wait = PriorityTransit, p.InTransit
	}
	p.schedule(t, now, wait)
	// Do not sleep past the start of the expected delivery day: that day
	// the parcel is worth watching closely.
	if t.ExpectedDelivery > today {
		if day, err := time.ParseInLocation(time.DateOnly, t.ExpectedDelivery, p.location()); err == nil && day.Before(*t.NextPollAt) && day.After(now) {
			t.NextPollAt = ptr(day.UTC())
		}
	}
	return false
}

func (p *Policy) expire(t *model.Tracker) bool {
	t.State = model.TrackerExpired
	t.Status = model.StatusExpired
	t.NextPollAt = nil
	return true
}

// schedule sets NextPollAt to now plus wait, spread by the jitter. The
// spread is derived from the tracker and its poll count, so it is
// reproducible.
func (p *Policy) schedule(t *model.Tracker, now time.Time, wait time.Duration) {
	if p.Jitter > 0 {
		h := fnv.New64a()
		_, _ = fmt.Fprintf(h, "%d/%d", t.ID, t.Polls)
		frac := float64(h.Sum64()%10_000)/10_000*2 - 1 // [-1, 1)
		wait += time.Duration(float64(wait) * p.Jitter * frac)
	}
	t.NextPollAt = ptr(now.Add(wait))
}

func (p *Policy) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// today is the date at now where the parcels are delivered, YYYY-MM-DD.
func (p *Policy) today(now time.Time) string {
	return now.In(p.location()).Format(time.DateOnly)
}

func ptr[T any](v T) *T { return &v }

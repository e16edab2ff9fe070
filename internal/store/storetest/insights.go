package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var insightsCases = []conformanceCase{
	{"EventsPerHourCountTheWindowPerConnectionWithinAWorkspace", testEventsPerHour},
	{"StatusesPerDayCountTheWindowsEventsByStatus", testStatusesPerDay},
	{"TransitTimesArePercentilesPerCarrierFromFirstScanOrCollection", testTransitTimes},
	{"CarrierRatesCountExceptionsFailedAttemptsAndFirstAttemptDeliveries", testCarrierRates},
}

// ev is an event of the given status at the given time.
func ev(status model.Status, at time.Time, key string) *model.Event {
	return &model.Event{Status: status, ProviderCode: string(status), OccurredAt: at, Source: model.SourceWebhook, DedupKey: key}
}

// insertWithEvents inserts shipments and their events in one transaction.
func insertWithEvents(t *testing.T, s store.Store, ships map[*model.Shipment][]*model.Event) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for sh, evs := range ships {
			if err := tx.InsertShipment(ctx, sh); err != nil {
				return err
			}
			for _, e := range evs {
				if _, err := tx.InsertEvent(ctx, sh.ID, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func testEventsPerHour(t *testing.T, s store.Store) {
	ws := shipment("acme", "ws", "H1")
	wics := shipment("acme", "wics", "H2")
	other := shipment("globex", "ws", "H3")
	hour := base.Truncate(time.Hour)
	insertWithEvents(t, s, map[*model.Shipment][]*model.Event{
		ws: {
			ev(model.StatusInfoReceived, hour.Add(-3*time.Hour), "old"), // before the window
			ev(model.StatusInTransit, hour.Add(-time.Hour), "a"),
			ev(model.StatusInTransit, hour.Add(-time.Hour+59*time.Minute), "b"),
			ev(model.StatusDelivered, hour.Add(time.Minute), "c"),
		},
		wics:  {ev(model.StatusInTransit, hour.Add(-time.Hour+time.Second), "d")},
		other: {ev(model.StatusInTransit, hour.Add(-time.Hour), "e")},
	})
	got, err := s.EventsPerHour(ctx(t), "acme", hour.Add(-2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []store.HourCount{
		{Connection: "wics", Hour: hour.Add(-time.Hour), Count: 1},
		{Connection: "ws", Hour: hour.Add(-time.Hour), Count: 2},
		{Connection: "ws", Hour: hour, Count: 1},
	}, got, "per hour, then connection; the old event and another workspace's are not counted")

	none, err := s.EventsPerHour(ctx(t), "initech", hour.Add(-2*time.Hour))
	require.NoError(t, err)
	require.Empty(t, none)
}

func testStatusesPerDay(t *testing.T, s store.Store) {
	a := shipment("acme", "ws", "D1")
	b := shipment("acme", "wics", "D2")
	other := shipment("globex", "ws", "D3")
	day := base.Truncate(24 * time.Hour)
	insertWithEvents(t, s, map[*model.Shipment][]*model.Event{
		a: {
			ev(model.StatusInTransit, day.Add(-20*24*time.Hour), "old"),
			ev(model.StatusInTransit, day.Add(-24*time.Hour+time.Hour), "a"),
			ev(model.StatusFailedAttempt, day.Add(-time.Hour), "b"),
			ev(model.StatusDelivered, day.Add(2*time.Hour), "c"),
		},
		b:     {ev(model.StatusInTransit, day.Add(-24*time.Hour+5*time.Hour), "d")},
		other: {ev(model.StatusException, day, "e")},
	})
	got, err := s.StatusesPerDay(ctx(t), "acme", day.Add(-14*24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []store.DayStatusCount{
		{Day: day.Add(-24 * time.Hour), Status: model.StatusFailedAttempt, Count: 1},
		{Day: day.Add(-24 * time.Hour), Status: model.StatusInTransit, Count: 2},
		{Day: day, Status: model.StatusDelivered, Count: 1},
	}, got)
}

// carrierFixture is three carriers' shipments with known transit times and
// problems, one shipment outside the window and one of another workspace.
func carrierFixture(t *testing.T, s store.Store) time.Time {
	now := base
	since := now.Add(-30 * 24 * time.Hour)
	seq := 0
	mk := func(ws, carrier string, status model.Status, delivered *time.Time) *model.Shipment {
		seq++
		sh := shipment(ws, "ws", fmt.Sprintf("C%d", seq))
		sh.Carrier = carrier
		sh.Status = status
		sh.CollectedAt = nil
		sh.DeliveredAt = delivered
		sh.UpdatedAt = now.Add(-time.Hour)
		return sh
	}
	at := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	h := time.Hour

	// bpost: three deliveries of 10 h, 20 h and 30 h from the first scan
	// (an info_received before it does not count), one after a failed
	// attempt; and one exception.
	b1 := mk("acme", "bpost", model.StatusDelivered, at(50*h))
	b2 := mk("acme", "bpost", model.StatusDelivered, at(50*h))
	b3 := mk("acme", "bpost", model.StatusDelivered, at(50*h))
	b4 := mk("acme", "bpost", model.StatusException, nil)
	// dhl: one delivery 5 h after its collection (its scans came later),
	// one without any start (not measured, but a first-attempt delivery).
	d1 := mk("acme", "dhl", model.StatusDelivered, at(10*h))
	d1.CollectedAt = at(15 * h)
	d2 := mk("acme", "dhl", model.StatusDelivered, at(10*h))
	// dhl: one without a delivered_at: its delivered event ends it, 3 h.
	d3 := mk("acme", "dhl", model.StatusDelivered, nil)
	// No carrier: counted under the provider; a failed attempt.
	c1 := mk("acme", "", model.StatusFailedAttempt, nil)
	// Outside the window, and another workspace.
	old := mk("acme", "bpost", model.StatusException, nil)
	old.UpdatedAt = since.Add(-time.Hour)
	gx := mk("globex", "bpost", model.StatusDelivered, at(2*h))

	insertWithEvents(t, s, map[*model.Shipment][]*model.Event{
		b1:  {ev(model.StatusInfoReceived, now.Add(-70*h), "i"), ev(model.StatusInTransit, now.Add(-60*h), "t"), ev(model.StatusDelivered, now.Add(-50*h), "d")},
		b2:  {ev(model.StatusInTransit, now.Add(-70*h), "t"), ev(model.StatusFailedAttempt, now.Add(-60*h), "f"), ev(model.StatusDelivered, now.Add(-50*h), "d")},
		b3:  {ev(model.StatusOutForDelivery, now.Add(-80*h), "o"), ev(model.StatusDelivered, now.Add(-50*h), "d")},
		b4:  {ev(model.StatusInTransit, now.Add(-5*h), "t"), ev(model.StatusException, now.Add(-4*h), "x"), ev(model.StatusException, now.Add(-3*h), "y")},
		d1:  {ev(model.StatusInTransit, now.Add(-12*h), "t"), ev(model.StatusDelivered, now.Add(-10*h), "d")},
		d2:  nil,
		d3:  {ev(model.StatusInTransit, now.Add(-9*h), "t"), ev(model.StatusDelivered, now.Add(-6*h), "d")},
		c1:  {ev(model.StatusFailedAttempt, now.Add(-2*h), "f")},
		old: {ev(model.StatusException, since.Add(-2*h), "x")},
		gx:  {ev(model.StatusInTransit, now.Add(-3*h), "t"), ev(model.StatusException, now.Add(-2*h), "x")},
	})
	return since
}

func testTransitTimes(t *testing.T, s store.Store) {
	since := carrierFixture(t, s)
	got, err := s.TransitTimes(ctx(t), "acme", since)
	require.NoError(t, err)
	require.Equal(t, []store.CarrierTransit{
		{Carrier: "bpost", Shipments: 3, P50: 20 * time.Hour, P90: 30 * time.Hour},
		{Carrier: "dhl", Shipments: 2, P50: 3 * time.Hour, P90: 5 * time.Hour},
	}, got)

	later, err := s.TransitTimes(ctx(t), "acme", base.Add(-20*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []store.CarrierTransit{{Carrier: "dhl", Shipments: 2, P50: 3 * time.Hour, P90: 5 * time.Hour}}, later,
		"deliveries before the window are left out")
}

func testCarrierRates(t *testing.T, s store.Store) {
	since := carrierFixture(t, s)
	got, err := s.CarrierRates(ctx(t), "acme", since)
	require.NoError(t, err)
	require.Equal(t, []store.CarrierRate{
		{Carrier: "bpost", Shipments: 4, Exceptions: 1, FailedAttempts: 1, Delivered: 3, FirstAttempt: 2},
		{Carrier: "courier", Shipments: 1, FailedAttempts: 1},
		{Carrier: "dhl", Shipments: 3, Delivered: 3, FirstAttempt: 3},
	}, got)

	none, err := s.CarrierRates(ctx(t), "initech", since)
	require.NoError(t, err)
	require.Empty(t, none)
}

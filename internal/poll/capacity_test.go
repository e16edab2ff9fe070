package poll_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/poll"
)

// journeyStep is when a typical parcel's tracking changes.
type journeyStep struct {
	after  time.Duration // since the label was created
	status model.Status
}

// typicalJourney is a domestic parcel: label on day 1 at 16:00, picked up
// that evening, sorted overnight, out for delivery on day 3 at 08:00,
// delivered at 14:00; expected on day 3 from the pickup scan on.
var typicalJourney = []journeyStep{
	{0, model.StatusInfoReceived},
	{4 * time.Hour, model.StatusInTransit},
	{12 * time.Hour, model.StatusInTransit},
	{40 * time.Hour, model.StatusOutForDelivery},
	{46 * time.Hour, model.StatusDelivered},
}

// pollsPerParcel runs the default policy over the typical journey and
// counts the polls from label to done, and the days that took.
func pollsPerParcel(t testing.TB) (polls int64, days float64) {
	p := &poll.Policy{ExpireAfter: 30 * 24 * time.Hour, Location: time.UTC}
	p.SetDefaults()
	label := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	edd := label.Add(40 * time.Hour).Format(time.DateOnly)
	tr := &model.Tracker{State: model.TrackerActive, NextPollAt: &label}
	lastStep := -1
	for i := 0; tr.NextPollAt != nil && i < 10_000; i++ {
		now := *tr.NextPollAt
		step := 0
		for j, s := range typicalJourney {
			if now.Sub(label) >= s.after {
				step = j
			}
		}
		o := poll.Outcome{Kind: poll.Found, Status: typicalJourney[step].status, Changed: step != lastStep}
		if step >= 1 {
			o.ExpectedDelivery = edd
		}
		lastStep = step
		p.Apply(tr, o, now)
	}
	require.Equal(t, model.TrackerDone, tr.State)
	return tr.Polls, tr.LastPolledAt.Sub(label).Hours() / 24
}

func TestCapacityOfADailyBudget(t *testing.T) {
	t.Parallel()
	polls, days := pollsPerParcel(t)
	perDay := float64(polls) / days
	t.Logf("typical parcel: %d polls over %.1f days (%.1f a day); 20,000 requests a day keep %.0f parcels current",
		polls, days, perDay, 20_000/perDay)
	require.Less(t, polls, int64(80), "a parcel costs tens of polls, not hundreds")
}

func BenchmarkPolicyApply(b *testing.B) {
	p := &poll.Policy{ExpireAfter: 30 * 24 * time.Hour, Location: time.UTC, Jitter: 0.1}
	p.SetDefaults()
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	tr := &model.Tracker{ID: 1}
	o := poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, ExpectedDelivery: "2026-03-04", Changed: true}
	for b.Loop() {
		p.Apply(tr, o, now)
	}
	polls, days := pollsPerParcel(b)
	b.ReportMetric(float64(polls)/days, "polls/parcel-day")
}

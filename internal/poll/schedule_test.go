package poll_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/poll"
)

var now = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func policy() *poll.Policy {
	p := &poll.Policy{ExpireAfter: 30 * 24 * time.Hour}
	p.SetDefaults()
	return p
}

func ptr[T any](v T) *T { return &v }

func TestPolicySchedulesByWhatThePollFound(t *testing.T) {
	t.Parallel()
	iv := poll.DefaultIntervals
	tests := []struct {
		name         string
		tracker      model.Tracker
		outcome      poll.Outcome
		wantWait     time.Duration // 0: not polled any more
		wantPriority int
		wantState    model.TrackerState
		wantExpired  bool
	}{
		{"OutForDeliveryIsPolledOftenAndFirst", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusOutForDelivery, Changed: true},
			iv.OutForDelivery, poll.PriorityUrgent, model.TrackerActive, false},
		{"ExpectedTodayIsUrgent", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, ExpectedDelivery: "2026-03-14", Changed: true},
			iv.DueToday, poll.PriorityUrgent, model.TrackerActive, false},
		{"PastExpectedDateIsOverdue", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, ExpectedDelivery: "2026-03-12", Changed: true},
			iv.Overdue, poll.PriorityOverdue, model.TrackerActive, false},
		{"InTransitWaitsLonger", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, ExpectedDelivery: "2026-03-20", Changed: true},
			iv.InTransit, poll.PriorityTransit, model.TrackerActive, false},
		{"RegisteredWaitsLongest", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusInfoReceived, Changed: true},
			iv.Registered, poll.PriorityTransit, model.TrackerActive, false},
		{"TerminalIsRecheckedOnceLater", model.Tracker{},
			poll.Outcome{Kind: poll.Found, Status: model.StatusDelivered, Changed: true},
			iv.TerminalRecheck, poll.PriorityRecheck, model.TrackerActive, false},
		{"UnchangedTerminalAfterTheRecheckIsDone", model.Tracker{Status: model.StatusDelivered, LastChangeAt: ptr(now.Add(-25 * time.Hour))},
			poll.Outcome{Kind: poll.Found, Status: model.StatusDelivered},
			0, poll.PriorityRecheck, model.TrackerDone, false},
		{"FirstNotFoundRetriesSoon", model.Tracker{},
			poll.Outcome{Kind: poll.NotFound},
			iv.NotFound, poll.PriorityNotFound, model.TrackerNotFound, false},
		{"NotFoundWaitsGrowWithTheTimeUnknown", model.Tracker{NotFoundSince: ptr(now.Add(-3 * time.Hour))},
			poll.Outcome{Kind: poll.NotFound},
			3 * time.Hour, poll.PriorityNotFound, model.TrackerNotFound, false},
		{"NotFoundWaitsAreCapped", model.Tracker{NotFoundSince: ptr(now.Add(-5 * 24 * time.Hour))},
			poll.Outcome{Kind: poll.NotFound},
			iv.NotFoundMax, poll.PriorityNotFound, model.TrackerNotFound, false},
		{"NotFoundForTheExpiryPeriodExpires", model.Tracker{NotFoundSince: ptr(now.Add(-30 * 24 * time.Hour))},
			poll.Outcome{Kind: poll.NotFound},
			0, poll.PriorityNotFound, model.TrackerExpired, true},
		{"NoNewsForTheExpiryPeriodExpires", model.Tracker{Status: model.StatusInTransit, LastChangeAt: ptr(now.Add(-31 * 24 * time.Hour))},
			poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit},
			0, 0, model.TrackerExpired, true},
		{"AFailureBacksOff", model.Tracker{State: model.TrackerActive, Failures: 2, Priority: poll.PriorityTransit},
			poll.Outcome{Kind: poll.Failed, Err: "HTTP 503"},
			4 * iv.Error, poll.PriorityTransit, model.TrackerActive, false},
		{"FailureBackoffIsCapped", model.Tracker{State: model.TrackerActive, Failures: 40},
			poll.Outcome{Kind: poll.Failed, Err: "HTTP 503"},
			iv.ErrorMax, 0, model.TrackerActive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy()
			p.Location = time.UTC
			tr := tt.tracker
			if tr.State == "" {
				tr.State = model.TrackerActive
			}
			expired := p.Apply(&tr, tt.outcome, now)
			require.Equal(t, tt.wantExpired, expired)
			require.Equal(t, tt.wantState, tr.State)
			if tt.wantExpired || tt.wantState == model.TrackerDone {
				require.Nil(t, tr.NextPollAt)
				return
			}
			require.Equal(t, tt.wantPriority, tr.Priority)
			require.NotNil(t, tr.NextPollAt)
			require.Equal(t, tt.wantWait, tr.NextPollAt.Sub(now))
			require.Equal(t, int64(1), tr.Polls)
			require.Equal(t, now, *tr.LastPolledAt)
		})
	}
}

func TestPolicyFoundClearsNotFoundAndFailures(t *testing.T) {
	t.Parallel()
	p := policy()
	tr := model.Tracker{State: model.TrackerNotFound, NotFoundSince: ptr(now.Add(-time.Hour)), Failures: 3, LastError: "x"}
	p.Apply(&tr, poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, Changed: true}, now)
	require.Equal(t, model.TrackerActive, tr.State)
	require.Nil(t, tr.NotFoundSince)
	require.Zero(t, tr.Failures)
	require.Empty(t, tr.LastError)
	require.Equal(t, model.StatusInTransit, tr.Status)
}

func TestJitterStaysWithinItsBounds(t *testing.T) {
	t.Parallel()
	p := policy()
	p.Jitter = 0.1
	for id := range int64(200) {
		tr := model.Tracker{ID: id}
		p.Apply(&tr, poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, Changed: true}, now)
		wait := tr.NextPollAt.Sub(now)
		require.GreaterOrEqual(t, wait, time.Duration(float64(poll.DefaultIntervals.InTransit)*0.9))
		require.LessOrEqual(t, wait, time.Duration(float64(poll.DefaultIntervals.InTransit)*1.1))
	}
}

func TestInTransitWakesAtTheStartOfTheExpectedDay(t *testing.T) {
	t.Parallel()
	p := policy()
	p.Location = time.UTC
	late := time.Date(2026, 3, 14, 22, 30, 0, 0, time.UTC)
	tr := model.Tracker{}
	p.Apply(&tr, poll.Outcome{Kind: poll.Found, Status: model.StatusInTransit, ExpectedDelivery: "2026-03-15", Changed: true}, late)
	require.Equal(t, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), *tr.NextPollAt)
}

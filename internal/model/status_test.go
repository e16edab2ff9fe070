package model_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

func pos(id int64, s model.Status, minute int) model.StatusPosition {
	return model.StatusPosition{Status: s, EventID: id, At: time.Date(2024, 7, 29, 8, minute, 0, 0, time.UTC)}
}

func TestOutranks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cur  model.StatusPosition
		e    model.StatusPosition
		want bool
	}{
		{"AnyEventBeatsNoEvent", model.StatusPosition{Status: model.StatusPending}, pos(1, model.StatusInTransit, 0), true},
		{"NewerEventWins", pos(1, model.StatusInTransit, 0), pos(2, model.StatusOutForDelivery, 5), true},
		{"OlderEventArrivingLateLoses", pos(2, model.StatusOutForDelivery, 5), pos(3, model.StatusInTransit, 1), false},
		{"OlderTerminalStillBeatsNewerNonTerminal", pos(1, model.StatusInTransit, 9), pos(2, model.StatusDelivered, 5), true},
		{"NewerNonTerminalDoesNotOverturnTerminal", pos(1, model.StatusDelivered, 5), pos(2, model.StatusInTransit, 9), false},
		{"NewerTerminalReplacesTerminal", pos(1, model.StatusDelivered, 5), pos(2, model.StatusReturned, 9), true},
		{"OlderTerminalDoesNotReplaceNewerTerminal", pos(2, model.StatusReturned, 9), pos(3, model.StatusDelivered, 5), false},
		{"UnknownDoesNotReplaceKnown", pos(1, model.StatusInTransit, 0), pos(2, model.StatusUnknown, 9), false},
		{"KnownReplacesUnknownEvenIfOlder", pos(1, model.StatusUnknown, 9), pos(2, model.StatusInTransit, 0), true},
		{"SameTimeLaterStatusWins", pos(1, model.StatusInTransit, 5), pos(2, model.StatusFailedAttempt, 5), true},
		{"SameTimeEarlierStatusLoses", pos(2, model.StatusFailedAttempt, 5), pos(1, model.StatusInTransit, 5), false},
		// The event id is the order of arrival: it must not decide between
		// two different statuses of the same instant.
		{"SameTimeEarlierStatusLosesEvenIfItArrivedLater", pos(1, model.StatusFailedAttempt, 5), pos(2, model.StatusInTransit, 5), false},
		{"SameTimeSubstatusDecides", model.StatusPosition{Status: model.StatusInTransit, EventID: 2, At: pos(0, "", 5).At},
			model.StatusPosition{Status: model.StatusInTransit, Substatus: model.SubSorting, EventID: 1, At: pos(0, "", 5).At}, true},
		{"SameTimeSameStatusHigherIDWins", pos(1, model.StatusInTransit, 5), pos(2, model.StatusInTransit, 5), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.e.Outranks(tt.cur))
		})
	}
}

// TestDerivationIsOrderIndependent applies the same events in many orders,
// one at a time as the pipeline does, and expects the same status every time:
// late and out-of-order arrival must not change the outcome.
func TestDerivationIsOrderIndependent(t *testing.T) {
	t.Parallel()
	statuses := []model.Status{
		model.StatusInfoReceived, model.StatusInTransit, model.StatusOutForDelivery,
		model.StatusFailedAttempt, model.StatusDelivered, model.StatusException,
		model.StatusUnknown, model.StatusReturned, model.StatusCancelled,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		n := 1 + rng.IntN(8)
		events := make([]model.StatusPosition, n)
		for i := range events {
			events[i] = pos(int64(i+1), statuses[rng.IntN(len(statuses))], rng.IntN(30))
		}
		fold := func(order []int) model.StatusPosition {
			cur := model.StatusPosition{Status: model.StatusPending}
			for _, i := range order {
				if events[i].Outranks(cur) {
					cur = events[i]
				}
			}
			return cur
		}
		want := fold(rng.Perm(n))
		for range 5 {
			require.Equal(t, want, fold(rng.Perm(n)), "round %d: events %+v", round, events)
		}
	}
}

func TestStatusValidity(t *testing.T) {
	t.Parallel()
	for _, s := range model.Statuses {
		got, err := model.ParseStatus(string(s))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	_, err := model.ParseStatus("shipped")
	require.Error(t, err)
	require.True(t, model.StatusDelivered.Terminal())
	require.True(t, model.StatusReturned.Terminal())
	require.True(t, model.StatusCancelled.Terminal())
	require.False(t, model.StatusException.Terminal())
	require.False(t, model.StatusExpired.Terminal())
}

package api_test

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// The API does not serve the insights aggregates; the fake answers none.

func (f *fakeStore) EventsPerHour(context.Context, string, time.Time) ([]store.HourCount, error) {
	return nil, nil
}

func (f *fakeStore) StatusesPerDay(context.Context, string, time.Time) ([]store.DayStatusCount, error) {
	return nil, nil
}

func (f *fakeStore) TransitTimes(context.Context, string, time.Time) ([]store.CarrierTransit, error) {
	return nil, nil
}

func (f *fakeStore) CarrierRates(context.Context, string, time.Time) ([]store.CarrierRate, error) {
	return nil, nil
}

package main

import (
	"math"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rate float64
		i    int64
		want time.Duration
	}{
		{"the first message at the start", 1500, 0, 0},
		{"one second of messages later", 1500, 1500, time.Second},
		{"a fraction of the interval", 4, 1, 250 * time.Millisecond},
		{"ten minutes at 500/s", 500, 300_000, 10 * time.Minute},
		{"no rate sends at once", 0, 99, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := due(start, tc.rate, tc.i).Sub(start); got != tc.want {
				t.Errorf("due(%v, %d) = +%s, want +%s", tc.rate, tc.i, got, tc.want)
			}
		})
	}
}

func TestSentBy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		rate    float64
		elapsed time.Duration
		want    int64
	}{
		{"the first is due at once", 100, 0, 1},
		{"just before the second", 100, 9 * time.Millisecond, 1},
		{"at the second", 100, 10 * time.Millisecond, 2},
		{"one second", 100, time.Second, 101},
		{"before the start", 100, -time.Second, 0},
		{"no rate", 0, time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sentBy(tc.rate, tc.elapsed); got != tc.want {
				t.Errorf("sentBy(%v, %s) = %d, want %d", tc.rate, tc.elapsed, got, tc.want)
			}
			// sentBy agrees with due: message sentBy-1 is due by then, the next one is not.
			start := time.Unix(0, 0)
			if n := sentBy(tc.rate, tc.elapsed); n > 0 && due(start, tc.rate, n-1).After(start.Add(tc.elapsed)) {
				t.Errorf("message %d is not due at %s", n-1, tc.elapsed)
			}
		})
	}
}

func samplesOf(every time.Duration, kib ...int64) []rssSample {
	out := make([]rssSample, len(kib))
	for i, k := range kib {
		out[i] = rssSample{at: time.Duration(i+1) * every, rssKiB: k}
	}
	return out
}

func TestFlatVerdict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		samples          []rssSample
		duration         time.Duration
		wantFrom, wantTo time.Duration
		wantGrowth       float64
		wantFlat         bool
		wantErr          bool
	}{
		{
			name: "flat after a warm-up that grew", duration: 2 * time.Minute,
			// 10 s apart: 10..120 s; the minute's sample is the 6th (60 s).
			samples:  samplesOf(10*time.Second, 20000, 40000, 55000, 58000, 59000, 60000, 61000, 60500, 62000, 61000, 63000, 62000),
			wantFrom: time.Minute, wantTo: 2 * time.Minute, wantGrowth: 2000.0 / 60000, wantFlat: true,
		},
		{
			name: "growing past the tolerance", duration: 10 * time.Minute,
			samples:  samplesOf(time.Minute, 50000, 50000, 52000, 54000, 56000, 58000, 60000),
			wantFrom: time.Minute, wantTo: 7 * time.Minute, wantGrowth: 0.2, wantFlat: false,
		},
		{
			name: "shrinking is flat", duration: 3 * time.Minute,
			samples:  samplesOf(time.Minute, 70000, 65000, 60000),
			wantFrom: time.Minute, wantTo: 3 * time.Minute, wantGrowth: -10000.0 / 70000, wantFlat: true,
		},
		{
			name: "a short run warms up for half of it", duration: 40 * time.Second,
			samples:  samplesOf(10*time.Second, 30000, 40000, 41000, 44000),
			wantFrom: 20 * time.Second, wantTo: 40 * time.Second, wantGrowth: 0.1, wantFlat: true,
		},
		{
			name: "a sample taken a little late still ends the warm-up", duration: 10 * time.Minute,
			samples: []rssSample{{at: 50*time.Second + 3*time.Millisecond, rssKiB: 50000}, {at: time.Minute + 3*time.Millisecond, rssKiB: 52000},
				{at: 70*time.Second + 2*time.Millisecond, rssKiB: 53000}, {at: 10*time.Minute + 5*time.Millisecond, rssKiB: 54080}},
			wantFrom: time.Minute + 3*time.Millisecond, wantTo: 10*time.Minute + 5*time.Millisecond, wantGrowth: 0.04, wantFlat: true,
		},
		{name: "one sample is not enough", duration: time.Minute, samples: samplesOf(time.Second, 1), wantErr: true},
		{name: "nothing after the warm-up", duration: 10 * time.Minute, samples: samplesOf(10*time.Second, 1, 2, 3), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			from, to, growth, flat, err := flatVerdict(tc.samples, tc.duration, 0.10)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("flatVerdict: no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("flatVerdict: %v", err)
			}
			if from.at != tc.wantFrom || to.at != tc.wantTo {
				t.Errorf("compared %s with %s, want %s with %s", from.at, to.at, tc.wantFrom, tc.wantTo)
			}
			if math.Abs(growth-tc.wantGrowth) > 1e-9 || flat != tc.wantFlat {
				t.Errorf("growth %.4f flat %v, want %.4f %v", growth, flat, tc.wantGrowth, tc.wantFlat)
			}
		})
	}
}

func TestSlopeKiBPerMin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		samples []rssSample
		from    time.Duration
		want    float64
	}{
		{"steady growth", samplesOf(time.Minute, 100, 200, 300, 400), 0, 100},
		{"flat", samplesOf(30*time.Second, 500, 500, 500), 0, 0},
		{"the warm-up left out", samplesOf(time.Minute, 0, 1000, 1000, 1000), 2 * time.Minute, 0},
		{"one sample has no slope", samplesOf(time.Minute, 100), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := slopeKiBPerMin(tc.samples, tc.from); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("slope = %v, want %v", got, tc.want)
			}
		})
	}
}

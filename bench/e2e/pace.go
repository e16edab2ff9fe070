package main

import (
	"fmt"
	"time"
)

// due is when the paced load generator sends message i (0-based): at a
// fixed rate from the start, whatever the answers to the earlier ones, so
// that a hub falling behind shows as a growing lag and backlog instead of
// slowing the offered load down (an open loop, not a closed one).
func due(start time.Time, rate float64, i int64) time.Time {
	if rate <= 0 {
		return start
	}
	return start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// sentBy is how many messages the schedule has sent by elapsed: the
// messages whose due time is at or before it.
func sentBy(rate float64, elapsed time.Duration) int64 {
	if rate <= 0 || elapsed < 0 {
		return 0
	}
	return int64(elapsed.Seconds()*rate) + 1
}

// rssSample is the hub's memory at one point of a soak.
type rssSample struct {
	at       time.Duration // since the first request
	rssKiB   int64         // VmRSS
	peakKiB  int64         // VmHWM
	backlog  int64         // inbox messages pending
	inFlight int64         // acknowledged events not yet at the receiver
}

// flatVerdict judges whether the hub's RSS stayed flat over a soak: it
// compares the sample at the end of the warm-up (the first minute, or the
// first half of a run shorter than two minutes: caches, pools and the Go
// heap's target are sized by then) with the last sample under load. Flat
// means the growth between them is within tolerance (a fraction, e.g.
// 0.10). It returns the two samples it compared and the growth.
func flatVerdict(samples []rssSample, duration time.Duration, tolerance float64) (from, to rssSample, growth float64, flat bool, err error) {
	if len(samples) < 2 {
		return from, to, 0, false, fmt.Errorf("flatness needs two samples, have %d", len(samples))
	}
	// The sample nearest the end of the warm-up: samples are taken on a
	// ticker, a little after their nominal time.
	warm := min(time.Minute, duration/2)
	from = samples[0]
	for _, s := range samples {
		if (s.at - warm).Abs() < (from.at - warm).Abs() {
			from = s
		}
	}
	to = samples[len(samples)-1]
	if to.at <= from.at {
		return from, to, 0, false, fmt.Errorf("no sample after the warm-up of %s", warm)
	}
	if from.rssKiB <= 0 {
		return from, to, 0, false, fmt.Errorf("the RSS at %s is %d KiB", from.at, from.rssKiB)
	}
	growth = float64(to.rssKiB-from.rssKiB) / float64(from.rssKiB)
	return from, to, growth, growth <= tolerance, nil
}

// slopeKiBPerMin is the least-squares slope of the RSS over the samples at
// or after from, in KiB a minute: a leak shows as a steady positive slope
// even where the endpoints happen to be close.
func slopeKiBPerMin(samples []rssSample, from time.Duration) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		if s.at < from {
			continue
		}
		x, y := s.at.Minutes(), float64(s.rssKiB)
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	d := n*sxx - sx*sx
	if n < 2 || d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

package wicssim

import (
	"slices"
	"time"
)

// retryMinutes is the document's "Retrying" table, attempt 1 to 10, in
// minutes.
var retryMinutes = []float64{1.5, 4.5, 10.5, 22.5, 46.5, 94.5, 190.5, 382.5, 766.5, 1534.5}

// RetrySchedule returns, for each of the document's ten retries, how long
// after the first delivery attempt it is made: 1.5, 4.5, 10.5, 22.5, 46.5,
// 94.5, 190.5, 382.5, 766.5 and 1534.5 minutes.
//
// The table ("Attempt / Minutes timeout") can be read two ways. This reads
// it as offsets from the first attempt, so the gaps between attempts double
// (1.5, 3, 6, … 768 minutes) and the last retry comes 25.6 hours after the
// first attempt, which matches the text's "10 times within 24 hours" and
// "the first retry is after 90 seconds". Read as gaps between attempts, the
// retries would span 51 hours. The text's "the second retry 360 seconds"
// fits neither reading.
func RetrySchedule() []time.Duration {
	out := make([]time.Duration, len(retryMinutes))
	for i, m := range retryMinutes {
		out[i] = time.Duration(m * float64(time.Minute))
	}
	return out
}

// MaxAttempts is how often one message is posted before WICS gives up on
// it: the first attempt and the document's ten retries.
const MaxAttempts = 11

// scaled returns the schedule multiplied by scale.
func scaled(scale float64) []time.Duration {
	s := RetrySchedule()
	for i, d := range s {
		s[i] = time.Duration(float64(d) * scale)
	}
	return slices.Clip(s)
}

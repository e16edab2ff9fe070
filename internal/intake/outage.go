package intake

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultOutageLogInterval is how often, at most, a continuing inbox outage
// is logged again.
const DefaultOutageLogInterval = 10 * time.Second

// OutageLog logs a failing inbox without flooding the log. While the
// database is down or its disk is full every inbound message fails; at a
// thousand messages a second, one line each would bury everything else (and
// fill the disk that has just run out of space). The first failure of an
// outage is logged at once with its error; while failures go on, one line per
// interval says how many messages were refused since and the latest error;
// the first success afterwards says the inbox works again. The metric
// shiphub_inbound_total{result="unavailable"} still counts every one.
// The HTTP receiver and the FTP server each keep one. It is safe for
// concurrent use.
type OutageLog struct {
	interval time.Duration
	now      func() time.Time

	failing    atomic.Bool // fast path for the success of every request
	mu         sync.Mutex
	lastLogged time.Time
	refused    int // since the last line
	total      int // in this outage
	since      time.Time
}

// NewOutageLog returns an outage log that repeats itself at most once per
// interval (DefaultOutageLogInterval when not positive), on the clock now
// (time.Now when nil).
func NewOutageLog(interval time.Duration, now func() time.Time) *OutageLog {
	if interval <= 0 {
		interval = DefaultOutageLogInterval
	}
	if now == nil {
		now = time.Now
	}
	return &OutageLog{interval: interval, now: now}
}

// Failed records a refused message and logs if a line is due.
func (o *OutageLog) Failed(log *slog.Logger, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	o.refused++
	o.total++
	if !o.failing.Load() {
		o.failing.Store(true)
		o.since, o.lastLogged, o.refused = now, now, 0
		log.Error("committing inbound message failed; answering 503 until the inbox works again", "error", err)
		return
	}
	if now.Sub(o.lastLogged) < o.interval {
		return
	}
	log.Error("committing inbound messages still fails", "error", err, "refused", o.refused, "failing_for", now.Sub(o.since).Round(time.Millisecond).String())
	o.lastLogged, o.refused = now, 0
}

// Succeeded ends an outage, if there was one, with a line saying so.
func (o *OutageLog) Succeeded(log func() *slog.Logger) {
	if !o.failing.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.failing.Load() {
		return
	}
	o.failing.Store(false)
	log().Info("committing inbound messages works again", "refused", o.total, "failed_for", o.now().Sub(o.since).Round(time.Millisecond).String())
	o.total, o.refused = 0, 0
}

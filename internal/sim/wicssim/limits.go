package wicssim

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// The document's "API Rate Limiting": at most 150 requests a minute and
// 20,000 a day per user. Exceeding the minute blocks the user for one minute
// (first violation level); a request during the block blocks it for five
// more (second level); further requests block it for fifteen (third and
// last level).
//
// How the simulator reads it:
//   - The minute is sliding: a request is over the limit when 150 requests
//     were served in the 60 seconds before it. Refused requests do not count
//     towards the limit (they were not served) but do count in the
//     statistics.
//   - The day is the calendar day in Europe/Amsterdam; past 20,000 served
//     requests every request is refused until midnight, without escalation
//     (the document names none for the day).
//   - Each violation sets the block to end its level's duration after the
//     request that caused it: 1 minute after the 151st request, 5 minutes
//     after the first request during that block, 15 minutes after the first
//     during the second; requests during the third block do not extend it
//     ("a maximum of fifteen minutes"). Once a block has ended the level
//     starts again from the first.
//   - A refusal is HTTP 429 with code 429 and a message naming the level and
//     the end of the block; there is no Retry-After header unless
//     ServerConfig.RetryAfter.

// Block is one violation: when it happened, its level (1, 2 or 3) and when
// the block ends.
type Block struct {
	At    time.Time
	Level int
	Until time.Time
}

// UserStats are one login's request counters.
type UserStats struct {
	// Requests is every authenticated request that arrived, served or not.
	Requests int64
	// Served is the requests answered by the API (not refused by a limit).
	Served int64
	// Refused is the requests answered 429.
	Refused int64
	// MaxPerMinute is the most requests that arrived in any sliding 60
	// seconds, refused ones included; a connector that keeps to the limit
	// keeps this at or below 150.
	MaxPerMinute int
	// MaxServedPerMinute is the most served requests in any sliding 60
	// seconds; the limiter keeps it at or below 150.
	MaxServedPerMinute int
	// Today is the requests served on the current day.
	Today int
	// Level is the violation level now in force (0 when not blocked) and
	// BlockedUntil its end.
	Level        int
	BlockedUntil time.Time
	// Blocks is every violation so far, in order.
	Blocks []Block
}

type userLimit struct {
	arrived, served []time.Time // the last minute's
	day             string
	st              UserStats
}

type limiter struct {
	perMinute, perDay int
	blocks            []time.Duration

	mu    sync.Mutex
	users map[string]*userLimit
}

func newLimiter(perMinute, perDay int, blocks []time.Duration) *limiter {
	return &limiter{perMinute: perMinute, perDay: perDay, blocks: blocks, users: map[string]*userLimit{}}
}

// refusal is why a request was refused and how long the block has left.
type refusal struct {
	message string
	wait    time.Duration
}

// trim drops the times at or before now-1m.
func trim(ts []time.Time, now time.Time) []time.Time {
	cut := now.Add(-time.Minute)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

// admit counts a request of key at now and reports nil if it may be served,
// or why not.
func (l *limiter) admit(key string, now time.Time) *refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[key]
	if u == nil {
		u = &userLimit{}
		l.users[key] = u
	}
	u.st.Requests++
	u.arrived = append(trim(u.arrived, now), now)
	u.st.MaxPerMinute = max(u.st.MaxPerMinute, len(u.arrived))
	u.served = trim(u.served, now)
	if day := now.In(amsterdam).Format(layoutDate); day != u.day {
		u.day, u.st.Today = day, 0
	}

	if u.st.Level > 0 && !now.Before(u.st.BlockedUntil) {
		u.st.Level = 0
	}
	if u.st.Level > 0 {
		if u.st.Level < len(l.blocks) {
			u.st.Level++
			u.st.BlockedUntil = now.Add(l.blocks[u.st.Level-1])
			u.st.Blocks = append(u.st.Blocks, Block{At: now, Level: u.st.Level, Until: u.st.BlockedUntil})
		}
		u.st.Refused++
		return &refusal{wait: u.st.BlockedUntil.Sub(now), message: fmt.Sprintf(
			"Too many requests: API user %s is blocked until %s (violation level %d of %d); a request during a block extends it",
			key, u.st.BlockedUntil.UTC().Format(time.RFC3339), u.st.Level, len(l.blocks))}
	}
	if len(u.served) >= l.perMinute {
		u.st.Level = 1
		u.st.BlockedUntil = now.Add(l.blocks[0])
		u.st.Blocks = append(u.st.Blocks, Block{At: now, Level: 1, Until: u.st.BlockedUntil})
		u.st.Refused++
		return &refusal{wait: l.blocks[0], message: fmt.Sprintf(
			"Too many requests: more than %d requests per minute; API user %s is blocked until %s (violation level 1 of %d)",
			l.perMinute, key, u.st.BlockedUntil.UTC().Format(time.RFC3339), len(l.blocks))}
	}
	if u.st.Today >= l.perDay {
		u.st.Refused++
		midnight := midnight(now.In(amsterdam)).AddDate(0, 0, 1)
		return &refusal{wait: midnight.Sub(now), message: fmt.Sprintf(
			"Too many requests: the maximum of %d requests per day is reached for API user %s", l.perDay, key)}
	}
	u.served = append(u.served, now)
	u.st.MaxServedPerMinute = max(u.st.MaxServedPerMinute, len(u.served))
	u.st.Served++
	u.st.Today++
	return nil
}

func (l *limiter) stats(key string) UserStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[key]
	if u == nil {
		return UserStats{}
	}
	st := u.st
	st.Blocks = slices.Clone(st.Blocks)
	return st
}

// Limits returns a snapshot of one login's request counters (zero for a
// login that made no request).
func (s *Server) Limits(key string) UserStats { return s.lim.stats(key) }

// ResetLimits forgets every login's counters and blocks.
func (s *Server) ResetLimits() {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.users = map[string]*userLimit{}
}

// AllLimits returns every login's counters that made a request, by key.
func (s *Server) AllLimits() map[string]UserStats {
	s.lim.mu.Lock()
	keys := make([]string, 0, len(s.lim.users))
	for k := range s.lim.users {
		keys = append(keys, k)
	}
	s.lim.mu.Unlock()
	out := make(map[string]UserStats, len(keys))
	for _, k := range keys {
		out[k] = s.lim.stats(k)
	}
	return out
}

// Block blocks a login now at a violation level (1 to the number of
// levels), as if it had exceeded the minute, for a test of how a client
// backs off when WICS blocks it anyway (another system on the same login,
// say). Requests during the block escalate it as usual.
func (s *Server) Block(key string, level int) {
	l := s.lim
	l.mu.Lock()
	defer l.mu.Unlock()
	level = min(max(level, 1), len(l.blocks))
	u := l.users[key]
	if u == nil {
		u = &userLimit{}
		l.users[key] = u
	}
	now := s.clock.Now()
	u.st.Level = level
	u.st.BlockedUntil = now.Add(l.blocks[level-1])
	u.st.Blocks = append(u.st.Blocks, Block{At: now, Level: level, Until: u.st.BlockedUntil})
}

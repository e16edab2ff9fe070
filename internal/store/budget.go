package store

import (
	"context"
	"time"
)

// RateBudgets is the shared state of the providers' rate budgets (package
// budget): one row per credential that every hub instance on the database
// takes its requests' start times from, so that a provider's limit holds for
// all of them together. Each method is one atomic step on that row; the
// policy (how long to wait, who goes first) is the caller's.
type RateBudgets interface {
	// TakeRateSlot hands out the next start time of the budget when the
	// take's conditions hold (see RateTake), and moves the budget on by
	// Interval and the day's count by one, atomically: two takes, from
	// any instance, never get slots closer than Interval. When a condition
	// does not hold it changes nothing and reports Granted false with the
	// budget's state, from which the caller learns why and until when.
	TakeRateSlot(ctx context.Context, t RateTake) (RateGrant, error)
	// NoteRateDemand records that urgent work wants the budget until
	// until (it was told to come back then): background takes wait for it.
	NoteRateDemand(ctx context.Context, key string, until time.Time) error
	// BlockRateBudget records that the provider blocked the credential,
	// escalating as RateBlock.Apply says, and returns the new state.
	BlockRateBudget(ctx context.Context, b RateBlock) (RateState, error)
	// RateBudgetState returns the budget's state; the zero state (with
	// Key set) when nothing was taken from it yet.
	RateBudgetState(ctx context.Context, key string) (RateState, error)
}

// RateTake asks for one request's start time.
type RateTake struct {
	Key string
	Now time.Time
	// Interval is the least time between two starts (60 s over the
	// minute's limit, stretched by a margin); 0 paces nothing.
	Interval time.Duration
	// Day is the start of the current day window, DayLimit what the taker
	// may use of it (background work gets a share); 0 means no limit.
	Day      time.Time
	DayLimit int
	// MaxWait refuses a slot that would start later than Now+MaxWait:
	// a caller that cannot wait that long is told to come back instead of
	// holding a slot it would leave empty.
	MaxWait time.Duration
	// Urgent takes raise the budget's urgent_until to the end of their
	// slot. Background takes are refused while urgent_until is ahead of
	// Now or while slots are handed out further ahead than Horizon (work
	// is queued).
	Urgent  bool
	Horizon time.Duration
}

// RateGrant is the answer to a take.
type RateGrant struct {
	Granted bool
	// Slot is when the request may start, no sooner (set when granted).
	Slot time.Time
	// State is the budget after the take (or as it stood when refused).
	State RateState
}

// RateState is one budget's shared row.
type RateState struct {
	Key string
	// NextSlot is the earliest start the next take can get.
	NextSlot time.Time
	// DayStart is the day window DayUsed counts in.
	DayStart time.Time
	DayUsed  int
	// UrgentUntil is how long urgent work wants the budget.
	UrgentUntil time.Time
	// BlockedUntil is the end of the provider's block, Violations its
	// escalation level.
	BlockedUntil time.Time
	Violations   int
}

// RateBlock records a block by the provider.
type RateBlock struct {
	Key string
	Now time.Time
	// Escalation is the provider's block lengths by level; the last repeats.
	Escalation []time.Duration
	// Quiet is how long after a block ended the level goes back to the
	// first one.
	Quiet time.Duration
	// Level is the violation level the provider said its block is at (1
	// for the first), or 0 when it did not say. A stated level is taken as
	// it is instead of counting one more violation: the provider's block
	// then lasts that level's length from now, and two refusals of
	// requests that were in flight together do not escalate twice.
	Level int
}

// Apply returns the state after the block: the level rises by one (back
// to the first after Quiet without a block, capped at the last), and the
// block lasts the level's length from now or from the end of the current
// block, whichever is later. Extending from the current end is on purpose:
// the provider extends its block for every request sent during it, so a
// block the hub records longer than the provider's is safe, and a shorter
// one is what makes the provider escalate.
//
// A stated Level instead sets the level to it (or keeps the current one
// while its block lasts, if that is higher) and the end to the level's
// length from now, or keeps the current end if that is later: the hub's
// block is then never shorter than the one the provider announced.
func (b RateBlock) Apply(st RateState) RateState {
	esc := b.Escalation
	if len(esc) == 0 {
		esc = []time.Duration{time.Minute}
	}
	if b.Level > 0 {
		level := min(b.Level, len(esc))
		if st.BlockedUntil.After(b.Now) {
			level = max(level, st.Violations)
		}
		until := b.Now.Add(esc[min(b.Level, len(esc))-1])
		if st.BlockedUntil.After(until) {
			until = st.BlockedUntil
		}
		st.BlockedUntil, st.Violations = until, level
		return st
	}
	level := st.Violations + 1
	if st.Violations == 0 || st.BlockedUntil.IsZero() || !b.Now.Before(st.BlockedUntil.Add(b.Quiet)) {
		level = 1
	}
	level = min(level, len(esc))
	from := b.Now
	if st.BlockedUntil.After(from) {
		from = st.BlockedUntil
	}
	st.BlockedUntil = from.Add(esc[level-1])
	st.Violations = level
	return st
}

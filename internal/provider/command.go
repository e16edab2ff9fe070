package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// CommandSender is a connector that carries out commands at its provider
// (orders, products, inbound goods and returns created or cancelled on a
// merchant's behalf). The command worker (package commands) calls it, one
// command at a time per command, within the connection's rate budget.
type CommandSender interface {
	Connector
	// CommandKinds lists the kinds the connector carries out. The merchant
	// API refuses (422) a command of another kind for its connections.
	CommandKinds() []model.CommandKind
	// ValidateCommand checks a command's payload before it is queued, as
	// far as the connector can without asking the provider. It returns nil
	// or a FieldErrors naming each bad field (the API answers 422, and
	// nothing is queued). It must not do I/O.
	ValidateCommand(cmd *model.Command) error
	// SendCommand carries the command out. It may be called again for the
	// same command after a crash between the provider's answer and its
	// recording, so it must be idempotent towards the provider: look the
	// subject up by its reference (or by shiphub's ids in fields the
	// provider keeps, such as WICS's metaFields) before creating it again,
	// and treat "already exists" as success.
	//
	// On success it returns the provider's answer, which the worker
	// commits to the connection's inbox before it records the command as
	// succeeded; Normalize turns that answer into changes like any other
	// message (the provider's own number of the order, say). Errors: an
	// error wrapping ErrRefused is final (the command is dead at once, and
	// an order.create's order becomes rejected); a *RetryAfterError says
	// when to try again; anything else is retried on the schedule.
	SendCommand(ctx context.Context, env CommandEnv, cmd *model.Command) (*CommandAnswer, error)
}

// CommandEnv is what a connector sends a command with.
type CommandEnv struct {
	// Limiter is the connection's share of its credential's rate budget;
	// every request to the provider waits on it first.
	Limiter Limiter
	// Subject returns the current state of the command's subject (the
	// *model.Order of an order.cancel, say), for the provider's own number
	// a cancel needs; ErrNotFound when it is gone.
	Subject func(ctx context.Context) (any, error)
	Logger  *slog.Logger
	Now     func() time.Time
}

// LoadSubject loads a command's subject (CommandEnv.Subject) as T, the
// type the connector expects (*model.Order for an order.*); the subject
// by value (model.Order) is taken too.
func LoadSubject[T any](ctx context.Context, env CommandEnv) (T, error) {
	var zero T
	if env.Subject == nil {
		return zero, errors.New("the command's subject cannot be loaded (no CommandEnv.Subject)")
	}
	v, err := env.Subject(ctx)
	if err != nil {
		return zero, fmt.Errorf("loading the command's subject: %w", err)
	}
	if t, ok := v.(T); ok && any(t) != nil {
		return t, nil
	}
	rv := reflect.ValueOf(v)
	if rv.IsValid() && reflect.TypeFor[T]().Kind() == reflect.Pointer && rv.Type() == reflect.TypeFor[T]().Elem() {
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		return p.Interface().(T), nil
	}
	return zero, fmt.Errorf("the command's subject is a %T, not a %T", v, zero)
}

// CommandAnswer is the provider's answer to a command, to be committed to
// the inbox as a message of the connection.
type CommandAnswer struct {
	// Topic is the inbox message's topic, chosen by the connector so that
	// its Normalize recognises the answer (for example "command.order").
	Topic string
	// Inbound is the message; its DedupKey must be stable across attempts
	// of the same command (for example "command:<id>"), so that an answer
	// recorded twice is applied once.
	Inbound Inbound
}

// ErrRefused means the provider refused a command for good (an unknown
// item, a missing field): sending it again unchanged would be refused
// again. Wrap it with the provider's message:
// fmt.Errorf("%w: %s", provider.ErrRefused, msg).
var ErrRefused = errors.New("refused by the provider")

// RetryAfterError asks the worker to try again no sooner than After (from
// a Retry-After header, or a rate-limit block).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// FieldError is one invalid field of a merchant's request, named by its
// JSON path in the request body ("lines[0].sku", "delivery_address.country").
type FieldError struct {
	Field   string
	Message string
	// Value is the offending value, when it helps (known codes are listed in Message).
	Value any
}

// FieldErrors is a list of invalid fields; the API answers 422 with one
// problem detail per field.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Priority orders the requests that wait on one rate budget.
type Priority int

const (
	// PriorityUrgent is a merchant's command: it goes first.
	PriorityUrgent Priority = iota
	// PriorityBackground is reconciliation, health checks and
	// subscription upkeep: it takes only what urgent work leaves.
	PriorityBackground
)

// Limiter is a rate budget a connector's requests wait on (package budget
// implements it, shared by every connection with the same credential and by
// every hub instance on one database).
type Limiter interface {
	// Wait blocks until one request may be sent at priority p, and counts
	// it. It returns a *RetryAfterError wrapping ErrBudgetExhausted when
	// the budget cannot allow one soon (the day's budget is spent, or the
	// provider blocked the credential), or ctx's error.
	Wait(ctx context.Context, p Priority) error
	// Blocked records that the provider refused a request for exceeding
	// its limit (429 or its block message). The limiter escalates as the
	// provider does and returns until when nothing may be sent.
	Blocked(ctx context.Context) (until time.Time, err error)
}

// LevelBlocker is a Limiter that can record a block at the violation level
// the provider stated in its refusal. A provider whose first refusal comes
// while another client's block is in force has already escalated it for
// that request (WICS: "sending a new request will block the user for an
// additional five minutes"); counting it as the first violation would send
// again too early and escalate it once more.
type LevelBlocker interface {
	// BlockedAt is Blocked with the provider's level (1 for the first);
	// level 0 is Blocked.
	BlockedAt(ctx context.Context, level int) (until time.Time, err error)
}

// ErrBudgetExhausted means a rate budget allows no request now.
var ErrBudgetExhausted = errors.New("rate budget exhausted")

// RateBudget describes a connection's budget at its provider.
type RateBudget struct {
	// Key identifies the credential the provider counts by (a hash of the
	// API user, never the secret itself): connections with the same login
	// share one budget.
	Key string
	// PerMinute and PerDay are the limits; 0 means none. The minute is a
	// sliding window at the provider: the budget never lets more than
	// PerMinute requests start in any 60 seconds.
	PerMinute int
	PerDay    int
	// Window is the length of the provider's "minute": 0 means one
	// minute. Only a simulator with compressed time sets another (see the
	// wics setting rate_window); PerMinute then counts per Window.
	Window time.Duration
	// Escalation is the provider's block lengths after successive
	// violations (WICS: 1, 5, 15 minutes); the last repeats.
	Escalation []time.Duration
	// Day is the time zone whose midnight starts the provider's day for
	// PerDay (WICS, a Dutch service: Europe/Amsterdam, as its simulator
	// counts); nil means the registry's default (UTC).
	Day *time.Location
}

// RateLimited is a connector whose provider limits its requests.
type RateLimited interface {
	RateBudget() RateBudget
}

// HealthChecker is a connector that can check its login at the provider
// (WICS: GET /api/login). GET /api/v1/connections shows the last result.
type HealthChecker interface {
	CheckHealth(ctx context.Context, l Limiter) error
}

// SubscriptionKeeper is a connector whose provider keeps webhook
// subscriptions that shiphub must manage (WICS).
type SubscriptionKeeper interface {
	// KeepSubscriptions makes the provider's subscriptions match the
	// connection's configuration: it creates the missing ones at hookURL
	// (http.public_url + /hooks/{workspace}/{connection}, to which the
	// connector appends its topics), deletes the hub's own stale ones
	// (those under hookURL that are not wanted) and leaves alone those
	// that point elsewhere.
	KeepSubscriptions(ctx context.Context, l Limiter, hookURL string) (SubscriptionReport, error)
}

// SubscriptionReport says what KeepSubscriptions did.
type SubscriptionReport struct {
	Created, Deleted, Kept, Foreign int
}

// BudgetStatus is what a rate budget has left, for GET /api/v1/connections
// and the metrics.
type BudgetStatus struct {
	// Key is the budget's key (RateBudget.Key).
	Key       string
	PerMinute int
	PerDay    int
	// MinuteLeft is how many requests may start in the coming minute,
	// DayLeft how many are left of the day's budget.
	MinuteLeft int
	DayLeft    int
	// BlockedUntil is when the provider's block ends; zero when not blocked.
	BlockedUntil time.Time
	// Violations is the block escalation level reached (0: none lately).
	Violations int
}

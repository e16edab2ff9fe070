package model

import "time"

// Connection health states, as GET /api/v1/connections shows them.
const (
	// HealthHealthy: the connector's last health check passed.
	HealthHealthy = "healthy"
	// HealthUnhealthy: the last check failed (see its reason).
	HealthUnhealthy = "unhealthy"
	// HealthUnknown: not checked yet, or the connector has no health check.
	HealthUnknown = "unknown"
)

// ConnectionStatus is one configured connection of a workspace with what
// the hub knows of its state: whether its login works, when it was last
// heard from, its last intake error and, for rate-limited providers, what
// is left of its budget. It is what an operator looks at first when
// messages stop arriving or commands stop going out.
type ConnectionStatus struct {
	ID        string `json:"id" doc:"The connection's id in the configuration."`
	Workspace string `json:"workspace"`
	Provider  string `json:"provider" doc:"The provider the connection talks to, such as wics or courier."`
	// Health is the last result of the connector's health check.
	Health ConnectionHealth `json:"health"`
	// LastMessageAt is when the newest inbox message of the connection
	// was received (webhook, file, poll or command answer).
	LastMessageAt *time.Time `json:"last_message_at,omitempty" doc:"When the newest message of the connection was received; absent when none was."`
	// LastError is the newest intake error of the connection.
	LastError *ConnectionError `json:"last_error,omitempty" doc:"The newest message the intake refused (a file that does not parse); absent when none was."`
	// Budget is the connection's rate budget at its provider, for
	// providers that limit requests; it is shared by every connection with
	// the same login.
	Budget *ConnectionBudget `json:"budget,omitempty" doc:"What is left of the provider's rate budget, shared by the connections with the same login; absent for providers without limits."`
}

// ConnectionHealth is the result of a connection's last health check.
type ConnectionHealth struct {
	Status    string     `json:"status" enum:"healthy,unhealthy,unknown" doc:"healthy when the last check passed, unhealthy when it failed, unknown before the first check or for connectors without one."`
	Reason    string     `json:"reason,omitempty" doc:"Why the last check failed."`
	CheckedAt *time.Time `json:"checked_at,omitempty" doc:"When the last check ran."`
}

// ConnectionError is an intake error in short.
type ConnectionError struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at" doc:"When the refused message was received."`
}

// ConnectionBudget is a connection's rate budget at its provider.
type ConnectionBudget struct {
	PerMinute  int `json:"per_minute" doc:"Requests allowed in any 60 seconds (0: no limit)."`
	PerDay     int `json:"per_day" doc:"Requests allowed in a day (0: no limit)."`
	MinuteLeft int `json:"minute_left" doc:"How many requests may start in the coming minute."`
	DayLeft    int `json:"day_left" doc:"How many requests are left of the day's budget."`
	// BlockedUntil is set while the provider blocks the login.
	BlockedUntil *time.Time `json:"blocked_until,omitempty" doc:"Until when the provider blocks the login for exceeding its limit; absent when it does not."`
	Violations   int        `json:"violations" doc:"The block escalation level reached (0: no block lately)."`
}

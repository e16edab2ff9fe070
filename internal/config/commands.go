package config

import (
	"errors"
	"fmt"
	"time"
)

// Commands configures the command queue: how the commands shiphub sends to
// providers on a merchant's behalf are worked and retried (package
// commands).
type Commands struct {
	// RetrySchedule is how long to wait before each retry of a command
	// whose attempt failed (a timeout, a 5xx, the connection refused):
	// the first wait follows the first failure, and a command that has
	// failed once more than the schedule is long is dead (POST
	// /commands/{id}/retry queues it again). A provider's Retry-After, or
	// its rate-limit block, replaces the wait when it is longer. Default
	// 10s, 1m, 5m, 15m, 1h, 6h.
	RetrySchedule []time.Duration `yaml:"retry_schedule"`
	// Workers is how many commands one instance sends at once; default 4.
	// The connection's rate budget still paces them.
	Workers int `yaml:"workers"`
	// AttemptTimeout bounds one attempt: the provider's requests and the
	// wait for the rate budget; default 2m. An attempt that runs out of
	// it is failed and retried.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	// PollInterval is how often an idle worker looks for work that became
	// due; default 200ms. Neither database driver has notifications here,
	// and River's InsertTx tells no worker of a job inserted in a
	// transaction, so a new command waits up to this long before any
	// instance, the one that queued it included, picks it up.
	PollInterval time.Duration `yaml:"poll_interval"`
	// RescueAfter is how long a command may run before the queue takes
	// its worker for dead (its process killed, say) and runs it again;
	// default 10m, and at least twice AttemptTimeout.
	RescueAfter time.Duration `yaml:"rescue_after"`
}

// Commands defaults.
var DefaultCommandRetrySchedule = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour}

// Commands defaults.
const (
	DefaultCommandWorkers        = 4
	DefaultCommandAttemptTimeout = 2 * time.Minute
	DefaultCommandPollInterval   = 200 * time.Millisecond
	DefaultCommandRescueAfter    = 10 * time.Minute
)

// SetDefaults fills in every unset value with its default.
func (c *Commands) SetDefaults() {
	if len(c.RetrySchedule) == 0 {
		c.RetrySchedule = append([]time.Duration(nil), DefaultCommandRetrySchedule...)
	}
	if c.Workers == 0 {
		c.Workers = DefaultCommandWorkers
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultCommandAttemptTimeout
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultCommandPollInterval
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = max(DefaultCommandRescueAfter, 2*c.AttemptTimeout)
	}
}

// Validate checks the section after SetDefaults. Errors name the key.
func (c *Commands) Validate() error {
	var errs []error
	for i, d := range c.RetrySchedule {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("commands.retry_schedule[%d]: must be positive, got %s", i, d))
		}
	}
	if c.Workers < 1 || c.Workers > 1000 {
		errs = append(errs, fmt.Errorf("commands.workers: must be between 1 and 1000, got %d", c.Workers))
	}
	if c.AttemptTimeout < time.Second {
		errs = append(errs, fmt.Errorf("commands.attempt_timeout: must be at least 1s, got %s", c.AttemptTimeout))
	}
	if c.PollInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("commands.poll_interval: must be at least 10ms, got %s", c.PollInterval))
	}
	if c.RescueAfter < 2*c.AttemptTimeout {
		errs = append(errs, fmt.Errorf("commands.rescue_after: must be at least twice commands.attempt_timeout (%s), got %s", 2*c.AttemptTimeout, c.RescueAfter))
	}
	return errors.Join(errs...)
}

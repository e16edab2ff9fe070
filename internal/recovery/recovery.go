// Package recovery keeps a panic in background work (a poller, a pipeline
// batch, a delivery, a lease holder) from taking the whole hub down. A panic
// there is a bug, or a provider answer nobody foresaw; either way the process
// must stay up for every other merchant and connection, and the unit of work
// that panicked must be logged, counted and backed off like any other failure.
package recovery

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/shiphub/shiphub/internal/metrics"
)

// ErrPanic is matched (errors.Is) by every error Do makes of a panic.
var ErrPanic = errors.New("panic")

// PanicError is a recovered panic: its value and the stack where it happened.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Is makes errors.Is(err, ErrPanic) true for a PanicError.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Do calls fn and returns its error, or a *PanicError when fn panics. The
// caller treats that like any other failure of the unit of work (retry with
// backoff), after calling Report.
func Do(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// Report logs and counts err when it is a recovered panic, and does nothing
// otherwise, so callers can pass every error through it. attrs identify the
// unit of work (workspace, connection, …); m and log may be nil.
func Report(m *metrics.Metrics, log *slog.Logger, component string, err error, attrs ...any) {
	var pe *PanicError
	if !errors.As(err, &pe) {
		return
	}
	if m != nil {
		m.PanicsRecovered.WithLabelValues(component).Inc()
	}
	if log == nil {
		log = slog.Default()
	}
	log.Error("recovered a panic in background work; the unit of work backs off",
		append([]any{"component", component, "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack)}, attrs...)...)
}

// Go runs fn in a new goroutine, recovering and reporting a panic instead of
// crashing the process. It is for goroutines whose failure needs no retry of
// its own (the caller's loop restarts the work).
func Go(m *metrics.Metrics, log *slog.Logger, component string, fn func(), attrs ...any) {
	go func() {
		Report(m, log, component, Do(func() error { fn(); return nil }), attrs...)
	}()
}

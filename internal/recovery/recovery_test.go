package recovery_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/recovery"
)

func TestDo(t *testing.T) {
	t.Parallel()
	plain := errors.New("plain failure")
	tests := []struct {
		name      string
		fn        func() error
		wantPanic bool
		wantErr   error
	}{
		{"ReturnsNilWhenFnSucceeds", func() error { return nil }, false, nil},
		{"PassesAnErrorThrough", func() error { return plain }, false, plain},
		{"TurnsAPanicIntoAnError", func() error { panic("boom") }, true, recovery.ErrPanic},
		{"TurnsAnIndexOutOfRangeIntoAnError", func() error { var s []int; _ = s[len(s)]; return nil }, true, recovery.ErrPanic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := recovery.Do(tc.fn)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			var pe *recovery.PanicError
			require.Equal(t, tc.wantPanic, errors.As(err, &pe))
			if tc.wantPanic {
				require.Contains(t, string(pe.Stack), "recovery_test.go", "the stack points at the panic")
			}
		})
	}
}

func TestReportCountsAndLogsOnlyPanics(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	recovery.Report(m, log, "poller", errors.New("not a panic"))
	require.Zero(t, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("poller")))
	require.Empty(t, logged.String())

	recovery.Report(m, log, "poller", recovery.Do(func() error { panic("bad answer") }), "connection", "gcl")
	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("poller")))
	require.Contains(t, logged.String(), "connection=gcl")
	require.Contains(t, logged.String(), "bad answer")
}

func TestGoKeepsTheProcessUp(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	done := make(chan struct{})
	recovery.Go(m, slog.New(slog.DiscardHandler), "lease", func() {
		defer close(done)
		panic("in a goroutine")
	})
	<-done
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("lease")) == 1 },
		5e9, 1e6, "the panic is counted")
}

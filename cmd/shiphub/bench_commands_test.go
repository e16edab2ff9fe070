package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchCommandsReportsBothPhases runs a small, compressed bench
// --commands: every order reaches the simulator within the limits, the
// reconciliation lists every seeded order, and the report has the figures
// BENCHMARKS.md quotes.
func TestBenchCommandsReportsBothPhases(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, runBench(context.Background(), []string{"--commands", "--speed", "30", "--orders", "40",
		"--concurrency", "8", "--reconcile-orders", "250"}, &out, io.Discard))
	report := out.String()
	require.Contains(t, report, "WICS simulator at speed 30 (a minute is 2s of wall time; the hub's rate_window 2s)")
	require.Regexp(t, `(?m)^sustained: 40 orders at WICS .* simulated minutes\); \d+\.\d created a simulated minute between the first and the last = \d\.\d{3} of the limit of 150$`, report)
	require.Regexp(t, `(?m)^sustained: the simulator served 41 requests .*, at most \d+ arrived in a sliding minute, 0 refused, 0 blocks$`, report)
	require.Regexp(t, `(?m)^reconcile: 250 orders listed by the first run .*; \d+ inbox messages, all applied$`, report)
	// 250 orders are three pages of 100; one page each of receipts,
	// announcements and stock.
	require.Regexp(t, `(?m)^reconcile: 6 requests \(.*GET /api/order:3.*\) = 0\.03 % of 20000 a day; at most \d+ in a sliding minute, 0 refused, 0 blocks$`, report)
}

package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchWICSReportsBothPhases runs a small bench --wics: every message
// of the stream and of the baseline is acknowledged and applied, and the
// report has the figures BENCHMARKS.md quotes.
func TestBenchWICSReportsBothPhases(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, runBench(context.Background(), []string{"--wics", "--orders", "6", "--concurrency", "4"}, &out, io.Discard))
	report := out.String()
	require.Regexp(t, `shiphub bench --wics: \d+ WICS webhooks of 6 orders \(shipment \d+, receipt \d+, stock \d+, stockmutation \d+, announcementstatus \d+, orderstatus \d+, orderlinestatus \d+, picksliplinestatus \d+, rma \d+\)`, report)
	wics := regexp.MustCompile(`(?m)^wics: (\d+) acknowledged, 0 failed .* msg/s .* all applied .* msg/s`).FindStringSubmatch(report)
	require.NotNil(t, wics, report)
	require.Regexp(t, `(?m)^courier baseline: `+wics[1]+` acknowledged, 0 failed`, report, "as many courier webhooks")
	require.Regexp(t, `(?m)^wics/courier: acknowledged \d+\.\d\d, applied \d+\.\d\d$`, report)
}

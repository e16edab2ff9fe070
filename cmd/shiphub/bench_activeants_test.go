package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchActiveAntsReportsBothPhases is the smoke test of bench
// --activeants: a small warehouse and a compressed hour, so that it is
// fast; the figures of BENCHMARKS.md come from the defaults.
func TestBenchActiveAntsReportsBothPhases(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := runBench(context.Background(), []string{"--activeants", "--aa-shipments", "150", "--aa-open-orders", "60", "--aa-hours", "2", "--aa-speed", "1800"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	out := stdout.String()
	require.Regexp(t, `(?m)^sync: \d+ shipments \(pages of 100\): committed and marked in \S+, \d+/s; applied in \S+, \d+/s; in the hub (\d+), marked at Active Ants (\d+);`, out)
	require.Regexp(t, `(?m)^hour: \d+ open orders \(\d+ at the end\), default intervals, 2 warehouse hours \(4s at speed 1800\): [\d.]+ requests an hour \(.*/v2/shipment/get [\d.]+.*\), tokens \d+; .* too soon 0$`, out)
	m := regexpSubmatch(t, `in the hub (\d+), marked at Active Ants (\d+)`, out)
	require.Equal(t, m[1], m[2], "every shipment marked is in the hub")
}

// regexpSubmatch returns the submatches of pattern's first match in s.
func regexpSubmatch(t *testing.T, pattern, s string) []string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	require.NotNil(t, m, "%s in:\n%s", pattern, s)
	return m
}

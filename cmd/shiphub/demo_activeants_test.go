package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoShowsActiveAntsOrdersInAndShipmentsStockOut runs the demo for a
// few seconds: its Active Ants line shows orders going in through the
// hub's API, and shipments, track-trace polls and stock coming out, in
// the hub as at the warehouse.
func TestDemoShowsActiveAntsOrdersInAndShipmentsStockOut(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := runDemo(context.Background(), []string{"-listen", "127.0.0.1:0", "-ftp-listen", "127.0.0.1:0", "-duration", "9s"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	out := stdout.String()
	require.Regexp(t, `(?m)^  active ants +http://127\.0\.0\.1:\d+ `, out)

	lines := regexp.MustCompile(`active ants orders posted (\d+) accepted (\d+), at the warehouse (\d+) \(shop plugin (\d+), open \d+\) \| `+
		`shipments (\d+) synced (\d+) \| track-trace polls (\d+) \| stock mutations (\d+) synced (\d+) \| hub: shipments (\d+) \(delivered \d+\), stock rows (\d+)`).
		FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, lines, "the demo prints its Active Ants line:\n%s", out)
	last := lines[len(lines)-1]
	n := func(i int) int { v, err := strconv.Atoi(last[i]); require.NoError(t, err); return v }
	require.Positive(t, n(2), "the hub accepted orders for Active Ants")
	require.Greater(t, n(3), n(4), "orders from the hub reached the warehouse beside the shop plugin's")
	require.Positive(t, n(6), "shipments marked synced")
	require.Positive(t, n(7), "track-trace read")
	require.Positive(t, n(9), "stock mutations marked synced")
	require.Positive(t, n(10), "shipments in the hub")
	require.Positive(t, n(11), "stock in the hub")
	require.LessOrEqual(t, n(6), n(10), "nothing is marked synced before it is in the hub")
}

package wics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrderStatusRanksFollowTheLifecycle requires a rank for every row of
// order_statuses.tsv, rising with the code (00 created … 70 shipped), with
// 90 cancelled, which is final, above them all; a two-digit code no row
// knows by its number, and no rank for anything else, so that its time
// decides.
func TestOrderStatusRanksFollowTheLifecycle(t *testing.T) {
	t.Parallel()
	prev := 0
	for _, r := range OrderStatuses() {
		rank := OrderStatusRank(LookupOrderStatus(r.Code, ""))
		require.Greater(t, rank, prev, "code %s ranks above the codes before it", r.Code)
		prev = rank
	}
	require.Equal(t, OrderStatusRank(LookupOrderStatus("90", "Geannuleerd")), prev, "cancelled ranks highest")
	cases := []struct {
		code, description string
		want              int
	}{
		{"00", "Aangemaakt", 1},
		{"30", "Bevestigd", 31},
		{"40", "In uitvoering", 41},
		{"60", "Afgehandeld", 61},
		{"70", "Verzonden", 71},
		{"Bevestigd", "", 31},
		{"55", "Iets nieuws", 56},
		{"0", "", 0},
		{"", "", 0},
		{"4a", "", 0},
		{"Onbekend", "", 0},
	}
	for _, c := range cases {
		require.Equal(t, c.want, OrderStatusRank(LookupOrderStatus(c.code, c.description)), "code %q", c.code)
	}
}

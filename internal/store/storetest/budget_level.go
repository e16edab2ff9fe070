package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store"
)

// rateLevelCases cover a block recorded at the level the provider stated
// (store.RateBlock.Level).
var rateLevelCases = []conformanceCase{
	{"ARateBlockAtAStatedLevelLastsThatLevelAndDoesNotEscalateTwice", testRateBlockLevel},
}

func testRateBlockLevel(t *testing.T, s store.Store) {
	rb := rateBudgets(t, s)
	esc := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}
	tests := []struct {
		name      string
		at        time.Duration // after base
		level     int
		wantUntil time.Duration // after base
		wantLevel int
	}{
		// Another client's block met by the first request: WICS says
		// the second level, five minutes from now.
		{"TheFirstRefusalAtTheSecondLevel", 0, 2, 5 * time.Minute, 2},
		// A request in flight at the same time, refused at the same level:
		// the level's length from its refusal, not one level higher.
		{"AConcurrentRefusalAtTheSameLevel", time.Second, 2, 5*time.Minute + time.Second, 2},
		// A lower level while the block lasts keeps the block.
		{"ALowerLevelKeepsTheBlock", 2 * time.Second, 1, 5*time.Minute + time.Second, 2},
		// The third level: fifteen minutes from now.
		{"TheThirdLevel", time.Minute, 3, 16 * time.Minute, 3},
		// A level past the escalation is its last.
		{"ALevelPastTheLastIsTheLast", 20 * time.Minute, 7, 35 * time.Minute, 3},
		// After the block, a stated first level is the first again.
		{"AfterTheBlockTheFirstLevel", 40 * time.Minute, 1, 41 * time.Minute, 1},
	}
	for _, tt := range tests {
		st, err := rb.BlockRateBudget(ctx(t), store.RateBlock{Key: "wics:level", Now: base.Add(tt.at), Escalation: esc,
			Quiet: 15 * time.Minute, Level: tt.level})
		require.NoError(t, err, tt.name)
		assert.Equal(t, base.Add(tt.wantUntil), st.BlockedUntil, tt.name)
		assert.Equal(t, tt.wantLevel, st.Violations, tt.name)
	}
	got, err := rb.RateBudgetState(ctx(t), "wics:level")
	require.NoError(t, err)
	assert.Equal(t, base.Add(41*time.Minute), got.BlockedUntil)
	assert.Equal(t, 1, got.Violations)
}

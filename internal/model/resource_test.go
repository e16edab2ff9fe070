package model_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

func TestStatedKeepsTheNewestStatement(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		prior []time.Time // statements already applied, in order
		asOf  time.Time
		want  bool
	}{
		{"AFirstStatementIsTaken", nil, t0, true},
		{"ANewerStatementReplaces", []time.Time{t0}, t0.Add(time.Minute), true},
		{"AnOlderStatementIsIgnored", []time.Time{t0}, t0.Add(-time.Minute), false},
		{"TheSameStatementAgainIsTaken", []time.Time{t0}, t0, true},
		{"AnUntimedStatementFillsAnEmptyField", nil, time.Time{}, true},
		{"AnUntimedStatementNeverReplacesATimedOne", []time.Time{t0}, time.Time{}, false},
		{"ATimedStatementReplacesAnUntimedOne", []time.Time{{}}, t0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r model.Resource
			for _, p := range tt.prior {
				require.True(t, r.Stated("status", p))
			}
			require.Equal(t, tt.want, r.Stated("status", tt.asOf))
			require.True(t, r.Stated("other", t0.Add(-time.Hour)), "fields are versioned one by one")
		})
	}
}

func TestStatedIsOrderIndependent(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	times := []time.Time{t0.Add(2 * time.Minute), t0, t0.Add(time.Minute)}
	values := []string{"newest", "oldest", "middle"}
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		var r model.Resource
		got := ""
		for _, i := range order {
			if r.Stated("note", times[i]) {
				got = values[i]
			}
		}
		require.Equal(t, "newest", got, "order %v", order)
	}
}

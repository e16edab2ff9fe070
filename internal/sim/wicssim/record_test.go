package wicssim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRecordWICS records streams and checks them against the simulators'
// worlds generated anew: every distinct message of every simulator once,
// none twice (the nine examples open every simulator's stream but are
// recorded once), the same count per topic, and each simulator's own
// messages in its order.
func TestRecordWICS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  RecordConfig
		// seeds and orders are the simulators Record should have run.
		seeds  []int64
		orders []int
	}{
		{name: "OneSimulatorRecordsItsStream", cfg: RecordConfig{Orders: 5, Seed: 1},
			seeds: []int64{1}, orders: []int{5}},
		{name: "SimulatorsShareTheOrdersAndTheExamplesOnce", cfg: RecordConfig{Orders: 7, Simulators: 3, Seed: 4},
			seeds: []int64{4, 5, 6}, orders: []int{3, 2, 2}},
		{name: "NoMoreSimulatorsThanOrders", cfg: RecordConfig{Orders: 2, Simulators: 5, Seed: 9},
			seeds: []int64{9, 10}, orders: []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			got, err := Record(ctx, tc.cfg)
			require.NoError(t, err)

			type key struct{ topic, body string }
			seen := map[key]bool{}
			gotTopics := map[string]int{}
			position := map[key]int{}
			for i, m := range got {
				k := key{m.Topic, string(m.Body)}
				require.False(t, seen[k], "message %d (%s) was recorded twice", i, m.Topic)
				seen[k] = true
				gotTopics[m.Topic]++
				position[k] = i
			}

			// What the simulators send, generated anew: the distinct
			// messages of all, and which simulators send each.
			want := map[key]bool{}
			wantTopics := map[string]int{}
			senders := map[key]int{}
			streams := make([][]key, len(tc.seeds))
			for i, seed := range tc.seeds {
				own := map[key]bool{}
				for _, m := range expectedStream(Config{Orders: tc.orders[i], Seed: seed, Start: RecordStart}) {
					k := key{m.Topic, string(m.Body)}
					if !own[k] {
						own[k] = true
						senders[k]++
						streams[i] = append(streams[i], k)
					}
					if !want[k] {
						want[k] = true
						wantTopics[m.Topic]++
					}
				}
			}
			require.Equal(t, wantTopics, gotTopics, "messages per topic")
			require.Len(t, got, len(want))
			for k := range want {
				require.True(t, seen[k], "a %s message was not recorded", k.topic)
			}
			for _, topic := range Topics() {
				require.Positive(t, gotTopics[topic], "no %s message", topic)
				example, err := Example(topic)
				require.NoError(t, err)
				require.True(t, seen[key{topic, string(example)}], "the %s example was not recorded", topic)
			}

			// Each simulator's messages that no other sends arrive in its
			// order.
			for i, stream := range streams {
				last := -1
				for _, k := range stream {
					if senders[k] > 1 {
						continue
					}
					require.Greater(t, position[k], last, "simulator %d's %s message out of order", i, k.topic)
					last = position[k]
				}
			}
		})
	}
}

func TestRecordWICSRefusesNoOrders(t *testing.T) {
	t.Parallel()
	_, err := Record(t.Context(), RecordConfig{})
	require.ErrorContains(t, err, "orders must be at least 1")
}

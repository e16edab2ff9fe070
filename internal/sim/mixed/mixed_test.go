package mixed_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/sim/mixed"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// small is an inbox small enough for a unit test, with every WICS topic.
var small = mixed.Config{Workspace: "mix", WICSOrders: 3, Journeys: 4}

func TestInbox(t *testing.T) {
	t.Parallel()

	t.Run("EachStreamComesFromItsConnectionAndTopics", func(t *testing.T) {
		t.Parallel()
		in, err := mixed.New(small)
		require.NoError(t, err)
		require.Len(t, in.Courier, 4)
		require.Len(t, in.Winkelstraat, 4)
		topics := map[string]bool{}
		for _, m := range in.WICS {
			requireMessage(t, m, mixed.WICS, "wics")
			topics[m.Topic] = true
		}
		require.ElementsMatch(t, wicssim.Topics(), slices.Collect(maps.Keys(topics)), "every WICS webhook topic, no other")
		for _, journey := range in.Courier {
			require.NotEmpty(t, journey)
			for _, m := range journey {
				requireMessage(t, m, mixed.Courier, "courier")
				require.Empty(t, m.Topic)
			}
		}
		for _, journey := range in.Winkelstraat {
			require.NotEmpty(t, journey)
			for _, m := range journey {
				requireMessage(t, m, mixed.Winkelstraat, "winkelstraat")
				require.Empty(t, m.Topic)
			}
		}
		for _, id := range []string{mixed.WICS, mixed.Courier, mixed.Winkelstraat} {
			_, ok := in.Connections.Lookup("mix", id)
			require.True(t, ok, "connection %s", id)
		}
	})

	t.Run("MessagesAddWholeJourneysUntilThereAreEnough", func(t *testing.T) {
		t.Parallel()
		in, err := mixed.New(mixed.Config{Workspace: "mix", WICSOrders: 1, Messages: 50})
		require.NoError(t, err)
		for name, journeys := range map[string][][]*model.InboxMessage{"courier": in.Courier, "winkelstraat": in.Winkelstraat} {
			n := len(slices.Concat(journeys...))
			require.GreaterOrEqual(t, n, 50, name)
			require.Less(t, n-len(journeys[len(journeys)-1]), 50, "%s: a journey more than needed", name)
		}
	})

	t.Run("NoMessageIsADuplicateOfAnother", func(t *testing.T) {
		t.Parallel()
		in, err := mixed.New(small)
		require.NoError(t, err)
		seen := map[[2]string]bool{}
		for _, m := range in.Interleaved() {
			key := [2]string{m.Connection, m.DedupKey}
			require.False(t, seen[key], "%s: dedup key %s twice: the inbox would drop the second", m.Connection, m.DedupKey)
			seen[key] = true
		}
	})

	t.Run("TwoBuildsAreTheSameButForWinkelstraatsClock", func(t *testing.T) {
		t.Parallel()
		a, err := mixed.New(small)
		require.NoError(t, err)
		b, err := mixed.New(small)
		require.NoError(t, err)
		require.Equal(t, stripped(a.WICS), stripped(b.WICS))
		require.Equal(t, stripped(slices.Concat(a.Courier...)), stripped(slices.Concat(b.Courier...)))
		require.Equal(t, shipments(t, a.Winkelstraat), shipments(t, b.Winkelstraat))
	})

	t.Run("InterleavedTakesOneOfEachStreamInTurn", func(t *testing.T) {
		t.Parallel()
		in, err := mixed.New(small)
		require.NoError(t, err)
		all := in.Interleaved()
		courier, ws := slices.Concat(in.Courier...), slices.Concat(in.Winkelstraat...)
		require.Len(t, all, len(in.WICS)+len(courier)+len(ws))
		require.Equal(t, []*model.InboxMessage{in.WICS[0], courier[0], ws[0], in.WICS[1], courier[1], ws[1]}, all[:6])
		byConn := map[string][]*model.InboxMessage{}
		for _, m := range all {
			byConn[m.Connection] = append(byConn[m.Connection], m)
		}
		require.Equal(t, in.WICS, byConn[mixed.WICS], "the WICS stream in its order")
		require.Equal(t, courier, byConn[mixed.Courier], "the courier stream in its order")
		require.Equal(t, ws, byConn[mixed.Winkelstraat], "the winkelstraat stream in its order")
	})

	t.Run("ThePipelineAppliesEveryMessage", func(t *testing.T) {
		t.Parallel()
		in, err := mixed.New(small)
		require.NoError(t, err)
		st := sqlite.OpenTest(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		msgs := in.Interleaved()
		for _, m := range msgs {
			c := *m
			_, duplicate, err := st.AppendInbox(ctx, &c)
			require.NoError(t, err)
			require.False(t, duplicate)
		}
		p, err := pipeline.New(pipeline.Config{Store: st, Connections: in.Connections})
		require.NoError(t, err)
		n, err := p.Drain(ctx)
		require.NoError(t, err)
		require.Equal(t, len(msgs), n)
		stats, err := st.InboxStats(ctx)
		require.NoError(t, err)
		require.Zero(t, stats.Failed, "messages set aside")
		require.Zero(t, stats.Pending)
	})

	t.Run("AWorkspaceIsRequired", func(t *testing.T) {
		t.Parallel()
		_, err := mixed.New(mixed.Config{WICSOrders: 1})
		require.ErrorContains(t, err, "workspace is required")
	})
}

// requireMessage checks what intake would have committed of a webhook.
func requireMessage(t *testing.T, m *model.InboxMessage, connection, provider string) {
	t.Helper()
	require.Equal(t, "mix", m.Workspace)
	require.Equal(t, connection, m.Connection)
	require.Equal(t, provider, m.Provider)
	require.Equal(t, model.SourceWebhook, m.Source)
	require.NotEmpty(t, m.DedupKey, "the connector's dedup key")
	require.Equal(t, "application/json", m.ContentType)
	require.NotEmpty(t, m.Body)
	require.False(t, m.ReceivedAt.IsZero())
}

// stripped are the messages without their arrival times.
func stripped(msgs []*model.InboxMessage) []model.InboxMessage {
	out := make([]model.InboxMessage, len(msgs))
	for i, m := range msgs {
		out[i] = *m
		out[i].ReceivedAt = time.Time{}
	}
	return out
}

// shipments are the Winkelstraat journeys' increment ids and statuses,
// which do not move with the clock.
func shipments(t *testing.T, journeys [][]*model.InboxMessage) [][]string {
	t.Helper()
	var out [][]string
	for _, journey := range journeys {
		var steps []string
		for _, m := range journey {
			var sh struct {
				IncrementID string `json:"increment_id"`
				Status      string `json:"status"`
			}
			require.NoError(t, json.Unmarshal(m.Body, &sh))
			require.NotEmpty(t, sh.IncrementID)
			steps = append(steps, sh.IncrementID+" "+sh.Status)
		}
		out = append(out, steps)
	}
	return out
}

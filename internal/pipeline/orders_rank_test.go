package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
)

// rankedLife is one order's status messages as a provider without times
// sends them (WICS's Order status and OrderLineStatus topics): codes 00,
// 10, 30, 40 and 60, each ranked by its place in the lifecycle (the code
// plus one), with the order's line 1 following the order. They carry no
// AsOf of their own; the test gives each the time of its arrival, as the
// connector does with ReceivedAt, so a retry that arrives late is the
// newest by AsOf.
var rankedLife = []struct {
	code, description string
	status            model.OrderStatus
}{
	{"00", "Aangemaakt", model.OrderAccepted},
	{"10", "Ingevoerd", model.OrderAccepted},
	{"30", "Bevestigd", model.OrderAccepted},
	{"40", "In uitvoering", model.OrderProcessing},
	{"60", "Afgehandeld", model.OrderShipped},
}

// rankedUpdate is the i-th status of rankedLife as it arrives at the given
// time: the order's status and line 1's, both ranked.
func rankedUpdate(i int, arrived time.Time) model.OrderUpdate {
	s := rankedLife[i]
	var rank int
	_, err := fmt.Sscan(s.code, &rank)
	if err != nil {
		panic(err)
	}
	rank++
	return model.OrderUpdate{
		AsOf: arrived, Reference: "WT-2508-4", ProviderRef: "10344",
		Status: s.status, ProviderStatus: &model.ProviderStatus{Code: s.code, Description: s.description}, StatusRank: rank,
		Lines: []model.OrderLineUpdate{{LineNumber: 1, Status: s.status, ProviderStatus: &model.ProviderStatus{Code: s.code, Description: s.description}, StatusRank: rank}},
	}
}

// TestARetriedOlderStatusNeverMovesAnOrderBack applies rankedLife's five
// status messages in every order of arrival (120, on SQLite; a sample
// with the reverse order on PostgreSQL), each order on a connection of its
// own, with AsOf the time of arrival, so the last to arrive is always the
// newest by time. The order and its line end at the highest rank's status
// (60, shipped) each time, the feed never tells of a status change
// backwards, and a rebuild makes the same order.
func TestARetriedOlderStatusNeverMovesAnOrderBack(t *testing.T) {
	t.Parallel()
	all := permutations(len(rankedLife))
	rng := rand.New(rand.NewPCG(10, 2027))
	sample := [][]int{all[0], all[len(all)-1]}
	for range 10 {
		sample = append(sample, all[rng.IntN(len(all))])
	}
	runs := map[string]struct {
		orders    [][]int
		batchSize int
	}{"SQLite": {all, 3}, "PostgreSQL": {sample, 1}}
	top := rankedUpdate(len(rankedLife)-1, time.Time{})
	want := model.Order{
		Reference: "WT-2508-4", Resource: model.Resource{Workspace: "acme", Provider: "changes", ProviderRef: "10344"},
		Status: model.OrderShipped, ProviderStatus: top.ProviderStatus,
		Lines:       []model.OrderLine{{LineNumber: 1, Status: model.OrderShipped, ProviderStatus: top.ProviderStatus}},
		ShipmentIDs: []int64{},
	}
	wantState := orderState(t, &want)
	progress := []model.OrderStatus{model.OrderAccepted, model.OrderProcessing, model.OrderShipped}
	for name, open := range stores {
		r := runs[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			p := changesPipeline(t, st, len(r.orders), r.batchSize)
			for i, order := range r.orders {
				for pos, m := range order {
					arrived := orderHour(1).Add(time.Duration(pos) * 90 * time.Second)
					commitOrderChanges(t, st, fmt.Sprintf("c%03d", i), fmt.Sprint(m), model.Changes{Orders: []model.OrderUpdate{rankedUpdate(m, arrived)}})
				}
			}
			ctx := context.Background()
			n, err := p.Drain(ctx)
			require.NoError(t, err)
			require.Equal(t, len(r.orders)*len(rankedLife), n)
			for i, order := range r.orders {
				o := onlyOrder(t, st, fmt.Sprintf("c%03d", i))
				require.Equal(t, wantState, orderState(t, o), "statuses arriving in the order %v", order)
			}

			feed, err := st.ListFeed(ctx, "acme", 0, 10*len(r.orders))
			require.NoError(t, err)
			changes := 0
			for _, f := range feed {
				if f.Type != model.EventOrderStatusChanged {
					continue
				}
				var d pipeline.OrderStatusChanged
				require.NoError(t, json.Unmarshal(f.Data, &d))
				require.Less(t, slices.Index(progress, d.PreviousStatus), slices.Index(progress, d.Status),
					"order %d: the feed tells of %s after %s", d.OrderID, d.Status, d.PreviousStatus)
				changes++
			}
			require.NotZero(t, changes, "the feed tells of the status changes forward")

			_, err = p.Rebuild(ctx, []string{"acme"}, nil)
			require.NoError(t, err)
			for i := range r.orders {
				require.Equal(t, wantState, orderState(t, onlyOrder(t, st, fmt.Sprintf("c%03d", i))), "a rebuild makes the same order")
			}
		})
	}
}

// TestMergeOrderRanksStatusStatements holds the rules of StatusRank one by
// one: of two ranked statements the higher rank wins whatever the times;
// equal ranks, and a statement without a rank, leave it to AsOf; an
// unranked statement that wins by time forgets the rank; other fields stay
// versioned by time.
func TestMergeOrderRanksStatusStatements(t *testing.T) {
	t.Parallel()
	ps := func(code string) *model.ProviderStatus { return &model.ProviderStatus{Code: code} }
	st := func(at int, s model.OrderStatus, code string, rank int) model.OrderUpdate {
		return model.OrderUpdate{AsOf: orderHour(at), Reference: "R", Status: s, ProviderStatus: ps(code), StatusRank: rank}
	}
	cases := []struct {
		name     string
		updates  []model.OrderUpdate
		want     model.OrderStatus
		wantCode string
		wantRank int
	}{
		{"LowerRankNewerTimeLoses", []model.OrderUpdate{st(1, model.OrderShipped, "60", 61), st(2, model.OrderProcessing, "40", 41)}, model.OrderShipped, "60", 61},
		{"HigherRankOlderTimeWins", []model.OrderUpdate{st(2, model.OrderProcessing, "40", 41), st(1, model.OrderShipped, "60", 61)}, model.OrderShipped, "60", 61},
		{"EqualRanksNewerTimeWins", []model.OrderUpdate{st(2, model.OrderShipped, "60", 61), st(1, model.OrderShipped, "60x", 61)}, model.OrderShipped, "60", 61},
		{"CancelledIsFinal", []model.OrderUpdate{st(1, model.OrderCancelled, "90", 91), st(3, model.OrderAccepted, "30", 31)}, model.OrderCancelled, "90", 91},
		{"UnrankedOlderLoses", []model.OrderUpdate{st(2, model.OrderProcessing, "40", 41), st(1, model.OrderShipped, "x", 0)}, model.OrderProcessing, "40", 41},
		{"UnrankedNewerWinsAndForgetsTheRank", []model.OrderUpdate{st(1, model.OrderShipped, "60", 61), st(2, model.OrderOnHold, "x", 0), st(1, model.OrderProcessing, "40", 41)}, model.OrderOnHold, "x", 0},
		{"RankedNewerBeatsUnranked", []model.OrderUpdate{st(1, model.OrderShipped, "x", 0), st(2, model.OrderProcessing, "40", 41)}, model.OrderProcessing, "40", 41},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := &model.Order{Reference: "R", Status: model.OrderAccepted}
			for _, u := range c.updates {
				pipeline.MergeOrder(o, &u)
			}
			require.Equal(t, c.want, o.Status)
			require.Equal(t, c.wantCode, o.ProviderStatus.Code)
			require.Equal(t, c.wantRank, o.StatusRanks["status"])
		})
	}

	t.Run("OtherFieldsStayVersionedByTime", func(t *testing.T) {
		t.Parallel()
		o := &model.Order{Reference: "R"}
		newer, older := st(2, model.OrderProcessing, "40", 41), st(1, model.OrderShipped, "60", 61)
		newer.Note, older.Note = "newer", "older"
		pipeline.MergeOrder(o, &newer)
		pipeline.MergeOrder(o, &older)
		require.Equal(t, model.OrderShipped, o.Status, "the status goes by rank")
		require.Equal(t, "newer", o.Note, "the note goes by time")
	})

	t.Run("AnUnchangedRankedRetryChangesNothing", func(t *testing.T) {
		t.Parallel()
		o := &model.Order{Reference: "R"}
		u := st(2, model.OrderShipped, "60", 61)
		require.True(t, pipeline.MergeOrder(o, &u))
		require.False(t, pipeline.MergeOrder(o, &u), "the same statement again")
		lower := st(5, model.OrderProcessing, "40", 41)
		require.False(t, pipeline.MergeOrder(o, &lower), "a lower rank, however new")
	})
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
)

// courierLife is one courier shipment's status updates, in the document's
// JSON push format: planned, picked up (with the document's own comment and
// GPS), two scans in the same second, a failed attempt and the delivery.
// References come and go between messages, as the courier sends them, and
// the lead date changes: the later statement (newlead 2024-03-03, with the
// failed attempt) must win whichever arrives last.
var courierLife = []string{
	`{"order":"ASK900000001","barcode":"","container":"","status":"PROCESSING","statustime":"20240301080000","statuscode":"PICKUP_PLANNED","statusNL":"Ophaling gepland","statusEN":"","statusFR":"","referentie":"anc/20221588","comment":""}`,
	`{"order":"ASK900000001","barcode":"BC900000001","container":"","status":"PROCESSING","statustime":"20240301100000","statuscode":"take","statusNL":"Mee met koerier","statusEN":"Taken by courier","statusFR":"En route avec courier","referentie":"","comment":"TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024","newlead":"2024-03-02"}`,
	`{"order":"ASK900000001","barcode":"BC900000001","container":"MSKU900001","status":"PROCESSING","statustime":"20240301150000","statuscode":"depotIn","statusNL":"","statusEN":"","statusFR":"","referentie":""}`,
	`{"order":"ASK900000001","barcode":"","container":"MSKU900001","status":"PROCESSING","statustime":"20240301150000","statuscode":"AT_SORTING_CENTRE","statusNL":"","statusEN":"","statusFR":"","referentie":""}`,
	`{"order":"ASK900000001","barcode":"","container":"","status":"NOTOK","statustime":"20240302110000","statuscode":"notOk_10","statusNL":"NIET THUIS","statusEN":"","statusFR":"","referentie":"","oldlead":"2024-03-02","newlead":"2024-03-03"}`,
	`{"order":"ASK900000001","barcode":"BC900000001","container":"","status":"DELIVERED","statustime":"20240303100000","statuscode":"DELIVERED","statusNL":"Geleverd","statusEN":"Delivered","statusFR":"Livré","referentie":"anc/20221588","signatures":["https://example.com/s.png"],"pictures":[]}`,
}

// courierInTransit is the start of that life, up to the two scans in the
// same second: which of them sets the status must not depend on which came
// last.
var courierInTransit = courierLife[:4]

// permutations returns every order of 0..n-1, in lexicographic order.
func permutations(n int) [][]int {
	var out [][]int
	var rec func(prefix []int, used []bool)
	rec = func(prefix []int, used []bool) {
		if len(prefix) == n {
			out = append(out, append([]int(nil), prefix...))
			return
		}
		for i := range n {
			if !used[i] {
				used[i] = true
				rec(append(prefix, i), used)
				used[i] = false
			}
		}
	}
	rec(nil, make([]bool, n))
	return out
}

// canonicalState is a shipment's state without what legitimately depends on
// arrival: ids, the hub's own timestamps and which inbox message carried an
// event.
func canonicalState(t *testing.T, s *model.Shipment) string {
	t.Helper()
	c := *s
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt = 0, "", time.Time{}, time.Time{}
	c.Events = append([]model.Event(nil), s.Events...)
	for i := range c.Events {
		c.Events[i].ID, c.Events[i].InboxID, c.Events[i].RecordedAt, c.Events[i].Connection = 0, 0, time.Time{}, ""
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	require.NoError(t, err)
	return string(b)
}

// TestAShipmentsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn
// applies a courier shipment's messages in every order (on SQLite; a fixed
// sample of orders on PostgreSQL, one message per batch) and requires the
// same final shipment: status, events, references and fields. The shorter
// life ends on two scans of the same second, so which one sets the status
// is decided by their content, not by which arrived last.
func TestAShipmentsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	registry.RegisterAll()
	all := permutations(len(courierLife))
	require.Len(t, all, 720)
	rng := rand.New(rand.NewPCG(9, 2026))
	sample := [][]int{all[0], all[len(all)-1]}
	for range 22 {
		sample = append(sample, all[rng.IntN(len(all))])
	}
	short := permutations(len(courierInTransit))
	type run struct {
		life      []string
		orders    [][]int
		batchSize int
		want      model.Status
	}
	runs := map[string][]run{
		"SQLite":     {{courierLife, all, 4, model.StatusDelivered}, {courierInTransit, short, 3, model.StatusInTransit}},
		"PostgreSQL": {{courierLife, sample, 1, model.StatusDelivered}, {courierInTransit, short, 1, model.StatusInTransit}},
	}
	for name, open := range stores {
		for _, r := range runs[name] {
			t.Run(fmt.Sprintf("%s/%dMessages", name, len(r.life)), func(t *testing.T) {
				t.Parallel()
				applyInEveryOrder(t, open(t), r.life, r.orders, r.batchSize, r.want)
			})
		}
	}
}

// applyInEveryOrder applies life's messages in each of the orders, each
// order on a connection of its own, and requires the same final shipment.
func applyInEveryOrder(t *testing.T, st store.Store, life []string, orders [][]int, batchSize int, wantStatus model.Status) {
	t.Helper()
	w := config.Workspace{ID: "acme"}
	for i := range orders {
		w.Connections = append(w.Connections, config.Connection{ID: fmt.Sprintf("p%03d", i), Provider: "courier", Settings: map[string]any{}})
	}
	set, err := connections.Build(&config.Config{Workspaces: []config.Workspace{w}})
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, BatchSize: batchSize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)

	ctx := context.Background()
	for i, order := range orders {
		for _, m := range order {
			_, dup, err := st.AppendInbox(ctx, &model.InboxMessage{
				Workspace: "acme", Connection: fmt.Sprintf("p%03d", i), Provider: "courier", Source: model.SourceWebhook,
				DedupKey: fmt.Sprint(m), ContentType: "application/json", Body: []byte(life[m]), ReceivedAt: time.Now(),
			})
			require.NoError(t, err)
			require.False(t, dup)
		}
	}
	n, err := p.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, len(orders)*len(life), n)

	var want string
	for i, order := range orders {
		list, err := st.ListShipments(ctx, store.ShipmentFilter{Workspace: "acme", Connection: fmt.Sprintf("p%03d", i), Limit: 2})
		require.NoError(t, err)
		require.Len(t, list, 1, "order %v makes one shipment", order)
		s, err := st.GetShipment(ctx, "acme", list[0].ID)
		require.NoError(t, err)
		if i == 0 {
			require.Equal(t, wantStatus, s.Status)
			require.Len(t, s.Events, len(life))
			if len(life) == len(courierLife) {
				require.Equal(t, map[string]string{"oldlead": "2024-03-02", "newlead": "2024-03-03"}, s.Attributes, "the newer lead date")
			}
			want = canonicalState(t, s)
			continue
		}
		require.Equal(t, want, canonicalState(t, s), "messages applied in the order %v", order)
	}
}

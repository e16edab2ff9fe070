package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// BacklogDeliveries is the pending backlog BenchmarkDeliveryBacklog claims
// from: a merchant endpoint that was down for a while, or an import.
const BacklogDeliveries = 50000

// ServerCounters, when a store has a server, reads how many statements
// the store has sent it and the CPU time its server processes have used
// so far; BenchmarkDeliveryBacklog reports both per delivered event.
type ServerCounters func() (statements int64, cpu time.Duration)

// BenchmarkDeliveryBacklog times the store's part of delivering an event
// (claim, then record, in batches of 32 as the worker's default slots
// take them) while BacklogDeliveries deliveries are pending: the delivery
// statements' plans meet a large due index, which BenchmarkDeliveryCycle's
// small refills never build. It reports the wall time and this process's
// CPU per delivered event and, with counters, the statements and server CPU
// per event. The backlog is filled once per store, untimed, and refilled
// when the loop has delivered it.
func BenchmarkDeliveryBacklog(b *testing.B, s store.Store, counters ServerCounters) {
	c := context.Background()
	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	if err := s.CreateEndpoint(c, e); err != nil {
		b.Fatal(err)
	}
	next := int64(0)
	fill := func() {
		// Three events a shipment, as apply writes them.
		feed := make([]*model.FeedEvent, 0, 500)
		for n := 0; n < BacklogDeliveries; n += len(feed) {
			feed = feed[:0]
			for range 500 / 3 {
				next++
				data := []byte(`{"shipment":{"id":` + fmt.Sprint(next) + `,"status":"in_transit","tracking_number":"BNCH` + fmt.Sprint(next) + `"}}`)
				for _, typ := range []string{model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged} {
					feed = append(feed, &model.FeedEvent{Workspace: "acme", Type: typ, SubjectID: next, OccurredAt: time.Now(), Data: data})
				}
			}
			if err := s.AppendFeedEvents(c, feed); err != nil {
				b.Fatal(err)
			}
		}
	}
	fill()
	const batch = 32
	delivered := 0
	var spent, cpu, server time.Duration
	var statements int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		var n0 int64
		var s0 time.Duration
		if counters != nil {
			n0, s0 = counters()
		}
		jobs, err := s.ClaimDeliveries(c, batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(jobs) > 0 {
			if _, err := s.RecordAttempts(c, succeeded(jobs)); err != nil {
				b.Fatal(err)
			}
		}
		spent, cpu = spent+time.Since(t0), cpu+cpuTime()-c0
		if counters != nil {
			n1, s1 := counters()
			statements, server = statements+n1-n0, server+s1-s0
		}
		delivered += len(jobs)
		if len(jobs) < batch {
			b.StopTimer()
			fill()
			b.StartTimer()
		}
	}
	if delivered == 0 {
		return
	}
	b.ReportMetric(float64(spent.Microseconds())/float64(delivered), "µs/event")
	b.ReportMetric(float64(cpu.Microseconds())/float64(delivered), "cpu-µs/event")
	if counters != nil {
		b.ReportMetric(float64(statements)/float64(delivered), "stmts/event")
		b.ReportMetric(float64(server.Microseconds())/float64(delivered), "server-cpu-µs/event")
	}
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// SeedInsights fills a store with shipments of workspace acme, ten events
// each, spread evenly over the 30 days before now, over five connections
// and four carriers: most are delivered, some after a failed attempt, some
// end in an exception. It inserts through the store's transactions, 1,000
// shipments per transaction, and returns how many events it inserted.
func SeedInsights(tb testing.TB, s store.Store, shipments int, now time.Time) int {
	tb.Helper()
	ctx := context.Background()
	conns := []string{"courier", "ws", "wics", "aa", "gcl"}
	carriers := []string{"bpost", "dhl", "postnl", "dpd"}
	span := 30 * 24 * time.Hour
	events := 0
	const perTx = 1000
	for start := 0; start < shipments; start += perTx {
		if _, _, err := s.AppendInbox(ctx, message("acme", "seed", fmt.Sprintf("seed-%d", start))); err != nil {
			tb.Fatal(err)
		}
		_, err := s.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
			for i := start; i < min(start+perTx, shipments); i++ {
				first := now.Add(-span + time.Duration(float64(span)*float64(i)/float64(shipments)))
				statuses := []model.Status{model.StatusInfoReceived, model.StatusInTransit, model.StatusInTransit, model.StatusInTransit,
					model.StatusInTransit, model.StatusInTransit, model.StatusInTransit, model.StatusOutForDelivery}
				switch {
				case i%20 == 0:
					statuses = append(statuses, model.StatusException, model.StatusException)
				case i%10 == 1:
					statuses = append(statuses, model.StatusFailedAttempt, model.StatusDelivered)
				default:
					statuses = append(statuses, model.StatusInTransit, model.StatusDelivered)
				}
				// Events every 3 hours; those that would lie in the future
				// have not happened yet.
				var evs []*model.Event
				for j, st := range statuses {
					at := first.Add(time.Duration(j) * 3 * time.Hour)
					if at.After(now) {
						break
					}
					evs = append(evs, &model.Event{
						Status: st, ProviderCode: string(st), Description: "Parcel scanned at the sorting centre",
						Labels:     map[string]string{"nl": "Pakket gescand", "en": "Parcel scanned"},
						Location:   &model.Location{Text: "Antwerpen", Lat: ptr(51.2), Lon: ptr(4.4)},
						OccurredAt: at, Source: model.SourceWebhook, DedupKey: fmt.Sprintf("e%d", j),
					})
				}
				last := evs[len(evs)-1]
				sh := shipment("acme", conns[i%len(conns)], fmt.Sprintf("B%07d", i), fmt.Sprintf("BC%07d", i))
				sh.Carrier = carriers[i%len(carriers)]
				sh.Status = last.Status
				sh.CollectedAt = nil
				sh.CreatedAt, sh.UpdatedAt = first, last.OccurredAt
				if last.Status == model.StatusDelivered {
					sh.DeliveredAt = &last.OccurredAt
				}
				if err := tx.InsertShipment(ctx, sh); err != nil {
					return err
				}
				for _, e := range evs {
					if _, err := tx.InsertEvent(ctx, sh.ID, e); err != nil {
						return err
					}
					events++
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return events
}

// BenchmarkInsights measures each insights aggregate over a store seeded
// by SeedInsights with the given number of shipments (ten events each),
// over the windows the snapshot service uses, and reports each one's
// milliseconds per run.
func BenchmarkInsights(b *testing.B, s store.Store, shipments int) {
	now := time.Now().UTC()
	t0 := time.Now()
	events := SeedInsights(b, s, shipments, now)
	b.Logf("seeded %d shipments and %d events in %s", shipments, events, time.Since(t0).Round(time.Second))
	ctx := context.Background()
	aggs := []struct {
		name string
		run  func() (int, error)
	}{
		{"events_per_hour", func() (int, error) {
			r, err := s.EventsPerHour(ctx, "acme", now.Truncate(time.Hour).Add(-47*time.Hour))
			return len(r), err
		}},
		{"statuses_per_day", func() (int, error) {
			r, err := s.StatusesPerDay(ctx, "acme", now.Truncate(24*time.Hour).Add(-13*24*time.Hour))
			return len(r), err
		}},
		{"transit_times", func() (int, error) {
			r, err := s.TransitTimes(ctx, "acme", now.Add(-30*24*time.Hour))
			return len(r), err
		}},
		{"carrier_rates", func() (int, error) {
			r, err := s.CarrierRates(ctx, "acme", now.Add(-30*24*time.Hour))
			return len(r), err
		}},
	}
	took := make([]time.Duration, len(aggs))
	b.ResetTimer()
	for range b.N {
		for i, a := range aggs {
			start := time.Now()
			n, err := a.run()
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				b.Fatalf("%s answered nothing", a.name)
			}
			took[i] += time.Since(start)
		}
	}
	for i, a := range aggs {
		b.ReportMetric(float64(took[i].Microseconds())/1000/float64(b.N), a.name+"_ms")
	}
}

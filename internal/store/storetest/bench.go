package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// benchRun keeps benchmark keys unique across b.N rounds on the same store.
var benchRun atomic.Int64

// BenchmarkAppendInbox appends distinct ~1 KiB messages from 64 goroutines
// per GOMAXPROCS, as a burst of webhooks would, and reports appends per
// second and the p50 and p99 latency of one append, on a new store for each
// of two kinds of dedup key: keys=hashed, all hash (a SHA-256 in hex, as the
// courier's were), which land anywhere in the inbox's unique index, and
// keys=time-led, which lead with the time of the update (as the courier's
// do) and so sort next to each other.
func BenchmarkAppendInbox(b *testing.B, newStore func(testing.TB) store.Store) {
	keys := []struct {
		name string
		key  func(run, n int64) string
	}{
		{"hashed", func(run, n int64) string {
			h := sha256.Sum256(fmt.Appendf(nil, "bench-%d-%d", run, n))
			return hex.EncodeToString(h[:])
		}},
		{"time-led", func(run, n int64) string {
			h := sha256.Sum256(fmt.Appendf(nil, "bench-%d-%d", run, n))
			return fmt.Sprintf("%014d-%s", run*1e8+n, hex.EncodeToString(h[:16]))
		}},
	}
	for _, k := range keys {
		b.Run("keys="+k.name, func(b *testing.B) {
			benchmarkAppendInbox(b, newStore(b), k.key)
		})
	}
}

func benchmarkAppendInbox(b *testing.B, s store.Store, key func(run, n int64) string) {
	body := make([]byte, 1024)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	run := benchRun.Add(1)
	var (
		seq  atomic.Int64
		mu   sync.Mutex
		lats []time.Duration
	)
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			m := &model.InboxMessage{
				Workspace: "acme", Connection: "courier", Provider: "courier", Source: model.SourceWebhook,
				DedupKey: key(run, seq.Add(1)), ContentType: "application/json",
				Meta: map[string]string{"x-version": "2"}, Body: body,
			}
			t0 := time.Now()
			if _, _, err := s.AppendInbox(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lats = append(lats, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "appends/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
}

// LegacyClaimSQL is the due-delivery claim as it was before the backlog of
// a waiting subject was parked (with ? placeholders): it reads every due
// delivery, blocked or not, on every cycle. BenchmarkClaimBacklog runs it
// for comparison.
const LegacyClaimSQL = `UPDATE deliveries SET locked_until = ? WHERE id IN (
	SELECT d.id FROM deliveries d
	WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.locked_until <= ?
	AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.subject = d.subject AND p.status = 'pending' AND p.id < d.id)
	ORDER BY d.next_attempt_at, d.id LIMIT ?)`

// legacyClaim is a whole claim cycle as ClaimDeliveries ran it before
// parking: in one transaction, the claim statement, then the endpoints and
// feed entries of what it claimed. It returns the ids it claimed.
func legacyClaim(ctx context.Context, db *sql.DB, bind func(string) string, claim string, now int64, limit int) ([]int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, bind(claim+` RETURNING id, endpoint_id, feed_id`), now+int64(time.Minute/time.Microsecond), now, now, limit)
	if err != nil {
		return nil, err
	}
	var (
		ids       []int64
		eps, feed []any
	)
	for rows.Next() {
		var id, ep, f int64
		if err := rows.Scan(&id, &ep, &f); err != nil {
			_ = rows.Close()
			return nil, err
		}
		ids, eps, feed = append(ids, id), append(eps, ep), append(feed, f)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(feed) == 0 {
		return nil, nil
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`SELECT id, workspace, url, events, secret FROM endpoints WHERE id IN (` + marks(len(eps)) + `)`, eps},
		{`SELECT id, workspace, type, subject_id, occurred_at, data FROM feed WHERE id IN (` + marks(len(feed)) + `)`, feed},
	} {
		r, err := tx.QueryContext(ctx, bind(q.query), q.args...)
		if err != nil {
			return nil, err
		}
		for r.Next() {
		}
		if err := r.Close(); err != nil {
			return nil, err
		}
	}
	return ids, tx.Commit()
}

// marks is "?, ?, …" with n placeholders.
func marks(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// Backlog sizes of BenchmarkClaimBacklog: a failing endpoint with this many
// shipments, each with this many events waiting behind its first one.
const (
	backlogSubjects = 1000
	backlogDepth    = 10
)

// seedBacklog gives s one endpoint whose every subject's head failed and
// waits for a retry an hour away, with the subject's later deliveries
// queued behind it: the backlog of a failing endpoint.
func seedBacklog(b *testing.B, s store.Store) {
	b.Helper()
	c := context.Background()
	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	if err := s.CreateEndpoint(c, e); err != nil {
		b.Fatal(err)
	}
	for depth := range backlogDepth {
		if _, _, err := s.AppendInbox(c, &model.InboxMessage{Workspace: "acme", Connection: "bench", Provider: "courier", DedupKey: fmt.Sprintf("backlog-%d", depth), Body: []byte("{}")}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ProcessInbox(c, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
			for subject := range backlogSubjects {
				if err := tx.AppendFeed(ctx, &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentEventAdded, SubjectID: int64(subject + 1), OccurredAt: time.Now(), Data: []byte(`{"n":1}`)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	heads, err := s.ClaimDeliveries(c, 2*backlogSubjects, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if len(heads) != backlogSubjects {
		b.Fatalf("claimed %d heads, want %d", len(heads), backlogSubjects)
	}
	now := time.Now()
	results := make([]store.AttemptResult, 0, len(heads))
	for _, j := range heads {
		results = append(results, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: e.ID, Status: model.DeliveryPending, NextAttemptAt: now.Add(time.Hour),
			Attempt: model.DeliveryAttempt{AttemptedAt: now, StatusCode: 503, Error: "HTTP 503"}})
	}
	if _, err := s.RecordAttempts(c, results); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaimBacklog measures one claim cycle while a failing endpoint
// has a backlog (backlogSubjects shipments, each with backlogDepth-1
// deliveries waiting behind a head that retries in an hour): ClaimDeliveries
// on s, against LegacyClaimSQL run through legacyDB on legacy, a second store
// seeded the same way. bind adapts the legacy SQL's placeholders. It
// reports the time of one cycle of each and their ratio.
func BenchmarkClaimBacklog(b *testing.B, s, legacy store.Store, legacyDB *sql.DB, bind func(string) string) {
	seedBacklog(b, s)
	seedBacklog(b, legacy)
	c := context.Background()
	// The first claims park the backlog (at most parkBatch rows each); the
	// cycles measured come after.
	for range 10 {
		if _, err := s.ClaimDeliveries(c, 100, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	old := LegacyClaimSQL
	var oldTime, newTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		now := time.Now().UnixMicro()
		ids, err := legacyClaim(c, legacyDB, bind, old, now, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) != 0 {
			b.Fatalf("the legacy claim took %d deliveries; nothing is due", len(ids))
		}
		t1 := time.Now()
		jobs, err := s.ClaimDeliveries(c, 100, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(jobs) != 0 {
			b.Fatalf("claimed %d deliveries; nothing is due", len(jobs))
		}
		oldTime += t1.Sub(t0)
		newTime += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(oldTime.Microseconds())/n, "legacy-µs/claim")
	b.ReportMetric(float64(newTime.Microseconds())/n, "parked-µs/claim")
	b.ReportMetric(float64(oldTime)/float64(newTime), "legacy/parked")
}

// BenchmarkClaimHealthy times claims of 100 from a healthy backlog: one
// endpoint with 20,000 due deliveries, each of its own shipment, so every
// one is claimable. Parking must cost next to nothing here. Each round
// claims 100 on both stores (seeded the same) and, untimed, records them
// delivered, so run it with -benchtime of at most 200x.
func BenchmarkClaimHealthy(b *testing.B, s, legacy store.Store, legacyDB *sql.DB, bind func(string) string) {
	const n = 20000
	for _, st := range []store.Store{s, legacy} {
		c := context.Background()
		e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		if err := st.CreateEndpoint(c, e); err != nil {
			b.Fatal(err)
		}
		if err := st.AppendFeedEvents(c, healthyFeed(n)); err != nil {
			b.Fatal(err)
		}
	}
	c := context.Background()
	old := LegacyClaimSQL
	var oldTime, newTime time.Duration
	rounds := 0
	b.ResetTimer()
	for b.Loop() {
		if rounds++; rounds > n/100 {
			b.Fatal("the backlog is used up: lower -benchtime")
		}
		t0 := time.Now()
		now := time.Now().UnixMicro()
		ids, err := legacyClaim(c, legacyDB, bind, old, now, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) != 100 {
			b.Fatalf("the legacy claim took %d deliveries, want 100", len(ids))
		}
		t1 := time.Now()
		jobs, err := s.ClaimDeliveries(c, 100, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(jobs) != 100 {
			b.Fatalf("claimed %d deliveries, want 100", len(jobs))
		}
		oldTime += t1.Sub(t0)
		newTime += time.Since(t1)
		// Deliver them, as the sender would, before the next cycle.
		b.StopTimer()
		delivered(b, legacy, ids)
		var mine []int64
		for _, j := range jobs {
			mine = append(mine, j.Delivery.ID)
		}
		delivered(b, s, mine)
		b.StartTimer()
	}
	k := float64(b.N)
	b.ReportMetric(float64(oldTime.Microseconds())/k, "legacy-µs/claim")
	b.ReportMetric(float64(newTime.Microseconds())/k, "parked-µs/claim")
	b.ReportMetric(float64(oldTime)/float64(newTime), "legacy/parked")
}

// delivered records ids as delivered to endpoint 1, the only one.
func delivered(b *testing.B, s store.Store, ids []int64) {
	b.Helper()
	now := time.Now()
	rs := make([]store.AttemptResult, 0, len(ids))
	for _, id := range ids {
		rs = append(rs, store.AttemptResult{DeliveryID: id, EndpointID: 1, Status: model.DeliverySucceeded, Healthy: true,
			Attempt: model.DeliveryAttempt{AttemptedAt: now, StatusCode: 204}})
	}
	if _, err := s.RecordAttempts(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
}

// healthyFeed is n feed entries of n different shipments.
func healthyFeed(n int) []*model.FeedEvent {
	out := make([]*model.FeedEvent, n)
	for i := range out {
		out[i] = &model.FeedEvent{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: int64(i + 1), OccurredAt: time.Now(), Data: []byte(`{"n":1}`)}
	}
	return out
}

// BenchmarkDeliveryCycle measures the store's share of delivering one event
// as the webhook sender runs it: claim a batch of due deliveries, then
// record every one delivered, with one endpoint and three events per
// shipment (so a shipment's next delivery is due only after the previous
// one is recorded, as in the end-to-end benchmark). Each sub-benchmark
// claims batches of its size; it reports the store time per delivered
// event, and the process CPU time per event (user and system, from
// getrusage), which moves less than the time when the machine is shared.
// The queue is refilled, untimed, when it runs dry.
func BenchmarkDeliveryCycle(b *testing.B, open func(b *testing.B) store.Store) {
	for _, batch := range []int{8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := open(b)
			c := context.Background()
			e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
			if err := s.CreateEndpoint(c, e); err != nil {
				b.Fatal(err)
			}
			const subjects = 2000
			next := int64(0)
			refill := func() {
				feed := make([]*model.FeedEvent, 0, 3*subjects)
				for i := range subjects {
					id := next + int64(i) + 1
					data := []byte(`{"shipment":{"id":` + fmt.Sprint(id) + `,"status":"in_transit","tracking_number":"BNCH` + fmt.Sprint(id) + `"}}`)
					for _, typ := range []string{model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentStatusChanged} {
						feed = append(feed, &model.FeedEvent{Workspace: "acme", Type: typ, SubjectID: id, OccurredAt: time.Now(), Data: data})
					}
				}
				next += subjects
				for start := 0; start < len(feed); start += 500 {
					if err := s.AppendFeedEvents(c, feed[start:min(start+500, len(feed))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			delivered := 0
			var spent, cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				jobs, err := s.ClaimDeliveries(c, batch, time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if len(jobs) == 0 {
					spent, cpu = spent+time.Since(t0), cpu+cpuTime()-c0
					b.StopTimer()
					refill()
					b.StartTimer()
					continue
				}
				if _, err := s.RecordAttempts(c, succeeded(jobs)); err != nil {
					b.Fatal(err)
				}
				spent, cpu = spent+time.Since(t0), cpu+cpuTime()-c0
				delivered += len(jobs)
			}
			if delivered > 0 {
				b.ReportMetric(float64(spent.Microseconds())/float64(delivered), "µs/event")
				b.ReportMetric(float64(cpu.Microseconds())/float64(delivered), "cpu-µs/event")
			}
		})
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// succeeded is a result for each claimed job, as the worker records an
// endpoint's 200 at once: the delivery benchmarks' record.
func succeeded(jobs []*store.DeliveryJob) []store.AttemptResult {
	now := time.Now()
	rs := make([]store.AttemptResult, 0, len(jobs))
	for _, j := range jobs {
		rs = append(rs, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: j.Endpoint.ID, Status: model.DeliverySucceeded, Healthy: true,
			Attempt: model.DeliveryAttempt{AttemptedAt: now, DurationMS: 1.5, StatusCode: 200}})
	}
	return rs
}

// BenchmarkInsertShipments times what applying a new courier shipment asks
// of the store: the shipment and its first event inserted, eight
// shipments to a transaction (the pipeline's batch while appends wait for
// SQLite's writer). It reports the process's CPU per shipment, which moves
// less than the elapsed time on a shared machine.
func BenchmarkInsertShipments(b *testing.B, s store.Store) {
	benchmarkNewShipments(b, s, false)
}

// BenchmarkApplyNewShipments applies new shipments as the pipeline does a
// courier message about a parcel it has not seen: the shipment is
// inserted, its first event added, and the shipment updated with the
// status that event gives it; eight a transaction.
func BenchmarkApplyNewShipments(b *testing.B, s store.Store) {
	benchmarkNewShipments(b, s, true)
}

// benchmarkNewShipments inserts new shipments with their first events,
// eight a transaction, and with update, updates each with the status its
// event gives it.
func benchmarkNewShipments(b *testing.B, s store.Store, update bool) {
	const perTx = 8
	run := benchRun.Add(1)
	ctx := context.Background()
	for i := range b.N/perTx + 1 {
		m := &model.InboxMessage{Workspace: "bench", Connection: "courier", Provider: "courier", Source: model.SourceWebhook,
			DedupKey: fmt.Sprintf("new-%d-%d", run, i), ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: base}
		if _, _, err := s.AppendInbox(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for done := 0; done < b.N; {
		n := min(perTx, b.N-done)
		if _, err := s.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
			for i := range n {
				sh := shipment("bench", "courier", fmt.Sprintf("ORD-%d-%d", run, done+i), fmt.Sprintf("BC-%d-%d", run, done+i))
				if err := tx.InsertShipment(ctx, sh); err != nil {
					return err
				}
				e := &model.Event{Status: model.StatusInTransit, ProviderCode: "A02", Labels: map[string]string{"nl": "Gescand in het depot"},
					OccurredAt: base, Source: model.SourceWebhook, DedupKey: "A02", RecordedAt: base}
				if inserted, err := tx.InsertEvent(ctx, sh.ID, e); err != nil || !inserted {
					return fmt.Errorf("inserting the event: inserted %v, %w", inserted, err)
				}
				if !update {
					continue
				}
				sh.Status, sh.EventID, sh.UpdatedAt = model.StatusInTransit, e.ID, base
				if err := tx.UpdateShipment(ctx, sh); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/shipment")
}

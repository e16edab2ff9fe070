package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// benchRun keeps benchmark keys unique across b.N rounds on the same store.
var benchRun atomic.Int64

// BenchmarkAppendInbox appends distinct ~1 KiB messages from 64 goroutines
// per GOMAXPROCS, as a burst of webhooks would, and reports appends per
// second and the p50 and p99 latency of one append.
func BenchmarkAppendInbox(b *testing.B, s store.Store) {
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
				DedupKey: fmt.Sprintf("bench-%d-%d", run, seq.Add(1)), ContentType: "application/json",
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

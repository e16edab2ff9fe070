package gcl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/gcl"
	"github.com/shiphub/shiphub/internal/sim/gclsim"
)

// BenchmarkDecodeNormalize is the CPU cost of understanding one answer:
// decoding the document's example (7 checkpoints), deriving its status for
// the schedule and normalising it into a shipment update.
func BenchmarkDecodeNormalize(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "document-example.json"))
	require.NoError(b, err)
	c := connector(b, nil)
	m := &model.InboxMessage{Body: body, Meta: map[string]string{gcl.MetaTrackingNumber: "EXMPL0001234TRCKNUM"}}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r, _, err := gcl.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		gcl.Summarize(r)
		if _, err := shipments(c.Normalize(m)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPollApply is one poll's whole cost in the hub, without the
// network: decode and summarise the answer, commit it to the inbox (SQLite,
// synchronous=NORMAL), normalise it and apply it (shipment, new events,
// feed) and save the tracker's schedule. Every answer is a new state of a
// parcel, so each adds a checkpoint.
func BenchmarkPollApply(b *testing.B) {
	clk := newClock(t0)
	h := newHub(b, clk, nil, gclsim.Config{Step: time.Hour})
	ctx := context.Background()
	tr := &model.Tracker{Workspace: "acme", Connection: "gcl", TrackingNumber: "BENCH", NextPollAt: ptr(t0)}
	_, err := h.store.CreateTracker(ctx, tr)
	require.NoError(b, err)
	i := 0
	for b.Loop() {
		// Parcel i/6 at its step i%6: every answer is new and adds a checkpoint.
		b.StopTimer()
		number := fmt.Sprintf("BENCH%07d", i/6)
		body, _ := json.Marshal(h.sim.Tracking(number, t0, t0.Add(time.Duration(i%6)*time.Hour)))
		i++
		b.StartTimer()
		r, _, err := gcl.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		gcl.Summarize(r)
		if _, _, err := h.store.AppendInbox(ctx, &model.InboxMessage{
			Workspace: "acme", Connection: "gcl", Provider: "gcl", Source: model.SourcePoll,
			DedupKey: gcl.DedupKey(body), ContentType: "application/json", Body: body,
			Meta: map[string]string{gcl.MetaTrackingNumber: number},
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := h.pipe.Drain(ctx); err != nil {
			b.Fatal(err)
		}
		tr.Polls++
		if err := h.store.SaveTrackerPoll(ctx, tr); err != nil {
			b.Fatal(err)
		}
	}
}

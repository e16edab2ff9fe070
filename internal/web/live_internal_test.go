package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

func TestLiveThrottleLimitsFeedLinesAndResourceEvents(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	item := func(res string, id int64) *liveItem {
		return &liveItem{Type: res + ".x", Subject: id, Resource: res, HTML: fmt.Sprintf("<li>%d</li>", id)}
	}
	th := newLiveThrottle()
	var sent []sseMessage
	for i := range 25 {
		sent = append(sent, th.add(t0.Add(time.Duration(i)*10*time.Millisecond), item("shipment", int64(i+1)))...)
	}
	count := func(msgs []sseMessage, event string) (n int) {
		for _, m := range msgs {
			if m.event == event {
				n++
			}
		}
		return n
	}
	require.Equal(t, liveFeedPerSecond, count(sent, "feed"), "at most 10 feed lines in a second")
	require.Equal(t, []sseMessage{{event: "shipment", data: "1"}}, coreFilter(sent, "shipment"), "one shipment event in the second, at once")

	// Before the second is over nothing more goes out.
	require.Empty(t, th.flush(t0.Add(900*time.Millisecond)))
	// After it, the held-back lines are summed up and the newest subject is sent.
	later := th.flush(t0.Add(time.Second))
	require.Equal(t, []sseMessage{{event: "shipment", data: "25"}}, coreFilter(later, "shipment"))
	feed := coreFilter(later, "feed")
	require.Len(t, feed, 1)
	require.Contains(t, feed[0].data, "… and 15 more")
	require.Empty(t, th.flush(t0.Add(1500*time.Millisecond)), "nothing is sent twice")

	// Resources are throttled each on their own.
	th = newLiveThrottle()
	out := append(th.add(t0, item("order", 1)), th.add(t0, item("stock", 2))...)
	require.Equal(t, []sseMessage{{event: "order", data: "1"}, {event: "stock", data: "2"}}, append(coreFilter(out, "order"), coreFilter(out, "stock")...))
}

func coreFilter(msgs []sseMessage, event string) []sseMessage {
	var out []sseMessage
	for _, m := range msgs {
		if m.event == event {
			out = append(out, m)
		}
	}
	return out
}

func TestASlowSubscriberIsDroppedAndTheOthersGoOn(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	l := NewLive(LiveConfig{Store: st, Poll: 5 * time.Millisecond, Buffer: 3})
	l.Start(context.Background())
	t.Cleanup(l.Stop)
	ctx := context.Background()
	slow, _, err := l.subscribe(ctx, "acme")
	require.NoError(t, err)
	fast, _, err := l.subscribe(ctx, "acme")
	require.NoError(t, err)

	var events []*model.FeedEvent
	for i := range 5 {
		events = append(events, &model.FeedEvent{Workspace: "acme", Type: model.EventStockChanged, SubjectID: int64(i + 1), OccurredAt: time.Now(), Data: []byte(`{"sku":"SKU-1"}`)})
	}
	// The fast one reads as they come; the slow one reads nothing. The
	// second batch (3) fits the fast one's buffer, not what is left of the
	// slow one's.
	got := 0
	deadline := time.After(10 * time.Second)
	require.NoError(t, st.AppendFeedEvents(ctx, events[:2]))
	for got < 2 {
		select {
		case it := <-fast.items:
			require.Contains(t, it.HTML, "SKU-1")
			got++
		case <-deadline:
			t.Fatal("the fast liveSubscriber got nothing")
		}
	}
	require.NoError(t, st.AppendFeedEvents(ctx, events[2:]))
	select {
	case <-slow.gone:
	case <-deadline:
		t.Fatal("the slow liveSubscriber was not dropped")
	}
	for got < 5 {
		select {
		case <-fast.items:
			got++
		case <-deadline:
			t.Fatalf("the fast liveSubscriber stopped at %d", got)
		}
	}
	l.unsubscribe("acme", slow) // after a drop, a no-op
	l.unsubscribe("acme", fast)
	l.mu.Lock()
	require.Empty(t, l.follows, "the last liveSubscriber gone, the liveFollower stops")
	l.mu.Unlock()
}

func TestSubjectReference(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ data, want string }{
		{`{"shipment":{"provider_ref":"A1","tracking_number":"3S1"}}`, "A1 · 3S1"},
		{`{"shipment":{"provider_ref":"A1","tracking_number":"A1"}}`, "A1"},
		{`{"order":{"reference":"SO-1"}}`, "SO-1"},
		{`{"sku":"SKU-9","warehouse":"W1"}`, "SKU-9"},
		{`{"reference":"RMA-3"}`, "RMA-3"},
		{`{"kind":"order.create"}`, "order.create"},
		{`{}`, ""},
		{`not json`, ""},
		{``, ""},
	} {
		require.Equal(t, c.want, subjectReference([]byte(c.data)), c.data)
	}
}

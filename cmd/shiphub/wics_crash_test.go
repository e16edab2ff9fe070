package main

import (
	"context"
	"net/http"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store/open"
)

// recordWICSStream records a stream of the WICS simulator (see recordWICS).
func recordWICSStream(t *testing.T, orders int, seed int64) []wicsMessage {
	t.Helper()
	msgs, err := recordWICS(context.Background(), orders, 1, seed)
	require.NoError(t, err)
	return msgs
}

// sendWICS posts one message; it is for goroutines and returns the error.
func sendWICS(h *hub, m wicsMessage) (int, error) {
	status, _, err := tryDo(http.MethodPost, h.URL+"/hooks/acme/wics/"+m.topic, wicsAuth, string(m.body))
	return status, err
}

// sendAll sends each sender's messages in order, the senders concurrently,
// and returns the first error.
func sendAll(h *hub, lanes [][]wicsMessage) error {
	errs := make(chan error, len(lanes))
	var wg sync.WaitGroup
	for _, lane := range lanes {
		wg.Go(func() {
			for _, m := range lane {
				status, err := sendWICS(h, m)
				if err == nil && status != http.StatusOK {
					err = &wicssim.HTTPError{StatusCode: status}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// appliedCount reads how many wics messages this hub process has applied
// (shiphub_pipeline_messages_total{provider="wics",result="applied"}).
func appliedCount(t *testing.T, h *hub) int {
	t.Helper()
	status, body := do(t, http.MethodGet, h.URL+"/metrics", nil, "")
	require.Equal(t, http.StatusOK, status)
	const series = `shiphub_pipeline_messages_total{provider="wics",result="applied"} `
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series); ok {
			n, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return int(n)
		}
	}
	return 0
}

// TestWICSCrashLosesNothingAcknowledged kills the hub with SIGKILL while
// eight senders post a mixed WICS stream (every topic, from the simulator).
// After a restart on the same database each sender resends what had no
// answer and the rest of its messages, and some acknowledged messages are
// sent again, as WICS's retries would. Nothing acknowledged is lost and
// nothing is applied twice: the resources and the feed are those of a
// clean run of the same stream on another hub.
func TestWICSCrashLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	msgs := recordWICSStream(t, 50, 11)
	counts := map[string]int{}
	for _, m := range msgs {
		counts[m.topic]++
	}
	for _, topic := range wicsTopics {
		require.Positive(t, counts[topic], "the stream has %s messages", topic)
	}
	const senders = 8
	lanes := partitionWICS(msgs, senders)

	dir := t.TempDir()
	database := "sqlite:" + filepath.Join(dir, "hub.db")
	cfgPath := writeWICSConfig(t, dir, database)
	h := startHub(t, cfgPath)

	var (
		acked atomic.Int64
		sent  = make([]int, senders) // per lane: messages answered 200
		ackd  []wicsMessage
		mu    sync.Mutex
		wg    sync.WaitGroup
	)
	for i, lane := range lanes {
		wg.Go(func() {
			for _, m := range lane {
				status, err := sendWICS(h, m)
				if err != nil || status != http.StatusOK {
					return // the hub is gone: stop, and retry later as WICS does
				}
				mu.Lock()
				sent[i]++
				ackd = append(ackd, m)
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	eventually(t, 30*time.Second, "a third of the stream acknowledged", func() bool { return acked.Load() >= int64(len(msgs)/3) })
	h.kill(t)
	wg.Wait()
	require.Less(t, int(acked.Load()), len(msgs), "the hub was killed mid-stream")
	t.Logf("%d of %d messages acknowledged before the kill", acked.Load(), len(msgs))

	h = startHub(t, cfgPath)
	// Some acknowledged messages again (an answer lost on the way): they
	// must be acknowledged as duplicates.
	for _, m := range ackd[:min(30, len(ackd))] {
		status, body, err := tryDo(http.MethodPost, h.URL+"/hooks/acme/wics/"+m.topic, wicsAuth, string(m.body))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.Contains(t, string(body), `"duplicate"`)
	}
	// Each sender resends from its first unacknowledged message on (the one
	// in flight at the kill may or may not have been committed).
	rest := make([][]wicsMessage, senders)
	for i := range lanes {
		rest[i] = lanes[i][sent[i]:]
	}
	require.NoError(t, sendAll(h, rest))

	// The same stream, whole, on a hub that is not killed.
	cleanDir := t.TempDir()
	clean := startHub(t, writeWICSConfig(t, cleanDir, "sqlite:"+filepath.Join(cleanDir, "hub.db")))
	require.NoError(t, sendAll(clean, lanes))
	eventually(t, 30*time.Second, "the clean run applied", func() bool { return appliedCount(t, clean) == len(msgs) })
	want, wantFeed := readWICSState(t, clean), feedCounts(t, clean)
	require.Equal(t, counts["stockmutation"], want.Mutations)
	t.Logf("the stream: %v; its feed: %v", counts, wantFeed)

	var got wicsState
	eventually(t, 30*time.Second, "the resources and feed of the clean run", func() bool {
		got = readWICSState(t, h)
		return reflect.DeepEqual(want, got) && reflect.DeepEqual(wantFeed, feedCounts(t, h))
	})
	feed := feedCounts(t, h)
	require.Equal(t, counts["stockmutation"], feed[model.EventStockMutationAdded])
	require.Equal(t, counts["receipt"], feed[model.EventInboundReceived])
	require.Equal(t, counts["rma"], feed[model.EventReturnCreated])
	require.Equal(t, counts["shipment"], feed[model.EventShipmentCreated])
	require.Equal(t, len(got.Orders), feed[model.EventOrderCreated])

	h.kill(t)
	st, err := open.Open(context.Background(), database)
	require.NoError(t, err)
	defer st.Close()
	stats, err := st.InboxStats(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(len(msgs)), stats.Total, "one inbox message per distinct webhook")
	require.Zero(t, stats.Pending)
	require.Zero(t, stats.Failed)
}

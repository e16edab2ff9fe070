package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// crashMessage is one courier update of the crash test: each order gets two.
type crashMessage struct {
	order, code, statustime string
}

func (m crashMessage) query() string {
	return url.Values{"order": {m.order}, "status": {"PROCESSING"}, "statuscode": {m.code}, "statustime": {m.statustime}}.Encode()
}

// TestCrashLosesNothingAcknowledged kills the hub with SIGKILL while
// webhooks are being acknowledged under concurrent load. After a restart,
// and after the senders retried what they had no answer for (as providers
// do), every acknowledged message is in the API, and none twice.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"))
	h := startHub(t, cfgPath)

	const senders = 16
	codes := []string{"take", "DEPOT_OUT"}
	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	var (
		mu     sync.Mutex
		acked  []crashMessage
		unsure []crashMessage // sent, but the answer never came
		count  atomic.Int64
		wg     sync.WaitGroup
	)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; seq < 100000; seq++ {
				m := crashMessage{
					order:      fmt.Sprintf("ASK%02d%07d", s, seq/2),
					code:       codes[seq%2],
					statustime: base.Add(time.Duration(seq) * time.Minute).Format("20060102150405"),
				}
				req, _ := http.NewRequest(http.MethodGet, h.URL+"/hooks/acme/courier?"+m.query(), nil)
				req.Header.Set("X-API-KEY", courierKey)
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				mu.Lock()
				if err != nil || resp.StatusCode != http.StatusOK {
					unsure = append(unsure, m)
					mu.Unlock()
					return // the hub is gone: stop, as a provider would, and retry later
				}
				acked = append(acked, m)
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	eventually(t, 60*time.Second, "1500 acknowledged messages", func() bool { return count.Load() >= 1500 })
	h.kill(t)
	wg.Wait()
	t.Logf("acknowledged %d messages before the crash; %d were in flight", len(acked), len(unsure))

	h = startHub(t, cfgPath)
	// The providers retry what they had no answer for, and some retry what
	// was acknowledged (a lost response); both must be acknowledged.
	retries := append(append([]crashMessage{}, unsure...), acked[:50]...)
	for _, m := range retries {
		status, body := do(t, http.MethodGet, h.URL+"/hooks/acme/courier?"+m.query(), courierHeader, "")
		require.Equal(t, http.StatusOK, status, "%s", body)
	}

	want := expectedCodes(append(acked, unsure...))

	require.Equal(t, want, waitApplied(t, h, want, 60*time.Second), "every acknowledged message exactly once")
}

// listAll pages through every shipment of the acme workspace.
func listAll(t *testing.T, h *hub) []model.Shipment {
	t.Helper()
	var all []model.Shipment
	cursor := ""
	for {
		var page shipmentList
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?limit=200&cursor="+url.QueryEscape(cursor), &page))
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// expectedCodes maps each order to the sorted status codes sent for it.
func expectedCodes(msgs []crashMessage) map[string][]string {
	want := map[string][]string{}
	for _, m := range msgs {
		want[m.order] = append(want[m.order], m.code)
	}
	for _, c := range want {
		sort.Strings(c)
	}
	return want
}

// waitApplied reads every shipment's events through the API until they are
// want (order -> sorted status codes) or the timeout passes, and returns
// what it read last. The pipeline applies asynchronously, so it polls.
func waitApplied(t *testing.T, h *hub, want map[string][]string, timeout time.Duration) map[string][]string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := map[string][]string{}
		for _, s := range listAll(t, h) {
			var full model.Shipment
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/shipments/%d", s.ID), &full))
			for _, e := range full.Events {
				got[full.ProviderRef] = append(got[full.ProviderRef], e.ProviderCode)
			}
		}
		for _, c := range got {
			sort.Strings(c)
		}
		if reflect.DeepEqual(want, got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

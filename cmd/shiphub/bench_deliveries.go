package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// deliveryBench measures merchant webhook delivery: a hub with one endpoint
// on a loopback receiver, fed by courier webhooks that each create a new
// shipment (three feed events: created, event_added, status_changed).
type deliveryBench struct {
	received atomic.Int64
	mu       sync.Mutex
	sentAt   map[string]time.Time // order → when its webhook was sent
	lat      []time.Duration      // inbound send → status_changed delivered
	last     atomic.Int64         // unix nanos of the latest delivery
}

// ServeHTTP is the merchant's receiver: it counts deliveries and, for the
// last event of each message, the end-to-end latency.
func (b *deliveryBench) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	b.received.Add(1)
	b.last.Store(now.UnixNano())
	if bytes.Contains(body, []byte(`"type":"shipment.status_changed"`)) {
		if i := bytes.Index(body, []byte(`"provider_ref":"`)); i >= 0 {
			rest := body[i+len(`"provider_ref":"`):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				order := string(rest[:j])
				b.mu.Lock()
				if t, ok := b.sentAt[order]; ok {
					b.lat = append(b.lat, now.Sub(t))
					delete(b.sentAt, order)
				}
				b.mu.Unlock()
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func runDeliveryBench(ctx context.Context, database string, duration time.Duration, concurrency, rate int, stdout, stderr io.Writer) error {
	bench := &deliveryBench{sentAt: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	recv := &http.Server{Handler: bench, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = recv.Serve(ln) }()
	defer recv.Close()

	if database == "" {
		dir, remove, err := tempDir("shiphub-bench-")
		if err != nil {
			return err
		}
		defer remove()
		database = tempSQLite(dir)
	}
	key := randomHex(16)
	srv, err := startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: database,
		Log:      config.Log{Level: "error"},
		Outbound: config.Outbound{AllowPrivateNetworks: true},
		Workspaces: []config.Workspace{{
			ID: "bench", APIKeys: []string{"bench_" + randomHex(16)},
			Connections: []config.Connection{{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": key}}},
			Endpoints:   []config.Endpoint{{URL: "http://" + ln.Addr().String() + "/hooks", Events: []string{"*"}}},
		}},
	}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)
	hook := srv.URL() + "/hooks/bench/courier"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency}}
	var seq atomic.Int64
	send := func(track bool) error {
		n := seq.Add(1)
		order := fmt.Sprintf("DLV%09d", n)
		q := url.Values{"order": {order}, "status": {"PROCESSING"}, "statuscode": {"take"},
			"statustime": {time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second).Format("20060102150405")}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hook+"?"+q.Encode(), nil)
		req.Header.Set("X-API-KEY", key)
		if track {
			bench.mu.Lock()
			bench.sentAt[order] = time.Now()
			bench.mu.Unlock()
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook answered %d", resp.StatusCode)
		}
		return nil
	}
	waitDelivered := func(want int64, limit time.Duration) bool {
		deadline := time.Now().Add(limit)
		for bench.received.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		return bench.received.Load() >= want
	}

	// Throughput: inbound webhooks as fast as they are acknowledged, then
	// until every resulting delivery has arrived.
	fmt.Fprintf(stdout, "shiphub bench --deliveries: %d concurrent courier webhooks for %s, one endpoint on %s (%s)\n",
		concurrency, duration, ln.Addr(), postgres.Redact(database))
	var sent, failed atomic.Int64
	runCtx, cancel := context.WithTimeout(ctx, duration)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				if err := send(false); err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	cancel()
	ingested := time.Since(start)
	feed := sent.Load() * 3
	if !waitDelivered(feed, 5*time.Minute) {
		return fmt.Errorf("only %d of %d deliveries arrived", bench.received.Load(), feed)
	}
	total := time.Unix(0, bench.last.Load()).Sub(start)
	fmt.Fprintf(stdout, "  throughput: %d webhooks in %.1fs (%d failed) -> %d deliveries in %.1fs = %.0f deliveries/s (sustained from the first webhook to the last delivery)\n",
		sent.Load(), ingested.Seconds(), failed.Load(), bench.received.Load(), total.Seconds(), float64(bench.received.Load())/total.Seconds())

	// Latency: a steady rate of webhooks, each timed from sending it to the
	// delivery of its last event (shipment.status_changed).
	before := bench.received.Load()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	latEnd := time.Now().Add(duration)
	var lsent atomic.Int64
	for time.Now().Before(latEnd) && ctx.Err() == nil {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			if send(true) == nil {
				lsent.Add(1)
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	waitDelivered(before+lsent.Load()*3, time.Minute)
	bench.mu.Lock()
	lat := slices.Clone(bench.lat)
	bench.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Fprintf(stdout, "  end-to-end at %d webhooks/s (%d deliveries/s) for %s: %d measured, p50 %s, p99 %s, max %s (inbound webhook sent -> its last event delivered)\n",
		rate, rate*3, duration, len(lat), pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), pct(1).Round(100*time.Microsecond))
	return nil
}

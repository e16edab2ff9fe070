package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// wicsMessage is one webhook of a recorded WICS stream: its topic's path
// name and its body, byte for byte.
type wicsMessage struct {
	topic string
	body  []byte
}

// subject is what a message is about: its order reference, announcement
// reference or item code, else its topic (the Receipt example's trailing
// comma makes it invalid JSON to a strict decoder). Messages of one subject
// are sent by one sender in stream order, so that every run sees each
// resource's messages in the same order: WICS's status topics carry no time
// of their own, and the hub versions them by arrival.
func (m wicsMessage) subject() string {
	var v map[string]any
	if json.Unmarshal(m.body, &v) == nil {
		for _, k := range []string{"orderReference", "reference", "itemCode"} {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return m.topic
}

// partitionWICS deals messages out to n senders by subject, keeping stream
// order within each sender's share.
func partitionWICS(msgs []wicsMessage, n int) [][]wicsMessage {
	out := make([][]wicsMessage, n)
	for _, m := range msgs {
		h := fnv.New32a()
		h.Write([]byte(m.subject()))
		i := int(h.Sum32() % uint32(n))
		out[i] = append(out[i], m)
	}
	return out
}

// recordWICS records the WICS simulators' stream (see wicssim.Record):
// simulators of seeds seed, seed+1, …, orders order lives in all, each
// opening with the document's nine examples; the distinct messages in the
// order they came.
func recordWICS(ctx context.Context, orders, simulators int, seed int64) ([]wicsMessage, error) {
	rec, err := wicssim.Record(ctx, wicssim.RecordConfig{Orders: orders, Simulators: simulators, Seed: seed})
	if err != nil {
		return nil, err
	}
	msgs := make([]wicsMessage, len(rec))
	for i, m := range rec {
		msgs[i] = wicsMessage{topic: m.Topic, body: m.Body}
	}
	return msgs, nil
}

// phaseResult is what one sending phase of the WICS bench measured.
type phaseResult struct {
	acked, failed int64
	sending       time.Duration // first send to last answer
	applied       time.Duration // first send to nothing pending in the inbox
	backlog       int64         // messages pending when sending ended
	latencies     []time.Duration
}

func (r phaseResult) ackRate() float64   { return float64(r.acked) / r.sending.Seconds() }
func (r phaseResult) applyRate() float64 { return float64(r.acked) / r.applied.Seconds() }

func (r phaseResult) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))].Round(10 * time.Microsecond)
}

// String is the phase's report line.
func (r phaseResult) String() string {
	return fmt.Sprintf("%d acknowledged, %d failed in %s = %.0f msg/s (ack p50 %s p90 %s p99 %s max %s); "+
		"all applied %s after the first send = %.0f msg/s (%d were pending when sending ended)",
		r.acked, r.failed, r.sending.Round(time.Millisecond), r.ackRate(), r.pct(0.5), r.pct(0.9), r.pct(0.99), r.pct(1),
		r.applied.Round(time.Millisecond), r.applyRate(), r.backlog)
}

// runPhase sends every lane's requests in order, the lanes concurrently,
// and then waits until the hub's inbox has nothing pending.
func runPhase(ctx context.Context, srv *server.Server, client *http.Client, lanes [][]func() *http.Request) (phaseResult, error) {
	var (
		res           phaseResult
		mu            sync.Mutex
		wg            sync.WaitGroup
		acked, failed atomic.Int64
	)
	start := time.Now()
	for _, lane := range lanes {
		wg.Go(func() {
			local := make([]time.Duration, 0, len(lane))
			for _, build := range lane {
				if ctx.Err() != nil {
					break
				}
				req := build()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
				acked.Add(1)
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.sending = time.Since(start)
	res.acked, res.failed = acked.Load(), failed.Load()
	slices.Sort(res.latencies)
	for first := true; ; first = false {
		st, err := srv.Store.InboxStats(ctx)
		if err != nil {
			return res, err
		}
		if first {
			res.backlog = st.Pending
		}
		if st.Pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	res.applied = time.Since(start)
	return res, nil
}

// runWICSBench measures the WICS webhooks: a stream of every topic,
// recorded from the WICS simulator, posted by concurrent senders (each
// subject's messages in order by one sender) with the document's Basic
// header; every 200 means the message is committed to the inbox. It
// reports acknowledged webhooks per second and the apply rate of the mixed
// topics (messages over the time from the first send until the inbox has
// nothing pending), then, as a baseline on the same hub, the same number of
// courier URL/GET webhooks measured the same way, and the ratios.
func runWICSBench(ctx context.Context, database string, orders, concurrency int, stdout, stderr io.Writer) error {
	if orders < 1 || concurrency < 1 {
		return errors.New("bench --wics: --orders and --concurrency must be at least 1")
	}
	msgs, err := recordWICS(ctx, orders, 4, 1)
	if err != nil {
		return err
	}
	if database == "" {
		dir, remove, err := tempDir("shiphub-bench-")
		if err != nil {
			return err
		}
		defer remove()
		database = tempSQLite(dir)
	}
	courierKey, wicsKey, wicsSecret := randomHex(16), "bench-"+randomHex(8), randomHex(16)
	srv, err := startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: database,
		Log:      config.Log{Level: "error"},
		Workspaces: []config.Workspace{{
			ID: "bench", APIKeys: []string{"bench_" + randomHex(16)},
			Connections: []config.Connection{
				{ID: "wics", Provider: "wics", Settings: map[string]any{
					"base_url": "https://test.servicelayer.wics.nl", "api_key": wicsKey, "api_secret": wicsSecret,
					"reconcile": false, "manage_subscriptions": false}},
				{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": courierKey}},
			},
		}},
	}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency},
	}
	topics := map[string]int{}
	for _, m := range msgs {
		topics[m.topic]++
	}
	parts := make([]string, 0, len(topics))
	for _, t := range wicssim.Topics() {
		parts = append(parts, fmt.Sprintf("%s %d", t, topics[t]))
	}
	fmt.Fprintf(stdout, "shiphub bench --wics: %d WICS webhooks of %d orders (%s), %d concurrent senders, against %s (%s)\n",
		len(msgs), orders, strings.Join(parts, ", "), concurrency, srv.Addr(), postgres.Redact(database))

	hook := srv.URL() + "/hooks/bench/wics/"
	auth := "Basic " + wicsKey + ":" + wicsSecret
	wicsLanes := make([][]func() *http.Request, concurrency)
	for i, lane := range partitionWICS(msgs, concurrency) {
		for _, m := range lane {
			wicsLanes[i] = append(wicsLanes[i], func() *http.Request {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hook+m.topic, bytes.NewReader(m.body))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				return req
			})
		}
	}
	wics, err := runPhase(ctx, srv, client, wicsLanes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wics: %s\n", wics)

	// The baseline: as many courier webhooks, five statuses per order.
	codes := []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "DELIVERED"}
	courierHook := srv.URL() + "/hooks/bench/courier?"
	courierLanes := make([][]func() *http.Request, concurrency)
	statustime := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	for n := range len(msgs) {
		w, i := n%concurrency, n/concurrency
		q := url.Values{
			"order":      {fmt.Sprintf("ASK%03d%06d", w, i/len(codes))},
			"status":     {"PROCESSING"},
			"statuscode": {codes[i%len(codes)]},
			"statustime": {statustime.Add(time.Duration(i) * time.Minute).Format("20060102150405")},
			"statusNL":   {"Mee met koerier"}, "statusEN": {"Taken by courier"}, "statusFR": {"En route avec courier"},
			"barcode": {""}, "container": {""}, "referentie": {fmt.Sprintf("bench/%d/%d", w, i)},
		}.Encode()
		courierLanes[w] = append(courierLanes[w], func() *http.Request {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, courierHook+q, nil)
			req.Header.Set("X-API-KEY", courierKey)
			return req
		})
	}
	courier, err := runPhase(ctx, srv, client, courierLanes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "courier baseline: %s\n", courier)
	fmt.Fprintf(stdout, "wics/courier: acknowledged %.2f, applied %.2f\n",
		wics.ackRate()/courier.ackRate(), wics.applyRate()/courier.applyRate())
	if wics.failed > 0 || courier.failed > 0 {
		return fmt.Errorf("bench --wics: %d wics and %d courier webhooks were not acknowledged", wics.failed, courier.failed)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// apiFigures are the latencies of the reference lookups, sequential and
// concurrent.
type apiFigures struct {
	requests, concurrency int
	seq, conc             latencies
}

type latencies struct {
	p50, p99, max time.Duration
	perSec        float64
}

func (a apiFigures) String() string {
	return fmt.Sprintf("%d requests sequential: p50 %s p99 %s max %s (%.0f/s); %d over %d connections: p50 %s p99 %s max %s (%.0f/s)",
		a.requests, a.seq.p50, a.seq.p99, a.seq.max, a.seq.perSec, a.requests, a.concurrency, a.conc.p50, a.conc.p99, a.conc.max, a.conc.perSec)
}

// measureAPI asks GET /api/v1/shipments?reference= for the merchant
// references of random seeded shipments, first one request at a time, then
// over conc connections; every answer must be 200 and name the shipment.
func measureAPI(ctx context.Context, hubURL, apiKey string, shipments, n, conc int) (apiFigures, error) {
	a := apiFigures{requests: n, concurrency: conc}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc, DisableCompression: true}}
	defer client.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(14, uint64(shipments)))
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 1 + rng.IntN(shipments)
	}
	ask := func(id int) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hubURL+"/api/v1/shipments?reference="+url.QueryEscape(seedRef(id)), nil)
		req.Header.Set("Authorization", "Bearer "+apiKey)
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, fmt.Appendf(nil, `"provider_ref":"SEED%08d"`, id)) {
			return 0, fmt.Errorf("GET /api/v1/shipments?reference=%s: HTTP %d, %.200s", seedRef(id), resp.StatusCode, body)
		}
		return d, nil
	}
	// One request first, so that the connection is open before the clock runs.
	if _, err := ask(ids[0]); err != nil {
		return a, err
	}
	run := func(workers int) (latencies, error) {
		lat := make([]time.Duration, n)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first error
			next  = make(chan int, n)
		)
		for i := range n {
			next <- i
		}
		close(next)
		t := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					d, err := ask(ids[i])
					if err != nil {
						mu.Lock()
						first = err
						mu.Unlock()
						return
					}
					lat[i] = d
				}
			}()
		}
		wg.Wait()
		el := time.Since(t)
		if first != nil {
			return latencies{}, first
		}
		slices.Sort(lat)
		pct := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))].Round(time.Microsecond) }
		return latencies{p50: pct(0.5), p99: pct(0.99), max: lat[n-1].Round(time.Microsecond), perSec: float64(n) / el.Seconds()}, nil
	}
	var err error
	if a.seq, err = run(1); err != nil {
		return a, err
	}
	if a.conc, err = run(conc); err != nil {
		return a, err
	}
	fmt.Printf("  GET /api/v1/shipments?reference=<seeded merchant reference>, idle hub: %s\n", a)
	return a, nil
}

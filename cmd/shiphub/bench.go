package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// runBench measures durable webhook ingestion: many concurrent courier
// URL/GET webhooks against a hub on loopback, each acknowledged only once
// committed. It reports acknowledged messages per second, acknowledgement
// latency percentiles, and how fast the pipeline then applies the backlog.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	concurrency := fs.Int("concurrency", 64, "concurrent senders")
	database := fs.String("database", "", "database (default: SQLite in a new temporary directory)")
	synchronous := fs.String("sqlite-synchronous", "", "override the SQLite synchronous mode (FULL or NORMAL) for the run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the sending phase to this file")
	deliveries := fs.Bool("deliveries", false, "measure merchant webhook delivery instead: throughput to a loopback receiver, then end-to-end latency at --rate")
	deliveryRate := fs.Int("rate", 200, "with --deliveries: inbound webhooks per second of the latency phase")
	wicsOn := fs.Bool("wics", false, "measure WICS webhooks instead: a mixed stream of every topic from the WICS simulator, then as many courier webhooks as a baseline")
	wicsOrders := fs.Int("orders", 1000, "with --wics: order lives of the simulated stream (about 20 webhooks each); with --commands: orders to post (default 400)")
	aa := aaBenchOptions{}
	aaOn := fs.Bool("activeants", false, "measure the Active Ants connector instead: the sync throughput of --aa-shipments unsynced shipments, then the ShopApi requests of one warehouse hour with --aa-open-orders open orders")
	fs.IntVar(&aa.shipments, "aa-shipments", 5000, "with --activeants: unsynced shipments at the start of the sync phase")
	fs.IntVar(&aa.openOrders, "aa-open-orders", 1000, "with --activeants: open orders of the hour phase")
	fs.Float64Var(&aa.speed, "aa-speed", 180, "with --activeants: how much faster the warehouse's clock runs in the hour phase (180: an hour takes 20s)")
	fs.IntVar(&aa.hours, "aa-hours", 3, "with --activeants: warehouse hours the hour phase measures (its figures are per hour)")
	commandsOn := fs.Bool("commands", false, "measure the command path against the WICS simulator instead: --orders orders posted at once, sent within WICS's 150 a minute, then the first reconciliation of --reconcile-orders orders")
	speed := fs.Float64("speed", 1, "with --commands: the simulator's speed (60 makes a minute pass in a second; the hub's rate_window follows)")
	reconcileOrders := fs.Int("reconcile-orders", 10000, "with --commands: orders the reconciliation phase finds at WICS (0 skips it)")
	soak := soakOptions{}
	soakOn := fs.Bool("soak", false, "soak test retention instead: --updates courier updates with every table kept --retention, printing the database size")
	fs.IntVar(&soak.updates, "updates", 1_000_000, "with --soak: courier updates to send")
	fs.DurationVar(&soak.keep, "retention", 10*time.Second, "with --soak: how long every table keeps finished rows (0: retention off)")
	fs.IntVar(&soak.reportEvery, "report-every", 50_000, "with --soak: print the database size every this many updates")
	fs.Int64Var(&soak.maxBacklog, "max-backlog", 20_000, "with --soak: senders wait while more inbox messages (or deliveries) than this are pending")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *soakOn {
		soak.database, soak.concurrency = *database, *concurrency
		return runSoak(ctx, soak, stdout, stderr)
	}
	if *commandsOn {
		orders := *wicsOrders
		if !flagSet(fs, "orders") {
			orders = 400 // about 2.7 minutes at the limit
		}
		return runCommandsBench(ctx, commandsBench{database: *database, orders: orders, concurrency: *concurrency,
			speed: *speed, reconcileOrders: *reconcileOrders}, stdout, stderr)
	}
	if *wicsOn {
		return runWICSBench(ctx, *database, *wicsOrders, *concurrency, stdout, stderr)
	}
	if *deliveries {
		return runDeliveryBench(ctx, *database, *duration, *concurrency, *deliveryRate, stdout, stderr)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *aaOn {
		aa.database = *database
		return runAABench(ctx, aa, stdout, stderr)
	}
	if *database == "" {
		dir, remove, err := tempDir("shiphub-bench-")
		if err != nil {
			return err
		}
		defer remove()
		*database = tempSQLite(dir)
		if *synchronous != "" {
			*database += "?synchronous=" + *synchronous
		}
	}
	key := randomHex(16)
	srv, err := startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: *database,
		Log:      config.Log{Level: "error"},
		Workspaces: []config.Workspace{{
			ID: "bench", APIKeys: []string{"bench_" + randomHex(16)},
			Connections: []config.Connection{{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": key}}},
		}},
	}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)

	hook := srv.URL() + "/hooks/bench/courier"
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: *concurrency, MaxIdleConnsPerHost: *concurrency},
	}
	fmt.Fprintf(stdout, "shiphub bench: %d concurrent courier webhooks for %s against %s (%s)\n",
		*concurrency, *duration, srv.Addr(), postgres.Redact(*database))

	codes := []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "DELIVERED"}
	var (
		acked, failed atomic.Int64
		mu            sync.Mutex
		latencies     []time.Duration
		wg            sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	start := time.Now()
	for w := range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			statustime := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
			for i := 0; runCtx.Err() == nil; i++ {
				q := url.Values{
					"order":      {fmt.Sprintf("ASK%03d%06d", w, i/len(codes))},
					"status":     {"PROCESSING"},
					"statuscode": {codes[i%len(codes)]},
					"statustime": {statustime.Add(time.Duration(i) * time.Minute).Format("20060102150405")},
					"statusNL":   {"Mee met koerier"}, "statusEN": {"Taken by courier"}, "statusFR": {"En route avec courier"},
					"barcode": {""}, "container": {""}, "referentie": {fmt.Sprintf("bench/%d/%d", w, i)},
				}
				req, _ := http.NewRequestWithContext(context.WithoutCancel(runCtx), http.MethodGet, hook+"?"+q.Encode(), nil)
				req.Header.Set("X-API-KEY", key)
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
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	pprof.StopCPUProfile() // the profile covers sending only, not the drain below
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Round(10 * time.Microsecond)
	}
	fmt.Fprintf(stdout, "ingestion: %d acknowledged, %d failed in %s = %.0f msg/s; ack latency p50 %s p90 %s p99 %s max %s\n",
		acked.Load(), failed.Load(), elapsed.Round(time.Millisecond), float64(acked.Load())/elapsed.Seconds(),
		pct(0.50), pct(0.90), pct(0.99), pct(1))

	// The pipeline ran alongside; measure how long it needs for the rest.
	stats, err := srv.Store.InboxStats(ctx)
	if err != nil {
		return err
	}
	// The hub's own pipeline goes on; wait until it has applied everything.
	drainStart := time.Now()
	for {
		st, err := srv.Store.InboxStats(ctx)
		if err != nil {
			return err
		}
		if st.Pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	drainTime := time.Since(drainStart)
	rate := 0.0
	if drainTime > 0 {
		rate = float64(stats.Pending) / drainTime.Seconds()
	}
	fmt.Fprintf(stdout, "pipeline: %d of %d messages were still pending when sending stopped; applied them in %s (%.0f msg/s)\n",
		stats.Pending, stats.Total, drainTime.Round(time.Millisecond), rate)
	return nil
}

package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// soakOptions are the flags of `shiphub bench --soak`.
type soakOptions struct {
	database    string
	updates     int
	keep        time.Duration
	concurrency int
	reportEvery int
	maxBacklog  int64
}

// soakCodes is one order's life at the courier: five updates, the last one
// terminal, so the shipments retention can take the order once it is done.
var soakCodes = []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "DELIVERED"}

// runSoak sends opts.updates courier updates through an in-process hub whose
// retention keeps every table opts.keep, with one merchant endpoint on a
// loopback receiver (shipment.status_changed), and prints the size of the
// database as it goes. Senders hold back while more than opts.maxBacklog
// messages wait in the inbox, so the run measures a flow the hub keeps up
// with: a backlog is not retention's to delete; likewise while more than
// that many deliveries are outstanding. The verdict compares the
// second half of the run with the first.
func runSoak(ctx context.Context, opts soakOptions, stdout, stderr io.Writer) error {
	var received atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	recv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = recv.Serve(ln) }()
	defer recv.Close()

	if opts.database == "" {
		dir, remove, err := tempDir("shiphub-soak-")
		if err != nil {
			return err
		}
		defer remove()
		opts.database = tempSQLite(dir)
	}
	size, closeSize, err := databaseSize(opts.database)
	if err != nil {
		return err
	}
	defer closeSize()

	keep := config.KeepFor(opts.keep)
	interval := max(opts.keep/5, time.Second)
	key := randomHex(16)
	srv, err := startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: opts.database,
		Log:      config.Log{Level: "error"},
		Outbound: config.Outbound{AllowPrivateNetworks: true},
		Retention: config.Retention{
			Deliveries: keep, Feed: keep, Inbox: keep, IntakeErrors: keep, Trackers: keep, Shipments: keep,
			Interval: interval,
		},
		Workspaces: []config.Workspace{{
			ID: "soak", APIKeys: []string{"soak_" + randomHex(16)},
			Connections: []config.Connection{{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": key}}},
			Endpoints:   []config.Endpoint{{URL: "http://" + ln.Addr().String() + "/hooks", Events: []string{"shipment.status_changed"}}},
		}},
	}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)

	policy := "off"
	if opts.keep > 0 {
		policy = fmt.Sprintf("every table %s, run every %s", opts.keep, interval)
	}
	fmt.Fprintf(stdout, "shiphub bench --soak: %d courier updates (%d orders of %d), %d senders, retention %s (%s)\n",
		opts.updates, (opts.updates+len(soakCodes)-1)/len(soakCodes), len(soakCodes), opts.concurrency, policy, postgres.Redact(opts.database))
	fmt.Fprintf(stdout, "%10s %9s %9s %10s %10s %12s %12s\n", "updates", "elapsed", "upd/s", "db MiB", "(WAL MiB)", "inbox rows", "delivered")

	hook := srv.URL() + "/hooks/soak/courier"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: opts.concurrency, MaxIdleConnsPerHost: opts.concurrency}}
	var (
		tickets, acked, failed atomic.Int64
		pending                atomic.Int64
		wg                     sync.WaitGroup
	)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	base := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	for w := range opts.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for order := w; runCtx.Err() == nil; order += opts.concurrency {
				for i, code := range soakCodes {
					if tickets.Add(1) > int64(opts.updates) {
						return
					}
					// Every update changes its shipment's status, so it makes
					// about one delivery: acked-received is the delivery backlog.
					for (pending.Load() > opts.maxBacklog || acked.Load()-received.Load() > opts.maxBacklog) && runCtx.Err() == nil {
						time.Sleep(5 * time.Millisecond)
					}
					q := url.Values{
						"order": {fmt.Sprintf("SOAK%09d", order)}, "status": {"PROCESSING"}, "statuscode": {code},
						"statustime": {base.Add(time.Duration(order)*time.Second + time.Duration(i)*time.Hour).Format("20060102150405")},
						"statusNL":   {"Mee met koerier"}, "statusEN": {"Taken by courier"}, "statusFR": {"En route avec courier"},
						"referentie": {fmt.Sprintf("soak/%d", order)},
					}
					if soakSend(runCtx, client, hook+"?"+q.Encode(), key) {
						acked.Add(1)
					} else {
						failed.Add(1)
					}
				}
			}
		}()
	}

	type sample struct {
		updates int64
		bytes   int64
	}
	var samples []sample
	// report prints a line; samples under load (not the settled one) go
	// into the verdict: the settled size follows the burst in which the
	// pipeline drains its backlog, a different regime.
	report := func(updates int64, underLoad bool) error {
		b, wal, err := size(ctx)
		if err != nil {
			return err
		}
		st, err := srv.Store.InboxStats(ctx)
		if err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Fprintf(stdout, "%10d %8.0fs %9.0f %10.1f %10.1f %12d %12d\n", updates, el.Seconds(), float64(updates)/el.Seconds(), float64(b)/(1<<20), float64(wal)/(1<<20), st.Total, received.Load())
		if underLoad {
			samples = append(samples, sample{updates, b})
		}
		return nil
	}
	sendersDone := make(chan struct{})
	go func() { wg.Wait(); close(sendersDone) }()
	next := int64(opts.reportEvery)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sendersDone:
			done = true
		case <-tick.C:
		}
		st, err := srv.Store.InboxStats(ctx)
		if err != nil {
			return err
		}
		pending.Store(st.Pending)
		for n := acked.Load() + failed.Load(); n >= next; next += int64(opts.reportEvery) {
			if err := report(next, true); err != nil {
				return err
			}
		}
	}
	// Let the pipeline, the deliveries and one retention round finish.
	settle := time.Now().Add(opts.keep + 2*interval)
	for {
		st, err := srv.Store.InboxStats(ctx)
		if err != nil {
			return err
		}
		_, due, err := srv.Store.NextDeliveryDue(ctx)
		if err != nil {
			return err
		}
		if st.Pending == 0 && !due && time.Now().After(settle) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := report(acked.Load()+failed.Load(), false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "(the last line is after the pipeline, the deliveries and a retention round settled)\n%d acknowledged, %d failed, %d deliveries received in %s\n", acked.Load(), failed.Load(), received.Load(), time.Since(start).Round(time.Second))
	fmt.Fprintln(stdout, soakVerdict(samples, func(s sample) (int64, int64) { return s.updates, s.bytes }))
	return nil
}

// soakVerdict compares the database's growth over the second half of the
// run (samples taken while updates arrive) with its size at halfway: flat means it grew less than 10 % (plus
// 4 MiB of slack for a database that is still small).
func soakVerdict[S any](samples []S, get func(S) (updates, bytes int64)) string {
	if len(samples) < 3 {
		return "verdict: too few samples (lower --report-every)"
	}
	mid := samples[len(samples)/2]
	midUpd, midBytes := get(mid)
	lastUpd, lastBytes := get(samples[len(samples)-1])
	var peak int64
	for _, s := range samples {
		_, b := get(s)
		peak = max(peak, b)
	}
	growth := lastBytes - midBytes
	word := "FLAT"
	if float64(growth) > 0.10*float64(midBytes)+4<<20 {
		word = "GROWING"
	}
	return fmt.Sprintf("verdict: %s: %.1f MiB after %d updates, %.1f MiB after %d (%+.1f%%), peak %.1f MiB",
		word, float64(midBytes)/(1<<20), midUpd, float64(lastBytes)/(1<<20), lastUpd,
		100*float64(growth)/float64(max(midBytes, 1)), float64(peak)/(1<<20))
}

// soakSend sends one courier webhook; true when it was acknowledged.
func soakSend(ctx context.Context, client *http.Client, u, key string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// databaseSize returns a function measuring the database: the SQLite file
// with its WAL and shared-memory files (and the WAL's share of it), or
// pg_database_size on PostgreSQL (which has no WAL of its own to count).
func databaseSize(database string) (func(context.Context) (total, wal int64, err error), func(), error) {
	if strings.HasPrefix(database, "sqlite:") {
		path, _, _ := strings.Cut(strings.TrimPrefix(database, "sqlite:"), "?")
		return func(context.Context) (int64, int64, error) {
			var total, wal int64
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err == nil {
					total += fi.Size()
					if strings.HasSuffix(p, "-wal") {
						wal = fi.Size()
					}
				} else if !os.IsNotExist(err) {
					return 0, 0, fmt.Errorf("measuring the database: %w", err)
				}
			}
			return total, wal, nil
		}, func() {}, nil
	}
	db, err := sql.Open("pgx", database)
	if err != nil {
		return nil, nil, fmt.Errorf("measuring the database: %w", err)
	}
	return func(ctx context.Context) (int64, int64, error) {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("measuring the database: %w", err)
		}
		return n, 0, nil
	}, func() { _ = db.Close() }, nil
}

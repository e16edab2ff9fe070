package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
	"github.com/shiphub/shiphub/internal/store"
)

// aaBenchOptions are the flags of bench --activeants.
type aaBenchOptions struct {
	database string
	// shipments is how many unsynced shipments the sync phase starts with.
	shipments int
	// openOrders is how many open orders the hour phase keeps.
	openOrders int
	// speed compresses the hour phase: a warehouse hour lasts 3600/speed
	// seconds, and the connection is told (setting speed).
	speed float64
	// hours is how many warehouse hours the hour phase measures; the
	// figures are per hour.
	hours int
}

// runAABench measures the Active Ants connector on a hub in this process
// against the simulator on loopback:
//
//   - sync throughput: the warehouse holds opts.shipments unsynced
//     shipments; the hub pulls them (pages of 100), commits each to the
//     inbox and only then marks them synced. Reported: shipments committed
//     and marked a second (until Active Ants has none unsynced), and
//     applied a second (until every one is a shipment in the hub).
//   - requests per hour: about opts.openOrders open orders that ship over
//     the day, the connection on its default intervals (sync 5m, stock 1h,
//     track-trace 1h, settings 24h) in warehouse time; opts.hours
//     warehouse hours after the first round, the ShopApi requests of an
//     hour by path (the total divided by opts.hours).
func runAABench(ctx context.Context, opts aaBenchOptions, stdout, stderr io.Writer) error {
	if opts.shipments < 1 || opts.openOrders < 1 || opts.hours < 1 || opts.speed < 1 || opts.speed > 3600 {
		return errors.New("bench --activeants: --aa-shipments, --aa-open-orders and --aa-hours must be at least 1, --aa-speed from 1 to 3600")
	}
	if opts.database == "" {
		dir, remove, err := tempDir("shiphub-bench-")
		if err != nil {
			return err
		}
		defer remove()
		opts.database = tempSQLite(dir)
	}
	fmt.Fprintf(stdout, "shiphub bench --activeants: against %s\n", opts.database)
	if err := aaSyncPhase(ctx, opts, stdout, stderr); err != nil {
		return err
	}
	return aaHourPhase(ctx, opts, stdout, stderr)
}

// aaHub starts a hub whose workspace "bench" has one Active Ants connection
// with the given settings.
func aaHub(ctx context.Context, database, workspace string, settings map[string]any, stderr io.Writer) (*server.Server, error) {
	return startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: database,
		Log:      config.Log{Level: "error"},
		Workspaces: []config.Workspace{{
			ID: workspace, APIKeys: []string{"bench_" + randomHex(16)},
			Connections: []config.Connection{{ID: "aa", Provider: "activeants", Settings: settings}},
		}},
	}, stderr)
}

func aaSyncPhase(ctx context.Context, opts aaBenchOptions, stdout, stderr io.Writer) error {
	user, password := "bench", randomHex(12)
	sim, err := activeantssim.New(activeantssim.Config{Username: user, Password: password, Seed: 1, Speed: -1,
		ShopOrders: opts.shipments, Products: 400, AcceptUnknownSKUs: true})
	if err != nil {
		return err
	}
	sim.Advance(6 * time.Hour) // every order picked and shipped
	_, unsynced := sim.ShipmentCounts()
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()

	srv, err := aaHub(ctx, opts.database, "bench-sync", map[string]any{"base_url": base, "username": user, "password": password,
		"speed": 3600, "sync_interval": "1m"}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)
	start := time.Now() // the hub serves, and its poll service runs
	marked, err := waitFor(ctx, 10*time.Minute, func() (bool, error) { _, n := sim.ShipmentCounts(); return n == 0, nil })
	if err != nil {
		return fmt.Errorf("waiting for every shipment marked: %w", err)
	}
	applied, err := waitFor(ctx, 10*time.Minute, func() (bool, error) {
		n, err := countShipments(ctx, srv.Store, "bench-sync")
		return n >= unsynced, err
	})
	if err != nil {
		return fmt.Errorf("waiting for every shipment applied: %w", err)
	}
	n, err := countShipments(ctx, srv.Store, "bench-sync")
	if err != nil {
		return err
	}
	synced, _ := sim.ShipmentCounts()
	req := sim.RequestsByPath()
	fmt.Fprintf(stdout, "sync: %d shipments (pages of %d): committed and marked in %s, %.0f/s; applied in %s, %.0f/s; "+
		"in the hub %d, marked at Active Ants %d; requests shipment/get %d, shipment/sync %d, token %d\n",
		unsynced, activeantssim.DefaultPageSize, marked.Sub(start).Round(time.Millisecond), float64(unsynced)/marked.Sub(start).Seconds(),
		applied.Sub(start).Round(time.Millisecond), float64(unsynced)/applied.Sub(start).Seconds(), n, synced,
		req["/v2/shipment/get"], req["/v2/shipment/sync"], req["/token"])
	return nil
}

func aaHourPhase(ctx context.Context, opts aaBenchOptions, stdout, stderr io.Writer) error {
	user, password := "bench", randomHex(12)
	// Half as many orders again, picked 12 to 36 warehouse hours after
	// they were placed, and 20 hours gone: about openOrders are open, some
	// 60 ship in the measured hour, and the shipped ones are on their way
	// (track-trace).
	sim, err := activeantssim.New(activeantssim.Config{Username: user, Password: password, Seed: 2, Speed: opts.speed,
		ShopOrders: opts.openOrders * 3 / 2, Products: 400, AcceptUnknownSKUs: true, PickDelay: 24 * time.Hour})
	if err != nil {
		return err
	}
	sim.Advance(20 * time.Hour)
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()
	srv, err := aaHub(ctx, opts.database, "bench-hour", map[string]any{"base_url": base, "username": user, "password": password,
		"speed": opts.speed}, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)
	// The first round: settings, the full stock sync, the first pulls.
	if _, err := waitFor(ctx, time.Minute, func() (bool, error) { n, _ := sim.TrackTracePolls(); return n > 0, nil }); err != nil {
		return fmt.Errorf("waiting for the first round: %w", err)
	}
	before, tokens, open := sim.RequestsByPath(), sim.TokensIssued(), sim.Stats().OpenOrders
	window := time.Duration(float64(time.Hour) * float64(opts.hours) / opts.speed)
	shippedBefore := sim.Stats().Shipments
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(window):
	}
	after := sim.RequestsByPath()
	total := 0
	var parts []string
	for path, n := range after {
		if d := n - before[path]; d > 0 {
			total += d
			parts = append(parts, fmt.Sprintf("%s %.1f", path, float64(d)/float64(opts.hours)))
		}
	}
	sort.Strings(parts)
	st := sim.Stats()
	polls, soon := sim.TrackTracePolls()
	perHour := float64(opts.hours)
	fmt.Fprintf(stdout, "hour: %d open orders (%d at the end), default intervals, %d warehouse hours (%s at speed %g): %.1f requests an hour "+
		"(%s), tokens %d; shipments shipped %.0f an hour, %d of %d marked; track-trace polls %d in all, too soon %d\n",
		open, st.OpenOrders, opts.hours, window, opts.speed, float64(total)/perHour, strings.Join(parts, ", "), sim.TokensIssued()-tokens,
		float64(st.Shipments-shippedBefore)/perHour, st.ShipmentsSynced, st.Shipments, polls, soon)
	return nil
}

// waitFor polls cond every 5ms until it holds, and returns when it did.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// countShipments counts a workspace's shipments.
func countShipments(ctx context.Context, st store.Store, workspace string) (int, error) {
	counts, err := st.CountShipments(ctx, workspace)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range counts {
		n += int(c)
	}
	return n, nil
}

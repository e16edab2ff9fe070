package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/sim/gclsim"
	"github.com/shiphub/shiphub/internal/store"
)

// startDemoGCL starts the GCL tracking simulator on loopback and returns the
// demo's gcl connection: it tracks the Winkelstraat simulator's UPS and DHL
// parcels by carrier rule, on a schedule shrunk from hours to seconds so
// the demo shows parcels move.
func startDemoGCL(step time.Duration) (*gclsim.Sim, config.Connection, error) {
	key := randomHex(16)
	sim, err := gclsim.New(gclsim.Config{APIKey: key, Step: step, SlowDelay: time.Second})
	if err != nil {
		return nil, config.Connection{}, err
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, config.Connection{}, err
	}
	conn := config.Connection{ID: "gcl", Provider: "gcl", Settings: map[string]any{
		"base_url":        url,
		"api_key":         key,
		"carriers":        []any{"ups", "dhl"},
		"scan_interval":   "1s",
		"rate_per_second": 20,
		"schedule": map[string]any{
			"out_for_delivery": step.String(), "due_today": step.String(), "overdue": (2 * step).String(),
			"in_transit": (2 * step).String(), "registered": (2 * step).String(),
			"not_found": step.String(), "not_found_max": (10 * step).String(),
			"error": step.String(), "error_max": (10 * step).String(), "terminal_recheck": (5 * step).String(),
		},
	}}
	return sim, conn, nil
}

// gclSummary counts the demo's GCL trackers by state.
func gclSummary(ctx context.Context, st store.Store, sim *gclsim.Sim) string {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	counts := map[string]int{}
	var before int64
	for range 100 { // at most 50,000 trackers
		list, err := st.ListTrackers(qctx, store.TrackerFilter{Workspace: "demo", BeforeID: before, Limit: 500})
		if err != nil {
			return "gcl trackers: " + err.Error()
		}
		for _, t := range list {
			counts[string(t.State)]++
			before = t.ID
		}
		if len(list) < 500 {
			break
		}
	}
	var parts []string
	for s, n := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("gcl polls %d | trackers (%s)", sim.Requests(), strings.Join(parts, ", "))
}

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/gclsim"
)

// TestOneParcelTwoSourcesOneShipment runs the real binary with a
// Winkelstraat connection and a GCL connection whose carrier rule attaches
// UPS parcels, against the GCL simulator. Winkelstraat's document example
// (UPS, 1Z7E3V556825150AAP) and GCL's answers about the same parcel end as
// ONE shipment in GET /api/v1/shipments, with the events of both sources,
// each naming its connection, and the status derived from all of them. A
// tracker created through the API for a parcel Winkelstraat already sent
// (carrier postnl, which no rule attaches) joins that shipment the same way.
func TestOneParcelTwoSourcesOneShipment(t *testing.T) {
	t.Parallel()
	const gclKey = "gcl-e2e-key-0123456789"
	sim, err := gclsim.New(gclsim.Config{APIKey: gclKey, Step: 100 * time.Millisecond})
	require.NoError(t, err)
	simURL, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })

	dir := t.TempDir()
	cfg := fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
secrets_key: "${SHIPHUB_SECRETS_KEY}"
database: %q
log: { level: warn }
workspaces:
  - id: acme
    api_keys: ["${ACME_KEY}"]
    connections:
      - { id: ws, provider: winkelstraat, inbound_api_key: %q }
      - id: gcl
        provider: gcl
        base_url: %q
        api_key: %q
        rate_per_second: 50
        attach: [{ carrier: ups }]
        scan_interval: 100ms
        schedule: { out_for_delivery: 200ms, due_today: 200ms, overdue: 200ms, in_transit: 200ms, registered: 200ms,
                    not_found: 200ms, not_found_max: 1s, error: 200ms, error_max: 1s, terminal_recheck: 1s }
`, "sqlite:"+filepath.Join(dir, "hub.db"), wsKey, simURL, gclKey)
	path := filepath.Join(dir, "shiphub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	h := startHub(t, path)

	wsHeaders := map[string]string{"x-api-key": wsKey, "x-version": "1", "Content-Type": "application/json"}
	status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/ws", wsHeaders, winkelstraatExample)
	require.Equal(t, http.StatusOK, status, "%s", body)
	// The same shop ships another parcel with PostNL: no rule attaches it.
	postnl := strings.NewReplacer(`"carrier":"ups"`, `"carrier":"postnl"`, "1Z7E3V556825150AAP", "3SPOSTNL0000123",
		`"increment_id":"000000288"`, `"increment_id":"000000289"`).Replace(winkelstraatExample)
	status, body = do(t, http.MethodPost, h.URL+"/hooks/acme/ws", wsHeaders, postnl)
	require.Equal(t, http.StatusOK, status, "%s", body)
	trackOne(t, h, "3SPOSTNL0000123", 1)
	status, body = do(t, http.MethodPost, h.URL+"/api/v1/trackers", map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "application/json"},
		`{"connection":"gcl","tracking_number":"3SPOSTNL0000123"}`)
	require.Equal(t, http.StatusCreated, status, "%s", body)

	// sources counts a shipment's events by the connection they came from.
	sources := func(s model.Shipment) map[string]int {
		out := map[string]int{}
		for _, e := range s.Events {
			out[e.Connection]++
		}
		return out
	}
	for _, number := range []string{"1Z7E3V556825150AAP", "3SPOSTNL0000123"} {
		var s model.Shipment
		eventually(t, 20*time.Second, "GCL's events join the Winkelstraat shipment of "+number, func() bool {
			s = trackOne(t, h, number, 1)
			n := sources(s)
			return n["ws"] == 1 && n["gcl"] >= 2
		})
		require.Equal(t, "ws", s.Connection, "the shipment stays the one the shop sent")
		// The status is derived from every event, of both sources.
		want := model.StatusPosition{Status: model.StatusPending}
		for _, e := range s.Events {
			if p := e.Position(); p.Outranks(want) {
				want = p
			}
		}
		require.Equal(t, want.Status, s.Status)
	}

	var list shipmentList
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?limit=50", &list))
	require.Len(t, list.Data, 2, "two parcels are two shipments, however many connections know them: %+v", list.Data)
	for _, s := range list.Data {
		require.Equal(t, "ws", s.Connection)
	}
}

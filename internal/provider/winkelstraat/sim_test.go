package winkelstraat

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/sim/winkelstraatsim"
)

// TestSimulatorJourneys runs the independent simulator against the
// connector as the intake would: every push is authenticated, accepted and
// normalised, and each journey's statuses map as documented.
func TestSimulatorJourneys(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	var (
		mu      sync.Mutex
		updates = map[string][]model.ShipmentUpdate{}
		refused []error
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = c.Authenticate(r)
		}
		var in provider.Inbound
		if err == nil {
			in, err = c.Accept(r, "", body)
		}
		var us []model.ShipmentUpdate
		if err == nil {
			us, err = shipments(c.Normalize(inboxMessage(in)))
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			refused = append(refused, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		updates[us[0].ProviderRef] = append(updates[us[0].ProviderRef], us[0])
	}))
	t.Cleanup(srv.Close)

	sim, err := winkelstraatsim.New(winkelstraatsim.Config{URL: srv.URL, APIKey: testKey, Shipments: 40, Concurrency: 4, Step: 1, Seed: 3})
	require.NoError(t, err)
	require.NoError(t, sim.Run(t.Context()))
	require.Empty(t, refused)
	require.Len(t, updates, 40)
	st := sim.Stats()
	require.Equal(t, st.Sent, st.Acked)
	require.Equal(t, int64(40), st.Journeys)

	want := map[model.Status]bool{}
	for ref, us := range updates {
		first := us[0].Events[0]
		require.Equal(t, "UNKNOWN", first.ProviderCode, "shipment %s starts with UNKNOWN", ref)
		require.Equal(t, model.StatusUnknown, first.Status, "shipment %s: UNKNOWN is canonical unknown", ref)
		for i := 1; i < len(us); i++ {
			require.True(t, us[i].Events[0].OccurredAt.After(us[i-1].Events[0].OccurredAt), "shipment %s: events move forward in time", ref)
		}
		for _, u := range us {
			e := u.Events[0]
			want[e.Status] = true
			require.Contains(t, []string{"UNKNOWN", "READY_FOR_PICKUP", "IN_TRANSIT", "DELIVERED", "EXCEPTION"}, e.ProviderCode, "the simulator sends only documented codes")
			require.Equal(t, "1", u.Attributes["x_version"])
			require.Equal(t, "Vianen", u.OriginAddress.City)
		}
		last := us[len(us)-1]
		if last.Events[0].Status == model.StatusDelivered {
			require.NotNil(t, last.DeliveredAt)
			require.Equal(t, *last.DeliveredAt, last.Events[0].OccurredAt)
		}
	}
	require.True(t, want[model.StatusInfoReceived] && want[model.StatusInTransit] && want[model.StatusDelivered])
}

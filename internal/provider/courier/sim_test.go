package courier

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/sim/couriersim"
)

// TestTheSimulatorsUpdatesAreAcceptedAndNormalized runs the independent
// courier simulator against the connector: every update it pushes must be
// authenticated, accepted and normalised to a known status with the scan and
// position of its comment.
func TestTheSimulatorsUpdatesAreAcceptedAndNormalized(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{InboundAPIKey: "sim-key"})
	var (
		mu     sync.Mutex
		events []model.Event
		errs   []error
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := c.Authenticate(r)
		var in provider.Inbound
		if err == nil {
			in, err = c.Accept(r, "", body)
		}
		var updates []model.ShipmentUpdate
		if err == nil {
			updates, err = shipments(c.Normalize(&model.InboxMessage{ContentType: in.ContentType, Body: in.Body, Source: model.SourceWebhook}))
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		events = append(events, updates[0].Events...)
	}))
	t.Cleanup(srv.Close)

	sim, err := couriersim.New(couriersim.Config{URL: srv.URL + "/hooks/acme/courier", APIKey: "sim-key", Shipments: 40, Step: -1, Seed: 11, Retries: -1})
	require.NoError(t, err)
	require.NoError(t, sim.Run(context.Background()))
	require.NoError(t, errors.Join(errs...))
	require.Equal(t, int64(0), sim.Stats().Failed)
	require.Len(t, events, int(sim.Stats().Sent))

	seen := map[model.Status]bool{}
	for _, ev := range events {
		require.NotEqual(t, model.StatusUnknown, ev.Status, "code %s is known", ev.ProviderCode)
		seen[ev.Status] = true
		require.NotEmpty(t, ev.Labels["nl"])
		if ev.Comment != "" {
			require.NotNil(t, ev.Scan, "the scan of %q is parsed", ev.Comment)
			require.NotNil(t, ev.Scan.At)
			require.NotEmpty(t, ev.Scan.By)
			require.NotNil(t, ev.Location, "the position of %q is parsed", ev.Comment)
		}
	}
	for _, s := range []model.Status{model.StatusInfoReceived, model.StatusInTransit, model.StatusOutForDelivery, model.StatusDelivered} {
		require.True(t, seen[s], "a journey reaches %s", s)
	}
}

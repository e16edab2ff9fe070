package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

// TestActiveAntsConnectorAndSimulatorAgree: the connector and the
// simulator were written apart from the document, which is silent on some
// paths and on what the track-trace numbers mean. Here, and only here (the
// connector does not depend on the simulator), they are held to one
// choice: every path the connector sends, the simulator serves with the
// same method; every status the simulator walks maps, by the connector's
// table, to the canonical status its name says.
func TestActiveAntsConnectorAndSimulatorAgree(t *testing.T) {
	t.Parallel()
	served := map[string]bool{}
	for _, p := range activeantssim.Paths() {
		served[p.Method+" "+strings.ToLower(p.Pattern)] = true
	}
	for _, p := range activeants.Paths {
		if p.Used == "unused" {
			continue
		}
		require.True(t, served[p.Method+" "+strings.ToLower(p.Path)], "%s %s (%s) is served by the simulator", p.Method, p.Path, p.Op)
	}

	want := map[string]model.Status{
		"labelled": model.StatusInfoReceived, "collected": model.StatusInTransit, "in_transit": model.StatusInTransit,
		"out_for_delivery": model.StatusOutForDelivery, "delivered": model.StatusDelivered, "at_pickup_point": model.StatusAvailableForPickup,
		"delivery_failed": model.StatusFailedAttempt, "returned_to_sender": model.StatusReturned, "exception": model.StatusException,
	}
	statuses := activeantssim.TrackTraceStatuses()
	require.Len(t, statuses, len(want))
	for _, s := range statuses {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[s.Name]
			require.True(t, ok, "a status of the simulator this test does not know: %s", s.Name)
			byNumber := activeants.MapTrackTrace(activeants.Code(fmt.Sprint(s.Number)), "1")
			byName := activeants.MapTrackTrace(activeants.Code(s.Name), "success")
			require.False(t, byNumber.Unmapped, "number %d has a row", s.Number)
			require.False(t, byName.Unmapped, "name %s has a row", s.Name)
			require.Equal(t, w, byNumber.Status, "number %d", s.Number)
			require.Equal(t, byNumber, byName, "the number and the name of %s map alike", s.Name)
			if s.Terminal {
				require.Contains(t, []model.Status{model.StatusDelivered, model.StatusAvailableForPickup, model.StatusReturned}, byNumber.Status)
			}
		})
	}
}

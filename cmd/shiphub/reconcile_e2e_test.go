package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// TestWICSMissedWebhookIsFoundByReconciliation: WICS loses the order
// status webhooks of an order (as after its ten retries gave up), the
// order moves on at WICS all the same, and the hub's reconciliation, which
// lists the open orders every reconcile_interval, catches its status up and
// counts what it found in shiphub_reconcile_found_total.
func TestWICSMissedWebhookIsFoundByReconciliation(t *testing.T) {
	t.Parallel()
	// Orders move only when the test says, so that what moved while the
	// webhooks were lost is known.
	h, sim := startSimHub(t, simHubOptions{Reconcile: true, ReconcileInterval: time.Second},
		func(c *wicssim.ServerConfig) { c.ProgressStep = -1 })
	waitSubscribed(t, sim, len(wicsTopics))

	const ref = "E2E-RECON-1"
	oc := postOrder(t, h, orderJSON(ref), nil)
	c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	waitOrder(t, h, oc.Order.ID, 15*time.Second, ref+" accepted by its webhook", func(o model.Order) bool {
		return o.Status == model.OrderAccepted && o.ProviderStatus != nil && o.ProviderStatus.Code == "00"
	})
	const found = `shiphub_reconcile_found_total{connection="wics",kind="order"}`
	before := metricValue(t, h, found)

	// WICS gives up on the order's status webhooks; the order moves on to
	// 40 In uitvoering (10, 20, 30, 40).
	sim.DropWebhooks(wicssim.DropRule{Topic: wicssim.TopicOrderStatus, Key: ref, Times: 100})
	for range 4 {
		require.False(t, sim.AdvanceOrder(ref), "the order is still going")
	}
	code, ok := sim.OrderStatus(ref)
	require.True(t, ok)
	require.Equal(t, "40", code)
	lost := 0
	for _, e := range sim.Emitted() {
		if e.Topic == wicssim.TopicOrderStatus && e.Dropped {
			lost++
		}
	}
	require.Equal(t, 4, lost, "four status webhooks were lost")

	o := waitOrder(t, h, oc.Order.ID, 20*time.Second, ref+" caught up by reconciliation", func(o model.Order) bool {
		return o.ProviderStatus != nil && o.ProviderStatus.Code == "40"
	})
	require.Equal(t, model.OrderProcessing, o.Status)
	require.Equal(t, "In uitvoering", o.ProviderStatus.Description)
	eventually(t, 10*time.Second, "the find counted", func() bool { return metricValue(t, h, found) > before })

	// A state the webhooks brought is no find: an unchanged order listed
	// again counts nothing.
	counted := metricValue(t, h, found)
	runs := sim.Limits(wicsKey).Served
	eventually(t, 20*time.Second, "two more reconciliation runs", func() bool { return sim.Limits(wicsKey).Served >= runs+6 })
	require.Equal(t, counted, metricValue(t, h, found))

	// The Shipment webhook is lost too: the order ships at WICS (50, 60,
	// 70 and its parcel) and reconciliation, finding its listing shipped,
	// fetches its shipments, so the order ends shipped with its shipment
	// and tracking, not shipped with none.
	sim.DropWebhooks(wicssim.DropRule{Topic: wicssim.TopicShipment, Key: ref, Times: 100})
	for i := 0; !sim.AdvanceOrder(ref); i++ {
		require.Less(t, i, 20, "the order ships")
	}
	var shipment wicssim.Shipment
	for _, e := range sim.Emitted() {
		if e.Topic == wicssim.TopicShipment && e.Key == ref {
			require.True(t, e.Dropped, "the Shipment webhook was lost")
			require.NoError(t, json.Unmarshal(e.Body, &shipment))
		}
	}
	require.NotEmpty(t, shipment.TrackAndTrace, "the simulator shipped the order")
	o = waitOrder(t, h, oc.Order.ID, 20*time.Second, ref+" shipped with its shipment, by reconciliation", func(o model.Order) bool {
		// A listing at 60 (Afgehandeld) already ships it; 70 may come a run later.
		return o.Status == model.OrderShipped && len(o.ShipmentIDs) == 1 && o.ProviderStatus != nil && o.ProviderStatus.Code == "70"
	})
	require.Equal(t, &model.ProviderStatus{Code: "70", Description: "Verzonden"}, o.ProviderStatus)
	var s model.Shipment
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/shipments/%d", o.ShipmentIDs[0]), &s))
	require.Equal(t, ref, s.OrderReference)
	require.Equal(t, shipment.TrackAndTrace, s.TrackingNumber)
	require.Equal(t, shipment.ShipperName, s.Carrier)
	require.Equal(t, s.ID, trackOne(t, h, s.TrackingNumber, 0).ID, "the tracking number finds the shipment")
	eventually(t, 10*time.Second, "the shipment find counted", func() bool {
		return metricValue(t, h, `shiphub_reconcile_found_total{connection="wics",kind="shipment"}`) >= 1
	})
}

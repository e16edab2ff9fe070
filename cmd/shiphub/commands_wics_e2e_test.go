package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// TestWICSOrderRoundTrip: an order posted to the merchant API goes to the
// WICS simulator as a command, the simulator's status webhooks move it,
// and its Shipment webhook ships it in shiphub, with the tracking.
func TestWICSOrderRoundTrip(t *testing.T) {
	t.Parallel()
	h, sim := startSimHub(t, simHubOptions{}, nil)
	waitSubscribed(t, sim, len(wicsTopics))

	oc := postOrder(t, h, orderJSON("E2E-RT-1", "16080", "16082"), nil)
	require.Equal(t, model.OrderPending, oc.Order.Status)
	require.Equal(t, model.CommandOrderCreate, oc.Command.Kind)
	require.Equal(t, oc.Order.ID, oc.Command.SubjectID)
	require.NotNil(t, oc.Order.LastCommand)
	require.Equal(t, oc.Command.ID, oc.Order.LastCommand.ID)

	c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	require.Equal(t, 1, sim.OrderCount("E2E-RT-1"))

	// The status webhooks move it: accepted and processing are seen on the
	// way (the hub is polled while the simulator moves the order on).
	seen := map[model.OrderStatus]bool{}
	o := waitOrder(t, h, oc.Order.ID, 30*time.Second, "E2E-RT-1 shipped with its shipment", func(o model.Order) bool {
		seen[o.Status] = true
		return o.Status == model.OrderShipped && len(o.ShipmentIDs) == 1
	})
	require.True(t, seen[model.OrderAccepted] || seen[model.OrderProcessing], "statuses seen: %v", seen)
	require.NotEmpty(t, o.ProviderRef, "WICS's order number")
	code, ok := sim.OrderStatus("E2E-RT-1")
	require.True(t, ok)
	require.Equal(t, "70", code)
	require.Equal(t, &model.ProviderStatus{Code: "70", Description: "Verzonden"}, o.ProviderStatus)
	require.NotNil(t, o.LastCommand)
	require.Equal(t, string(model.CommandSucceeded), o.LastCommand.Status)
	require.Len(t, o.Lines, 2)
	for _, l := range o.Lines {
		require.Equal(t, model.OrderShipped, l.Status, "line %d", l.LineNumber)
	}

	var s model.Shipment
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/shipments/%d", o.ShipmentIDs[0]), &s))
	require.Equal(t, "wics", s.Provider)
	require.Equal(t, "E2E-RT-1", s.OrderReference)
	require.NotEmpty(t, s.TrackingNumber)
	require.NotEmpty(t, s.Carrier)
	// The tracking number finds the shipment, and the order's reference
	// finds the order.
	require.Equal(t, s.ID, trackOne(t, h, s.TrackingNumber, 0).ID)
	var found page[model.Order]
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/orders?reference="+url.QueryEscape(o.ProviderRef), &found))
	require.Len(t, found.Data, 1)
	require.Equal(t, o.ID, found.Data[0].ID)
}

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// TestWICSOrderRoundTrip: an order posted to the merchant API goes to the
// WICS simulator as a command, the simulator's status webhooks move it,
// and its Shipment webhook ships it in shiphub, with the tracking.
func TestWICSOrderRoundTrip(t *testing.T) {
	t.Parallel()
	h, sim := startSimHub(t, simHubOptions{}, nil)
	waitSubscribed(t, sim, len(wicsTopics))

	started := time.Now()
	oc := postOrder(t, h, orderJSON("E2E-RT-1", "16080", "16082"), nil)
	require.Equal(t, model.OrderPending, oc.Order.Status)
	require.Equal(t, model.CommandOrderCreate, oc.Command.Kind)
	require.Equal(t, oc.Order.ID, oc.Command.SubjectID)
	require.NotNil(t, oc.Order.LastCommand)
	require.Equal(t, oc.Command.ID, oc.Order.LastCommand.ID)

	c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	sent := time.Since(started)
	require.Equal(t, 1, sim.OrderCount("E2E-RT-1"))

	// The status webhooks move it: accepted and processing are seen on the
	// way (the hub is polled while the simulator moves the order on).
	seen := map[model.OrderStatus]bool{}
	o := waitOrder(t, h, oc.Order.ID, 30*time.Second, "E2E-RT-1 shipped with its shipment", func(o model.Order) bool {
		seen[o.Status] = true
		// The Shipment webhook ships the order; the order status 70 and the
		// line statuses are webhooks of their own that may come a moment
		// later.
		done := o.Status == model.OrderShipped && len(o.ShipmentIDs) == 1 &&
			o.ProviderStatus != nil && o.ProviderStatus.Code == "70" && len(o.Lines) == 2
		for _, l := range o.Lines {
			done = done && l.Status == model.OrderShipped
		}
		return done
	})
	require.True(t, seen[model.OrderAccepted] || seen[model.OrderProcessing], "statuses seen: %v", seen)
	t.Logf("POST /orders to command succeeded %s, to shipped %s (the simulator's order life: 9 steps of 200ms)",
		sent.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
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

	// Announced goods the hub created are received, with their receipt.
	status, body := apiPost(t, h, "/api/v1/inbound", mustJSON(map[string]any{
		"connection": "wics", "reference": "E2E-RT-PO-1", "expected_at": time.Now().AddDate(0, 0, 1).Format(time.DateOnly),
		"lines": []map[string]any{{"sku": "16084", "quantity": 4}},
	}), nil)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var ic struct {
		Inbound model.Inbound `json:"inbound"`
	}
	require.NoError(t, json.Unmarshal(body, &ic))
	var in model.Inbound
	eventually(t, 30*time.Second, "E2E-RT-PO-1 received with its receipt", func() bool {
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/inbound/%d", ic.Inbound.ID), &in))
		return in.Status == model.InboundReceived && len(in.Receipts) == 1
	})
	require.NotEmpty(t, in.ProviderRef)
	require.Equal(t, []model.ReceiptLine{{SKU: "16084", Quantity: 4}}, stripReceiptLines(in.Receipts[0].Lines))
	require.Len(t, in.Lines, 1)
	require.Equal(t, 4.0, in.Lines[0].Received)
}

// stripReceiptLines keeps a receipt line's SKU and quantity only.
func stripReceiptLines(ls []model.ReceiptLine) []model.ReceiptLine {
	out := make([]model.ReceiptLine, len(ls))
	for i, l := range ls {
		out[i] = model.ReceiptLine{SKU: l.SKU, Quantity: l.Quantity}
	}
	return out
}

// TestWICSCommandsEndToEnd sends the merchant's other commands through the
// real binary to a simulator whose orders and announcements stay where
// they are (no progression), so that nothing ships before it is cancelled.
func TestWICSCommandsEndToEnd(t *testing.T) {
	t.Parallel()
	h, sim := startSimHub(t, simHubOptions{}, func(c *wicssim.ServerConfig) { c.ProgressStep = -1 })
	waitSubscribed(t, sim, len(wicsTopics))

	t.Run("CancelBeforeItShips", func(t *testing.T) {
		oc := postOrder(t, h, orderJSON("E2E-CANCEL-1"), nil)
		c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		waitOrder(t, h, oc.Order.ID, 15*time.Second, "E2E-CANCEL-1 accepted", func(o model.Order) bool {
			return o.Status == model.OrderAccepted && o.ProviderRef != ""
		})

		status, body := apiPost(t, h, fmt.Sprintf("/api/v1/orders/%d/cancel", oc.Order.ID), "", nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		var cc orderCommand
		require.NoError(t, json.Unmarshal(body, &cc))
		require.Equal(t, model.CommandOrderCancel, cc.Command.Kind)
		require.Equal(t, oc.Order.ID, cc.Command.SubjectID)
		c = waitCommand(t, h, cc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)

		code, ok := sim.OrderStatus("E2E-CANCEL-1")
		require.True(t, ok)
		require.Equal(t, "90", code, "cancelled at the simulator")
		o := waitOrder(t, h, oc.Order.ID, 15*time.Second, "E2E-CANCEL-1 cancelled", func(o model.Order) bool {
			return o.Status == model.OrderCancelled
		})
		require.Equal(t, cc.Command.ID, o.LastCommand.ID)
		require.Equal(t, string(model.CommandSucceeded), o.LastCommand.Status)
		require.Equal(t, 1, sim.OrderCount("E2E-CANCEL-1"))
	})

	t.Run("AnswersThatComeAfterTheirWebhooks", func(t *testing.T) {
		// WICS sends Order status 00 as it creates the order, and 90 as it
		// deletes it: when those webhooks reach the hub before WICS's answer
		// does, the answer must not wipe out what they said.
		sim.InjectFault(wicssim.Fault{Method: http.MethodPost, Path: "/api/order", HoldAnswer: true, Delay: 300 * time.Millisecond})
		oc := postOrder(t, h, orderJSON("E2E-LATEANSWER-1"), nil)
		waitOrder(t, h, oc.Order.ID, 15*time.Second, "the 00 webhook before the answer", func(o model.Order) bool {
			return o.ProviderStatus != nil && o.ProviderStatus.Code == "00"
		})
		c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		o := waitOrder(t, h, oc.Order.ID, 15*time.Second, "the answer applied", func(o model.Order) bool {
			return o.ProviderRef != "" && o.LastCommand != nil && o.LastCommand.Status == string(model.CommandSucceeded)
		})
		require.Equal(t, model.OrderAccepted, o.Status)
		require.Equal(t, &model.ProviderStatus{Code: "00", Description: "Aangemaakt"}, o.ProviderStatus)

		sim.InjectFault(wicssim.Fault{Method: http.MethodDelete, Path: "/api/order", HoldAnswer: true, Delay: 300 * time.Millisecond})
		status, body := apiPost(t, h, fmt.Sprintf("/api/v1/orders/%d/cancel", o.ID), "", nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		var cc orderCommand
		require.NoError(t, json.Unmarshal(body, &cc))
		c = waitCommand(t, h, cc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		o = waitOrder(t, h, o.ID, 15*time.Second, "the cancel's answer applied", func(o model.Order) bool {
			return o.LastCommand != nil && o.LastCommand.ID == cc.Command.ID && o.LastCommand.Status == string(model.CommandSucceeded)
		})
		require.Equal(t, model.OrderCancelled, o.Status)
		require.Equal(t, &model.ProviderStatus{Code: "90", Description: "Geannuleerd"}, o.ProviderStatus)
	})

	t.Run("ProductReachesTheSimulator", func(t *testing.T) {
		require.False(t, sim.HasItem("E2E-SKU-1"))
		status, body := apiPost(t, h, "/api/v1/products", mustJSON(map[string]any{
			"connection": "wics", "sku": "E2E-SKU-1", "name": "End-to-end widget", "barcodes": []string{"8712345678906"},
		}), nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		var pc struct {
			Product model.Product `json:"product"`
			Command model.Command `json:"command"`
		}
		require.NoError(t, json.Unmarshal(body, &pc))
		require.Equal(t, model.CommandProductUpsert, pc.Command.Kind)
		c := waitCommand(t, h, pc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		require.True(t, sim.HasItem("E2E-SKU-1"), "the item is at WICS")

		var p model.Product
		eventually(t, 15*time.Second, "the product's provider_ref", func() bool {
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/products/%d", pc.Product.ID), &p))
			return p.ProviderRef != ""
		})
		require.Equal(t, "E2E-SKU-1", p.SKU)
		require.Equal(t, "E2E-SKU-1", p.ProviderRef, "WICS keys items by their code")
		require.Equal(t, []string{"8712345678906"}, p.Barcodes)

		// The new item can be ordered.
		oc := postOrder(t, h, orderJSON("E2E-NEWITEM-1", "E2E-SKU-1"), nil)
		c = waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	})

	t.Run("AnnouncementReachesTheSimulator", func(t *testing.T) {
		status, body := apiPost(t, h, "/api/v1/inbound", mustJSON(map[string]any{
			"connection": "wics", "reference": "E2E-PO-1",
			"expected_at": time.Now().AddDate(0, 0, 3).Format(time.DateOnly),
			"lines":       []map[string]any{{"sku": "16080", "quantity": 12}, {"sku": "16082", "quantity": 5}},
		}), nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		var ic struct {
			Inbound model.Inbound `json:"inbound"`
			Command model.Command `json:"command"`
		}
		require.NoError(t, json.Unmarshal(body, &ic))
		require.Equal(t, model.CommandInboundCreate, ic.Command.Kind)
		c := waitCommand(t, h, ic.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		code, ok := sim.AnnouncementStatus("E2E-PO-1")
		require.True(t, ok, "the announcement is at WICS")
		require.Equal(t, "00", code)

		var in model.Inbound
		eventually(t, 15*time.Second, "E2E-PO-1 announced with its number", func() bool {
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/inbound/%d", ic.Inbound.ID), &in))
			return in.Status == model.InboundAnnounced && in.ProviderRef != ""
		})
		require.Equal(t, "E2E-PO-1", in.Reference)
		require.Len(t, in.Lines, 2)

		// And its cancel deletes it at WICS.
		status, body = apiPost(t, h, fmt.Sprintf("/api/v1/inbound/%d/cancel", in.ID), "", nil)
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		require.NoError(t, json.Unmarshal(body, &ic))
		c = waitCommand(t, h, ic.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		_, ok = sim.AnnouncementStatus("E2E-PO-1")
		require.False(t, ok, "the announcement is gone at WICS")
		// WICS confirms it with Announcement status 90 Geannuleerd, which
		// may come before or after the answer: either way it is cancelled.
		eventually(t, 15*time.Second, "E2E-PO-1 cancelled and confirmed", func() bool {
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/inbound/%d", in.ID), &in))
			return in.ProviderStatus != nil && in.ProviderStatus.Code == "90"
		})
		require.Equal(t, model.InboundCancelled, in.Status, "%s", mustJSON(in))
	})

	t.Run("IdempotencyKey", func(t *testing.T) {
		key := map[string]string{"Idempotency-Key": "e2e-idem-7f3a"}
		body := orderJSON("E2E-IDEM-1")
		first := postOrder(t, h, body, key)
		second := postOrder(t, h, body, key)
		require.Equal(t, first.Order.ID, second.Order.ID)
		require.Equal(t, first.Command.ID, second.Command.ID)
		c := waitCommand(t, h, first.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		third := postOrder(t, h, body, key) // after the command ran, too
		require.Equal(t, first.Order.ID, third.Order.ID)
		require.Equal(t, first.Command.ID, third.Command.ID)

		// The same reference without the key (or with another) is a conflict.
		status, reply := apiPost(t, h, "/api/v1/orders", body, nil)
		require.Equal(t, http.StatusConflict, status, "%s", reply)
		status, reply = apiPost(t, h, "/api/v1/orders", body, map[string]string{"Idempotency-Key": "e2e-idem-other"})
		require.Equal(t, http.StatusConflict, status, "%s", reply)
		// The key with another request is refused.
		status, reply = apiPost(t, h, "/api/v1/orders", orderJSON("E2E-IDEM-2"), key)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s", reply)

		require.Len(t, listAllOf[model.Order](t, h, "/api/v1/orders?reference=E2E-IDEM-1"), 1)
		require.Empty(t, listAllOf[model.Order](t, h, "/api/v1/orders?reference=E2E-IDEM-2"))
		require.Equal(t, 1, sim.OrderCount("E2E-IDEM-1"), "one order at WICS")
		require.Zero(t, sim.OrderCount("E2E-IDEM-2"))
	})

	t.Run("RefusedByWICSIsRejected", func(t *testing.T) {
		noDate := map[string]any{}
		require.NoError(t, json.Unmarshal([]byte(orderJSON("E2E-NODATE-1")), &noDate))
		delete(noDate, "delivery_date")
		tests := []struct {
			name, reference, body, wicsSays string
		}{
			{"UnknownItem", "E2E-BADITEM-1", orderJSON("E2E-BADITEM-1", "NO-SUCH-ITEM"), "Item NO-SUCH-ITEM does not exist."},
			{"NoDeliveryDate", "E2E-NODATE-1", mustJSON(noDate), "The deliveryDate field is required."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				oc := postOrder(t, h, tt.body, nil)
				c := waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandDead, model.CommandSucceeded)
				require.Equal(t, model.CommandDead, c.Status)
				require.Equal(t, 1, c.Attempts, "a refusal is not retried")
				require.Contains(t, c.LastError, tt.wicsSays)
				o := waitOrder(t, h, oc.Order.ID, 15*time.Second, tt.reference+" rejected", func(o model.Order) bool {
					return o.Status == model.OrderRejected
				})
				require.NotNil(t, o.LastCommand)
				require.Equal(t, string(model.CommandDead), o.LastCommand.Status)
				require.Contains(t, o.LastCommand.Error, tt.wicsSays)
				require.Zero(t, sim.OrderCount(tt.reference))
				eventually(t, 15*time.Second, "command.dead of "+tt.reference, func() bool {
					return slices.ContainsFunc(feedEvents(t, h, model.EventCommandDead), func(e model.FeedEvent) bool {
						return e.SubjectID == c.ID || strings.Contains(string(e.Data), fmt.Sprintf(`"id":%d`, c.ID))
					})
				})
			})
		}
	})

	t.Run("InvalidRequestQueuesNothing", func(t *testing.T) {
		before := listCommands(t, h, "")
		ordersBefore := sim.Orders()
		valid := map[string]any{}
		require.NoError(t, json.Unmarshal([]byte(orderJSON("E2E-INVALID-1")), &valid))
		with := func(edit func(m map[string]any)) string {
			m := map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(mustJSON(valid)), &m))
			edit(m)
			return mustJSON(m)
		}
		tests := []struct {
			name, body, field string
		}{
			{"NoLines", with(func(m map[string]any) { m["lines"] = []any{} }), "lines"},
			{"ZeroQuantity", with(func(m map[string]any) { m["lines"] = []any{map[string]any{"sku": "16080", "quantity": 0}} }), "quantity"},
			{"HalfAUnit", with(func(m map[string]any) { m["lines"] = []any{map[string]any{"sku": "16080", "quantity": 1.5}} }), "quantity"},
			{"NoName", with(func(m map[string]any) {
				a := m["delivery_address"].(map[string]any)
				delete(a, "first_name")
				delete(a, "last_name")
			}), "delivery_address"},
			{"BadDate", with(func(m map[string]any) { m["delivery_date"] = "tomorrow" }), "delivery_date"},
			{"UnknownConnection", with(func(m map[string]any) { m["connection"] = "nope" }), "connection"},
			{"NoReference", with(func(m map[string]any) { delete(m, "reference") }), "reference"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := apiPost(t, h, "/api/v1/orders", tt.body, nil)
				require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, status, "%s", body)
				require.Contains(t, string(body), tt.field, "the problem names the field")
			})
		}
		require.Equal(t, len(before), len(listCommands(t, h, "")), "nothing queued")
		require.Empty(t, listAllOf[model.Order](t, h, "/api/v1/orders?reference=E2E-INVALID-1"))
		require.Equal(t, ordersBefore, sim.Orders(), "nothing sent")
	})

	t.Run("ConnectionIsHealthyWithItsBudget", func(t *testing.T) {
		var got struct {
			Data []model.ConnectionStatus `json:"data"`
		}
		eventually(t, 15*time.Second, "the wics connection healthy", func() bool {
			got.Data = nil
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/connections", &got))
			return len(got.Data) == 1 && got.Data[0].Health.Status == "healthy"
		})
		c := got.Data[0]
		require.Equal(t, "wics", c.ID)
		require.Equal(t, "wics", c.Provider)
		require.NotNil(t, c.Health.CheckedAt)
		require.NotNil(t, c.LastMessageAt, "webhooks and answers came in")
		require.NotNil(t, c.Budget)
		require.Equal(t, 150, c.Budget.PerMinute)
		require.Equal(t, 20000, c.Budget.PerDay)
		spent := sim.Limits(wicsKey).Served
		require.Positive(t, spent)
		require.LessOrEqual(t, c.Budget.DayLeft, 20000-int(spent)+1, "the day's budget counts what was sent")
		require.Nil(t, c.Budget.BlockedUntil, "not blocked")
		require.Zero(t, c.Budget.Violations)
	})

	t.Run("ABlockShowsInTheConnection", func(t *testing.T) {
		// WICS blocks the login (another system on it went too fast): the
		// next command meets the block, the hub backs off instead of
		// making it worse, and the connection shows the block.
		sim.Block(wicsKey, 3) // 15 of WICS's minutes: 1.5s here
		blocksBefore := len(sim.Limits(wicsKey).Blocks)
		oc := postOrder(t, h, orderJSON("E2E-BLOCKED-1"), nil)
		var seen *model.ConnectionBudget
		var raw []byte
		eventually(t, 15*time.Second, "blocked_until in GET /connections", func() bool {
			status, body := do(t, http.MethodGet, h.URL+"/api/v1/connections", map[string]string{"Authorization": "Bearer " + acmeKey}, "")
			require.Equal(t, http.StatusOK, status)
			var got struct {
				Data []model.ConnectionStatus `json:"data"`
			}
			require.NoError(t, json.Unmarshal(body, &got))
			if b := got.Data[0].Budget; b != nil && b.BlockedUntil != nil {
				seen, raw = b, body
				return true
			}
			return false
		})
		require.Contains(t, string(raw), `"blocked_until":`)
		require.Positive(t, seen.Violations)
		require.True(t, seen.BlockedUntil.After(time.Now().Add(-time.Minute)), "a block of now: %s", seen.BlockedUntil)
		require.Contains(t, metricLines(t, h, "shiphub_rate_blocked_until_seconds"), "wics:", "and in the metrics")

		c := waitCommand(t, h, oc.Command.ID, 30*time.Second, model.CommandSucceeded, model.CommandDead)
		require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
		require.Equal(t, 1, sim.OrderCount("E2E-BLOCKED-1"))
		require.Len(t, sim.Limits(wicsKey).Blocks, blocksBefore, "the hub did not make the block worse")
	})
}

// feedEvents reads the acme workspace's feed entries of one type.
func feedEvents(t *testing.T, h *hub, typ string) []model.FeedEvent {
	t.Helper()
	var out []model.FeedEvent
	after := int64(0)
	for {
		var p struct {
			Data      []model.FeedEvent `json:"data"`
			NextAfter int64             `json:"next_after"`
		}
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/events?after=%d&limit=500", after), &p))
		for _, e := range p.Data {
			if e.Type == typ {
				out = append(out, e)
			}
		}
		if len(p.Data) == 0 || p.NextAfter == after {
			return out
		}
		after = p.NextAfter
	}
}

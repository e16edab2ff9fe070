package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

// The merchant's commands to Active Ants on the real binary, against the
// simulator in the test process: the prechecks that refuse with 409 before
// anything is queued or sent, the return label, a NOK answer on the retry
// schedule, and an order on hold released.

// startAAHub starts a hub on SQLite with the Active Ants connection "aa" to
// sim; top is YAML appended at the top level of the configuration (say a
// commands: section).
func startAAHub(t *testing.T, sim *aaSim, top string) *hub {
	t.Helper()
	dir := t.TempDir()
	cfg := aaConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"), sim.URL, aaPassword, aaFast)
	if top != "" {
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteString(top + "\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	return startHub(t, cfg)
}

// aaSend sends a JSON body with the acme key and answers the status and
// the body.
func aaSend(t *testing.T, h *hub, method, path, body string) (int, []byte) {
	t.Helper()
	return do(t, method, h.URL+path, map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "application/json"}, body)
}

// problemDetail reads the detail of a problem answer.
func problemDetail(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	require.NoError(t, json.Unmarshal(body, &p), "%s", body)
	return p.Detail
}

// simProduct is the simulator's product of a SKU.
func simProduct(t *testing.T, sim *aaSim, sku string) activeantssim.Product {
	t.Helper()
	for _, p := range sim.Products() {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("the simulator has no product %s", sku)
	return activeantssim.Product{}
}

// hubStock is the hub's stock of a SKU at the aa connection, nil when it
// has none yet.
func hubStock(t *testing.T, h *hub, sku string) *model.Stock {
	t.Helper()
	var got page[model.Stock]
	if apiGet(t, h, acmeKey, "/api/v1/stock?sku="+url.QueryEscape(sku), &got) != http.StatusOK || len(got.Data) != 1 {
		return nil
	}
	return &got.Data[0]
}

// TestActiveAntsProductBarcodeEditEndToEnd: the barcode of a product in
// stock, as the hub knows its stock, is refused with 409 before anything is
// queued or sent; once a stock count empties the product, the same change
// is queued, sent, and the warehouse's barcode changes.
func TestActiveAntsProductBarcodeEditEndToEnd(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 31, Speed: -1, Products: 6})
	var p activeantssim.Product
	for _, q := range sim.Products() {
		if q.Physical > 0 && q.Barcode != "" {
			p = q
			break
		}
	}
	require.NotEmpty(t, p.SKU, "a product in stock")
	h := startAAHub(t, sim, "")
	eventually(t, 15*time.Second, "the stock of "+p.SKU, func() bool { s := hubStock(t, h, p.SKU); return s != nil && s.Physical > 0 })

	product := func(barcode string) string {
		return mustJSON(map[string]any{"connection": "aa", "sku": p.SKU, "name": p.Name, "barcodes": []string{barcode}})
	}
	status, body := aaSend(t, h, http.MethodPost, "/api/v1/products", product(p.Barcode))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var pc api.ProductCommand
	require.NoError(t, json.Unmarshal(body, &pc))
	waitCommand(t, h, pc.Command.ID, 15*time.Second, model.CommandSucceeded)
	// The command succeeds when its answer is in the inbox; the barcode the
	// precheck compares with is the hub's product once that answer is applied.
	eventually(t, 15*time.Second, "the hub's product with its barcode", func() bool {
		var got model.Product
		return apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/products/%d", pc.Product.ID), &got) == http.StatusOK &&
			slices.Contains(got.Barcodes, p.Barcode)
	})

	const newBarcode = "8719990000017"
	commands := len(listCommands(t, h, ""))
	edits := sim.count("POST /product/edit")
	status, body = aaSend(t, h, http.MethodPost, "/api/v1/products", product(newBarcode))
	require.Equal(t, http.StatusConflict, status, "%s", body)
	require.Contains(t, problemDetail(t, body), "out of stock")
	require.Len(t, listCommands(t, h, ""), commands, "nothing is queued")
	steady(t, time.Second, "nothing is sent", func() bool { return sim.count("POST /product/edit") == edits })
	require.Equal(t, p.Barcode, simProduct(t, sim, p.SKU).Barcode, "the warehouse's barcode is unchanged")

	require.NoError(t, sim.SetStock(p.SKU, 0))
	eventually(t, 15*time.Second, "the hub sees "+p.SKU+" out of stock", func() bool {
		s := hubStock(t, h, p.SKU)
		return s != nil && s.Physical == 0 && s.Available == 0
	})
	status, body = aaSend(t, h, http.MethodPost, "/api/v1/products", product(newBarcode))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	require.NoError(t, json.Unmarshal(body, &pc))
	waitCommand(t, h, pc.Command.ID, 15*time.Second, model.CommandSucceeded)
	require.Equal(t, newBarcode, simProduct(t, sim, p.SKU).Barcode, "the warehouse's barcode changed")
	var got model.Product
	require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/products/%d", pc.Product.ID), &got))
	require.Equal(t, []string{newBarcode}, got.Barcodes)
}

// TestActiveAntsPurchaseOrderColoursEndToEnd: inbound goods announced
// through the API become a purchase order; once the warehouse received
// part of it (yellow), an edit that takes a line below what was received
// is refused with 409 naming the colour and nothing is sent; once it
// received all (green), any edit is refused. The resource shows its
// colour all along.
func TestActiveAntsPurchaseOrderColoursEndToEnd(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 41, Speed: -1, Products: 4, ManualReceipts: true})
	ps := sim.Products()
	a, b := ps[0].SKU, ps[1].SKU
	h := startAAHub(t, sim, "")

	lines := func(qa, qb int) string {
		return mustJSON(map[string]any{"lines": []map[string]any{{"sku": a, "quantity": qa}, {"sku": b, "quantity": qb}}})
	}
	req := map[string]any{"connection": "aa", "reference": "PO-E2E-1", "expected_at": time.Now().AddDate(0, 0, 2).Format(time.DateOnly),
		"lines": []map[string]any{{"sku": a, "quantity": 10}, {"sku": b, "quantity": 5}}}
	status, body := aaSend(t, h, http.MethodPost, "/api/v1/inbound", mustJSON(req))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var ic api.InboundCommand
	require.NoError(t, json.Unmarshal(body, &ic))
	require.Equal(t, "red", ic.Inbound.Colour)
	waitCommand(t, h, ic.Command.ID, 15*time.Second, model.CommandSucceeded)

	inbound := func() model.Inbound {
		var in model.Inbound
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/inbound/%d", ic.Inbound.ID), &in))
		return in
	}
	var poID int64
	eventually(t, 15*time.Second, "the purchase order's id", func() bool {
		_, err := fmt.Sscan(inbound().ProviderRef, &poID)
		return err == nil && poID > 0
	})
	require.Equal(t, activeantssim.Red, sim.PurchaseOrderColour(poID))

	require.NoError(t, sim.Receive(poID, a, 4))
	eventually(t, 15*time.Second, "the inbound goods yellow", func() bool { return inbound().Colour == "yellow" })
	refused := func(body, colour string) {
		t.Helper()
		commands := len(listCommands(t, h, ""))
		edits := sim.count("POST /purchaseorder/edit")
		items := sim.PurchaseOrderItems(poID)
		status, answer := aaSend(t, h, http.MethodPut, fmt.Sprintf("/api/v1/inbound/%d", ic.Inbound.ID), body)
		require.Equal(t, http.StatusConflict, status, "%s", answer)
		require.Contains(t, strings.ToLower(problemDetail(t, answer)), colour)
		require.Len(t, listCommands(t, h, ""), commands, "nothing is queued")
		steady(t, 500*time.Millisecond, "nothing is sent", func() bool { return sim.count("POST /purchaseorder/edit") == edits })
		require.Equal(t, items, sim.PurchaseOrderItems(poID), "the purchase order is unchanged")
	}
	refused(lines(3, 5), "yellow")

	// Raising a line is what yellow allows: queued, sent, and the
	// warehouse's purchase order holds the new quantity.
	edits := sim.count("POST /purchaseorder/edit")
	status, body = aaSend(t, h, http.MethodPut, fmt.Sprintf("/api/v1/inbound/%d", ic.Inbound.ID), lines(10, 8))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var uc api.InboundCommand
	require.NoError(t, json.Unmarshal(body, &uc))
	require.Equal(t, "yellow", uc.Inbound.Colour)
	c := waitCommand(t, h, uc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	require.Equal(t, edits+1, sim.count("POST /purchaseorder/edit"))
	require.Equal(t, map[string][2]int{a: {10, 4}, b: {8, 0}}, sim.PurchaseOrderItems(poID))

	require.NoError(t, sim.Receive(poID, a, 6))
	require.NoError(t, sim.Receive(poID, b, 8))
	require.Equal(t, activeantssim.Green, sim.PurchaseOrderColour(poID))
	eventually(t, 15*time.Second, "the inbound goods green", func() bool { return inbound().Colour == "green" })
	refused(lines(10, 9), "green")
}

// TestActiveAntsReturnLabelEndToEnd: a return of a shipped order is
// announced as an RMA, its label fetched and kept, and served as a PDF.
func TestActiveAntsReturnLabelEndToEnd(t *testing.T) {
	t.Parallel()
	sim := shippedWorld(t, 4)
	h := startAAHub(t, sim, "")
	got := requireEachShipmentOnceAndMarked(t, h, sim)
	w := sim.Shipments()[0]
	s := got[fmt.Sprint(w.ID)]
	require.NotEmpty(t, s.Items)

	req := mustJSON(map[string]any{"connection": "aa", "reference": w.ExternalOrderNumber,
		"lines": []map[string]any{{"sku": s.Items[0].SKU, "quantity": 1, "reason": "SIZE"}}})
	status, body := aaSend(t, h, http.MethodPost, "/api/v1/returns", req)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var rc api.ReturnCommand
	require.NoError(t, json.Unmarshal(body, &rc))
	c := waitCommand(t, h, rc.Command.ID, 15*time.Second, model.CommandSucceeded, model.CommandDead)
	require.Equal(t, model.CommandSucceeded, c.Status, "last error: %s", c.LastError)
	require.Equal(t, 1, sim.RMAs())

	path := fmt.Sprintf("/api/v1/returns/%d", rc.Return.ID)
	var ret model.Return
	eventually(t, 10*time.Second, "the return's label", func() bool {
		ret = model.Return{}
		return apiGet(t, h, acmeKey, path, &ret) == http.StatusOK && ret.Label != ""
	})
	require.Equal(t, path+"/label", ret.Label)
	require.NotEmpty(t, ret.ProviderRef, "the RMA's id")

	r, err := http.NewRequest(http.MethodGet, h.URL+path+"/label", nil)
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+acmeKey)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	var pdf bytes.Buffer
	_, err = pdf.ReadFrom(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", pdf.String())
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")), "a PDF: %q", pdf.String()[:min(20, pdf.Len())])
}

// TestActiveAntsNOKIsFailedThenDead: Active Ants answers a command with a
// 2xx NOK each time; the command is failed with Active Ants's message
// while retries remain, and dead after the schedule (two short waits).
func TestActiveAntsNOKIsFailedThenDead(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 51, Speed: -1, Products: 2})
	const message = "Product could not be saved: the warehouse is taking stock."
	sim.Inject("/product/add", http.StatusOK, message, -1)
	h := startAAHub(t, sim, "commands: { retry_schedule: [1500ms, 1500ms] }")

	status, body := aaSend(t, h, http.MethodPost, "/api/v1/products", `{"connection": "aa", "sku": "NEW-NOK-1", "name": "Nieuw product"}`)
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var pc api.ProductCommand
	require.NoError(t, json.Unmarshal(body, &pc))
	c := waitCommand(t, h, pc.Command.ID, 10*time.Second, model.CommandFailed, model.CommandDead)
	require.Equal(t, model.CommandFailed, c.Status, "failed while retries remain")
	require.Equal(t, message, c.LastError, "Active Ants's message")
	require.NotNil(t, c.NextAttemptAt)

	c = waitCommand(t, h, pc.Command.ID, 15*time.Second, model.CommandDead)
	require.Equal(t, 3, c.Attempts, "the first attempt and one per wait of the schedule")
	require.Equal(t, message, c.LastError)
	require.Equal(t, 3, sim.Requests("/product/add"))
}

// TestActiveAntsOnHoldReleasedShips: an order created on hold waits at the
// warehouse, however long; POST /api/v1/orders/{id}/release releases it,
// and it ships.
func TestActiveAntsOnHoldReleasedShips(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 61, Speed: -1, Products: 5})
	sku := sim.Products()[0].SKU
	h := startAAHub(t, sim, "")

	body := fmt.Sprintf(`{"connection": "aa", "reference": "HOLD-1", "on_hold": true, "lines": [{"sku": %q, "quantity": 1, "price": 9.95}],
		"delivery_address": {"first_name": "Piet", "last_name": "Jansen", "street": "Oudegracht", "house_number": "3",
			"postcode": "3511AA", "city": "Utrecht", "country": "NL", "email": "piet@example.com"},
		"shipping_method": "POSTNL_NL", "order_type": "myshop_nl_orders", "language": "NL"}`, sku)
	var oc orderCommand
	eventually(t, 20*time.Second, "the order accepted", func() bool {
		status, answer := aaSend(t, h, http.MethodPost, "/api/v1/orders", body)
		if status != http.StatusAccepted {
			return false
		}
		require.NoError(t, json.Unmarshal(answer, &oc))
		return true
	})
	waitCommand(t, h, oc.Command.ID, 15*time.Second, model.CommandSucceeded)
	require.True(t, sim.OrderOnHold("HOLD-1"))
	waitOrder(t, h, oc.Order.ID, 10*time.Second, "the order on hold", func(o model.Order) bool { return o.Status == model.OrderOnHold })

	sim.Advance(12 * time.Hour)
	require.Empty(t, shipmentsOf(sim, "HOLD-1"), "an order on hold is not picked")

	status, answer := aaSend(t, h, http.MethodPost, fmt.Sprintf("/api/v1/orders/%d/release", oc.Order.ID), "")
	require.Equal(t, http.StatusAccepted, status, "%s", answer)
	var rel orderCommand
	require.NoError(t, json.Unmarshal(answer, &rel))
	require.Equal(t, model.CommandOrderRelease, rel.Command.Kind)
	waitCommand(t, h, rel.Command.ID, 15*time.Second, model.CommandSucceeded)
	require.False(t, sim.OrderOnHold("HOLD-1"), "released at the warehouse")

	sim.Advance(4 * time.Hour)
	require.NotEmpty(t, shipmentsOf(sim, "HOLD-1"), "picked and shipped once released")
	waitOrder(t, h, oc.Order.ID, 20*time.Second, "the order shipped", func(o model.Order) bool {
		return o.Status == model.OrderShipped && len(o.ShipmentIDs) == 1
	})
}

// shipmentsOf lists the simulator's shipments of an order.
func shipmentsOf(sim *aaSim, ref string) []activeantssim.Shipment {
	var out []activeantssim.Shipment
	for _, s := range sim.Shipments() {
		if s.ExternalOrderNumber == ref {
			out = append(out, s)
		}
	}
	return out
}

// TestActiveAntsProductRefreshEndToEnd: POST /api/v1/products/{id}/refresh
// queues a product.get, which reads the product at Active Ants (POST
// /product/search by SKU); its answer goes through the inbox and updates
// the hub's product with what the warehouse keeps (a name changed in Maya).
func TestActiveAntsProductRefreshEndToEnd(t *testing.T) {
	t.Parallel()
	sim := startAASim(t, activeantssim.Config{Seed: 71, Speed: -1, Products: 3})
	p := sim.Products()[0]
	h := startAAHub(t, sim, "")

	status, body := aaSend(t, h, http.MethodPost, "/api/v1/products", mustJSON(map[string]any{"connection": "aa", "sku": p.SKU, "name": p.Name}))
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var pc api.ProductCommand
	require.NoError(t, json.Unmarshal(body, &pc))
	waitCommand(t, h, pc.Command.ID, 15*time.Second, model.CommandSucceeded)

	require.NoError(t, sim.RenameProduct(p.SKU, "Hand Lotion 250ml (Maya)"))
	searches := sim.count("POST /product/search")
	status, body = aaSend(t, h, http.MethodPost, fmt.Sprintf("/api/v1/products/%d/refresh", pc.Product.ID), "")
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	var rc api.ProductCommand
	require.NoError(t, json.Unmarshal(body, &rc))
	require.Equal(t, model.CommandProductGet, rc.Command.Kind)
	require.Equal(t, pc.Product.ID, rc.Command.SubjectID)
	waitCommand(t, h, rc.Command.ID, 15*time.Second, model.CommandSucceeded)
	require.Equal(t, searches+1, sim.count("POST /product/search"), "one search")

	var got model.Product
	eventually(t, 10*time.Second, "the product updated from Active Ants", func() bool {
		got = model.Product{}
		return apiGet(t, h, acmeKey, fmt.Sprintf("/api/v1/products/%d", pc.Product.ID), &got) == http.StatusOK &&
			got.Name == "Hand Lotion 250ml (Maya)"
	})
	require.Equal(t, []string{p.Barcode}, got.Barcodes, "the warehouse's barcode")
	require.Contains(t, got.Attributes, "weight")
}

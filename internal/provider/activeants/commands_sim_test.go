package activeants_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

// TestCommandsAgainstTheSimulator carries every command out over real HTTP
// at the simulator, whose settings ids differ from the document's, and
// follows what the simulator then holds.
func TestCommandsAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	sim, err := activeantssim.New(activeantssim.Config{Username: testUser, Password: testPassword, Seed: 7, Speed: -1, ManualReceipts: true})
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: base, Username: testUser, Password: testPassword})
	require.NoError(t, err)
	ctx := ctxT(t)
	send := func(cmd *model.Command, subject any) (model.Changes, error) {
		t.Helper()
		env := provider.CommandEnv{Subject: func(context.Context) (any, error) { return subject, nil }}
		ans, err := c.SendCommand(ctx, env, cmd)
		if err != nil {
			return model.Changes{}, err
		}
		return normalizeAnswer(t, c, ans), nil
	}
	products := sim.Products()
	require.NotEmpty(t, products)
	stocked := products[0]
	require.Positive(t, stocked.Physical)

	// An order on hold, sent twice (a retry after a crash): one order.
	order := model.OrderRequest{Reference: "SIM-1", OrderType: "myshop_nl_orders", ShippingMethod: "POSTNL_NL", OnHold: true,
		Lines: []model.OrderRequestLine{{SKU: stocked.SKU, Quantity: 1}},
		DeliveryAddress: model.Address{FirstName: "Anna", LastName: "de Vries", Street: "Dorpsstraat", HouseNumber: "12",
			Postcode: "3511 AB", City: "Utrecht", Country: "NL"}}
	ch, err := send(command(t, model.CommandOrderCreate, order, 1), nil)
	require.NoError(t, err)
	number := ch.Orders[0].ProviderRef
	require.NotEmpty(t, number)
	require.Equal(t, model.OrderOnHold, ch.Orders[0].Status)
	ch, err = send(command(t, model.CommandOrderCreate, order, 2), nil)
	require.NoError(t, err)
	require.Equal(t, number, ch.Orders[0].ProviderRef, "the retry finds the order")
	require.Equal(t, 1, sim.Requests("/order/add"), "and sends it once")

	held := &model.Order{Resource: model.Resource{ProviderRef: number}, Reference: "SIM-1", Status: model.OrderOnHold}
	for range 2 { // released, then released already
		ch, err = send(command(t, model.CommandOrderRelease, nil, 1), held)
		require.NoError(t, err)
		require.Equal(t, model.OrderAccepted, ch.Orders[0].Status)
	}

	// A barcode change while in stock is refused for good; a new product is added.
	_, err = send(command(t, model.CommandProductUpsert, model.ProductRequest{SKU: stocked.SKU, Name: stocked.Name, Barcodes: []string{"8700000000999"}}, 1), nil)
	require.ErrorIs(t, err, provider.ErrRefused)
	ch, err = send(command(t, model.CommandProductUpsert, model.ProductRequest{SKU: "NEW-1", Name: "New product", Barcodes: []string{"8700000000998"},
		Attributes: map[string]string{"weight": "0.4"}}, 1), nil)
	require.NoError(t, err)
	require.Equal(t, "NEW-1", ch.Products[0].SKU)

	// A purchase order, partly received (yellow): lowering a received line
	// is refused by the simulator too, when the hub did not know of the
	// receipt yet.
	ch, err = send(command(t, model.CommandInboundCreate, model.InboundRequest{Reference: "PO-SIM-1", ExpectedAt: "2026-12-10",
		Lines: []model.InboundRequestLine{{SKU: stocked.SKU, Quantity: 10}, {SKU: "NEW-1", Quantity: 5}}}, 1), nil)
	require.NoError(t, err)
	poID, err := strconv.ParseInt(ch.Inbound[0].ProviderRef, 10, 64)
	require.NoError(t, err)
	require.Equal(t, activeantssim.Red, sim.PurchaseOrderColour(poID))
	require.NoError(t, sim.Receive(poID, stocked.SKU, 4))
	require.Equal(t, activeantssim.Yellow, sim.PurchaseOrderColour(poID))
	unaware := &model.Inbound{Resource: model.Resource{ProviderRef: ch.Inbound[0].ProviderRef}, Reference: "PO-SIM-1",
		Lines: []model.InboundLine{{LineNumber: 1, SKU: stocked.SKU, Expected: 10}, {LineNumber: 2, SKU: "NEW-1", Expected: 5}}}
	_, err = send(command(t, model.CommandInboundUpdate, model.InboundRequest{Reference: "PO-SIM-1",
		Lines: []model.InboundRequestLine{{SKU: stocked.SKU, Quantity: 2}, {SKU: "NEW-1", Quantity: 5}}}, 1), unaware)
	require.ErrorIs(t, err, provider.ErrRefused)
	require.Contains(t, err.Error(), "YELLOW")
	_, err = send(command(t, model.CommandInboundUpdate, model.InboundRequest{Reference: "PO-SIM-1",
		Lines: []model.InboundRequestLine{{SKU: stocked.SKU, Quantity: 12}}}, 1), unaware)
	require.NoError(t, err, "raising a line and dropping one with nothing received is allowed")
	aware := *unaware
	aware.Lines = []model.InboundLine{{LineNumber: 1, SKU: stocked.SKU, Expected: 12, Received: 4}}
	ch, err = send(command(t, model.CommandInboundCancel, nil, 1), &aware)
	require.NoError(t, err)
	require.Equal(t, model.InboundReceived, ch.Inbound[0].Status, "a yellow delete keeps what was received")
	require.Equal(t, activeantssim.Green, sim.PurchaseOrderColour(poID))

	// The order ships; its return gets an RMA and a PDF label.
	sim.Advance(48 * time.Hour)
	ret := model.ReturnRequest{Reference: "SIM-1", Note: "Too small", Lines: []model.ReturnRequestLine{{SKU: stocked.SKU, Quantity: 1, Reason: "PRODT_BIONT"}}}
	ch, err = send(command(t, model.CommandReturnCreate, ret, 1), nil)
	require.NoError(t, err)
	u := ch.Returns[0]
	require.NotEmpty(t, u.ProviderRef)
	require.Regexp(t, `^data:application/pdf;base64,JVBER`, u.Label, "the label is the simulator's PDF")
}

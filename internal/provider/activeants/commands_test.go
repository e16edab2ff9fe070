package activeants_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

// newCommandConn is a connector on the fake ShopApi with the document's
// settings.
func newCommandConn(t *testing.T) (*activeants.Connector, *shopAPI) {
	t.Helper()
	clk := newClock()
	a := newShopAPI(t, clk)
	a.set(func(a *shopAPI) { a.settingsReply = doc(t, "settings.txt") })
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: a.URL(), Username: testUser, Password: testPassword})
	require.NoError(t, err)
	c.Client().Now = clk.Now
	return c, a
}

// warm fetches the settings, as the poll service does at its start.
func warm(t *testing.T, c *activeants.Connector) {
	t.Helper()
	_, err := c.AccountSettings(ctxT(t))
	require.NoError(t, err)
}

func command(t *testing.T, kind model.CommandKind, payload any, attempts int) *model.Command {
	t.Helper()
	var raw json.RawMessage
	if payload != nil {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		raw = b
	}
	return &model.Command{ID: 41, Workspace: "acme", Connection: "aa", Provider: "activeants", Kind: kind,
		SubjectID: 7, Attempts: attempts, Payload: raw, Status: model.CommandRunning}
}

// fullOrder states every field the connector sends.
func fullOrder() model.OrderRequest {
	inv := model.Address{Company: "Acme BV", FirstName: "Piet", LastName: "Jansen", Street: "Kerkstraat", HouseNumber: "7",
		Postcode: "1017 GA", City: "Amsterdam", Country: "NL", Region: "NH", AddressLine2: "Finance"}
	return model.OrderRequest{
		Reference: "3000231343",
		Lines: []model.OrderRequestLine{
			{SKU: "51002325", Quantity: 2, Description: "Hair lotion 220ml", Price: 12.95, VAT: 21},
			{SKU: "324383", Quantity: 1},
		},
		DeliveryAddress: model.Address{FirstName: "Anna", LastName: "de Vries", Street: "Dorpsstraat", HouseNumber: "12a",
			HouseNumberAddition: "bis", Postcode: "3511 AB", City: "Utrecht", Country: "nl", Email: "anna@example.com", Phone: "+31612345678"},
		InvoiceAddress: &inv,
		ShippingMethod: "BELBE_BP", DeliveryDate: "2025-07-21", Note: "not sent", OrderType: "myshop_nl_orders", Language: "NL",
		OnHold: true, PickupPointID: "NL-123456",
		PickupPoint:     &model.PickupPoint{Name: "Primera Centrum", Address: model.Address{Street: "Lange Elisabethstraat", HouseNumber: "22", Postcode: "3511 JH", City: "Utrecht", Country: "NL"}},
		PartialDelivery: true, Currency: "eur", VATNumber: "NL123456789B01",
		Attributes: map[string]string{"extraReference": "PO 4471", "actionCode": "SUMMER25", "clientReference": "CRM-88",
			"extra1": "gift", "extra5": "vip", "warehouseId": "2"},
	}
}

// requireGolden compares got, indented, with testdata/golden/name.
func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, got, "", "  "))
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), buf.String())
}

func answer(code, message string, result any) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, envelope(code, message, result)) }
}

func docAnswer(t *testing.T, name string) func(w http.ResponseWriter, r *http.Request) {
	b := doc(t, name)
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, b) }
}

func normalizeAnswer(t *testing.T, c *activeants.Connector, ans *provider.CommandAnswer) model.Changes {
	t.Helper()
	ch, err := c.Normalize(&model.InboxMessage{ID: 1, Topic: ans.Topic, Body: ans.Inbound.Body, ReceivedAt: time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	return ch
}

func TestOrderCreateSendsEveryFieldAndStatesTheOrder(t *testing.T) {
	t.Parallel()
	c, a := newCommandConn(t)
	a.set(func(a *shopAPI) {
		// The document's answer of order add.
		a.override["POST /order/add"] = answer("OK", "Order has been successfully added.", 470345326)
	})
	ans, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandOrderCreate, fullOrder(), 1))
	require.NoError(t, err)
	require.Zero(t, a.count("GET /v2/order/search"), "a first attempt sent nothing before: no lookup")
	bodies := a.requestBodies("POST /order/add")
	require.Len(t, bodies, 1)
	requireGolden(t, "order_add.json", []byte(bodies[0]))

	require.Equal(t, activeants.TopicCommandOrder, ans.Topic)
	require.Equal(t, "command:41", ans.Inbound.DedupKey)
	ch := normalizeAnswer(t, c, ans)
	require.Len(t, ch.Orders, 1)
	o := ch.Orders[0]
	require.Equal(t, "3000231343", o.Reference)
	require.Equal(t, "470345326", o.ProviderRef)
	require.Equal(t, model.OrderOnHold, o.Status)
	require.Len(t, o.Lines, 2)
	require.Equal(t, "51002325", o.Lines[0].SKU)
	require.Equal(t, 2.0, *o.Lines[0].Quantity)
}

func TestOrderCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		attempts int
		search   func(t *testing.T) func(http.ResponseWriter, *http.Request)
		add      func(w http.ResponseWriter, r *http.Request)
		adds     int
		number   string
	}{
		{"ARetryFindsTheOrderAndSendsNothing", 2,
			func(t *testing.T) func(http.ResponseWriter, *http.Request) { return docAnswer(t, "order_search.txt") },
			answer("OK", "Order has been successfully added.", 1), 0, "6298945"},
		{"ARetryThatFindsNoneSends", 2,
			func(*testing.T) func(http.ResponseWriter, *http.Request) {
				return answer("NOK", "Order not found.", nil)
			},
			answer("OK", "Order has been successfully added.", 470345326), 1, "470345326"},
		{"AlreadyExistsIsSuccess", 1,
			func(t *testing.T) func(http.ResponseWriter, *http.Request) { return docAnswer(t, "order_search.txt") },
			answer("NOK", "Order with external order number (3000231343) already exists.", nil), 1, "6298945"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, a := newCommandConn(t)
			a.set(func(a *shopAPI) {
				a.override["GET /v2/order/search"] = tc.search(t)
				a.override["POST /order/add"] = tc.add
			})
			ans, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandOrderCreate, fullOrder(), tc.attempts))
			require.NoError(t, err)
			require.Equal(t, tc.adds, a.count("POST /order/add"))
			ch := normalizeAnswer(t, c, ans)
			require.Equal(t, tc.number, ch.Orders[0].ProviderRef)
		})
	}
}

func TestOrderCreateRefusals(t *testing.T) {
	t.Parallel()
	t.Run("ANOKIsRetriedWithTheProvidersMessage", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /order/add"] = answer("NOK", "Product with sku (51002325) does not exist.", nil)
		})
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandOrderCreate, fullOrder(), 1))
		require.Error(t, err)
		require.NotErrorIs(t, err, provider.ErrRefused, "a NOK is failed and retried, dead after the schedule")
		require.Equal(t, "Product with sku (51002325) does not exist.", err.Error(), "in Active Ants's words")
	})
	t.Run("AnHTTP400IsFinal", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /order/add"] = func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 400, envelope("NOK", "deliveryAddressLastName is required", nil))
			}
		})
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandOrderCreate, fullOrder(), 1))
		require.ErrorIs(t, err, provider.ErrRefused)
		require.Contains(t, err.Error(), "deliveryAddressLastName is required")
	})
	t.Run("AnUnknownCodeWithColdSettingsIsFinalAndNamesTheCode", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		req := fullOrder()
		req.ShippingMethod = "UPS_EXPRESS"
		cmd := command(t, model.CommandOrderCreate, req, 1)
		require.NoError(t, c.ValidateCommand(cmd), "without cached settings the codes are checked when sent")
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, cmd)
		require.ErrorIs(t, err, provider.ErrRefused)
		require.Contains(t, err.Error(), `"UPS_EXPRESS"`)
		require.Contains(t, err.Error(), "BELBE_BP")
		require.Zero(t, a.count("POST /order/add"))
	})
}

func TestValidateOrderWithCachedSettingsListsKnownCodes(t *testing.T) {
	t.Parallel()
	c, _ := newCommandConn(t)
	warm(t, c)
	req := fullOrder()
	req.ShippingMethod, req.OrderType, req.Language = "UPS_EXPRESS", "nope", "XX"
	req.DeliveryAddress.Country = "US"
	req.Lines[1].Quantity = 1.5
	req.Attributes = map[string]string{"colour": "red"}
	err := c.ValidateCommand(command(t, model.CommandOrderCreate, req, 0))
	var fe provider.FieldErrors
	require.ErrorAs(t, err, &fe)
	got := map[string]string{}
	for _, e := range fe {
		got[e.Field] = e.Message
	}
	require.Equal(t, map[string]string{
		"shipping_method":          `unknown shipping method code "UPS_EXPRESS"; known codes: AA_CS, BELBE_BP, BUSEU1, MAXAT_BPSC`,
		"order_type":               `unknown order type code "nope"; known codes: B2B_orders, adhox, myshop_be_orders, myshop_nl_orders`,
		"language":                 `unknown language code "XX"; known codes: CS, DA, DE, EN, ES, FR, IT, NL, PL, PT`,
		"delivery_address.country": `unknown country code "US"; known codes: BE, DE, NL`,
		"lines[1].quantity":        "must be a positive whole number: Active Ants counts units",
		"attributes.colour":        "is not a field of an Active Ants order; known: actionCode, clientReference, extra1, extra2, extra3, extra4, extra5, extraReference, warehouseId",
	}, got)
	require.NoError(t, c.ValidateCommand(command(t, model.CommandOrderCreate, fullOrder(), 0)))
}

func TestOrderRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reply func(w http.ResponseWriter, r *http.Request)
		err   bool
	}{
		{"Released", answer("OK", "status is OK", nil), false},
		{"NotOnHoldIsReleasedAlready", answer("NOK", "Order (3000231343) is not on hold.", nil), false},
		{"NotFoundIsRetried", answer("NOK", "Order (3000231343) not found.", nil), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, a := newCommandConn(t)
			a.set(func(a *shopAPI) { a.override["POST /v2/order/release"] = tc.reply })
			env := provider.CommandEnv{Subject: func(context.Context) (any, error) {
				return &model.Order{Resource: model.Resource{ProviderRef: "470345326"}, Reference: "3000231343", Status: model.OrderOnHold}, nil
			}}
			ans, err := c.SendCommand(ctxT(t), env, command(t, model.CommandOrderRelease, nil, 1))
			require.Equal(t, []string{`{"externalOrderNumber":"3000231343"}`}, a.requestBodies("POST /v2/order/release"))
			if tc.err {
				require.Error(t, err)
				require.NotErrorIs(t, err, provider.ErrRefused)
				return
			}
			require.NoError(t, err)
			ch := normalizeAnswer(t, c, ans)
			require.Equal(t, model.OrderAccepted, ch.Orders[0].Status)
		})
	}
}

func productRequest() model.ProductRequest {
	return model.ProductRequest{SKU: "AA-RWHM-342", Name: "Hair Lotion (220ml)", Barcodes: []string{"8712345678906"},
		Attributes: map[string]string{"weight": "0.295", "costPrice": "4.10", "hasLotNumber": "true", "countryOfOriginIso": "nl", "description": "Lotion"}}
}

func TestProductUpsert(t *testing.T) {
	t.Parallel()
	t.Run("AddWhenUnknown", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /product/search"] = answer("NOK", "Product not found.", nil)
			a.override["POST /product/add"] = func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 201, envelope("OK", "Product has been successfully added", 1326169))
			}
		})
		ans, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandProductUpsert, productRequest(), 1))
		require.NoError(t, err)
		require.Zero(t, a.count("POST /product/edit"))
		requireGolden(t, "product_add.json", []byte(a.requestBodies("POST /product/add")[0]))
		ch := normalizeAnswer(t, c, ans)
		require.Equal(t, model.ProductUpdate{AsOf: ch.Products[0].AsOf, SKU: "AA-RWHM-342", ProviderRef: "1326169", Name: "Hair Lotion (220ml)",
			Barcodes: []string{"8712345678906"}, Attributes: map[string]string{"weight": "0.295", "costPrice": "4.1", "hasLotNumber": "true",
				"countryOfOriginIso": "NL", "description": "Lotion"}}, ch.Products[0])
	})
	t.Run("EditWhenKnown", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /product/search"] = answer("OK", "Product found.", map[string]string{"sku": "AA-RWHM-342"})
			a.override["POST /product/edit"] = answer("OK", "Edit of product (AA-RWHM-342) completed successfully.", nil)
		})
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandProductUpsert, productRequest(), 1))
		require.NoError(t, err)
		require.Zero(t, a.count("POST /product/add"))
		requireGolden(t, "product_add.json", []byte(a.requestBodies("POST /product/edit")[0]))
		require.Contains(t, a.requestBodies("POST /product/search")[0], `"sku":"AA-RWHM-342"`)
	})
	t.Run("ABarcodeRefusalIsFinal", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /product/search"] = answer("OK", "Product found.", map[string]string{"sku": "AA-RWHM-342"})
			a.override["POST /product/edit"] = answer("NOK", "Barcode of product (AA-RWHM-342) can only be changed as long as the product is not in stock (physical stock 2272).", nil)
		})
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandProductUpsert, productRequest(), 1))
		require.ErrorIs(t, err, provider.ErrRefused)
		require.Contains(t, err.Error(), "physical stock 2272")
	})
}

// view is a provider.HubView over fixed rows.
type view struct {
	stock   []*model.Stock
	product *model.Product
	inbound *model.Inbound
}

func (v view) Stock(context.Context, string) ([]*model.Stock, error)   { return v.stock, nil }
func (v view) Product(context.Context, string) (*model.Product, error) { return v.product, nil }
func (v view) Inbound(context.Context, int64) (*model.Inbound, error)  { return v.inbound, nil }

func TestPrecheckBarcodeOnlyWhileOutOfStock(t *testing.T) {
	t.Parallel()
	c, _ := newCommandConn(t)
	known := &model.Product{SKU: "AA-RWHM-342", Barcodes: []string{"8700000000001"}}
	for _, tc := range []struct {
		name     string
		v        view
		conflict bool
	}{
		{"InStockIsAConflict", view{product: known, stock: []*model.Stock{{SKU: "AA-RWHM-342", Physical: 2272, Available: 2255}}}, true},
		{"OutOfStockMayChange", view{product: known, stock: []*model.Stock{{SKU: "AA-RWHM-342"}}}, false},
		{"NoStockKnownMayChange", view{product: known}, false},
		{"ANewProductMayHaveAny", view{stock: []*model.Stock{{SKU: "AA-RWHM-342", Physical: 5}}}, false},
		{"TheSameBarcodeIsNoChange", view{product: &model.Product{SKU: "AA-RWHM-342", Barcodes: []string{"8712345678906"}},
			stock: []*model.Stock{{SKU: "AA-RWHM-342", Physical: 5}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := c.PrecheckCommand(ctxT(t), command(t, model.CommandProductUpsert, productRequest(), 0), tc.v)
			if tc.conflict {
				require.ErrorIs(t, err, provider.ErrConflict)
				require.Contains(t, err.Error(), "out of stock")
				return
			}
			require.NoError(t, err)
		})
	}
}

func inboundWith(lines ...model.InboundLine) *model.Inbound {
	return &model.Inbound{Resource: model.Resource{ProviderRef: "23056"}, Reference: "PO-2025-07", Status: model.InboundAnnounced, Lines: lines}
}

func TestPurchaseOrderColourRules(t *testing.T) {
	t.Parallel()
	red := inboundWith(model.InboundLine{LineNumber: 1, SKU: "A", Expected: 10}, model.InboundLine{LineNumber: 2, SKU: "B", Expected: 5})
	yellow := inboundWith(model.InboundLine{LineNumber: 1, SKU: "A", Expected: 10, Received: 4}, model.InboundLine{LineNumber: 2, SKU: "B", Expected: 5})
	green := inboundWith(model.InboundLine{LineNumber: 1, SKU: "A", Expected: 10, Received: 10}, model.InboundLine{LineNumber: 2, SKU: "B", Expected: 5, Received: 5})
	req := func(lines ...model.InboundRequestLine) *model.InboundRequest {
		return &model.InboundRequest{Reference: "PO-2025-07", Lines: lines}
	}
	for _, tc := range []struct {
		name    string
		in      *model.Inbound
		req     *model.InboundRequest
		colour  string
		allowed bool
	}{
		{"RedMayLowerAnything", red, req(model.InboundRequestLine{SKU: "A", Quantity: 1}), activeants.ColourRed, true},
		{"YellowMayAddAndRaise", yellow, req(model.InboundRequestLine{SKU: "A", Quantity: 12}, model.InboundRequestLine{SKU: "B", Quantity: 1}, model.InboundRequestLine{SKU: "C", Quantity: 3}), activeants.ColourYellow, true},
		{"YellowMayDropAnItemWithNothingReceived", yellow, req(model.InboundRequestLine{SKU: "A", Quantity: 4}), activeants.ColourYellow, true},
		{"YellowMayNotGoBelowReceived", yellow, req(model.InboundRequestLine{SKU: "A", Quantity: 3}, model.InboundRequestLine{SKU: "B", Quantity: 5}), activeants.ColourYellow, false},
		{"YellowMayNotDropAReceivedItem", yellow, req(model.InboundRequestLine{SKU: "B", Quantity: 5}), activeants.ColourYellow, false},
		{"GreenMayNotChange", green, req(model.InboundRequestLine{SKU: "A", Quantity: 10}, model.InboundRequestLine{SKU: "B", Quantity: 5}), activeants.ColourGreen, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.colour, activeants.Colour(tc.in))
			err := activeants.CheckPurchaseOrderEdit(tc.in, tc.req)
			if tc.allowed {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, provider.ErrConflict)
				require.Contains(t, err.Error(), tc.colour)
			}
		})
	}
	require.NoError(t, activeants.CheckPurchaseOrderDelete(red))
	require.NoError(t, activeants.CheckPurchaseOrderDelete(yellow))
	require.ErrorIs(t, activeants.CheckPurchaseOrderDelete(green), provider.ErrConflict)
}

func TestPurchaseOrders(t *testing.T) {
	t.Parallel()
	create := model.InboundRequest{Reference: "PO-2025-07", ExpectedAt: "2025-07-21", Note: "Pallet 1 of 2",
		Lines: []model.InboundRequestLine{{SKU: "AA-RWHM-342", Quantity: 500}, {SKU: "8010", Quantity: 120}}}
	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /purchaseorder/add"] = answer("OK", "PurchaseOrder added successfully.", 23056)
		})
		ans, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandInboundCreate, create, 1))
		require.NoError(t, err)
		requireGolden(t, "purchaseorder_add.json", []byte(a.requestBodies("POST /purchaseorder/add")[0]))
		ch := normalizeAnswer(t, c, ans)
		u := ch.Inbound[0]
		require.Equal(t, "23056", u.ProviderRef)
		require.Equal(t, model.InboundAnnounced, u.Status)
		require.Equal(t, "2025-07-21", u.ExpectedAt.Format(time.DateOnly))
		require.Len(t, u.Lines, 2)
	})
	t.Run("EditSendsEveryLineAndDeletesTheDropped", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /purchaseorder/edit"] = answer("OK", "PurchaseOrder(Items) processed successfully.", 23056)
			a.override["POST /purchaseorder/delete"] = answer("OK", "PurchaseOrder(Items) deleted successfully.", 23056)
		})
		in := inboundWith(model.InboundLine{LineNumber: 1, SKU: "AA-RWHM-342", Expected: 500}, model.InboundLine{LineNumber: 2, SKU: "8010", Expected: 120},
			model.InboundLine{LineNumber: 3, SKU: "44037", Expected: 10})
		env := provider.CommandEnv{Subject: func(context.Context) (any, error) { return in, nil }}
		edit := create
		edit.Lines = []model.InboundRequestLine{{SKU: "AA-RWHM-342", Quantity: 450}, {SKU: "8010", Quantity: 120}}
		_, err := c.SendCommand(ctxT(t), env, command(t, model.CommandInboundUpdate, edit, 1))
		require.NoError(t, err)
		requireGolden(t, "purchaseorder_edit.json", []byte(a.requestBodies("POST /purchaseorder/edit")[0]))
		require.Equal(t, []string{`{"purchaseOrderId":23056,"purchaseOrderItems":[{"sku":"44037"}]}`}, a.requestBodies("POST /purchaseorder/delete"))
	})
	t.Run("AColourRefusalIsFinal", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /purchaseorder/delete"] = answer("NOK", "PurchaseOrder (23056) is GREEN: all goods have been received and it cannot be deleted.", nil)
		})
		in := inboundWith(model.InboundLine{LineNumber: 1, SKU: "A", Expected: 10, Received: 4})
		env := provider.CommandEnv{Subject: func(context.Context) (any, error) { return in, nil }}
		_, err := c.SendCommand(ctxT(t), env, command(t, model.CommandInboundCancel, nil, 1))
		require.ErrorIs(t, err, provider.ErrRefused)
		require.Contains(t, err.Error(), "GREEN")
	})
	t.Run("AYellowDeleteLeavesWhatWasReceived", func(t *testing.T) {
		t.Parallel()
		c, a := newCommandConn(t)
		a.set(func(a *shopAPI) {
			a.override["POST /purchaseorder/delete"] = answer("OK", "PurchaseOrder(Items) deleted successfully.", 23056)
		})
		in := inboundWith(model.InboundLine{LineNumber: 1, SKU: "A", Expected: 10, Received: 4}, model.InboundLine{LineNumber: 2, SKU: "B", Expected: 5})
		env := provider.CommandEnv{Subject: func(context.Context) (any, error) { return in, nil }}
		ans, err := c.SendCommand(ctxT(t), env, command(t, model.CommandInboundCancel, nil, 1))
		require.NoError(t, err)
		require.Equal(t, []string{`{"purchaseOrderId":23056}`}, a.requestBodies("POST /purchaseorder/delete"))
		u := normalizeAnswer(t, c, ans).Inbound[0]
		require.Equal(t, model.InboundReceived, u.Status)
		require.Equal(t, 4.0, *u.Lines[0].Expected)
		require.Equal(t, 0.0, *u.Lines[1].Expected)
	})
}

func TestReturnCreateAddsTheRMAAndKeepsTheLabel(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	label := strings.Replace(string(doc(t, "returnlabel.txt")), `"data": ""`, `"data": "`+base64.StdEncoding.EncodeToString(pdf)+`"`, 1)
	c, a := newCommandConn(t)
	a.set(func(a *shopAPI) {
		a.settingsReply = doc(t, "settings.txt")
		a.override["POST /shipment/search"] = docAnswer(t, "shipment_search.txt")
		// The document's answer of rma add is form-encoded.
		a.override["POST /v2/rma/add"] = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = w.Write([]byte("messageCode=OK&message=RMA%20created.&result=133"))
		}
		a.override["GET /v2/returnlabel/get/5670498"] = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, []byte(label)) }
	})
	req := model.ReturnRequest{Reference: "#1021-TST-001", Note: "Too small", Lines: []model.ReturnRequestLine{
		{SKU: "T-002-XL", Quantity: 1, Reason: "PRODT_BIONT"}, {SKU: "T-001", Quantity: 1, Reason: "ADRES_OBOA"}}}
	cmd := command(t, model.CommandReturnCreate, req, 1)
	warm(t, c)
	require.NoError(t, c.ValidateCommand(cmd))
	ans, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, cmd)
	require.NoError(t, err)
	require.Equal(t, []string{`{"externalOrderNumber":"#1021-TST-001"}`}, a.requestBodies("POST /shipment/search"))
	requireGolden(t, "rma_add.json", []byte(a.requestBodies("POST /v2/rma/add")[0]))
	u := normalizeAnswer(t, c, ans).Returns[0]
	require.Equal(t, "#1021-TST-001", u.Reference)
	require.Equal(t, "133", u.ProviderRef)
	require.Equal(t, model.ReturnAnnounced, u.Status)
	require.Equal(t, []model.ReturnLine{{LineNumber: 1, SKU: "T-002-XL", Quantity: 1, Reason: "PRODT_BIONT"}, {LineNumber: 2, SKU: "T-001", Quantity: 1, Reason: "ADRES_OBOA"}}, u.Lines)
	require.Equal(t, activeants.LabelDataURL("application/pdf", pdf), u.Label)

	t.Run("AnUnknownReasonIs422ListingTheKnownOnes", func(t *testing.T) {
		bad := req
		bad.Lines = []model.ReturnRequestLine{{SKU: "T-001", Quantity: 1, Reason: "NOPE"}}
		err := c.ValidateCommand(command(t, model.CommandReturnCreate, bad, 0))
		var fe provider.FieldErrors
		require.ErrorAs(t, err, &fe)
		require.Equal(t, "lines[0].reason", fe[0].Field)
		require.Contains(t, fe[0].Message, "ADRES_OBOA, PRODT_BIONT")
	})
	t.Run("NoShipmentHoldsTheGoods", func(t *testing.T) {
		bad := req
		bad.Lines = []model.ReturnRequestLine{{SKU: "T-001", Quantity: 3, Reason: "NOPE"}}
		bad.Lines[0].Reason = "ADRES_OBOA"
		_, err := c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandReturnCreate, bad, 1))
		require.ErrorIs(t, err, provider.ErrRefused)
	})
}

func TestCommandKindsAndUnknownKinds(t *testing.T) {
	t.Parallel()
	c, _ := newCommandConn(t)
	require.Contains(t, c.CommandKinds(), model.CommandOrderRelease)
	err := c.ValidateCommand(command(t, model.CommandOrderCancel, nil, 0))
	var fe provider.FieldErrors
	require.ErrorAs(t, err, &fe)
	_, err = c.SendCommand(ctxT(t), provider.CommandEnv{}, command(t, model.CommandOrderCancel, nil, 1))
	require.True(t, errors.Is(err, provider.ErrRefused))
}

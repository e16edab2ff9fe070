package activeants_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

func docSettings(t *testing.T) *activeants.AccountSettings {
	t.Helper()
	env, err := activeants.DecodeEnvelope(doc(t, "settings.txt"))
	require.NoError(t, err)
	a, err := activeants.DecodeAccountSettings(env.Result)
	require.NoError(t, err)
	return a
}

func TestResolveCodesOfTheDocumentsSettings(t *testing.T) {
	t.Parallel()
	a := docSettings(t)
	for _, tc := range []struct {
		kind, code string
		want       int64
	}{
		{activeants.KindShippingMethod, "BELBE_BP", 10301},
		{activeants.KindShippingMethod, "belbe_bp", 10301},
		{activeants.KindMainShippingMethod, "BELBE_BP", 3},
		{activeants.KindOrderType, "B2B_orders", 3002},
		{activeants.KindOrderType, "adhox", 3003},
		{activeants.KindLanguage, "DE", 3},
		{activeants.KindCountry, "BE", 2},
		{activeants.KindReturnReason, "PRODT_BIONT", 2},
		{activeants.KindReturnShippingMethod, "MAXAT_BPSC_RET", 10210},
		{activeants.KindPaymentMethod, "GI", 1},
	} {
		got, err := a.Resolve(tc.kind, tc.code)
		require.NoError(t, err, "%s %s", tc.kind, tc.code)
		require.Equal(t, tc.want, got, "%s %s", tc.kind, tc.code)
	}
	_, err := a.Resolve(activeants.KindCountry, "FR")
	require.ErrorIs(t, err, activeants.ErrUnknownCode)
	var uce *activeants.UnknownCodeError
	require.ErrorAs(t, err, &uce)
	require.Equal(t, []string{"BE", "DE", "NL"}, uce.Known)
	require.Equal(t, `unknown country code "FR"; known codes: BE, DE, NL`, err.Error())

	// A v3 main shipping method without a v2 one resolves to its first
	// warehouse's v2 id.
	id, err := a.ShippingMethodID("AA_CS")
	require.NoError(t, err)
	require.EqualValues(t, 10001, id)
	_, err = a.ShippingMethodID("DHL_EXPRESS")
	require.ErrorAs(t, err, &uce)
	require.Equal(t, []string{"AA_CS", "BELBE_BP", "BUSEU1", "MAXAT_BPSC"}, uce.Known)
}

func TestResolveOrder(t *testing.T) {
	t.Parallel()
	a := docSettings(t)
	base := func() *model.OrderRequest {
		return &model.OrderRequest{Reference: "R1", ShippingMethod: "BELBE_BP", OrderType: "myshop_be_orders",
			DeliveryAddress: model.Address{Country: "BE"}, Lines: []model.OrderRequestLine{{SKU: "S", Quantity: 1}}}
	}
	ids, err := activeants.ResolveOrder(a, base())
	require.NoError(t, err)
	require.Equal(t, activeants.OrderIDs{ShippingMethodID: 10301, OrderTypeID: 3001, LanguageID: 2, PaymentMethodID: 1}, ids,
		"no language named, none with the code BE: EN")

	req := base()
	req.DeliveryAddress.Country = "DE"
	req.ShippingMethod = ""
	ids, err = activeants.ResolveOrder(a, req)
	require.NoError(t, err)
	require.EqualValues(t, 3, ids.LanguageID, "the delivery country's language")
	require.Zero(t, ids.ShippingMethodID, "none named: the account's default")

	req = base()
	req.ShippingMethod, req.OrderType, req.Language = "POSTNL", "", "XX"
	req.DeliveryAddress.Country = "FR"
	req.InvoiceAddress = &model.Address{Country: "US"}
	_, err = activeants.ResolveOrder(a, req)
	var fe provider.FieldErrors
	require.True(t, errors.As(err, &fe))
	fields := map[string]string{}
	for _, e := range fe {
		fields[e.Field] = e.Message
	}
	require.Equal(t, map[string]string{
		"shipping_method":          `unknown shipping method code "POSTNL"; known codes: AA_CS, BELBE_BP, BUSEU1, MAXAT_BPSC`,
		"order_type":               "is required: the account has several order types; known codes: B2B_orders, adhox, myshop_be_orders, myshop_nl_orders",
		"language":                 `unknown language code "XX"; known codes: CS, DA, DE, EN, ES, FR, IT, NL, PL, PT`,
		"delivery_address.country": `unknown country code "FR"; known codes: BE, DE, NL`,
		"invoice_address.country":  `unknown country code "US"; known codes: BE, DE, NL`,
	}, fields)
}

func TestSettingsAreCachedAndRefreshedPerSettingsRefresh(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	a.set(func(a *shopAPI) { a.settingsReply = doc(t, "settings.txt") })
	state := activeants.NewMemState()
	cache := &activeants.SettingsCache{Client: newClient(a, clk), State: state, Refresh: 24 * time.Hour, Now: clk.Now}
	for range 3 {
		s, err := cache.Get(ctxT(t))
		require.NoError(t, err)
		require.Len(t, s.OrderTypes, 4)
	}
	require.Equal(t, 1, a.count("GET /settings/get"))

	// A restarted hub reads them from State.
	restarted := &activeants.SettingsCache{Client: newClient(a, clk), State: state, Refresh: 24 * time.Hour, Now: clk.Now}
	_, err := restarted.Get(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 1, a.count("GET /settings/get"))

	clk.Add(24 * time.Hour)
	_, err = cache.Get(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, 2, a.count("GET /settings/get"), "refreshed daily")

	// A failed refresh keeps the settings it has, with the error.
	clk.Add(24 * time.Hour)
	a.set(func(a *shopAPI) {
		a.override["GET /settings/get"] = func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 503, []byte("down")) }
	})
	s, err := cache.Get(ctxT(t))
	require.Error(t, err)
	require.NotNil(t, s)
	require.Len(t, s.Languages, 10)
}

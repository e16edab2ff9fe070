package activeants_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

func TestDecodeFoundProduct(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, result string
		want         activeants.FoundProduct
		bad          bool
	}{
		{name: "SKUOnly", result: `{"sku":"Rok"}`, want: activeants.FoundProduct{SKU: "Rok"}},
		{name: "PascalCase", result: `{"Id":"1326169","Sku":"AA-RWHM-342","Name":"Lotion","Barcode":"8712345678906","Weight":"0.295","CostPrice":4.1}`,
			want: activeants.FoundProduct{ID: activeants.Int{N: 1326169, Valid: true}, SKU: "AA-RWHM-342", Name: "Lotion", Barcode: "8712345678906",
				Weight: activeants.Float{F: 0.295, Valid: true}, CostPrice: activeants.Float{F: 4.1, Valid: true}}},
		{name: "AListTakesTheSKU", result: `[{"sku":"other"},{"sku":"rok","name":"Rok"}]`, want: activeants.FoundProduct{SKU: "rok", Name: "Rok"}},
		{name: "NoSKU", result: `{"name":"Rok"}`, bad: true},
		{name: "EmptyList", result: `[]`, bad: true},
		{name: "NotAnObject", result: `"Rok"`, bad: true},
		{name: "Null", result: `null`, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := activeants.DecodeFoundProduct(json.RawMessage(tc.result), "ROK")
			if tc.bad {
				require.ErrorIs(t, err, provider.ErrBadInput)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, *got)
		})
	}
}

// TestProductGetAgainstTheSimulator reads a product back over real HTTP:
// a product renamed at the warehouse comes back with its name, barcode
// and fields, as a product update under the command.product topic; an
// unknown SKU is Active Ants's NOK, retried (not refused for good).
func TestProductGetAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	sim, err := activeantssim.New(activeantssim.Config{Username: testUser, Password: testPassword, Seed: 9, Speed: -1, Products: 3})
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: base, Username: testUser, Password: testPassword})
	require.NoError(t, err)
	require.Contains(t, c.CommandKinds(), model.CommandProductGet)

	p := sim.Products()[0]
	require.NoError(t, sim.RenameProduct(p.SKU, "Renamed in Maya"))
	subject := &model.Product{SKU: p.SKU, Name: "Old name"}
	env := provider.CommandEnv{Subject: func(context.Context) (any, error) { return subject, nil }}
	cmd := command(t, model.CommandProductGet, nil, 1)
	require.NoError(t, c.ValidateCommand(cmd))
	ans, err := c.SendCommand(ctxT(t), env, cmd)
	require.NoError(t, err)
	require.Equal(t, activeants.TopicCommandProduct, ans.Topic)
	require.Equal(t, "command:41", ans.Inbound.DedupKey)
	ch := normalizeAnswer(t, c, ans)
	require.Len(t, ch.Products, 1)
	u := ch.Products[0]
	require.Equal(t, p.SKU, u.SKU)
	require.Equal(t, "Renamed in Maya", u.Name)
	require.Equal(t, []string{p.Barcode}, u.Barcodes)
	require.NotEmpty(t, u.ProviderRef)
	require.Contains(t, u.Attributes, "weight")
	require.Equal(t, 1, sim.Requests("/product/search"))

	subject = &model.Product{SKU: "NO-SUCH-SKU", Name: "x"}
	_, err = c.SendCommand(ctxT(t), env, cmd)
	require.Error(t, err)
	require.NotErrorIs(t, err, provider.ErrRefused, "a NOK is retried on the schedule")
	require.Contains(t, strings.ToLower(err.Error()), "not found")
}

// FuzzDecodeFoundProduct never panics, and what it accepts has a SKU.
func FuzzDecodeFoundProduct(f *testing.F) {
	for _, s := range []string{`{"sku":"Rok"}`, `{"Sku":"x","Weight":"0.2","Id":"7"}`, `[{"sku":"a"},{"sku":"b"}]`, `[]`, `{"sku":""}`, `null`, `{"sku":"a",}`} {
		f.Add([]byte(s), "b")
	}
	f.Fuzz(func(t *testing.T, b []byte, sku string) {
		p, err := activeants.DecodeFoundProduct(b, sku)
		if err == nil && strings.TrimSpace(p.SKU) == "" {
			t.Fatal("a product without a sku was found")
		}
	})
}

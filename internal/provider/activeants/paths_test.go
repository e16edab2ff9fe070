package activeants_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider/activeants"
)

func TestEveryPathIsInOneTableWithItsSource(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range activeants.Paths {
		require.False(t, seen[p.Op], "%s listed twice", p.Op)
		seen[p.Op] = true
		require.Contains(t, []string{"GET", "POST"}, p.Method, p.Op)
		require.True(t, strings.HasPrefix(p.Path, "/"), p.Op)
		require.NotEmpty(t, p.Source, p.Op)
		if strings.HasPrefix(p.Source, "unknown") {
			require.True(t, strings.HasPrefix(p.Source, "unknown: chosen as plausible; "), "%s: an unknown path says why it was chosen", p.Op)
		}
		require.Contains(t, []string{"pull", "command", "unused"}, p.Used, p.Op)
		require.Equal(t, p, activeants.PathOf(p.Op))
	}
	require.Panics(t, func() { activeants.PathOf("order.teleport") })
	// The list of paths from public clients.
	for op, want := range map[string]string{
		activeants.OpToken: "POST /token", activeants.OpStatus: "GET /status/get", activeants.OpSettings: "GET /settings/get",
		activeants.OpOrderAdd: "POST /order/add", activeants.OpOrderSearch: "GET /v2/order/search",
		activeants.OpShipmentGet: "GET /v2/shipment/get", activeants.OpShipmentSync: "POST /v2/shipment/sync",
		activeants.OpStockBulk: "GET /stock/bulk/{all}", activeants.OpStockGet: "GET /stock/get/{sku}",
		activeants.OpStockMutationGet: "GET /v2/stockmutation/get", activeants.OpStockMutationSync: "POST /v2/stockmutation/sync",
		activeants.OpProductAdd: "POST /product/add", activeants.OpProductEdit: "POST /product/edit", activeants.OpProductSearch: "POST /product/search",
		activeants.OpPurchaseOrderAdd: "POST /purchaseorder/add", activeants.OpRMAAdd: "POST /v2/rma/add",
		activeants.OpReturnLabel: "GET /v2/returnlabel/get/{shipmentId}",
	} {
		p := activeants.PathOf(op)
		require.Equal(t, want, p.Method+" "+p.Path, op)
	}
}

package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// productLife is one product as five messages state it: with different
// provider times, some stating only some fields, the oldest (hour 0)
// stating everything, and barcodes listed in another order with a repeat.
var productLife = []model.Changes{
	{Products: []model.ProductUpdate{{AsOf: hour(1), SKU: "MUG-1", ProviderRef: "P-1", Name: "Mug", Barcodes: []string{"B", "A"}, Attributes: map[string]string{"colour": "red", "size": "L"}}}},
	{Products: []model.ProductUpdate{{AsOf: hour(2), SKU: "MUG-1", Name: "Blue mug", Attributes: map[string]string{"colour": "blue"}}}},
	{Products: []model.ProductUpdate{{AsOf: hour(3), SKU: "MUG-1", Barcodes: []string{"C", "A", "A"}}}},
	{Products: []model.ProductUpdate{{AsOf: hour(0), SKU: "MUG-1", ProviderRef: "P-0", Name: "Old mug", Barcodes: []string{"Z"}, Attributes: map[string]string{"colour": "green", "size": "S", "material": "clay"}}}},
	{Products: []model.ProductUpdate{{AsOf: hour(4), SKU: "MUG-1", Attributes: map[string]string{"size": "XL"}}}},
}

func canonicalProduct(t *testing.T, p *model.Product) string {
	t.Helper()
	c := *p
	c.ID, c.Connection, c.CreatedAt, c.UpdatedAt = 0, "", time.Time{}, time.Time{}
	b, err := json.Marshal(struct {
		*model.Product
		Times map[string]time.Time
	}{&c, p.FactTimes})
	require.NoError(t, err)
	return string(b)
}

// TestAProductsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn
// applies productLife in every order (a sample on PostgreSQL) and requires
// the same final product each time: every field, and every attribute, from
// its newest statement.
func TestAProductsFinalStateDoesNotDependOnTheOrderItsMessagesArriveIn(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			orders := sampleOrders(name, len(productLife))
			conns := applyEveryOrder(t, st, productLife, orders, 3)
			var want string
			for i, conn := range conns {
				list, err := st.ListProducts(context.Background(), store.ProductFilter{Workspace: "acme", Connection: conn})
				require.NoError(t, err)
				require.Len(t, list, 1, "order %v makes one product", orders[i])
				if i == 0 {
					p := list[0]
					require.Equal(t, "Blue mug", p.Name)
					require.Equal(t, "P-1", p.ProviderRef)
					require.Equal(t, []string{"A", "C"}, p.Barcodes)
					require.Equal(t, map[string]string{"colour": "blue", "size": "XL", "material": "clay"}, p.Attributes)
					want = canonicalProduct(t, p)
					continue
				}
				require.Equal(t, want, canonicalProduct(t, list[0]), "messages applied in the order %v", orders[i])
			}
		})
	}
}

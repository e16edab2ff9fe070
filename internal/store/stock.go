package store

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Inventory reads what the warehouse connections state about goods:
// products, stock levels and the stock mutations the warehouse registered.
// Every method is scoped to one workspace.
type Inventory interface {
	// GetProduct returns one product of the workspace, or ErrNotFound
	// (also when the id is another workspace's).
	GetProduct(ctx context.Context, workspace string, id int64) (*model.Product, error)
	// ListProducts lists a workspace's products, newest (highest id) first.
	ListProducts(ctx context.Context, f ProductFilter) ([]*model.Product, error)
	// ListStock lists a workspace's stock rows, newest (highest id) first.
	ListStock(ctx context.Context, f StockFilter) ([]*model.Stock, error)
	// ListStockMutations lists a workspace's stock mutations, newest first:
	// by OccurredAt, then by id, so that a mutation reported late is listed
	// where it happened.
	ListStockMutations(ctx context.Context, f StockMutationFilter) ([]*model.StockMutation, error)
}

// InventoryTx is the part of Tx that writes products, stock levels and
// stock mutations.
type InventoryTx interface {
	// ProductBySKU returns the connection's product of the SKU, locked for
	// update, or ErrNotFound.
	ProductBySKU(ctx context.Context, workspace, connection, sku string) (*model.Product, error)
	// InsertProduct stores a new product and sets its ID.
	InsertProduct(ctx context.Context, p *model.Product) error
	// UpdateProduct stores a changed product (everything but its identity:
	// workspace, connection, provider and SKU stay as inserted).
	UpdateProduct(ctx context.Context, p *model.Product) error
	// StockByKey returns the connection's stock row of the SKU in the
	// warehouse, locked for update, or ErrNotFound.
	StockByKey(ctx context.Context, workspace, connection, sku, warehouse string) (*model.Stock, error)
	// InsertStock stores a new stock row and sets its ID.
	InsertStock(ctx context.Context, s *model.Stock) error
	// UpdateStock stores a changed stock row's figures (its identity stays
	// as inserted).
	UpdateStock(ctx context.Context, s *model.Stock) error
	// InsertStockMutation appends a stock mutation and sets its ID. It
	// reports inserted=false, and changes nothing, when the connection
	// already has a mutation with the same dedupKey: the same mutation
	// reported twice is stored once.
	InsertStockMutation(ctx context.Context, m *model.StockMutation, dedupKey string) (inserted bool, err error)
}

// ProductFilter selects products for ListProducts.
type ProductFilter struct {
	Workspace string
	// SKU and Connection match exactly when not empty.
	SKU        string
	Connection string
	// BeforeID continues a listing: only products with a smaller id.
	BeforeID int64
	Limit    int
}

// StockFilter selects stock rows for ListStock.
type StockFilter struct {
	Workspace string
	// SKU and Connection match exactly when not empty.
	SKU        string
	Connection string
	// Warehouse, when not nil, matches exactly: a pointer, because the
	// empty warehouse (the provider has one) is a warehouse to select.
	Warehouse *string
	// BeforeID continues a listing: only rows with a smaller id.
	BeforeID int64
	Limit    int
}

// StockMutationFilter selects stock mutations for ListStockMutations.
type StockMutationFilter struct {
	Workspace string
	// SKU and Connection match exactly when not empty.
	SKU        string
	Connection string
	// Before continues a listing: when BeforeID is not 0, only mutations
	// listed after the one that occurred at Before with id BeforeID.
	Before   time.Time
	BeforeID int64
	Limit    int
}

package wics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// The stock calls answer the Stock of the webhook (wire.go), with its
// levels per warehouse.

// StockDetail is one stock position: an item's quantity at one location
// (GET /api/stock/detail, GET /api/stock/{itemCode}/detail).
type StockDetail struct {
	ItemCode               string `json:"itemCode" wics:"required"`
	ItemDescription        string `json:"itemDescription"`
	CustomerNr             int64  `json:"customerNr"`
	WarehouseCode          string `json:"warehouseCode"`
	Location               string `json:"location"`
	StockStatusCode        string `json:"stockStatusCode" wics:"code"`
	StockStatusDescription string `json:"stockStatusDescription"`
	BestBefore             Time   `json:"bestBefore" wics:"date"`
	LotNumber              string `json:"lotNumber"`
	QuantitySKU            int64  `json:"quantitySKU"`
	SKUCode                string `json:"skuCode"`
	QuantityHU             int64  `json:"quantityHU"`
	HUCode                 string `json:"huCode"`
	EANSSCC                string `json:"eansscc"`
}

// ListStock lists the items' stock levels the filter selects
// (nettoSalable[gte]=1000, the document's example), every page.
func (c *Client) ListStock(ctx context.Context, f Filter) ([]Stock, error) {
	return walkAll[Stock](ctx, c, "/stock", f)
}

// GetStock gets one item's stock levels.
func (c *Client) GetStock(ctx context.Context, itemCode string) (*Stock, error) {
	return getOne[Stock](ctx, c, "/stock/"+pathID(itemCode))
}

// ListStockDetails lists the stock positions the filter selects, every page.
func (c *Client) ListStockDetails(ctx context.Context, f Filter) ([]StockDetail, error) {
	return walkAll[StockDetail](ctx, c, "/stock/detail", f)
}

// ItemStockDetails lists one item's stock positions. The document shows no
// paging for it: one request.
func (c *Client) ItemStockDetails(ctx context.Context, itemCode string) ([]StockDetail, error) {
	path := "/stock/" + pathID(itemCode) + "/detail"
	var raws []json.RawMessage
	if _, err := c.Do(ctx, http.MethodGet, path, nil, nil, &raws); err != nil {
		return nil, err
	}
	out, err := bindItems[StockDetail](raws)
	if err != nil {
		return nil, fmt.Errorf("decoding wics GET %s data: %w", path, err)
	}
	return out, nil
}

// StockSerialNumbers lists the serial numbers of one EANSSCC (a pallet or
// box barcode).
func (c *Client) StockSerialNumbers(ctx context.Context, eansscc string) ([]LineSerialNumbers, error) {
	return c.serialNumbers(ctx, "/stock/"+pathID(eansscc)+"/serialnumber")
}

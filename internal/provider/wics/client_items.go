package wics

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// The item calls of the document ("Items"). The document has no call that
// reads one item by its code; GetItem filters the list by code, which
// every list endpoint allows ("Filters").

// ListItems walks GET /api/item page by page with the filter and hands
// each page to fn.
func (c *Client) ListItems(ctx context.Context, f Filter, fn func(page []Item) error) error {
	return Walk(ctx, c, "/item", f, func(_ int, items []Item) error { return fn(items) })
}

// GetItem reads the item of code (GET /api/item?code=…); found is false
// when WICS has none.
func (c *Client) GetItem(ctx context.Context, code string) (item *Item, found bool, err error) {
	err = c.ListItems(ctx, Filter{}.Where("code", OpEq, code), func(page []Item) error {
		for i := range page {
			if string(page[i].Code) == code && item == nil {
				item = &page[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("looking up the wics item %q: %w", code, err)
	}
	return item, item != nil, nil
}

// ItemCodeForEAN converts an EAN to its item code (GET
// /api/item/ean-item/{EAN}); the answer's data is the code, as a scalar
// or a list of one.
func (c *Client) ItemCodeForEAN(ctx context.Context, ean string) (string, error) {
	ans, err := c.Do(ctx, http.MethodGet, "/item/ean-item/"+url.PathEscape(ean), nil, nil, nil)
	if err != nil {
		return "", err
	}
	return scalar(ans.Data)
}

// EANForItemCode converts an item code to its EAN (GET
// /api/item/item-ean/{itemCode}).
func (c *Client) EANForItemCode(ctx context.Context, code string) (string, error) {
	ans, err := c.Do(ctx, http.MethodGet, "/item/item-ean/"+url.PathEscape(code), nil, nil, nil)
	if err != nil {
		return "", err
	}
	return scalar(ans.Data)
}

// CreateItem creates an item (POST /api/item, 201; data null).
func (c *Client) CreateItem(ctx context.Context, it *Item) (*Answer, error) {
	return c.Do(ctx, http.MethodPost, "/item", nil, it, nil)
}

// CreateItems creates several items in one request (POST /api/item/list,
// a JSON array of items).
func (c *Client) CreateItems(ctx context.Context, items []Item) (*Answer, error) {
	if items == nil {
		items = []Item{}
	}
	return c.Do(ctx, http.MethodPost, "/item/list", nil, items, nil)
}

// UpdateItem changes an item (PUT /api/item/{code}) with the fields the
// document lets an update change.
func (c *Client) UpdateItem(ctx context.Context, code string, u *ItemUpdate) (*Answer, error) {
	return c.Do(ctx, http.MethodPut, "/item/"+url.PathEscape(code), nil, u, nil)
}

package wics

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// The order calls of the document ("Orders", and "Shipment" for the
// shipment's serial numbers). Which identifier goes where follows the
// public clients (wics-public-clients.md, "Which identifier goes where"):
// get, update, delete and serial numbers take WICS's order number; the
// shipments and paid calls take the merchant's reference, as the
// document's own paths ({reference}) say.

// ListOrders walks GET /api/order page by page with the filter (any field
// of the order's table, e.g. reference, webshopId, deliveryDate[gte]) and
// hands each page to fn.
func (c *Client) ListOrders(ctx context.Context, f Filter, fn func(page []Order) error) error {
	return Walk(ctx, c, "/order", f, func(_ int, items []Order) error { return fn(items) })
}

// OrdersByReference lists the orders whose reference is ref (GET
// /api/order?reference=…): none, or normally one. WICS's filter is trusted
// only as far as it goes: orders of another reference are dropped.
func (c *Client) OrdersByReference(ctx context.Context, ref string) ([]Order, error) {
	var out []Order
	err := c.ListOrders(ctx, Filter{}.Where("reference", OpEq, ref), func(page []Order) error {
		for _, o := range page {
			if string(o.Reference) == ref {
				out = append(out, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("looking up the wics order of reference %q: %w", ref, err)
	}
	return out, nil
}

// GetOrder reads one order by WICS's number (GET /api/order/{number}),
// with its lines.
func (c *Client) GetOrder(ctx context.Context, number string) (*Order, *Answer, error) {
	var o Order
	ans, err := c.Do(ctx, http.MethodGet, "/order/"+url.PathEscape(number), nil, nil, &o)
	if err != nil {
		return nil, ans, err
	}
	return &o, ans, nil
}

// CreateOrder creates an order (POST /api/order, 201) and returns WICS's
// number of it from the answer's data (["<identifier>"], or a scalar);
// empty when the answer names none.
func (c *Client) CreateOrder(ctx context.Context, o *Order) (string, *Answer, error) {
	ans, err := c.Do(ctx, http.MethodPost, "/order", nil, o, nil)
	if err != nil {
		return "", ans, err
	}
	id, err := scalar(ans.Data)
	if err != nil {
		return "", ans, fmt.Errorf("wics POST /order: %w", err)
	}
	return id, ans, nil
}

// UpdateOrder replaces an order (PUT /api/order/{number}): the document
// and Pipedream send the whole order, lines included, so o is the order as
// it should be, not a patch.
func (c *Client) UpdateOrder(ctx context.Context, number string, o *Order) (*Answer, error) {
	return c.Do(ctx, http.MethodPut, "/order/"+url.PathEscape(number), nil, o, nil)
}

// DeleteOrder deletes (cancels) an order (DELETE /api/order/{number}).
func (c *Client) DeleteOrder(ctx context.Context, number string) (*Answer, error) {
	return c.Do(ctx, http.MethodDelete, "/order/"+url.PathEscape(number), nil, nil, nil)
}

// OrderShipments lists an order's shipments by the merchant's reference
// (GET /api/order/{reference}/shipment); none while nothing has shipped.
func (c *Client) OrderShipments(ctx context.Context, reference string) ([]OrderShipment, error) {
	var out []OrderShipment
	if _, err := c.Do(ctx, http.MethodGet, "/order/"+url.PathEscape(reference)+"/shipment", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SetOrderPaid marks an order paid (POST /api/order/{reference}/paid,
// without a body, as the document shows it).
func (c *Client) SetOrderPaid(ctx context.Context, reference string) (*Answer, error) {
	return c.Do(ctx, http.MethodPost, "/order/"+url.PathEscape(reference)+"/paid", nil, nil, nil)
}

// OrderSerialNumbers lists the serial numbers of an order's goods (GET
// /api/order/{number}/serialnumber).
func (c *Client) OrderSerialNumbers(ctx context.Context, number string) ([]OrderSerialNumber, error) {
	var out []OrderSerialNumber
	if _, err := c.Do(ctx, http.MethodGet, "/order/"+url.PathEscape(number)+"/serialnumber", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ShipmentSerialNumbers lists the serial numbers of a shipment's lines (GET
// /api/shipment/{shipmentNr}/serialnumber).
func (c *Client) ShipmentSerialNumbers(ctx context.Context, shipmentNr string) ([]ShipmentLineSerials, error) {
	var out []ShipmentLineSerials
	if _, err := c.Do(ctx, http.MethodGet, "/shipment/"+url.PathEscape(shipmentNr)+"/serialnumber", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

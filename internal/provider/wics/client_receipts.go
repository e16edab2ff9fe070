package wics

import "context"

// The receipt calls answer the Receipt of the webhook (wire.go): the same
// fields, warehouse or warehouseCode, typeCode and typeDescription; the
// list answers it without lines.

// ListReceipts lists the receipts the filter selects (receiptDate[gte]=…,
// the document's own example), every page.
func (c *Client) ListReceipts(ctx context.Context, f Filter) ([]Receipt, error) {
	return walkAll[Receipt](ctx, c, "/receipt", f)
}

// GetReceipt gets one receipt, with its lines, by WICS's number.
func (c *Client) GetReceipt(ctx context.Context, number string) (*Receipt, error) {
	return getOne[Receipt](ctx, c, "/receipt/"+pathID(number))
}

// ReceiptSerialNumbers lists a receipt's serial numbers per line.
func (c *Client) ReceiptSerialNumbers(ctx context.Context, number string) ([]LineSerialNumbers, error) {
	return c.serialNumbers(ctx, "/receipt/"+pathID(number)+"/serialnumber")
}

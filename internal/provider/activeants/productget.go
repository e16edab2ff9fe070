package activeants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// product.get reads a product back from Active Ants (POST /product/search
// {sku}), so that the hub's product holds what the warehouse keeps: the
// merchant asks for it with POST /api/v1/products/{id}/refresh. The answer
// goes through the inbox (topic command.product) like every other command
// answer and updates the product. The sources show only result.sku
// (activeants-public-clients.md); the document's product fields (name,
// barcode, description, weight, costPrice, …) are read when the answer
// has them, in either case. A NOK (no such product) is retried on the
// schedule like every NOK: the product may be on its way in.

// FoundProduct is the result of the product search, as far as the hub
// keeps it.
type FoundProduct struct {
	ID          Int    `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Barcode     string `json:"barcode"`
	Description string `json:"description"`
	Weight      Float  `json:"weight"`
	CostPrice   Float  `json:"costPrice"`
}

// DecodeFoundProduct reads the product search's result: an object, or a
// list whose item of the SKU (else its first) is taken. A result without a
// SKU is bad input.
func DecodeFoundProduct(result json.RawMessage, sku string) (*FoundProduct, error) {
	raw := bytes.TrimSpace(result)
	if len(raw) > 0 && raw[0] == '[' {
		items, err := ResultItems(raw)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%w: product search: an empty result", provider.ErrBadInput)
		}
		var first *FoundProduct
		for _, it := range items {
			p, err := DecodeFoundProduct(it, sku)
			if err != nil {
				return nil, err
			}
			if strings.EqualFold(p.SKU, sku) {
				return p, nil
			}
			if first == nil {
				first = p
			}
		}
		return first, nil
	}
	var p FoundProduct
	if err := strictObject(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: product search: %v", provider.ErrBadInput, err)
	}
	p.SKU = strings.TrimSpace(p.SKU)
	if p.SKU == "" {
		return nil, fmt.Errorf("%w: product search: a result without a sku: %s", provider.ErrBadInput, excerpt(raw))
	}
	return &p, nil
}

// getProduct is product.get.
func (c *Connector) getProduct(ctx context.Context, env provider.CommandEnv) (*CommandResult, error) {
	p, err := provider.LoadSubject[*model.Product](ctx, env)
	if err != nil {
		return nil, err
	}
	ans, err := c.client.Do(ctx, OpProductSearch, nil, nil, map[string]string{"sku": p.SKU})
	if err != nil {
		return nil, err
	}
	found, err := DecodeFoundProduct(ans.Envelope.Result, p.SKU)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: p.SKU, Found: found, Answer: ans.Body}
	if found.ID.Valid {
		res.Number = found.ID.String()
	}
	return res, nil
}

// foundProductUpdate is what a product.get answer states of the product:
// the SKU Active Ants answered for the one asked about, and each field it
// gave.
func foundProductUpdate(r *CommandResult, u model.ProductUpdate) model.ProductUpdate {
	f := r.Found
	if f == nil {
		return u
	}
	u.Name = strings.TrimSpace(f.Name)
	if b := strings.TrimSpace(f.Barcode); b != "" {
		u.Barcodes = []string{b}
	}
	attrs := map[string]string{}
	if d := strings.TrimSpace(f.Description); d != "" {
		attrs["description"] = d
	}
	if f.Weight.Valid {
		attrs["weight"] = strconv.FormatFloat(f.Weight.F, 'f', -1, 64)
	}
	if f.CostPrice.Valid {
		attrs["costPrice"] = strconv.FormatFloat(f.CostPrice.F, 'f', -1, 64)
	}
	if len(attrs) > 0 {
		u.Attributes = attrs
	}
	return u
}

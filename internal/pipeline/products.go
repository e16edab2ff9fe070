package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// productApplier applies a change set's product updates: each is merged
// into the connection's product of its SKU (created when new), every field
// versioned by the update's AsOf, so that a statement arriving late never
// replaces a newer one. Products have no feed event.
type productApplier struct{}

func (productApplier) kind() string { return "products" }

func (productApplier) check(c *model.Changes) error {
	for i := range c.Products {
		u := &c.Products[i]
		if u.SKU == "" {
			return errors.New("a product update has no sku")
		}
		if err := errors.Join(checkKey("product sku", u.SKU), checkInventoryTime("product as-of time", u.AsOf)); err != nil {
			return err
		}
	}
	return nil
}

func (productApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Products {
		if err := applyProduct(ctx, run, &c.Products[i]); err != nil {
			return fmt.Errorf("product %q: %w", c.Products[i].SKU, err)
		}
	}
	return nil
}

func applyProduct(ctx context.Context, run *applyRun, u *model.ProductUpdate) error {
	tx, m := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	p, err := tx.ProductBySKU(ctx, m.Workspace, m.Connection, u.SKU)
	created := errors.Is(err, store.ErrNotFound)
	switch {
	case created:
		p = &model.Product{
			Resource: model.Resource{Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, CreatedAt: now},
			SKU:      u.SKU, Barcodes: []string{},
		}
	case err != nil:
		return fmt.Errorf("loading product: %w", err)
	}
	times := maps.Clone(p.FactTimes)
	changed := MergeProduct(p, u)
	if created || changed {
		p.UpdatedAt = now
	}
	if created {
		return tx.InsertProduct(ctx, p)
	}
	// A statement that changes no value but is newer moves its fields'
	// times, and must be stored too: otherwise an older one arriving next
	// would win.
	if changed || !maps.Equal(times, p.FactTimes) {
		return tx.UpdateProduct(ctx, p)
	}
	return nil
}

// MergeProduct applies what u states to p, each field only if u's AsOf is
// not older than the statement that set it (model.Resource.Stated), and
// reports whether a value changed. Of two statements made at the same
// time, the greater value wins. Barcodes are a set: kept sorted and
// without repeats, so the same set reads the same whichever order the
// provider listed it in. Attributes are versioned one by one.
func MergeProduct(p *model.Product, u *model.ProductUpdate) bool {
	changed := false
	// stated reports whether the statement of field replaces the held
	// value; of two at the same time the greater value wins (tieKeeps).
	stated := func(field string, lower bool) bool {
		return !tieKeeps(&p.Resource, field, u.AsOf, lower) && p.Stated(field, u.AsOf)
	}
	set := func(field string, dst *string, v string) {
		if v != "" && stated(field, v < *dst) && *dst != v {
			*dst, changed = v, true
		}
	}
	set("provider_ref", &p.ProviderRef, u.ProviderRef)
	set("name", &p.Name, u.Name)
	codes := slices.Compact(slices.Sorted(slices.Values(u.Barcodes)))
	codes = slices.DeleteFunc(codes, func(c string) bool { return c == "" })
	if len(codes) > 0 {
		if stated("barcodes", slices.Compare(codes, p.Barcodes) < 0) && !slices.Equal(codes, p.Barcodes) {
			p.Barcodes, changed = codes, true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
		v := u.Attributes[k]
		held, ok := p.Attributes[k]
		if !stated("attributes."+k, ok && v < held) || ok && held == v {
			continue
		}
		if p.Attributes == nil {
			p.Attributes = map[string]string{}
		}
		p.Attributes[k], changed = v, true
	}
	return changed
}

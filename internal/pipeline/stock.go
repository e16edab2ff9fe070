package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// stockApplier applies a change set's stock figures: each update is merged
// into the connection's stock row of its SKU and warehouse (created when
// new, without creating a product), every figure versioned by the update's
// AsOf, so that an older figure arriving late never replaces a newer one.
// A change of any figure is told to the feed as stock.changed.
type stockApplier struct{}

func (stockApplier) kind() string { return "stock" }

func (stockApplier) check(c *model.Changes) error {
	for i := range c.Stock {
		u := &c.Stock[i]
		if u.SKU == "" {
			return errors.New("a stock update has no sku")
		}
		if err := errors.Join(
			checkKey("stock sku", u.SKU), checkKey("stock warehouse", u.Warehouse),
			finite("physical stock", u.Physical), finite("available stock", u.Available), finite("announced stock", u.Announced),
			checkInventoryTime("stock as-of time", u.AsOf),
		); err != nil {
			return err
		}
	}
	return nil
}

func (stockApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Stock {
		if err := applyStock(ctx, run, &c.Stock[i]); err != nil {
			return fmt.Errorf("stock of %q in warehouse %q: %w", c.Stock[i].SKU, c.Stock[i].Warehouse, err)
		}
	}
	return nil
}

func applyStock(ctx context.Context, run *applyRun, u *model.StockUpdate) error {
	if u.Physical == nil && u.Available == nil && u.Announced == nil {
		return nil // states no figure: nothing to keep
	}
	tx, m := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	s, err := tx.StockByKey(ctx, m.Workspace, m.Connection, u.SKU, u.Warehouse)
	created := errors.Is(err, store.ErrNotFound)
	switch {
	case created:
		s = &model.Stock{
			Resource: model.Resource{Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, CreatedAt: now},
			SKU:      u.SKU, Warehouse: u.Warehouse,
		}
	case err != nil:
		return fmt.Errorf("loading stock: %w", err)
	}
	times := maps.Clone(s.FactTimes)
	changed := MergeStock(s, u)
	if created || changed {
		s.UpdatedAt = now
	}
	switch {
	case created:
		err = tx.InsertStock(ctx, s)
	case changed || !maps.Equal(times, s.FactTimes):
		// A newer statement of the same figure moves its time, and must be
		// stored even when the figure is the same.
		err = tx.UpdateStock(ctx, s)
	}
	if err != nil {
		return err
	}
	if run.quiet() || !created && !changed {
		return nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding stock %d: %w", s.ID, err)
	}
	return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: s.Workspace, Type: model.EventStockChanged, SubjectID: s.ID, OccurredAt: now, Data: data})
}

// stockFigures are the versioned figures of a stock row, by field name.
var stockFigures = []struct {
	field string
	row   func(*model.Stock) *float64
	upd   func(*model.StockUpdate) *float64
}{
	{"physical", func(s *model.Stock) *float64 { return &s.Physical }, func(u *model.StockUpdate) *float64 { return u.Physical }},
	{"available", func(s *model.Stock) *float64 { return &s.Available }, func(u *model.StockUpdate) *float64 { return u.Available }},
	{"announced", func(s *model.Stock) *float64 { return &s.Announced }, func(u *model.StockUpdate) *float64 { return u.Announced }},
}

// MergeStock applies the figures u states to s, each only if u's AsOf is
// not older than the statement that set it (model.Resource.Stated), and
// reports whether a figure changed. s.AsOf becomes the provider's time of
// the newest figure the row holds, whichever order the figures came in.
func MergeStock(s *model.Stock, u *model.StockUpdate) bool {
	changed := false
	for _, f := range stockFigures {
		v, dst := f.upd(u), f.row(s)
		if v == nil || tieKeeps(&s.Resource, f.field, u.AsOf, *v < *dst) || !s.Stated(f.field, u.AsOf) {
			continue
		}
		if *dst != *v {
			*dst, changed = *v, true
		}
	}
	var newest time.Time
	for _, f := range stockFigures {
		if at := s.FactTimes[f.field]; at.After(newest) {
			newest = at
		}
	}
	s.AsOf = newest
	return changed
}

// stockMutationApplier appends a change set's stock mutations: each is
// stored once per connection and dedup key, however often the provider
// reports it, and a new one is told to the feed as stock.mutation_added.
type stockMutationApplier struct{}

func (stockMutationApplier) kind() string { return "stock mutations" }

func (stockMutationApplier) check(c *model.Changes) error {
	for i := range c.StockMutations {
		u := &c.StockMutations[i]
		if u.DedupKey == "" || u.SKU == "" {
			return errors.New("a stock mutation has no dedup key or no sku")
		}
		if err := errors.Join(
			checkKey("stock mutation key", u.DedupKey), checkKey("stock mutation sku", u.SKU),
			finite("stock mutation quantity", &u.Quantity), checkInventoryTime("stock mutation time", u.OccurredAt),
		); err != nil {
			return err
		}
		if u.BestBefore != nil {
			if err := checkInventoryTime("stock mutation best-before date", *u.BestBefore); err != nil {
				return err
			}
		}
	}
	return nil
}

func (stockMutationApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	tx, msg := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	for i := range c.StockMutations {
		u := &c.StockMutations[i]
		sm := &model.StockMutation{
			Resource: model.Resource{Workspace: msg.Workspace, Connection: msg.Connection, Provider: msg.Provider, CreatedAt: now, UpdatedAt: now},
			SKU:      u.SKU, Warehouse: u.Warehouse, Quantity: u.Quantity, ReasonCode: u.ReasonCode, Reason: u.Reason,
			OccurredAt: u.OccurredAt.UTC(), Location: u.Location, Lot: u.Lot, BestBefore: u.BestBefore, InboxID: msg.ID,
		}
		inserted, err := tx.InsertStockMutation(ctx, sm, u.DedupKey)
		if err != nil {
			return fmt.Errorf("stock mutation %q: %w", u.DedupKey, err)
		}
		if !inserted || run.quiet() {
			continue
		}
		data, err := json.Marshal(sm)
		if err != nil {
			return fmt.Errorf("encoding stock mutation %d: %w", sm.ID, err)
		}
		if err := tx.AppendFeed(ctx, &model.FeedEvent{Workspace: sm.Workspace, Type: model.EventStockMutationAdded, SubjectID: sm.ID, OccurredAt: now, Data: data}); err != nil {
			return err
		}
	}
	return nil
}

// tieKeeps reports whether a statement made at asOf about field must not
// replace the value held because it was stated at the very same provider
// time and lower is true (the new value sorts before the held one): of two
// simultaneous statements the greater value wins, whichever arrived last,
// so that the outcome does not depend on the order of arrival. Statements
// without a time have no order but their arrival, and are left to Stated.
func tieKeeps(r *model.Resource, field string, asOf time.Time, lower bool) bool {
	held, ok := r.FactTimes[field]
	return ok && lower && !asOf.IsZero() && held.Equal(asOf)
}

// checkInventoryTime refuses a provider's time that JSON cannot carry (a
// year outside 0..9999): the resource holding it could not be stored.
func checkInventoryTime(what string, t time.Time) error {
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s %s is outside the years 0 to 9999", what, t.Format(time.RFC3339))
	}
	return nil
}

package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// returnApplier applies a change set's return updates. Each goes to the
// connection's return of its key (store.ReturnKey: the RMA number, else the
// order's reference), created when new. Every field is versioned by the
// provider's time (model.Resource.Stated): the order's reference, the
// status, the provider status, the label, and the lines as one field, which
// the newest statement that states lines replaces.
//
// A return links to its order through its Reference. The store resolves
// OrderID on every read (store.ReturnsTx.ReturnOrderID), so the link holds
// whichever of the two arrived first; the feed entry carries it as the
// transaction sees it.
type returnApplier struct{}

func (returnApplier) kind() string { return "returns" }

func (returnApplier) check(c *model.Changes) error {
	for i := range c.Returns {
		u := &c.Returns[i]
		if u.Reference == "" && u.ProviderRef == "" {
			return errors.New("a return update has neither a provider reference nor a reference")
		}
		if u.Status != "" && !slices.Contains(model.ReturnStatuses, u.Status) {
			return fmt.Errorf("return status %q is not one of the canonical statuses", u.Status)
		}
		errs := []error{checkKey("return reference", u.Reference), checkKey("return provider reference", u.ProviderRef)}
		for _, l := range u.Lines {
			q := l.Quantity
			errs = append(errs, checkKey("return line sku", l.SKU), finite("return line quantity", &q))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

func (returnApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Returns {
		if err := applyReturn(ctx, run, &c.Returns[i]); err != nil {
			return err
		}
	}
	return nil
}

// applyReturn merges one return update into its return and tells the feed:
// return.created for a new return, return.status_changed when an existing
// one's status changed. Both carry the return as it stands after the update.
func applyReturn(ctx context.Context, run *applyRun, u *model.ReturnUpdate) error {
	tx, m := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	key := store.ReturnKey(u.ProviderRef, u.Reference)
	r, err := tx.ReturnByKey(ctx, m.Workspace, m.Connection, key)
	if errors.Is(err, store.ErrNotFound) && u.ProviderRef != "" && u.Reference != "" {
		// A return first known by its reference alone (one a merchant's
		// command created, before the provider named its RMA number) stays
		// keyed by it: the update naming both finds it, unless it already
		// has another RMA number.
		byRef, rerr := tx.ReturnByKey(ctx, m.Workspace, m.Connection, store.ReturnKey("", u.Reference))
		switch {
		case rerr == nil && (byRef.ProviderRef == "" || byRef.ProviderRef == u.ProviderRef):
			r, err = byRef, nil
		case rerr != nil && !errors.Is(rerr, store.ErrNotFound):
			err = rerr
		}
	}
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		created = true
		r = &model.Return{Resource: model.Resource{Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, CreatedAt: now}}
	case err != nil:
		return fmt.Errorf("loading return: %w", err)
	}
	before, err := resourceState(r, r.FactTimes)
	if err != nil {
		return fmt.Errorf("encoding return %d: %w", r.ID, err)
	}
	statusBefore := r.Status
	mergeReturn(r, u)
	after, err := resourceState(r, r.FactTimes)
	if err != nil {
		return fmt.Errorf("encoding return %d: %w", r.ID, err)
	}
	if created {
		r.UpdatedAt = now
		if err := tx.InsertReturn(ctx, key, r); err != nil {
			return fmt.Errorf("inserting return: %w", err)
		}
	} else if before != after {
		r.UpdatedAt = now
		if err := tx.UpdateReturn(ctx, r); err != nil {
			return fmt.Errorf("updating return: %w", err)
		}
	}
	if run.quiet() || !created && r.Status == statusBefore {
		return nil
	}
	// The feed carries the return as it stands, linked to its order.
	if r.OrderID, err = tx.ReturnOrderID(ctx, r); err != nil {
		return fmt.Errorf("reading the order of return %d: %w", r.ID, err)
	}
	doc, err := json.Marshal(r.Shown())
	if err != nil {
		return fmt.Errorf("encoding return %d: %w", r.ID, err)
	}
	typ := model.EventReturnStatusChanged
	if created {
		typ = model.EventReturnCreated
	}
	return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: r.Workspace, Type: typ, SubjectID: r.ID, OccurredAt: now, Data: doc})
}

// mergeReturn applies what u states to r, field by field by u.AsOf. A
// return no statement gave a status is announced.
func mergeReturn(r *model.Return, u *model.ReturnUpdate) {
	if r.ProviderRef == "" {
		r.ProviderRef = u.ProviderRef
	}
	if u.Reference != "" && statedOver(&r.Resource, "reference", u.AsOf, u.Reference >= r.Reference) {
		r.Reference = u.Reference
	}
	if u.Status != "" && statedOver(&r.Resource, "status", u.AsOf, returnRank(u.Status) >= returnRank(r.Status)) {
		r.Status = u.Status
	}
	if r.Status == "" {
		r.Status = model.ReturnAnnounced
	}
	if u.ProviderStatus != nil && statedOver(&r.Resource, "provider_status", u.AsOf, compareJSON(u.ProviderStatus, r.ProviderStatus) >= 0) {
		ps := *u.ProviderStatus
		r.ProviderStatus = &ps
	}
	if u.Label != "" && statedOver(&r.Resource, "label", u.AsOf, u.Label >= r.Label) {
		r.Label = u.Label
	}
	if u.Lines != nil {
		lines := make([]model.ReturnLine, len(u.Lines))
		for i, l := range u.Lines {
			l.Answers = slices.Clone(l.Answers)
			lines[i] = l
		}
		slices.SortStableFunc(lines, func(a, b model.ReturnLine) int { return cmp.Compare(a.LineNumber, b.LineNumber) })
		if statedOver(&r.Resource, "lines", u.AsOf, compareJSON(lines, r.Lines) >= 0) {
			r.Lines = lines
		}
	}
	if r.Lines == nil {
		r.Lines = []model.ReturnLine{}
	}
}

// returnRank orders return statuses by their place in the lifecycle, for
// ties: of two statuses stated at the same instant the later one wins.
func returnRank(s model.ReturnStatus) int {
	return slices.Index([]model.ReturnStatus{model.ReturnUnknown, model.ReturnAnnounced, model.ReturnReceived, model.ReturnProcessed}, s)
}

package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// inboundApplier applies a change set's inbound updates: announcements,
// their status and their receipts. Each update goes to the connection's
// inbound resource of its key (store.InboundKey: the merchant's reference,
// else the provider's number), created when new, so a receipt that names its
// announcement's reference links to it, and a receipt that arrives before
// its announcement creates the resource the announcement fills in later.
//
// Every field is versioned by the provider's time (model.Resource.Stated):
// the stated status and provider status, the expected time, the provider's
// number, each line's sku and expected quantity, and each receipt by its
// provider reference (the same receipt twice is kept once). What is derived
// is derived from all of them, so it does not depend on arrival either: a
// line's received quantity is the sum of the receipts' quantities of its sku
// (on the first line of that sku, when several lines share one), and the
// status is the stated one, except that goods with a receipt are at least
// receiving.
type inboundApplier struct{}

func (inboundApplier) kind() string { return "inbound" }

func (inboundApplier) check(c *model.Changes) error {
	for i := range c.Inbound {
		u := &c.Inbound[i]
		if u.Reference == "" && u.ProviderRef == "" {
			return errors.New("an inbound update has neither a reference nor a provider reference")
		}
		if u.Status != "" && !slices.Contains(model.InboundStatuses, u.Status) {
			return fmt.Errorf("inbound status %q is not one of the canonical statuses", u.Status)
		}
		errs := []error{checkKey("inbound reference", u.Reference), checkKey("inbound provider reference", u.ProviderRef)}
		for _, l := range u.Lines {
			errs = append(errs, checkKey("inbound line sku", l.SKU), finite("inbound line expected quantity", l.Expected))
		}
		for _, r := range u.Receipts {
			errs = append(errs, checkKey("receipt provider reference", r.ProviderRef))
			for _, l := range r.Lines {
				q := l.Quantity
				errs = append(errs, checkKey("receipt line sku", l.SKU), finite("receipt line quantity", &q))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

func (inboundApplier) apply(ctx context.Context, run *applyRun, c *model.Changes) error {
	for i := range c.Inbound {
		if err := applyInbound(ctx, run, &c.Inbound[i]); err != nil {
			return err
		}
	}
	return nil
}

// applyInbound merges one inbound update into its resource and tells the
// feed: inbound.status_changed when the status changed (a new resource
// counts as a change from none), inbound.received for each receipt new to
// the resource. Both carry the resource as it stands after the update.
func applyInbound(ctx context.Context, run *applyRun, u *model.InboundUpdate) error {
	tx, m := run.tx, run.msg
	now := run.p.cfg.Now().UTC()
	key := store.InboundKey(u.Reference, u.ProviderRef)
	in, err := tx.InboundByKey(ctx, m.Workspace, m.Connection, key)
	created := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		created = true
		in = &model.Inbound{Resource: model.Resource{Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, CreatedAt: now}}
	case err != nil:
		return fmt.Errorf("loading inbound: %w", err)
	}
	before, err := resourceState(in, in.FactTimes, in.StatedStatus)
	if err != nil {
		return fmt.Errorf("encoding inbound %d: %w", in.ID, err)
	}
	statusBefore := in.Status
	added := mergeInbound(in, u)
	after, err := resourceState(in, in.FactTimes, in.StatedStatus)
	if err != nil {
		return fmt.Errorf("encoding inbound %d: %w", in.ID, err)
	}
	if created {
		in.UpdatedAt = now
		if err := tx.InsertInbound(ctx, key, in); err != nil {
			return fmt.Errorf("inserting inbound: %w", err)
		}
	} else if before != after {
		in.UpdatedAt = now
		if err := tx.UpdateInbound(ctx, in); err != nil {
			return fmt.Errorf("updating inbound: %w", err)
		}
	}
	if run.quiet() || in.Status == statusBefore && len(added) == 0 {
		return nil
	}
	doc, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encoding inbound %d: %w", in.ID, err)
	}
	feed := func(typ string) error {
		return tx.AppendFeed(ctx, &model.FeedEvent{Workspace: in.Workspace, Type: typ, SubjectID: in.ID, OccurredAt: now, Data: doc})
	}
	if in.Status != statusBefore {
		if err := feed(model.EventInboundStatusChanged); err != nil {
			return err
		}
	}
	for range added {
		if err := feed(model.EventInboundReceived); err != nil {
			return err
		}
	}
	return nil
}

// statedOver is model.Resource.Stated with ties decided by content: a
// statement made at the same time as the one that set the field replaces
// it only when beatsHeld (its value ranks at least as high), so two
// statements of one instant end the same whichever arrives last.
func statedOver(r *model.Resource, field string, asOf time.Time, beatsHeld bool) bool {
	if held, ok := r.FactTimes[field]; ok && asOf.Equal(held) && !beatsHeld {
		return false
	}
	return r.Stated(field, asOf)
}

// statusOver applies u's status statement to in when it wins: between two
// ranked statements (StatusRank > 0) the higher rank, whatever their times;
// otherwise, or between equal ranks, the newer time, and of one instant the
// later status in the lifecycle. It reports whether the status was taken.
func statusOver(in *model.Inbound, u *model.InboundUpdate) bool {
	if u.StatusRank > 0 && in.StatusRank > 0 && u.StatusRank != in.StatusRank {
		if u.StatusRank < in.StatusRank {
			return false
		}
		if held, ok := in.FactTimes["status"]; !ok || u.AsOf.After(held) {
			in.Stated("status", u.AsOf)
		}
		in.StatedStatus, in.StatusRank = u.Status, u.StatusRank
		return true
	}
	if !statedOver(&in.Resource, "status", u.AsOf, inboundRank(u.Status) >= inboundRank(in.StatedStatus)) {
		return false
	}
	in.StatedStatus, in.StatusRank = u.Status, u.StatusRank
	return true
}

// compareJSON orders two values by their JSON encoding, for ties between
// statements of the same instant.
func compareJSON(a, b any) int {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return strings.Compare(string(ja), string(jb))
}

// inboundRank orders inbound statuses by their place in the lifecycle, for
// ties: of two statuses stated at the same instant the later one wins.
func inboundRank(s model.InboundStatus) int {
	return slices.Index([]model.InboundStatus{model.InboundUnknown, model.InboundAnnounced, model.InboundReceiving,
		model.InboundReceived, model.InboundCancelled}, s)
}

// resourceState is what a resource holds, with the fields the API does not
// show: the fact times count, because a statement that only confirms a
// value at a later time must be stored for a statement older than it to
// lose, whichever arrives first.
func resourceState(resource any, hidden ...any) (string, error) {
	b, err := json.Marshal(append([]any{resource}, hidden...))
	return string(b), err
}

// mergeInbound applies what u states to in, field by field by u.AsOf, and
// derives the received quantities and the status. It returns the provider
// references of the receipts new to in.
func mergeInbound(in *model.Inbound, u *model.InboundUpdate) []string {
	if in.Reference == "" {
		in.Reference = u.Reference
	}
	if u.ProviderRef != "" && statedOver(&in.Resource, "provider_ref", u.AsOf, u.ProviderRef >= in.ProviderRef) {
		in.ProviderRef = u.ProviderRef
	}
	statusTaken := false
	if u.Status != "" {
		statusTaken = statusOver(in, u)
	}
	// A ranked status brings its provider status with it; an unranked
	// one's provider status is versioned by time, as every field.
	if u.ProviderStatus != nil && (u.StatusRank > 0 && statusTaken ||
		u.StatusRank == 0 && statedOver(&in.Resource, "provider_status", u.AsOf, compareJSON(u.ProviderStatus, in.ProviderStatus) >= 0)) {
		ps := *u.ProviderStatus
		in.ProviderStatus = &ps
	}
	if u.ExpectedAt != nil && statedOver(&in.Resource, "expected_at", u.AsOf, in.ExpectedAt == nil || !u.ExpectedAt.Before(*in.ExpectedAt)) {
		t := u.ExpectedAt.UTC()
		in.ExpectedAt = &t
	}
	for _, l := range u.Lines {
		i := slices.IndexFunc(in.Lines, func(x model.InboundLine) bool { return x.LineNumber == l.LineNumber })
		if i < 0 {
			in.Lines = append(in.Lines, model.InboundLine{LineNumber: l.LineNumber})
			i = len(in.Lines) - 1
		}
		field := "lines." + strconv.Itoa(l.LineNumber)
		if l.SKU != "" && statedOver(&in.Resource, field+".sku", u.AsOf, l.SKU >= in.Lines[i].SKU) {
			in.Lines[i].SKU = l.SKU
		}
		if l.Expected != nil && statedOver(&in.Resource, field+".expected", u.AsOf, *l.Expected >= in.Lines[i].Expected) {
			in.Lines[i].Expected = *l.Expected
		}
	}
	slices.SortFunc(in.Lines, func(a, b model.InboundLine) int { return cmp.Compare(a.LineNumber, b.LineNumber) })

	var added []string
	for _, r := range u.Receipts {
		i := slices.IndexFunc(in.Receipts, func(x model.Receipt) bool { return x.ProviderRef == r.ProviderRef })
		if i < 0 {
			added = append(added, r.ProviderRef)
		}
		beats := i < 0 || compareJSON(r, in.Receipts[i]) >= 0
		if !statedOver(&in.Resource, "receipts."+r.ProviderRef, u.AsOf, beats) {
			continue
		}
		r.ReceivedAt = r.ReceivedAt.UTC()
		r.Lines = slices.Clone(r.Lines)
		if r.Lines == nil {
			r.Lines = []model.ReceiptLine{}
		}
		if i < 0 {
			in.Receipts = append(in.Receipts, r)
		} else {
			in.Receipts[i] = r
		}
	}
	slices.SortFunc(in.Receipts, func(a, b model.Receipt) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ProviderRef, b.ProviderRef))
	})
	deriveInbound(in)
	return added
}

// deriveInbound sets what is derived from the stated fields: each line's
// received quantity and the status.
func deriveInbound(in *model.Inbound) {
	received := map[string]float64{}
	for _, r := range in.Receipts {
		for _, l := range r.Lines {
			received[l.SKU] += l.Quantity
		}
	}
	seen := map[string]bool{}
	for i := range in.Lines {
		l := &in.Lines[i]
		l.Received = 0
		if !seen[l.SKU] {
			seen[l.SKU] = true
			l.Received = received[l.SKU]
		}
	}
	if in.Lines == nil {
		in.Lines = []model.InboundLine{}
	}
	if in.Receipts == nil {
		in.Receipts = []model.Receipt{}
	}
	switch {
	case (in.StatedStatus == "" || in.StatedStatus == model.InboundAnnounced) && len(in.Receipts) > 0:
		in.Status = model.InboundReceiving
	case in.StatedStatus == "":
		in.Status = model.InboundAnnounced
	default:
		in.Status = in.StatedStatus
	}
}

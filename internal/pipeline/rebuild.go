package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// ErrMissingConnection means a rebuild was refused because the inbox holds
// messages of a connection the configuration does not have.
var ErrMissingConnection = errors.New("rebuilding: a connection is missing from the configuration")

// RebuildReport says what Rebuild did.
type RebuildReport struct {
	// Messages is how many inbox messages were applied again.
	Messages int
	// Failed is how many of them could not be normalised (they are listed
	// by GET /api/v1/inbox/failed).
	Failed int64
	// Changed is how many shipments ended with another status than before,
	// and Created how many shipments are new; each got one feed event.
	Changed, Created int
}

// Rebuild rebuilds the canonical state of the workspaces from their raw
// inbox, for example after a status mapping was corrected. Shipments keep
// their ids. Merchants are not sent everything again: the rebuild writes no
// feed entries while it applies, and afterwards reports only what differs,
// one shipment.status_changed per shipment whose status changed and one
// shipment.created per shipment that did not exist before. The pipeline
// must not be running; progress, if not nil, is called after each batch.
func (p *Pipeline) Rebuild(ctx context.Context, workspaces []string, progress func(done, total int)) (RebuildReport, error) {
	var rep RebuildReport
	if len(workspaces) == 0 {
		return rep, errors.New("rebuilding: no workspace given")
	}
	if p.running.Load() {
		// Its batches would apply with feed entries, and race the reset.
		return rep, errors.New("rebuilding: the pipeline is running; stop it first")
	}
	// A connection the configuration lacks would have its shipments reset
	// and not rebuilt: merchants would be told they went back to pending.
	for _, ws := range workspaces {
		conns, err := p.cfg.Store.InboxConnections(ctx, ws)
		if err != nil {
			return rep, fmt.Errorf("rebuilding: %w", err)
		}
		for _, c := range conns {
			if _, ok := p.cfg.Connections.Lookup(ws, c); !ok {
				return rep, fmt.Errorf("%w: workspace %q has inbox messages of connection %q, which the configuration lacks; "+
					"rebuild with the configuration that has it", ErrMissingConnection, ws, c)
			}
		}
	}
	before := map[int64]model.StatusPosition{}
	for _, ws := range workspaces {
		if err := eachShipment(ctx, p.cfg.Store, ws, func(s *model.Shipment) error {
			before[s.ID] = s.StatusPosition
			return nil
		}); err != nil {
			return rep, fmt.Errorf("reading shipments before the rebuild: %w", err)
		}
	}
	total := 0
	for _, ws := range workspaces {
		n, err := p.cfg.Store.ResetCanonical(ctx, ws)
		if err != nil {
			return rep, fmt.Errorf("resetting workspace %q: %w", ws, err)
		}
		total += int(n)
	}
	// Only the rebuilt workspaces' messages are applied, quietly. Another
	// workspace's pending messages are left to the pipeline, which tells
	// its merchants.
	p.quiet, p.only = true, workspaces
	defer func() { p.quiet, p.only = false, nil }()
	for {
		n, failed, err := p.runBatch(ctx)
		if err != nil {
			return rep, fmt.Errorf("after %d messages: %w", rep.Messages, err)
		}
		if n == 0 {
			break
		}
		rep.Messages += n
		rep.Failed += int64(failed)
		if progress != nil {
			progress(rep.Messages, total)
		}
	}

	now := p.cfg.Now().UTC()
	var feed []*model.FeedEvent
	for _, ws := range workspaces {
		err := eachShipment(ctx, p.cfg.Store, ws, func(s *model.Shipment) error {
			shipment, err := json.Marshal(s)
			if err != nil {
				return err
			}
			old, existed := before[s.ID]
			var typ string
			var data any
			switch {
			case !existed:
				rep.Created++
				typ, data = model.EventShipmentCreated, ShipmentCreated{Shipment: shipment}
			case old.Status != s.Status || old.Substatus != s.Substatus:
				rep.Changed++
				typ, data = model.EventShipmentStatusChanged, StatusChanged{ShipmentID: s.ID, PreviousStatus: old.Status, Status: s.Status, Substatus: s.Substatus, Shipment: shipment}
			default:
				return nil
			}
			raw, err := json.Marshal(data)
			if err != nil {
				return err
			}
			feed = append(feed, &model.FeedEvent{Workspace: ws, Type: typ, SubjectID: s.ID, OccurredAt: now, Data: raw})
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("comparing shipments after the rebuild: %w", err)
		}
	}
	for start := 0; start < len(feed); start += 500 {
		if err := p.cfg.Store.AppendFeedEvents(ctx, feed[start:min(start+500, len(feed))]); err != nil {
			return rep, fmt.Errorf("reporting the rebuild's changes: %w", err)
		}
	}
	return rep, nil
}

// eachShipment calls fn for every shipment of a workspace, newest first.
func eachShipment(ctx context.Context, st store.Store, workspace string, fn func(*model.Shipment) error) error {
	var before int64
	for {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		page, err := st.ListShipments(qctx, store.ShipmentFilter{Workspace: workspace, BeforeID: before, Limit: 500})
		cancel()
		if err != nil {
			return err
		}
		for _, s := range page {
			if err := fn(s); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		before = page[len(page)-1].ID
	}
}

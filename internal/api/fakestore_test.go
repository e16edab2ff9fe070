package api_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// fakeStore is an in-memory store.Store with the read semantics the API
// relies on: workspace isolation, newest-first listings continued by
// BeforeID, exact reference matching, an oldest-first feed. Writes are not
// needed by the API and fail. Setting err makes every read fail with it.
type fakeStore struct {
	mu        sync.Mutex
	shipments []*model.Shipment
	feed      []*model.FeedEvent
	err       error
	// leak makes the store ignore workspaces, like a buggy query would; the
	// API must still show a key only its own workspace's data.
	leak bool
	// lastFilter is the filter of the latest ListShipments call.
	lastFilter store.ShipmentFilter
	fakeOrders
	fakeCommands
}

var _ store.Store = (*fakeStore)(nil)

var errReadOnly = errors.New("fake store is read-only")

func (f *fakeStore) AppendInbox(context.Context, *model.InboxMessage) (int64, bool, error) {
	return 0, false, errReadOnly
}

func (f *fakeStore) ProcessInbox(context.Context, int, func(context.Context, store.Tx, []*model.InboxMessage) error) (int, error) {
	return 0, errReadOnly
}

func (f *fakeStore) GetShipment(_ context.Context, workspace string, id int64) (*model.Shipment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, s := range f.shipments {
		if s.ID == id && (s.Workspace == workspace || f.leak) {
			c := *s
			c.Events = slices.Clone(s.Events)
			return &c, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListShipments(_ context.Context, filter store.ShipmentFilter) ([]*model.Shipment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastFilter = filter
	if f.err != nil {
		return nil, f.err
	}
	var out []*model.Shipment
	for _, s := range f.shipments {
		if (s.Workspace != filter.Workspace && !f.leak) ||
			(filter.Reference != "" && !hasReference(s, filter.Reference)) ||
			(filter.Status != "" && s.Status != filter.Status) ||
			(filter.Connection != "" && s.Connection != filter.Connection) ||
			(filter.BeforeID > 0 && s.ID >= filter.BeforeID) {
			continue
		}
		c := *s
		c.Events = nil
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *model.Shipment) int { return int(b.ID - a.ID) })
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[:filter.Limit]
	}
	return out, nil
}

func hasReference(s *model.Shipment, ref string) bool {
	for _, r := range s.References {
		if r.Value == ref {
			return true
		}
	}
	return false
}

func (f *fakeStore) ListFeed(_ context.Context, workspace string, after int64, limit int) ([]*model.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*model.FeedEvent
	for _, e := range f.feed {
		if (e.Workspace == workspace || f.leak) && e.ID > after {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *model.FeedEvent) int { return int(a.ID - b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeStore) GetInbox(context.Context, int64) (*model.InboxMessage, error) {
	return nil, store.ErrNotFound
}

func (f *fakeStore) InboxStats(context.Context) (store.InboxStats, error) {
	return store.InboxStats{}, nil
}

func (f *fakeStore) AppendFeedEvents(context.Context, []*model.FeedEvent) error { return errReadOnly }

func (f *fakeStore) ResetCanonical(context.Context, string) (int64, error) {
	return 0, errReadOnly
}

func (f *fakeStore) CountShipments(context.Context, string) (map[model.Status]int64, error) {
	return nil, errors.New("not used by the API")
}

func (f *fakeStore) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return false, errReadOnly
}

func (f *fakeStore) ReleaseLease(context.Context, string, string) error { return errReadOnly }

func (f *fakeStore) TakeBudget(context.Context, string, time.Duration, int) (bool, time.Time, error) {
	return false, time.Time{}, errReadOnly
}

func (f *fakeStore) Ping(context.Context) error { return f.err }

func (f *fakeStore) Close() error { return nil }

func (f *fakeStore) CreateTracker(context.Context, *model.Tracker) (bool, error) {
	return false, errReadOnly
}

func (f *fakeStore) GetTracker(context.Context, string, int64) (*model.Tracker, error) {
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListTrackers(context.Context, store.TrackerFilter) ([]*model.Tracker, error) {
	return nil, nil
}

func (f *fakeStore) DeleteTracker(context.Context, string, int64) error { return store.ErrNotFound }

func (f *fakeStore) DueTrackers(context.Context, string, string, time.Time, int) ([]*model.Tracker, error) {
	return nil, nil
}

func (f *fakeStore) SaveTrackerPoll(context.Context, *model.Tracker) error { return errReadOnly }

func (f *fakeStore) ShipmentsUpdatedSince(context.Context, string, time.Time, int64, int) ([]*model.Shipment, error) {
	return nil, nil
}

func (f *fakeStore) RecordIntakeError(context.Context, *model.IntakeError) error { return errReadOnly }

func (f *fakeStore) ListIntakeErrors(context.Context, store.IntakeErrorFilter) ([]*model.IntakeError, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.err
}

func (f *fakeStore) Prune(context.Context, store.RetentionTable, time.Time, store.PruneCursor, int) (store.PruneResult, error) {
	return store.PruneResult{}, errReadOnly
}

func (f *fakeStore) ReclaimSpace(context.Context, []string) error { return errReadOnly }

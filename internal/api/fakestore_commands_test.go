package api_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// fakeCommands is the fake store's commands (store.Commands) with the
// semantics of its contract: a submission commits its new subject and its
// command together, an Idempotency-Key seen before replays the first result
// for the same hash and is refused for another, a reference the connection
// has is a duplicate; listings are newest first, continued by BeforeID.
// It also holds the products and inbound goods submissions create, and the
// inbox activity LastInboxMessages reads.
type fakeCommands struct {
	commands []*model.Command
	products []*model.Product
	inbound  []*model.Inbound
	keys     map[[2]string]idempotent
	nextID   int64
	// lastInbox is the received time of each workspace/connection's newest message.
	lastInbox map[[2]string]time.Time
}

type idempotent struct {
	hash   string
	result store.SubmitResult
}

var _ store.Commands = (*fakeStore)(nil)

func (f *fakeStore) id() int64 {
	f.nextID++
	return 1000 + f.nextID
}

func (f *fakeStore) SubmitCommand(_ context.Context, s *store.Submission, enqueue store.EnqueueFunc) (*store.SubmitResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if s.IdempotencyKey != "" {
		if k, ok := f.keys[[2]string{s.Workspace, s.IdempotencyKey}]; ok {
			if k.hash != s.RequestHash {
				return nil, store.ErrIdempotencyKeyReused
			}
			r := k.result
			r.Replayed = true
			c := *r.Command
			r.Command = &c
			return &r, nil
		}
	}
	subject := s.SubjectID
	switch {
	case s.Order != nil:
		for _, o := range f.orders {
			if o.Workspace == s.Workspace && o.Connection == s.Connection && o.Reference == s.Order.Reference {
				return nil, store.ErrDuplicateReference
			}
		}
		o := *s.Order
		o.ID = f.id()
		f.orders = append(f.orders, &o)
		subject = o.ID
	case s.Product != nil:
		for _, p := range f.products {
			if p.Workspace == s.Workspace && p.Connection == s.Connection && p.SKU == s.Product.SKU {
				return nil, store.ErrDuplicateReference
			}
		}
		p := *s.Product
		p.ID = f.id()
		f.products = append(f.products, &p)
		subject = p.ID
	case s.Inbound != nil:
		for _, i := range f.inbound {
			if i.Workspace == s.Workspace && i.Connection == s.Connection && i.Reference == s.Inbound.Reference {
				return nil, store.ErrDuplicateReference
			}
		}
		i := *s.Inbound
		i.ID = f.id()
		f.inbound = append(f.inbound, &i)
		subject = i.ID
	}
	cmd := &model.Command{ID: f.id(), Workspace: s.Workspace, Connection: s.Connection, Provider: s.Provider, Kind: s.Kind,
		SubjectID: subject, Status: model.CommandQueued, Payload: s.Payload, CreatedAt: s.Now, UpdatedAt: s.Now}
	if enqueue != nil {
		if err := enqueue(context.Background(), nil, cmd); err != nil {
			return nil, err
		}
	}
	f.commands = append(f.commands, cmd)
	res := store.SubmitResult{Command: cmd, SubjectID: subject}
	if s.IdempotencyKey != "" {
		if f.keys == nil {
			f.keys = map[[2]string]idempotent{}
		}
		f.keys[[2]string{s.Workspace, s.IdempotencyKey}] = idempotent{hash: s.RequestHash, result: res}
	}
	c := *cmd
	res.Command = &c
	return &res, nil
}

func (f *fakeStore) GetCommand(_ context.Context, workspace string, id int64) (*model.Command, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, c := range f.commands {
		if c.ID == id && (c.Workspace == workspace || f.leak) {
			cp := *c
			return &cp, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListCommands(_ context.Context, filter store.CommandFilter) ([]*model.Command, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*model.Command
	for _, c := range f.commands {
		if (c.Workspace != filter.Workspace && !f.leak) ||
			(filter.Status != "" && c.Status != filter.Status) ||
			(filter.Connection != "" && c.Connection != filter.Connection) ||
			(filter.Kind != "" && c.Kind != filter.Kind) ||
			(filter.BeforeID > 0 && c.ID >= filter.BeforeID) {
			continue
		}
		cp := *c
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *model.Command) int { return int(b.ID - a.ID) })
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[:filter.Limit]
	}
	return out, nil
}

func (f *fakeStore) StartCommand(context.Context, int64, time.Time) (*model.Command, error) {
	return nil, errReadOnly
}

func (f *fakeStore) FinishCommand(context.Context, int64, store.CommandOutcome) (*model.Command, error) {
	return nil, errReadOnly
}

func (f *fakeStore) RetryCommand(_ context.Context, workspace string, id int64, enqueue store.EnqueueFunc) (*model.Command, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, c := range f.commands {
		if c.ID != id || c.Workspace != workspace {
			continue
		}
		if c.Status != model.CommandFailed && c.Status != model.CommandDead {
			return nil, store.ErrConflict
		}
		c.Status, c.NextAttemptAt = model.CommandQueued, nil
		if enqueue != nil {
			if err := enqueue(context.Background(), nil, c); err != nil {
				return nil, err
			}
		}
		cp := *c
		return &cp, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeStore) LastInboxMessages(_ context.Context, workspace string, connections []string) (map[string]time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]time.Time{}
	for _, c := range connections {
		if t, ok := f.lastInbox[[2]string{workspace, c}]; ok {
			out[c] = t
		}
	}
	return out, nil
}

// fakeQueue is an api.CommandQueue on the fake store, which records every
// call: a test proves that nothing was queued by its empty lists.
type fakeQueue struct {
	st          *fakeStore
	mu          sync.Mutex
	submissions []*store.Submission
	retries     []int64
	// enqueued counts the jobs the store's transactions added: one per
	// new command, none for a replay.
	enqueued int
}

var _ api.CommandQueue = (*fakeQueue)(nil)

func (q *fakeQueue) Submit(ctx context.Context, s *store.Submission) (*store.SubmitResult, error) {
	q.mu.Lock()
	q.submissions = append(q.submissions, s)
	q.mu.Unlock()
	return q.st.SubmitCommand(ctx, s, q.enqueue)
}

func (q *fakeQueue) Retry(ctx context.Context, workspace string, id int64) (*model.Command, error) {
	q.mu.Lock()
	q.retries = append(q.retries, id)
	q.mu.Unlock()
	return q.st.RetryCommand(ctx, workspace, id, q.enqueue)
}

func (q *fakeQueue) enqueue(context.Context, *sql.Tx, *model.Command) error {
	// Called under the store's lock; the queue's own lock guards the count.
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enqueued++
	return nil
}

func (q *fakeQueue) counts() (submits, enqueued int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.submissions), q.enqueued
}

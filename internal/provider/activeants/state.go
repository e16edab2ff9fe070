package activeants

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/shiphub/shiphub/internal/store"
)

// State is where the connector keeps what it must remember across
// restarts: whether the first (full) stock sync is done, when track-trace
// was last read (for the operator: the hourly gate itself is a lease in
// the shared database), the cached account settings. CursorState keeps it
// in the store's sync cursors (the poll service uses it whenever its store
// has them, so the flag and the cache survive restarts and are shared by
// the hub's instances); MemState serves tests and a store without them.
type State interface {
	// Get returns the value of key, and whether it is set.
	Get(ctx context.Context, key string) (string, bool, error)
	// Set stores the value of key.
	Set(ctx context.Context, key, value string) error
}

// State keys. They are scoped to the connection by whoever implements
// State (the workspace and connection are not part of the key).
const (
	StateStockFullDone  = "stock.full_done"
	StateTrackTraceLast = "tracktrace.last"
	StateSettings       = "settings"
)

// MemState is a State in memory, safe for concurrent use.
type MemState struct {
	mu sync.Mutex
	m  map[string]string
}

var _ State = (*MemState)(nil)

// NewMemState returns an empty MemState.
func NewMemState() *MemState { return &MemState{m: map[string]string{}} }

// Get implements State.
func (s *MemState) Get(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

// Set implements State.
func (s *MemState) Set(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

// CursorPrefix starts the name of every sync cursor CursorState writes, so
// that the connector's keys cannot meet another component's cursors of the
// same connection.
const CursorPrefix = "activeants/"

// CursorState is a State in the store's sync cursors (store.Cursors) of one
// connection: key k is the cursor CursorPrefix+k of the workspace's
// connection. Only the poll service's leader writes (it runs under the
// connection's lease), so a plain set is enough.
type CursorState struct {
	Cursors               store.Cursors
	Workspace, Connection string
}

var _ State = CursorState{}

// Get implements State.
func (s CursorState) Get(ctx context.Context, key string) (string, bool, error) {
	c, err := s.Cursors.GetCursor(ctx, s.Workspace, s.Connection, CursorPrefix+key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the connection's %s: %w", key, err)
	}
	return c.Value, true, nil
}

// Set implements State.
func (s CursorState) Set(ctx context.Context, key, value string) error {
	c := store.Cursor{Workspace: s.Workspace, Connection: s.Connection, Name: CursorPrefix + key, Value: value}
	if err := s.Cursors.SaveCursor(ctx, &c); err != nil {
		return fmt.Errorf("saving the connection's %s: %w", key, err)
	}
	return nil
}

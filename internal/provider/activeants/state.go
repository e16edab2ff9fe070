package activeants

import (
	"context"
	"sync"
)

// State is where the connector keeps what it must remember across
// restarts: whether the first (full) stock sync is done, when track-trace
// was last read (for the operator: the hourly gate itself is a lease in
// the shared database), the cached account settings. The lead wires it to a store table; MemState serves
// tests and a hub without one.
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

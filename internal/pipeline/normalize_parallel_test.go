package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// rendezvous is the state of the "rendezvous" test provider's connectors,
// whose Normalize waits (up to rendezvousWait) until a second call is in
// Normalize beside it: a batch normalised one message after another waits
// the whole time for every message and never sees two at once. Each test
// run sets a fresh one before it builds its connections, so a repeated run
// (-count) starts unmet.
type rendezvous struct {
	inFlight, most atomic.Int64
	once           sync.Once
	met            chan struct{}
}

// nextRendezvous is what the provider's next connector waits on.
var nextRendezvous atomic.Pointer[rendezvous]

const rendezvousWait = 2 * time.Second

type rendezvousConnector struct{ r *rendezvous }

func (c rendezvousConnector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	r := c.r
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		most := r.most.Load()
		if n <= most || r.most.CompareAndSwap(most, n) {
			break
		}
	}
	if n >= 2 {
		r.once.Do(func() { close(r.met) })
	}
	select {
	case <-r.met:
	case <-time.After(rendezvousWait):
	}
	var w struct {
		Ref string `json:"ref"`
	}
	if err := json.Unmarshal(m.Body, &w); err != nil {
		return model.Changes{}, err
	}
	return model.ShipmentChanges(model.ShipmentUpdate{ProviderRef: w.Ref}), nil
}

func init() {
	provider.Register(provider.Info{Name: "rendezvous", New: func(provider.Connection) (provider.Connector, error) {
		return rendezvousConnector{r: nextRendezvous.Load()}, nil
	}})
}

// TestABatchIsNormalisedSideBySide applies a batch of eight messages with
// two normalising workers: two of its messages are in Normalize at once,
// and every message is applied, in its own shipment.
func TestABatchIsNormalisedSideBySide(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	meet := &rendezvous{met: make(chan struct{})}
	nextRendezvous.Store(meet)
	set, err := connections.Build(&config.Config{Workspaces: []config.Workspace{{ID: "acme",
		Connections: []config.Connection{{ID: "meet", Provider: "rendezvous", Settings: map[string]any{}}}}}})
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, BatchSize: 8, NormalizeWorkers: 2, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	const n = 8
	for i := range n {
		_, _, err := st.AppendInbox(context.Background(), &model.InboxMessage{Workspace: "acme", Connection: "meet", Provider: "rendezvous",
			Source: model.SourceWebhook, DedupKey: fmt.Sprintf("m%d", i), ContentType: "application/json",
			Body: fmt.Appendf(nil, `{"ref":"R-%d"}`, i), ReceivedAt: time.Now()})
		require.NoError(t, err)
	}
	start := time.Now()
	applied, err := p.Drain(context.Background())
	require.NoError(t, err)
	require.Equal(t, n, applied)
	require.GreaterOrEqual(t, meet.most.Load(), int64(2), "the most messages in Normalize at once")
	require.Less(t, time.Since(start), rendezvousWait, "a message waited for a second one that never came")
	for i := range n {
		_, found := shipmentOf(t, st, "acme", fmt.Sprintf("R-%d", i))
		require.True(t, found, "shipment R-%d", i)
	}
}

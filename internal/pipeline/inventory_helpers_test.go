package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// changesConnector normalises a message whose body is a model.Changes in
// JSON: the tests of products and stock build their updates themselves,
// without any provider's format. The message's "inject" meta puts in what
// JSON cannot carry, as a careless normaliser would: "nan" makes the first
// stock update's physical figure NaN, "year10000" moves the first stock
// mutation to the year 10000.
type changesConnector struct{}

func (changesConnector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	var c model.Changes
	if err := json.Unmarshal(m.Body, &c); err != nil {
		return model.Changes{}, fmt.Errorf("decoding a change set: %w", err)
	}
	switch m.Meta["inject"] {
	case "nan":
		nan := math.NaN()
		c.Stock[0].Physical = &nan
	case "year10000":
		c.StockMutations[0].OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c, nil
}

func init() {
	provider.Register(provider.Info{Name: "inventorytest", New: func(provider.Connection) (provider.Connector, error) {
		return changesConnector{}, nil
	}})
}

// inventoryPipeline builds a pipeline on st for workspace acme with the
// given connections of the inventorytest provider.
func inventoryPipeline(t *testing.T, st store.Store, batchSize int, conns ...string) *pipeline.Pipeline {
	t.Helper()
	w := config.Workspace{ID: "acme"}
	for _, c := range conns {
		w.Connections = append(w.Connections, config.Connection{ID: c, Provider: "inventorytest", Settings: map[string]any{}})
	}
	set, err := connections.Build(&config.Config{Workspaces: []config.Workspace{w}})
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: set, BatchSize: batchSize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return p
}

var inventorySeq atomic.Int64

// commitChanges commits a message stating c on the connection of acme,
// without applying it, and returns its inbox id.
func commitChanges(t *testing.T, st store.Store, conn string, c model.Changes) int64 {
	t.Helper()
	return commitInjected(t, st, conn, "", c)
}

// commitInjected is commitChanges with the connector's inject meta.
func commitInjected(t *testing.T, st store.Store, conn, inject string, c model.Changes) int64 {
	t.Helper()
	body, err := json.Marshal(c)
	require.NoError(t, err)
	id, dup, err := st.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: "acme", Connection: conn, Provider: "inventorytest", Source: model.SourceWebhook, Meta: map[string]string{"inject": inject},
		DedupKey: fmt.Sprintf("inv-%d", inventorySeq.Add(1)), ContentType: "application/json", Body: body, ReceivedAt: time.Now(),
	})
	require.NoError(t, err)
	require.False(t, dup)
	return id
}

// hour is a provider time: hour h of a fixed day.
func hour(h int) time.Time { return time.Date(2026, 11, 30, h, 0, 0, 0, time.UTC) }

func num(v float64) *float64 { return &v }

// applyEveryOrder commits life's change sets in each of the orders, each
// order on a connection of its own, applies them and returns the
// connections in the orders' order.
func applyEveryOrder(t *testing.T, st store.Store, life []model.Changes, orders [][]int, batchSize int) []string {
	t.Helper()
	conns := make([]string, len(orders))
	for i := range orders {
		conns[i] = fmt.Sprintf("p%03d", i)
	}
	p := inventoryPipeline(t, st, batchSize, conns...)
	for i, order := range orders {
		for _, m := range order {
			commitChanges(t, st, conns[i], life[m])
		}
	}
	n, err := p.Drain(context.Background())
	require.NoError(t, err)
	require.Equal(t, len(orders)*len(life), n)
	return conns
}

// sampleOrders is every order of n messages on SQLite and a fixed sample
// of them on PostgreSQL, whose round trips make all of them slow.
func sampleOrders(name string, n int) [][]int {
	all := permutations(n)
	if name == "SQLite" {
		return all
	}
	sample := [][]int{all[0], all[len(all)-1]}
	for i := 7; i < len(all); i += len(all) / 10 {
		sample = append(sample, all[i])
	}
	return sample
}

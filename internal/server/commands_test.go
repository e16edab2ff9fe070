package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/store"
)

// TestAServedHubWorksItsCommandQueue submits a command through the served
// hub's queue for a connection whose connector carries out no commands (the
// courier's): the hub's worker takes it, and it dies at once, rejecting its
// order, which shows the queue is built, started and counted by the server.
func TestAServedHubWorksItsCommandQueue(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: { listen: "127.0.0.1:0" }
database: %q
secrets_key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
commands: { poll_interval: 50ms }
workspaces:
  - id: acme
    api_keys: ["key-acme-0123456789abcdef"]
    connections:
      - { id: courier, provider: courier }
`, "sqlite:"+filepath.Join(dir, "hub.db"))), func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	ctx := context.Background()
	s, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(sctx))
	})

	res, err := s.Commands.Submit(ctx, &store.Submission{
		Workspace: "acme", Connection: "courier", Provider: "courier", Kind: model.CommandOrderCreate,
		Payload: json.RawMessage(`{"reference":"WT-1"}`), Order: &model.Order{Reference: "WT-1"},
	})
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var c *model.Command
	for {
		c, err = s.Store.GetCommand(ctx, "acme", res.Command.ID)
		require.NoError(t, err)
		if c.Status == model.CommandDead {
			break
		}
		require.True(t, time.Now().Before(deadline), "the command is still %s", c.Status)
		<-tick.C
	}
	require.Contains(t, c.LastError, "does not carry out commands")
	o, err := s.Store.GetOrder(ctx, "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderRejected, o.Status)

	// The worker counts the attempt after its outcome is stored, so the
	// counter may trail the status by a moment on a busy machine.
	const want = `shiphub_command_attempts_total{kind="order.create",outcome="dead",provider="courier"} 1`
	for {
		resp, err := http.Get(s.URL() + "/metrics")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		if strings.Contains(string(body), want) {
			break
		}
		require.True(t, time.Now().Before(deadline), "no %s in\n%s", want, body)
		<-tick.C
	}
}

package activeants_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/commands"
	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/sim/activeantssim"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

type oneConn struct{ c *activeants.Connector }

func (o oneConn) Lookup(ws, id string) (*connections.Conn, bool) {
	return &connections.Conn{Workspace: ws, ID: id, Provider: "activeants", Connector: o.c}, id == "aa"
}

// TestANOKIsFailedThenDeadAfterTheSchedule runs the command queue on SQLite
// against the simulator over real HTTP: an order the simulator refuses
// (NOK: an unknown SKU) is failed with Active Ants's message, retried on
// the schedule, and dead after it, its order rejected; an order it
// accepts succeeds, and its answer is in the inbox.
func TestANOKIsFailedThenDeadAfterTheSchedule(t *testing.T) {
	t.Parallel()
	sim, err := activeantssim.New(activeantssim.Config{Username: testUser, Password: testPassword, Seed: 3, Speed: -1})
	require.NoError(t, err)
	base, err := sim.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	c, err := activeants.NewWithSettings(activeants.Settings{BaseURL: base, Username: testUser, Password: testPassword})
	require.NoError(t, err)

	st := sqlite.OpenTest(t)
	cfg := config.Commands{RetrySchedule: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}, Workers: 2,
		AttemptTimeout: 10 * time.Second, PollInterval: 20 * time.Millisecond}
	cfg.SetDefaults()
	q, err := commands.New(commands.Options{Store: st, DB: st, Connections: oneConn{c}, Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, q.Start(sctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Stop(ctx))
	})

	submit := func(ref, sku string) *store.SubmitResult {
		req := model.OrderRequest{Reference: ref, OrderType: "myshop_nl_orders", Lines: []model.OrderRequestLine{{SKU: sku, Quantity: 1}},
			DeliveryAddress: model.Address{LastName: "Jansen", Street: "Kerkstraat", HouseNumber: "12", Postcode: "1017 GC", Country: "NL"}}
		payload, err := json.Marshal(req)
		require.NoError(t, err)
		res, err := q.Submit(context.Background(), &store.Submission{Workspace: "acme", Connection: "aa", Provider: "activeants",
			Kind: model.CommandOrderCreate, Payload: payload,
			Order: &model.Order{Reference: ref, Lines: []model.OrderLine{{LineNumber: 1, SKU: sku, Quantity: 1}}}})
		require.NoError(t, err)
		return res
	}
	wait := func(id int64, want model.CommandStatus) *model.Command {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			cmd, err := st.GetCommand(context.Background(), "acme", id)
			require.NoError(t, err)
			if cmd.Status == want {
				return cmd
			}
			if time.Now().After(deadline) {
				t.Fatalf("command %d is %s, not %s (last error %q)", id, cmd.Status, want, cmd.LastError)
			}
			<-tick.C
		}
	}

	bad := submit("NOK-1", "NO-SUCH-SKU")
	dead := wait(bad.Command.ID, model.CommandDead)
	require.Equal(t, "Product with sku (NO-SUCH-SKU) does not exist.", dead.LastError, "in Active Ants's words")
	require.Equal(t, 3, dead.Attempts, "the first attempt and the schedule's two retries")
	o, err := st.GetOrder(context.Background(), "acme", bad.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderRejected, o.Status)

	good := submit("OK-1", sim.Products()[0].SKU)
	done := wait(good.Command.ID, model.CommandSucceeded)
	require.Equal(t, 1, done.Attempts)
	require.Equal(t, 1, sim.Requests("/order/add")-3, "sent once")
	var found *model.InboxMessage
	_, err = st.ProcessInbox(context.Background(), 10, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
		for _, m := range msgs {
			if m.DedupKey == fmt.Sprintf("command:%d", good.Command.ID) {
				found = m
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, found, "the answer is in the inbox")
	ch, err := c.Normalize(found)
	require.NoError(t, err)
	require.Equal(t, "OK-1", ch.Orders[0].Reference)
	require.NotEmpty(t, ch.Orders[0].ProviderRef)
}

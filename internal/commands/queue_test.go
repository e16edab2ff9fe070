package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/commands"
	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// testStore is a store the queue runs on.
type testStore interface {
	store.Store
	commands.Database
}

var stores = []struct {
	name string
	open func(t testing.TB) testStore
}{
	{"SQLite", func(t testing.TB) testStore { return sqlite.OpenTest(t) }},
	{"PostgreSQL", func(t testing.TB) testStore { return postgres.OpenTest(t) }},
}

// fakeSender is a CommandSender whose answers the test scripts. It counts
// the sends of each command.
type fakeSender struct {
	mu    sync.Mutex
	sends map[int64]int
	// answer decides the n-th (from 1) send of a command.
	answer func(cmd *model.Command, n int, subject any) (*provider.CommandAnswer, error)
}

var _ provider.CommandSender = (*fakeSender)(nil)

func (f *fakeSender) Normalize(*model.InboxMessage) (model.Changes, error) {
	return model.Changes{}, nil
}
func (f *fakeSender) CommandKinds() []model.CommandKind {
	return []model.CommandKind{model.CommandOrderCreate, model.CommandOrderCancel}
}
func (f *fakeSender) ValidateCommand(*model.Command) error { return nil }

func (f *fakeSender) SendCommand(ctx context.Context, env provider.CommandEnv, cmd *model.Command) (*provider.CommandAnswer, error) {
	if err := env.Limiter.Wait(ctx, provider.PriorityUrgent); err != nil {
		return nil, err
	}
	subject, err := env.Subject(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.sends == nil {
		f.sends = map[int64]int{}
	}
	f.sends[cmd.ID]++
	n := f.sends[cmd.ID]
	f.mu.Unlock()
	if f.answer == nil {
		return okAnswer(cmd), nil
	}
	return f.answer(cmd, n, subject)
}

func (f *fakeSender) sent(id int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[id]
}

func okAnswer(cmd *model.Command) *provider.CommandAnswer {
	return &provider.CommandAnswer{Topic: "command.order", Inbound: provider.Inbound{
		DedupKey: fmt.Sprintf("command:%d", cmd.ID), ContentType: "application/json",
		Body: []byte(`{"success":true,"message":"Order created"}`),
	}}
}

type fakeConns struct{ c provider.Connector }

func (f fakeConns) Lookup(ws, conn string) (*connections.Conn, bool) {
	if conn != "wics" {
		return nil, false
	}
	return &connections.Conn{Workspace: ws, ID: conn, Provider: "wics", Connector: f.c}, true
}

// recorder wraps the store to see the order of the worker's writes.
type recorder struct {
	testStore
	mu    sync.Mutex
	calls []string
	inbox []int64
}

func (r *recorder) AppendInbox(ctx context.Context, m *model.InboxMessage) (int64, bool, error) {
	id, dup, err := r.testStore.AppendInbox(ctx, m)
	r.mu.Lock()
	r.calls = append(r.calls, "AppendInbox")
	r.inbox = append(r.inbox, id)
	r.mu.Unlock()
	return id, dup, err
}

func (r *recorder) FinishCommand(ctx context.Context, id int64, o store.CommandOutcome) (*model.Command, error) {
	r.mu.Lock()
	r.calls = append(r.calls, "FinishCommand:"+string(o.Status))
	r.mu.Unlock()
	return r.testStore.FinishCommand(ctx, id, o)
}

func testConfig(schedule ...time.Duration) config.Commands {
	if len(schedule) == 0 {
		schedule = []time.Duration{20 * time.Millisecond}
	}
	c := config.Commands{RetrySchedule: schedule, Workers: 4, AttemptTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond}
	c.SetDefaults()
	return c
}

func startQueue(t testing.TB, s commands.Store, db commands.Database, sender provider.Connector, cfg config.Commands, notify func()) *commands.Queue {
	t.Helper()
	q, err := commands.New(commands.Options{Store: s, DB: db, Connections: fakeConns{sender}, Config: cfg, Notify: notify})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Stop(ctx))
	})
	return q
}

func submitOrder(t *testing.T, q *commands.Queue, ref string) *store.SubmitResult {
	t.Helper()
	res, err := q.Submit(context.Background(), &store.Submission{
		Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate,
		Payload: json.RawMessage(`{"reference":"` + ref + `"}`),
		Order:   &model.Order{Reference: ref, Lines: []model.OrderLine{{LineNumber: 1, SKU: "CS1001", Quantity: 1}}},
	})
	require.NoError(t, err)
	return res
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		<-tick.C
	}
}

func waitStatus(t *testing.T, s store.Store, id int64, want model.CommandStatus) *model.Command {
	t.Helper()
	return waitStatusWithin(t, s, id, want, 20*time.Second)
}

func waitStatusWithin(t *testing.T, s store.Store, id int64, want model.CommandStatus, within time.Duration) *model.Command {
	t.Helper()
	var c *model.Command
	waitFor(t, within, fmt.Sprintf("command %d to be %s", id, want), func() bool {
		var err error
		c, err = s.GetCommand(context.Background(), "acme", id)
		require.NoError(t, err)
		return c.Status == want
	})
	return c
}

func feed(t *testing.T, s store.Store, typ string) []*model.FeedEvent {
	all, err := s.ListFeed(context.Background(), "acme", 0, 1000)
	require.NoError(t, err)
	var out []*model.FeedEvent
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestQueue(t *testing.T) {
	t.Parallel()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			t.Run("SuccessCommitsTheAnswerToTheInboxThenSucceeds", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				rec := &recorder{testStore: s}
				var subject atomic.Value
				sender := &fakeSender{answer: func(cmd *model.Command, n int, sub any) (*provider.CommandAnswer, error) {
					subject.Store(sub)
					return okAnswer(cmd), nil
				}}
				var woken atomic.Int32
				q := startQueue(t, rec, s, sender, testConfig(), func() { woken.Add(1) })
				res := submitOrder(t, q, "WT-1")
				c := waitStatus(t, s, res.Command.ID, model.CommandSucceeded)
				require.Equal(t, 1, c.Attempts)
				require.Equal(t, 1, sender.sent(c.ID))
				rec.mu.Lock()
				require.Equal(t, []string{"AppendInbox", "FinishCommand:succeeded"}, rec.calls, "the answer is durable before the command is recorded")
				inboxID := rec.inbox[0]
				rec.mu.Unlock()
				m, err := s.GetInbox(context.Background(), inboxID)
				require.NoError(t, err)
				require.Equal(t, "command.order", m.Topic)
				require.Equal(t, fmt.Sprintf("command:%d", c.ID), m.DedupKey)
				require.Equal(t, model.SourcePoll, m.Source)
				require.Equal(t, "wics", m.Connection)
				require.JSONEq(t, `{"success":true,"message":"Order created"}`, string(m.Body))
				require.Positive(t, woken.Load(), "the pipeline is woken")
				o, ok := subject.Load().(*model.Order)
				require.True(t, ok, "the subject of an order.create is its order")
				require.Equal(t, "WT-1", o.Reference)
			})
			t.Run("RefusalKillsTheCommandAndRejectsTheOrder", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				sender := &fakeSender{answer: func(*model.Command, int, any) (*provider.CommandAnswer, error) {
					return nil, fmt.Errorf("%w: Item CS1001 does not exist", provider.ErrRefused)
				}}
				q := startQueue(t, s, s, sender, testConfig(), nil)
				res := submitOrder(t, q, "WT-1")
				c := waitStatus(t, s, res.Command.ID, model.CommandDead)
				require.Equal(t, 1, c.Attempts, "a refusal is not retried")
				require.Contains(t, c.LastError, "Item CS1001 does not exist")
				o, err := s.GetOrder(context.Background(), "acme", res.SubjectID)
				require.NoError(t, err)
				require.Equal(t, model.OrderRejected, o.Status)
				require.Equal(t, &model.CommandRef{ID: c.ID, Status: "dead", Error: c.LastError}, o.LastCommand)
				require.Len(t, feed(t, s, model.EventCommandDead), 1)
				require.Len(t, feed(t, s, model.EventOrderStatusChanged), 1)
			})
			t.Run("FailuresFollowTheScheduleThenDie", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				sender := &fakeSender{answer: func(*model.Command, int, any) (*provider.CommandAnswer, error) {
					return nil, errors.New("502 bad gateway")
				}}
				schedule := []time.Duration{30 * time.Millisecond, 60 * time.Millisecond, 90 * time.Millisecond}
				q := startQueue(t, s, s, sender, testConfig(schedule...), nil)
				res := submitOrder(t, q, "WT-1")
				c := waitStatus(t, s, res.Command.ID, model.CommandDead)
				require.Equal(t, len(schedule)+1, c.Attempts, "one attempt and one per wait of the schedule")
				require.Equal(t, len(schedule)+1, sender.sent(c.ID))
				failed := feed(t, s, model.EventCommandFailed)
				require.Len(t, failed, len(schedule))
				for i, e := range failed {
					var fc model.Command
					require.NoError(t, json.Unmarshal(e.Data, &fc))
					require.Equal(t, i+1, fc.Attempts)
					require.NotNil(t, fc.NextAttemptAt)
					require.Equal(t, schedule[i], fc.NextAttemptAt.Sub(fc.UpdatedAt), "attempt %d waits the schedule's wait", i+1)
				}
				require.Len(t, feed(t, s, model.EventCommandDead), 1)
			})
			t.Run("RetryAfterIsHonoured", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				const after = 400 * time.Millisecond
				var firstAt, secondAt atomic.Int64
				sender := &fakeSender{answer: func(cmd *model.Command, n int, _ any) (*provider.CommandAnswer, error) {
					if n == 1 {
						firstAt.Store(time.Now().UnixNano())
						return nil, &provider.RetryAfterError{After: after, Err: errors.New("429 too many requests")}
					}
					secondAt.Store(time.Now().UnixNano())
					return okAnswer(cmd), nil
				}}
				// The schedule's wait is far shorter than the provider's.
				q := startQueue(t, s, s, sender, testConfig(time.Millisecond*10), nil)
				res := submitOrder(t, q, "WT-1")
				c := waitStatus(t, s, res.Command.ID, model.CommandSucceeded)
				require.Equal(t, 2, c.Attempts)
				require.GreaterOrEqual(t, time.Duration(secondAt.Load()-firstAt.Load()), after)
				failed := feed(t, s, model.EventCommandFailed)
				require.Len(t, failed, 1)
				var fc model.Command
				require.NoError(t, json.Unmarshal(failed[0].Data, &fc))
				require.Equal(t, after, fc.NextAttemptAt.Sub(fc.UpdatedAt))
			})
			t.Run("ADeadCommandRetriedByTheAPIIsSentAgain", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				var refuse atomic.Bool
				refuse.Store(true)
				sender := &fakeSender{answer: func(cmd *model.Command, n int, _ any) (*provider.CommandAnswer, error) {
					if refuse.Load() {
						return nil, fmt.Errorf("%w: deliveryDate is required", provider.ErrRefused)
					}
					return okAnswer(cmd), nil
				}}
				q := startQueue(t, s, s, sender, testConfig(), nil)
				res := submitOrder(t, q, "WT-1")
				waitStatus(t, s, res.Command.ID, model.CommandDead)
				refuse.Store(false)
				c, err := q.Retry(context.Background(), "acme", res.Command.ID)
				require.NoError(t, err)
				require.Equal(t, model.CommandQueued, c.Status)
				c = waitStatus(t, s, res.Command.ID, model.CommandSucceeded)
				require.Equal(t, 2, c.Attempts)
				require.Equal(t, 2, sender.sent(c.ID))
				_, err = q.Retry(context.Background(), "acme", res.Command.ID)
				require.ErrorIs(t, err, store.ErrConflict)
			})
			t.Run("AFailedCommandRetriedByTheAPIIsSentAtOnce", func(t *testing.T) {
				t.Parallel()
				s := st.open(t)
				sender := &fakeSender{answer: func(cmd *model.Command, n int, _ any) (*provider.CommandAnswer, error) {
					if n == 1 {
						return nil, errors.New("timeout")
					}
					return okAnswer(cmd), nil
				}}
				q := startQueue(t, s, s, sender, testConfig(time.Hour), nil)
				res := submitOrder(t, q, "WT-1")
				waitStatus(t, s, res.Command.ID, model.CommandFailed)
				_, err := q.Retry(context.Background(), "acme", res.Command.ID)
				require.NoError(t, err)
				c := waitStatus(t, s, res.Command.ID, model.CommandSucceeded)
				require.Equal(t, 2, c.Attempts, "the retry did not wait the schedule's hour, nor run twice")
			})
		})
	}
}

// TestTwoInstancesSendEveryCommandOnce runs two queues (two River clients,
// as two hub instances would) on one PostgreSQL database and checks that
// each of 200 commands is sent exactly once.
func TestTwoInstancesSendEveryCommandOnce(t *testing.T) {
	t.Parallel()
	url := postgres.TestDatabase(t)
	open := func() *postgres.Store {
		s, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 8})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()

	sender := &fakeSender{}
	var mu sync.Mutex
	by := map[int64]string{}
	mk := func(name string) *fakeSender {
		return &fakeSender{answer: func(cmd *model.Command, n int, _ any) (*provider.CommandAnswer, error) {
			mu.Lock()
			by[cmd.ID] += name
			mu.Unlock()
			_, _ = sender.SendCommand(context.Background(), provider.CommandEnv{Limiter: commands.Unlimited{}, Subject: func(context.Context) (any, error) { return nil, nil }}, cmd)
			return okAnswer(cmd), nil
		}}
	}
	qa := startQueue(t, a, a, mk("a"), testConfig(), nil)
	startQueue(t, b, b, mk("b"), testConfig(), nil)

	const n = 200
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = submitOrder(t, qa, fmt.Sprintf("WT-%d", i)).Command.ID
	}
	waitFor(t, 60*time.Second, "every command to succeed", func() bool {
		cmds, err := a.ListCommands(context.Background(), store.CommandFilter{Workspace: "acme", Status: model.CommandSucceeded, Limit: 1000})
		require.NoError(t, err)
		return len(cmds) == n
	})
	counts := map[string]int{}
	for _, id := range ids {
		require.Equal(t, 1, sender.sent(id), "command %d", id)
		mu.Lock()
		counts[by[id]]++
		mu.Unlock()
	}
	t.Logf("commands sent by instance: %v", counts)
	require.Equal(t, n, counts["a"]+counts["b"], "no command was sent by both")
}

// TestInstancesStartingAtOnceMigrateOnce starts the migration of River's
// tables from several instances at once on one fresh PostgreSQL database.
func TestInstancesStartingAtOnceMigrateOnce(t *testing.T) {
	t.Parallel()
	url := postgres.TestDatabase(t)
	const n = 3
	errs := make(chan error, n)
	for range n {
		s, err := postgres.New(context.Background(), postgres.Config{URL: url, MaxConns: 4})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		q, err := commands.New(commands.Options{Store: s, DB: s, Connections: fakeConns{&fakeSender{}}, Config: testConfig()})
		require.NoError(t, err)
		go func() { errs <- q.Migrate(context.Background()) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
}

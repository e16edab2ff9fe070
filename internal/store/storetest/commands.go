package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// commandCases are the cases of the commands' store port.
var commandCases = []conformanceCase{
	{"ASubmissionCommitsSubjectCommandAndJobTogetherOrNothing", testSubmitAtomic},
	{"AnIdempotencyKeyReplaysItsFirstSubmissionAndRefusesAnotherRequest", testSubmitIdempotent},
	{"AKnownReferenceIsADuplicateButAKnownSKUIsAnUpsert", testSubmitDuplicateReference},
	{"ACommandStartsAndFinishesAnnouncingFailureAndDeath", testCommandTransitions},
	{"ADeadOrderCreateRejectsItsOrder", testCommandRejectsOrder},
	{"AFailedOrDeadCommandIsRetriedWithANewJob", testCommandRetry},
	{"ListCommandsFiltersAndPagesWithinAWorkspace", testListCommands},
	{"AResetKeepsASubmittedOrderAsTheMerchantSubmittedIt", testResetKeepsSubmittedOrder},
}

func testResetKeepsSubmittedOrder(t *testing.T, s store.Store) {
	res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-9", ""), nil)
	require.NoError(t, err)
	// The provider's answer makes it accepted, with its own number.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		o, err := tx.OrderByRef(ctx, "acme", "wics", "WT-9")
		if err != nil {
			return err
		}
		o.Status, o.ProviderRef, o.Note = model.OrderAccepted, "13291", "from WICS"
		return tx.UpdateOrder(ctx, o)
	})
	_, err = s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	o, err := s.GetOrder(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderPending, o.Status, "back to the submission, for the rebuild to state the answers again")
	require.Empty(t, o.ProviderRef)
	require.Empty(t, o.Note, "what the provider stated is gone")
	require.Len(t, o.Lines, 1, "the merchant's lines are kept")
	require.Equal(t, "CS1001", o.Lines[0].SKU)
	require.NotNil(t, o.DeliveryAddress)
	require.Equal(t, "Antwerpen", o.DeliveryAddress.City)
}

func orderSubmission(ws, conn, ref, key string) *store.Submission {
	req := model.OrderRequest{Reference: ref, Lines: []model.OrderRequestLine{{SKU: "CS1001", Quantity: 2}},
		DeliveryAddress: model.Address{FirstName: "Ada", LastName: "Peeters", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"}}
	payload, _ := json.Marshal(req)
	return &store.Submission{
		Workspace: ws, Connection: conn, Provider: "wics", Kind: model.CommandOrderCreate, Payload: payload,
		Order: &model.Order{
			Reference: ref, Status: model.OrderPending,
			Lines:           []model.OrderLine{{LineNumber: 1, SKU: "CS1001", Quantity: 2}},
			DeliveryAddress: &req.DeliveryAddress,
		},
		IdempotencyKey: key, RequestHash: "hash-" + ref, Now: base,
	}
}

// enqueued records the commands an EnqueueFunc was given, after checking
// that it runs in the transaction that holds the command.
type enqueued struct {
	t    *testing.T
	cmds []*model.Command
	err  error
}

func (e *enqueued) fn(ctx context.Context, tx *sql.Tx, cmd *model.Command) error {
	var n int
	// The suite cannot rebind placeholders per dialect, so the id is in
	// the text.
	require.NoError(e.t, tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM commands WHERE id = "+itoa(cmd.ID)).Scan(&n))
	require.Equal(e.t, 1, n, "enqueue runs inside the transaction that inserted the command")
	e.cmds = append(e.cmds, cmd)
	return e.err
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func feedOfType(t *testing.T, s store.Store, ws, typ string) []*model.FeedEvent {
	t.Helper()
	all, err := s.ListFeed(ctx(t), ws, 0, 1000)
	require.NoError(t, err)
	var out []*model.FeedEvent
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func testSubmitAtomic(t *testing.T, s store.Store) {
	q := &enqueued{t: t}
	res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", "key-1"), q.fn)
	require.NoError(t, err)
	require.False(t, res.Replayed)
	require.Positive(t, res.Command.ID)
	require.Positive(t, res.SubjectID)
	require.Len(t, q.cmds, 1)
	require.Equal(t, res.Command.ID, q.cmds[0].ID)
	require.Equal(t, model.CommandQueued, res.Command.Status)
	require.Equal(t, res.SubjectID, res.Command.SubjectID)

	o, err := s.GetOrder(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderPending, o.Status)
	require.Equal(t, "WT-1", o.Reference)
	require.Equal(t, &model.CommandRef{ID: res.Command.ID, Status: "queued"}, o.LastCommand)
	c, err := s.GetCommand(ctx(t), "acme", res.Command.ID)
	require.NoError(t, err)
	require.Equal(t, res.Command, c)
	require.JSONEq(t, string(orderSubmission("acme", "wics", "WT-1", "").Payload), string(c.Payload))
	created := feedOfType(t, s, "acme", model.EventOrderCreated)
	require.Len(t, created, 1, "a submitted order is announced like one the pipeline creates")
	require.Equal(t, res.SubjectID, created[0].SubjectID)

	// An enqueue that fails takes the subject, the command, the key and
	// the feed entry with it.
	failing := &enqueued{t: t, err: errors.New("queue down")}
	_, err = s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-2", "key-2"), failing.fn)
	require.ErrorContains(t, err, "queue down")
	orders, err := s.ListOrders(ctx(t), store.OrderFilter{Workspace: "acme", Reference: "WT-2"})
	require.NoError(t, err)
	require.Empty(t, orders)
	cmds, err := s.ListCommands(ctx(t), store.CommandFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, cmds, 1)
	require.Len(t, feedOfType(t, s, "acme", model.EventOrderCreated), 1)
	// The key was not taken: the same request goes through now.
	res2, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-2", "key-2"), q.fn)
	require.NoError(t, err)
	require.False(t, res2.Replayed)
}

func testSubmitIdempotent(t *testing.T, s store.Store) {
	q := &enqueued{t: t}
	first, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", "key-1"), q.fn)
	require.NoError(t, err)

	again, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", "key-1"), q.fn)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.Command.ID, again.Command.ID)
	require.Equal(t, first.SubjectID, again.SubjectID)
	require.Len(t, q.cmds, 1, "a replay queues nothing")

	other := orderSubmission("acme", "wics", "WT-9", "key-1")
	_, err = s.SubmitCommand(ctx(t), other, q.fn)
	require.ErrorIs(t, err, store.ErrIdempotencyKeyReused)

	// Keys are per workspace.
	res, err := s.SubmitCommand(ctx(t), orderSubmission("globex", "wics", "WT-1", "key-1"), q.fn)
	require.NoError(t, err)
	require.False(t, res.Replayed)
	require.NotEqual(t, first.Command.ID, res.Command.ID)
	require.Len(t, q.cmds, 2)
}

func testSubmitDuplicateReference(t *testing.T, s store.Store) {
	q := &enqueued{t: t}
	_, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", ""), q.fn)
	require.NoError(t, err)
	_, err = s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", ""), q.fn)
	require.ErrorIs(t, err, store.ErrDuplicateReference)
	_, err = s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", "fresh-key"), q.fn)
	require.ErrorIs(t, err, store.ErrDuplicateReference, "a new key does not make a known reference new")
	_, err = s.SubmitCommand(ctx(t), orderSubmission("acme", "wics2", "WT-1", ""), q.fn)
	require.NoError(t, err, "references are per connection")

	product := func() *store.Submission {
		return &store.Submission{Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandProductUpsert,
			Payload: json.RawMessage(`{"sku":"CS1001","name":"Mug"}`), Product: &model.Product{SKU: "CS1001", Name: "Mug"}, Now: base}
	}
	p1, err := s.SubmitCommand(ctx(t), product(), q.fn)
	require.NoError(t, err)
	p2, err := s.SubmitCommand(ctx(t), product(), q.fn)
	require.NoError(t, err, "an upsert of a known SKU is an update")
	require.Equal(t, p1.SubjectID, p2.SubjectID)
	require.NotEqual(t, p1.Command.ID, p2.Command.ID)
	got, err := s.GetProduct(ctx(t), "acme", p1.SubjectID)
	require.NoError(t, err)
	require.Equal(t, "CS1001", got.SKU)

	inbound := func() *store.Submission {
		return &store.Submission{Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandInboundCreate,
			Payload: json.RawMessage(`{"reference":"PO-1"}`), Now: base,
			Inbound: &model.Inbound{Reference: "PO-1", Lines: []model.InboundLine{{LineNumber: 1, SKU: "CS1001", Expected: 10}}}}
	}
	in, err := s.SubmitCommand(ctx(t), inbound(), q.fn)
	require.NoError(t, err)
	gotIn, err := s.GetInbound(ctx(t), "acme", in.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.InboundAnnounced, gotIn.Status)
	_, err = s.SubmitCommand(ctx(t), inbound(), q.fn)
	require.ErrorIs(t, err, store.ErrDuplicateReference)

	// A command about an existing subject names it, in its workspace only.
	cancel := &store.Submission{Workspace: "globex", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCancel, SubjectID: in.SubjectID, Now: base}
	_, err = s.SubmitCommand(ctx(t), cancel, q.fn)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testCommandTransitions(t *testing.T, s store.Store) {
	res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", ""), nil)
	require.NoError(t, err)
	id := res.Command.ID

	c, err := s.StartCommand(ctx(t), id, base.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, model.CommandRunning, c.Status)
	require.Equal(t, 1, c.Attempts)

	next := base.Add(time.Minute)
	c, err = s.FinishCommand(ctx(t), id, store.CommandOutcome{Status: model.CommandFailed, Error: "connection reset", NextAttemptAt: next, Now: base.Add(2 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, model.CommandFailed, c.Status)
	require.Equal(t, "connection reset", c.LastError)
	require.NotNil(t, c.NextAttemptAt)
	require.True(t, next.Equal(*c.NextAttemptAt))
	failed := feedOfType(t, s, "acme", model.EventCommandFailed)
	require.Len(t, failed, 1)
	require.Equal(t, id, failed[0].SubjectID)
	var announced model.Command
	require.NoError(t, json.Unmarshal(failed[0].Data, &announced))
	require.Equal(t, model.CommandFailed, announced.Status, "the event carries the command")
	require.Equal(t, "connection reset", announced.LastError)

	_, err = s.FinishCommand(ctx(t), id, store.CommandOutcome{Status: model.CommandSucceeded})
	require.ErrorIs(t, err, store.ErrConflict, "only a running command finishes")

	c, err = s.StartCommand(ctx(t), id, base.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, c.Attempts)
	// A worker that died leaves its command running; the rescued job
	// starts it again, and the attempt counts.
	c, err = s.StartCommand(ctx(t), id, base.Add(2*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 3, c.Attempts)

	c, err = s.FinishCommand(ctx(t), id, store.CommandOutcome{Status: model.CommandSucceeded, Now: base.Add(3 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, model.CommandSucceeded, c.Status)
	require.Empty(t, c.LastError)
	require.Nil(t, c.NextAttemptAt)
	require.Len(t, feedOfType(t, s, "acme", model.EventCommandFailed), 1, "success is not announced as a command event")

	_, err = s.StartCommand(ctx(t), id, base.Add(4*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = s.StartCommand(ctx(t), id+1000, base)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.FinishCommand(ctx(t), id+1000, store.CommandOutcome{Status: model.CommandDead})
	require.ErrorIs(t, err, store.ErrNotFound)

	o, err := s.GetOrder(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderPending, o.Status, "success leaves the order to the provider's answer")
	require.Equal(t, &model.CommandRef{ID: id, Status: "succeeded"}, o.LastCommand)
}

func testCommandRejectsOrder(t *testing.T, s store.Store) {
	res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", ""), nil)
	require.NoError(t, err)
	_, err = s.StartCommand(ctx(t), res.Command.ID, base)
	require.NoError(t, err)
	msg := "refused by the provider: Item CS1001 does not exist"
	c, err := s.FinishCommand(ctx(t), res.Command.ID, store.CommandOutcome{Status: model.CommandDead, Error: msg, Now: base.Add(time.Second)})
	require.NoError(t, err)
	require.Equal(t, model.CommandDead, c.Status)

	o, err := s.GetOrder(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderRejected, o.Status)
	require.Equal(t, &model.CommandRef{ID: c.ID, Status: "dead", Error: msg}, o.LastCommand)
	dead := feedOfType(t, s, "acme", model.EventCommandDead)
	require.Len(t, dead, 1)
	changed := feedOfType(t, s, "acme", model.EventOrderStatusChanged)
	require.Len(t, changed, 1)
	var data struct {
		OrderID        int64             `json:"order_id"`
		PreviousStatus model.OrderStatus `json:"previous_status"`
		Status         model.OrderStatus `json:"status"`
		Order          model.Order       `json:"order"`
	}
	require.NoError(t, json.Unmarshal(changed[0].Data, &data))
	require.Equal(t, res.SubjectID, data.OrderID)
	require.Equal(t, model.OrderPending, data.PreviousStatus)
	require.Equal(t, model.OrderRejected, data.Status)
	require.Equal(t, msg, data.Order.LastCommand.Error)

	// A dead cancel leaves its order alone.
	cancel, err := s.SubmitCommand(ctx(t), &store.Submission{Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCancel, SubjectID: res.SubjectID, Now: base}, nil)
	require.NoError(t, err)
	_, err = s.StartCommand(ctx(t), cancel.Command.ID, base)
	require.NoError(t, err)
	_, err = s.FinishCommand(ctx(t), cancel.Command.ID, store.CommandOutcome{Status: model.CommandDead, Error: "too late"})
	require.NoError(t, err)
	o, err = s.GetOrder(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.OrderRejected, o.Status)
	require.Equal(t, &model.CommandRef{ID: cancel.Command.ID, Status: "dead", Error: "too late"}, o.LastCommand, "the last command is the newest of the order's")
	require.Len(t, feedOfType(t, s, "acme", model.EventOrderStatusChanged), 1)
	require.Len(t, feedOfType(t, s, "acme", model.EventCommandDead), 2)
}

func testCommandRetry(t *testing.T, s store.Store) {
	res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", "wics", "WT-1", ""), nil)
	require.NoError(t, err)
	id := res.Command.ID
	q := &enqueued{t: t}
	_, err = s.RetryCommand(ctx(t), "acme", id, q.fn)
	require.ErrorIs(t, err, store.ErrConflict, "a queued command needs no retry")
	_, err = s.StartCommand(ctx(t), id, base)
	require.NoError(t, err)
	_, err = s.FinishCommand(ctx(t), id, store.CommandOutcome{Status: model.CommandDead, Error: "gave up"})
	require.NoError(t, err)

	_, err = s.RetryCommand(ctx(t), "globex", id, q.fn)
	require.ErrorIs(t, err, store.ErrNotFound)
	failing := &enqueued{t: t, err: errors.New("queue down")}
	_, err = s.RetryCommand(ctx(t), "acme", id, failing.fn)
	require.ErrorContains(t, err, "queue down")
	c, err := s.GetCommand(ctx(t), "acme", id)
	require.NoError(t, err)
	require.Equal(t, model.CommandDead, c.Status, "a failed enqueue leaves the command as it was")

	c, err = s.RetryCommand(ctx(t), "acme", id, q.fn)
	require.NoError(t, err)
	require.Equal(t, model.CommandQueued, c.Status)
	require.Equal(t, 1, c.Attempts, "attempts are kept")
	require.Nil(t, c.NextAttemptAt)
	require.Len(t, q.cmds, 1)
	require.Equal(t, id, q.cmds[0].ID)
	c, err = s.StartCommand(ctx(t), id, base)
	require.NoError(t, err)
	require.Equal(t, 2, c.Attempts)
}

func testListCommands(t *testing.T, s store.Store) {
	var ids []int64
	for i, conn := range []string{"wics", "aa", "wics", "wics", "aa"} {
		res, err := s.SubmitCommand(ctx(t), orderSubmission("acme", conn, "WT-"+itoa(int64(i)), ""), nil)
		require.NoError(t, err)
		ids = append(ids, res.Command.ID)
	}
	_, err := s.SubmitCommand(ctx(t), orderSubmission("globex", "wics", "WT-0", ""), nil)
	require.NoError(t, err)
	_, err = s.StartCommand(ctx(t), ids[1], base)
	require.NoError(t, err)
	_, err = s.FinishCommand(ctx(t), ids[1], store.CommandOutcome{Status: model.CommandDead, Error: "no"})
	require.NoError(t, err)
	first, err := s.GetCommand(ctx(t), "acme", ids[0])
	require.NoError(t, err)
	cancel, err := s.SubmitCommand(ctx(t), &store.Submission{Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCancel, SubjectID: first.SubjectID, Now: base}, nil)
	require.NoError(t, err)

	idsOf := func(cs []*model.Command) []int64 {
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.CommandFilter
		want []int64
	}{
		{"AllNewestFirst", store.CommandFilter{Workspace: "acme"}, []int64{cancel.Command.ID, ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"ByStatus", store.CommandFilter{Workspace: "acme", Status: model.CommandDead}, []int64{ids[1]}},
		{"ByConnection", store.CommandFilter{Workspace: "acme", Connection: "aa"}, []int64{ids[4], ids[1]}},
		{"ByKind", store.CommandFilter{Workspace: "acme", Kind: model.CommandOrderCancel}, []int64{cancel.Command.ID}},
		{"BySubject", store.CommandFilter{Workspace: "acme", Kind: model.CommandOrderCreate, SubjectID: first.SubjectID}, []int64{cancel.Command.ID, ids[0]}},
		{"FirstPage", store.CommandFilter{Workspace: "acme", Limit: 2}, []int64{cancel.Command.ID, ids[4]}},
		{"NextPage", store.CommandFilter{Workspace: "acme", Limit: 2, BeforeID: ids[4]}, []int64{ids[3], ids[2]}},
		{"OtherWorkspace", store.CommandFilter{Workspace: "nobody"}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListCommands(ctx(t), tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, idsOf(got))
			for _, c := range got {
				require.Equal(t, tc.f.Workspace, c.Workspace)
			}
		})
	}
	_, err = s.GetCommand(ctx(t), "globex", ids[0])
	require.ErrorIs(t, err, store.ErrNotFound, "a workspace sees only its own commands")
}

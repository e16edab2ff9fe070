package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// returnCommandCases are the cases of a return.create submission.
var returnCommandCases = []conformanceCase{
	{"AReturnSubmissionCreatesTheReturnKeyedByItsOrderReference", testSubmitReturn},
}

func testSubmitReturn(t *testing.T, s store.Store) {
	sub := func(ws string) *store.Submission {
		return &store.Submission{Workspace: ws, Connection: "aa", Provider: "activeants", Kind: model.CommandReturnCreate,
			Payload: json.RawMessage(`{"reference":"WEB-1"}`), Now: base,
			Return: &model.Return{Reference: "WEB-1", Lines: []model.ReturnLine{{LineNumber: 1, SKU: "CS1001", Quantity: 1, Reason: "SIZE"}}}}
	}
	res, err := s.SubmitCommand(ctx(t), sub("acme"), nil)
	require.NoError(t, err)
	require.Equal(t, res.SubjectID, res.Command.SubjectID)
	got, err := s.GetReturn(ctx(t), "acme", res.SubjectID)
	require.NoError(t, err)
	require.Equal(t, model.ReturnAnnounced, got.Status)
	require.Equal(t, "activeants", got.Provider)
	require.Equal(t, []model.ReturnLine{{LineNumber: 1, SKU: "CS1001", Quantity: 1, Reason: "SIZE"}}, got.Lines)
	cmd, err := s.GetCommand(ctx(t), "acme", res.Command.ID)
	require.NoError(t, err)
	require.Equal(t, model.CommandReturnCreate, cmd.Kind)

	_, err = s.SubmitCommand(ctx(t), sub("acme"), nil)
	require.ErrorIs(t, err, store.ErrDuplicateReference, "one return in the making per order reference")
	_, err = s.SubmitCommand(ctx(t), sub("globex"), nil)
	require.NoError(t, err, "another workspace has its own")

	// The pipeline finds it by the reference key.
	_, _, err = s.AppendInbox(ctx(t), &model.InboxMessage{Workspace: "acme", Connection: "aa", Provider: "activeants", Source: model.SourcePoll,
		DedupKey: "probe", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: base})
	require.NoError(t, err)
	_, err = s.ProcessInbox(ctx(t), 10, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		r, err := tx.ReturnByKey(ctx, "acme", "aa", store.ReturnKey("", "WEB-1"))
		require.NoError(t, err)
		require.Equal(t, res.SubjectID, r.ID)
		return nil
	})
	require.NoError(t, err)
}

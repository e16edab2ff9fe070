package storetest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

func intakeError(ws, conn, name string) *model.IntakeError {
	return &model.IntakeError{
		Workspace: ws, Connection: conn, Source: model.SourceFTP, Name: name,
		Reason: "bad input: decoding courier JSON: unexpected end of JSON input",
		Ref:    ws + "/" + conn + "/quarantine/" + name, Size: 9, Body: []byte(`{"order":`),
		ReceivedAt: base,
	}
}

// testIntakeErrors checks that refused messages read back as recorded,
// newest first, paged, and only in their own workspace.
func testIntakeErrors(t *testing.T, s store.Store) {
	var ids []int64
	for _, n := range []string{"a.json", "b.xml", "c.json"} {
		e := intakeError("acme", "courier", n)
		require.NoError(t, s.RecordIntakeError(ctx(t), e))
		require.NotZero(t, e.ID)
		ids = append(ids, e.ID)
	}
	other := intakeError("globex", "courier", "g.json")
	require.NoError(t, s.RecordIntakeError(ctx(t), other))
	ftp2 := intakeError("acme", "courier2", "d.json")
	require.NoError(t, s.RecordIntakeError(ctx(t), ftp2))

	list, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme", Connection: "courier"})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, ids[2], list[0].ID, "newest first")
	want := intakeError("acme", "courier", "c.json")
	want.ID = ids[2]
	require.Equal(t, want, list[0], "it reads back as recorded")

	all, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, all, 4, "every connection of the workspace, none of another")
	for _, e := range all {
		require.Equal(t, "acme", e.Workspace)
	}

	page, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme", Connection: "courier", Limit: 2})
	require.NoError(t, err)
	require.Len(t, page, 2)
	rest, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme", Connection: "courier", BeforeID: page[1].ID})
	require.NoError(t, err)
	require.Len(t, rest, 1)
	require.Equal(t, ids[0], rest[0].ID)

	none, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "initech"})
	require.NoError(t, err)
	require.Empty(t, none)
}

// testIntakeErrorBodyIsCapped checks that a huge refused file does not
// bloat the database: its bytes are cut, its size kept.
func testIntakeErrorBodyIsCapped(t *testing.T, s store.Store) {
	e := intakeError("acme", "courier", "huge.xml")
	e.Body = bytes.Repeat([]byte("x"), model.IntakeErrorBodyCap+10)
	e.Size = int64(len(e.Body))
	require.NoError(t, s.RecordIntakeError(ctx(t), e))
	noBody := intakeError("acme", "courier", "toolarge.json")
	noBody.Body, noBody.Ref = nil, ""
	require.NoError(t, s.RecordIntakeError(ctx(t), noBody))
	list, err := s.ListIntakeErrors(ctx(t), store.IntakeErrorFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Empty(t, list[0].Body)
	require.Len(t, list[1].Body, model.IntakeErrorBodyCap)
	require.Equal(t, int64(model.IntakeErrorBodyCap+10), list[1].Size)
	require.Error(t, s.RecordIntakeError(ctx(t), &model.IntakeError{Workspace: "acme", Connection: "courier"}), "a reason is required")
}

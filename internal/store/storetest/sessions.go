package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var sessionCases = []conformanceCase{
	{"ASessionReadsBackByItsTokenHashUntilDeleted", testSessionRoundTrip},
	{"ASessionsLanguageCanBeChangedAndAMissingOneIsNotFound", testSessionLang},
	{"PruneSessionsDeletesOnlyExpiredOnes", testSessionPrune},
	{"LastFeedIDIsTheNewestEntryOfTheWorkspace", testLastFeedID},
}

func session(hash, ws string, expires time.Time) *store.Session {
	return &store.Session{TokenHash: hash, Workspace: ws, CSRF: "csrf-" + hash, Lang: "en", CreatedAt: base, ExpiresAt: expires}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	_, err := s.GetSession(ctx(t), "aa")
	require.ErrorIs(t, err, store.ErrNotFound)

	want := session("aa", "acme", base.Add(12*time.Hour))
	require.NoError(t, s.CreateSession(ctx(t), want))
	require.NoError(t, s.CreateSession(ctx(t), session("bb", "globex", base.Add(time.Hour))))
	got, err := s.GetSession(ctx(t), "aa")
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Error(t, s.CreateSession(ctx(t), session("aa", "globex", base)), "a token hash is unique")
	require.Error(t, s.CreateSession(ctx(t), &store.Session{TokenHash: "cc"}), "a session needs a workspace and a csrf token")

	require.NoError(t, s.DeleteSession(ctx(t), "aa"))
	_, err = s.GetSession(ctx(t), "aa")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.DeleteSession(ctx(t), "aa"), "deleting twice is no error")
	other, err := s.GetSession(ctx(t), "bb")
	require.NoError(t, err)
	require.Equal(t, "globex", other.Workspace, "deleting one session leaves the others")
}

func testSessionLang(t *testing.T, s store.Store) {
	require.NoError(t, s.CreateSession(ctx(t), session("aa", "acme", base.Add(time.Hour))))
	require.NoError(t, s.SetSessionLang(ctx(t), "aa", "nl"))
	got, err := s.GetSession(ctx(t), "aa")
	require.NoError(t, err)
	require.Equal(t, "nl", got.Lang)
	require.ErrorIs(t, s.SetSessionLang(ctx(t), "zz", "fr"), store.ErrNotFound)
}

func testSessionPrune(t *testing.T, s store.Store) {
	for i, d := range []time.Duration{-time.Hour, 0, time.Second, time.Hour} {
		require.NoError(t, s.CreateSession(ctx(t), session(fmt.Sprint("s", i), "acme", base.Add(d))))
	}
	n, err := s.PruneSessions(ctx(t), base)
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the sessions that expired before or at the time go")
	for i, kept := range []bool{false, false, true, true} {
		_, err := s.GetSession(ctx(t), fmt.Sprint("s", i))
		if kept {
			require.NoError(t, err, "session %d", i)
		} else {
			require.ErrorIs(t, err, store.ErrNotFound, "session %d", i)
		}
	}
}

func testLastFeedID(t *testing.T, s store.Store) {
	id, err := s.LastFeedID(ctx(t), "acme")
	require.NoError(t, err)
	require.Zero(t, id, "an empty feed ends at 0")
	var events []*model.FeedEvent
	for i, ws := range []string{"acme", "acme", "globex"} {
		events = append(events, &model.FeedEvent{Workspace: ws, Type: model.EventShipmentCreated, SubjectID: int64(i + 1), OccurredAt: base, Data: []byte(`{}`)})
	}
	require.NoError(t, s.AppendFeedEvents(ctx(t), events))
	acme, err := s.ListFeed(ctx(t), "acme", 0, 10)
	require.NoError(t, err)
	require.Len(t, acme, 2)
	id, err = s.LastFeedID(ctx(t), "acme")
	require.NoError(t, err)
	require.Equal(t, acme[1].ID, id)
	globex, err := s.ListFeed(ctx(t), "globex", 0, 10)
	require.NoError(t, err)
	id, err = s.LastFeedID(ctx(t), "globex")
	require.NoError(t, err)
	require.Equal(t, globex[0].ID, id)
}

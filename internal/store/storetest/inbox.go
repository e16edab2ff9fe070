package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// inboxCases are the cases of the inbox's claim filters, deferral, failed
// messages and the leases that keep reprocess and running hubs apart.
var inboxCases = []conformanceCase{
	{"ProcessWorkspacesHandsOutOnlyThoseWorkspacesMessages", testProcessWorkspaces},
	{"ADeferredConnectionStaysPendingIsNotHandedOutUntilDueAndDoesNotHoldUpTheRest", testDeferConnection},
	{"FailedMessagesAreListedPerWorkspaceAndCanBeRetriedOneByOneOrInBulk", testFailedInbox},
	{"InboxStatsCountsExactlyTheFailedAndPendingMessages", testInboxStatsExact},
	{"LiveLeasesListsOnlyUnexpiredLeasesWithThePrefix", testLiveLeases},
	{"InboxConnectionsListsEachConnectionOfAWorkspaceOnce", testInboxConnections},
}

// inboxClaim runs one ProcessInbox and returns the ids it handed out.
func inboxClaim(t *testing.T, s store.Store, limit int) []int64 {
	t.Helper()
	got, err := inboxClaimIDs(ctx(t), s, limit)
	require.NoError(t, err)
	return got
}

// inboxClaimIDs is inboxClaim without assertions, for conditions polled in another
// goroutine.
func inboxClaimIDs(c context.Context, s store.Store, limit int) ([]int64, error) {
	var got []int64
	_, err := s.ProcessInbox(c, limit, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
		got = ids(msgs)
		return nil
	})
	return got, err
}

func testProcessWorkspaces(t *testing.T, s store.Store) {
	acme := appendAll(t, s, message("acme", "courier", "a1"), message("acme", "courier", "a2"))
	globex := appendAll(t, s, message("globex", "courier", "g1"))
	initech := appendAll(t, s, message("initech", "courier", "i1"))

	var got []int64
	for {
		n, err := s.ProcessWorkspaces(ctx(t), []string{"acme", "initech"}, 2, func(_ context.Context, _ store.Tx, msgs []*model.InboxMessage) error {
			for _, m := range msgs {
				require.Contains(t, []string{"acme", "initech"}, m.Workspace)
				got = append(got, m.ID)
			}
			return nil
		})
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	require.Equal(t, append(acme, initech...), got, "only the named workspaces, oldest first")

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Pending, "another workspace's message stays pending for the pipeline")
	require.Equal(t, globex, inboxClaim(t, s, 10), "and the unrestricted claim hands it out")

	n, err := s.ProcessWorkspaces(ctx(t), nil, 10, func(context.Context, store.Tx, []*model.InboxMessage) error {
		t.Error("fn called with nothing pending")
		return nil
	})
	require.NoError(t, err)
	require.Zero(t, n, "no workspaces means every workspace, and nothing is left")
}

func testDeferConnection(t *testing.T, s store.Store) {
	first := message("acme", "gone", "g1")
	first.ReceivedAt = base
	gone := appendAll(t, s, first, message("acme", "gone", "g2"), message("acme", "gone", "g3"))
	here := appendAll(t, s, message("acme", "here", "h1"), message("globex", "gone", "x1"))

	var handed []int64
	n, err := s.ProcessInbox(ctx(t), 2, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		handed = ids(msgs)
		deferred, err := tx.DeferConnection(ctx, "acme", "gone", time.Now().Add(time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 3, deferred, "every pending message of the connection, not only this batch's")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, gone[:2], handed)

	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 5, Pending: 5, Deferred: 3, OldestPending: base}, st,
		"deferred messages stay pending and were not marked processed with the batch")

	require.Equal(t, here, inboxClaim(t, s, 10), "the rest of the inbox goes on, without re-reading the deferred messages")
	require.Empty(t, inboxClaim(t, s, 10), "deferred messages are not handed out before they are due")

	late := appendAll(t, s, message("acme", "gone", "g4"))
	require.Equal(t, late, inboxClaim(t, s, 10), "a message arriving later is pending, not deferred")

	// Defer a new one briefly: once due, it is handed out again.
	again := appendAll(t, s, message("acme", "gone", "g5"))
	_, err = s.ProcessInbox(ctx(t), 10, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		require.Equal(t, again, ids(msgs))
		_, err := tx.DeferConnection(ctx, "acme", "gone", time.Now().Add(100*time.Millisecond))
		return err
	})
	require.NoError(t, err)
	c := ctx(t)
	require.Eventually(t, func() bool {
		got, err := inboxClaimIDs(c, s, 10)
		return err == nil && len(got) == 1 && got[0] == again[0]
	}, 10*time.Second, 20*time.Millisecond, "a deferred message is handed out once due")

	_, err = s.ResetCanonical(ctx(t), "acme")
	require.NoError(t, err)
	st, err = s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Zero(t, st.Deferred, "a reset makes deferred messages plainly pending")
	require.EqualValues(t, 6, st.Pending, "every acme message is pending after a reset")
}

func testFailedInbox(t *testing.T, s store.Store) {
	var msgs []*model.InboxMessage
	for i := range 6 {
		conn := "courier"
		if i%2 == 1 {
			conn = "ws"
		}
		msgs = append(msgs, message("acme", conn, fmt.Sprintf("k%d", i)))
	}
	msgs = append(msgs, message("globex", "courier", "k0"))
	all := appendAll(t, s, msgs...)
	before := time.Now().Add(-time.Second)
	failed := map[int64]bool{all[0]: true, all[1]: true, all[3]: true, all[4]: true, all[6]: true}
	processAll(t, s, func(ctx context.Context, tx store.Tx, batch []*model.InboxMessage) error {
		for _, m := range batch {
			if failed[m.ID] {
				if err := tx.MarkProcessed(ctx, m.ID, "normalizing: bad "+m.DedupKey); err != nil {
					return err
				}
			}
		}
		return nil
	})

	list := func(f store.FailedInboxFilter) []int64 {
		t.Helper()
		got, err := s.ListFailedInbox(ctx(t), f)
		require.NoError(t, err)
		out := []int64{}
		for _, m := range got {
			require.Equal(t, f.Workspace, m.Workspace)
			out = append(out, m.ID)
		}
		return out
	}
	cases := []struct {
		name   string
		filter store.FailedInboxFilter
		want   []int64
	}{
		{"a workspace's failed messages, newest first", store.FailedInboxFilter{Workspace: "acme"}, []int64{all[4], all[3], all[1], all[0]}},
		{"a connection filters", store.FailedInboxFilter{Workspace: "acme", Connection: "ws"}, []int64{all[3], all[1]}},
		{"limit caps the page", store.FailedInboxFilter{Workspace: "acme", Limit: 2}, []int64{all[4], all[3]}},
		{"before id continues", store.FailedInboxFilter{Workspace: "acme", BeforeID: all[3], Limit: 2}, []int64{all[1], all[0]}},
		{"another workspace sees only its own", store.FailedInboxFilter{Workspace: "globex"}, []int64{all[6]}},
		{"a workspace without failures has none", store.FailedInboxFilter{Workspace: "initech"}, []int64{}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, list(tc.filter), tc.name)
	}
	one, err := s.ListFailedInbox(ctx(t), store.FailedInboxFilter{Workspace: "globex"})
	require.NoError(t, err)
	require.Len(t, one, 1)
	require.Equal(t, "normalizing: bad k0", one[0].Failure)
	require.WithinRange(t, one[0].FailedAt, before, time.Now().Add(time.Second))
	require.Equal(t, []byte(`{"key":"k0"}`), one[0].Body)
	require.Equal(t, base, one[0].ReceivedAt)

	retryCases := []struct {
		name      string
		workspace string
		id        int64
		want      error
	}{
		{"another workspace's message is not found", "globex", all[0], store.ErrNotFound},
		{"an unknown id is not found", "acme", all[6] + 1000, store.ErrNotFound},
		{"a message that was applied is a conflict", "acme", all[2], store.ErrConflict},
		{"a failed message is retried", "acme", all[0], nil},
		{"a retried message is pending, not failed, so again is a conflict", "acme", all[0], store.ErrConflict},
	}
	for _, tc := range retryCases {
		err := s.RetryInbox(ctx(t), tc.workspace, tc.id)
		if tc.want == nil {
			require.NoError(t, err, tc.name)
			continue
		}
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	require.Equal(t, []int64{all[0]}, inboxClaim(t, s, 10), "the retried message is handed out again")
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, 4, st.Failed, "acme k1, k3, k4 and globex k0")

	n, err := s.RetryFailedInbox(ctx(t), "acme", "ws")
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "one connection's failures")
	require.Equal(t, []int64{all[4]}, list(store.FailedInboxFilter{Workspace: "acme"}))
	n, err = s.RetryFailedInbox(ctx(t), "acme", "")
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the rest of the workspace's")
	require.Equal(t, []int64{all[6]}, list(store.FailedInboxFilter{Workspace: "globex"}), "another workspace is untouched")
	require.Equal(t, []int64{all[1], all[3], all[4]}, inboxClaim(t, s, 10))
	st, err = s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 7, Failed: 1}, st)
}

func testInboxStatsExact(t *testing.T, s store.Store) {
	appendAll(t, s, message("acme", "c", "applied"), message("acme", "c", "failed"),
		message("acme", "gone", "deferred"), message("acme", "c", "pending"))
	_, dup, err := s.AppendInbox(ctx(t), message("acme", "c", "applied"))
	require.NoError(t, err)
	require.True(t, dup)
	_, err = s.ProcessInbox(ctx(t), 3, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		if err := tx.MarkProcessed(ctx, msgs[1].ID, "bad"); err != nil {
			return err
		}
		_, err := tx.DeferConnection(ctx, "acme", "gone", time.Now().Add(time.Hour))
		return err
	})
	require.NoError(t, err)
	st, err := s.InboxStats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, store.InboxStats{Total: 4, Pending: 2, Deferred: 1, Failed: 1, OldestPending: base}, st,
		"a duplicate adds nothing, a deferred message is pending and not failed, a failed one is not pending")
}

func testLiveLeases(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, l := range []struct {
		name, holder string
		ttl          time.Duration
	}{
		{"hub/b", "b", time.Minute},
		{"hub/a", "a", time.Minute},
		{"hub/short", "s", 50 * time.Millisecond},
		{"hubx", "x", time.Minute},
		{"reprocess", "r", time.Minute},
	} {
		got, err := s.AcquireLease(c, l.name, l.holder, l.ttl)
		require.NoError(t, err)
		require.True(t, got)
	}
	names := func(prefix string) []string {
		t.Helper()
		leases, err := s.LiveLeases(c, prefix)
		require.NoError(t, err)
		out := []string{}
		for _, l := range leases {
			require.True(t, l.ExpiresAt.After(time.Now().Add(-time.Second)))
			out = append(out, l.Name+"="+l.Holder)
		}
		return out
	}
	require.Eventually(t, func() bool {
		leases, err := s.LiveLeases(c, "hub/")
		return err == nil && len(leases) == 2 && leases[0].Name == "hub/a" && leases[1].Name == "hub/b"
	}, 10*time.Second, 10*time.Millisecond, "an expired lease is not live, and another prefix does not match")
	require.Equal(t, []string{"reprocess=r"}, names("reprocess"))
	require.Equal(t, []string{}, names("hub_"), "_ is not a wildcard")
	require.NoError(t, s.ReleaseLease(c, "hub/a", "a"))
	require.Equal(t, []string{"hub/b=b"}, names("hub/"), "a released lease is gone")
	require.Len(t, names(""), 3, "no prefix lists every live lease")
}

func testInboxConnections(t *testing.T, s store.Store) {
	appendAll(t, s, message("acme", "ws", "1"), message("acme", "courier", "1"), message("acme", "courier", "2"),
		message("acme", "gcl", "1"), message("globex", "other", "1"))
	cases := []struct {
		workspace string
		want      []string
	}{
		{"acme", []string{"courier", "gcl", "ws"}},
		{"globex", []string{"other"}},
		{"initech", nil},
	}
	for _, tc := range cases {
		got, err := s.InboxConnections(ctx(t), tc.workspace)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, tc.workspace)
	}
}

package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestARunningHubMarksAQuietShipmentStuck checks that serve runs the stuck
// scan: a shipment in transit without an update for longer than the
// default (5 days) is marked stuck, with its shipment.stuck feed event.
func TestARunningHubMarksAQuietShipmentStuck(t *testing.T) {
	t.Parallel()
	srv := newServer(t, freeAddr(t), freeAddr(t))
	ctx := context.Background()
	quiet := time.Now().Add(-6 * 24 * time.Hour)
	sh := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: "QUIET-1",
		StatusPosition: model.StatusPosition{Status: model.StatusInTransit}, CreatedAt: quiet, UpdatedAt: quiet}
	_, _, err := srv.Store.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier",
		Source: model.SourceWebhook, DedupKey: "setup", Body: []byte(`{}`), ReceivedAt: quiet})
	require.NoError(t, err)
	n, err := srv.Store.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return tx.InsertShipment(ctx, sh)
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	require.Eventually(t, func() bool {
		list, err := srv.Store.ListStuck(ctx, "acme", 0, 10)
		return err == nil && len(list) == 1 && list[0].ID == sh.ID
	}, 20*time.Second, 10*time.Millisecond, "the scan marks the quiet shipment")
	feed, err := srv.Store.ListFeed(ctx, "acme", 0, 100)
	require.NoError(t, err)
	var stuck int
	for _, e := range feed {
		if e.Type == model.EventShipmentStuck && e.SubjectID == sh.ID {
			stuck++
		}
	}
	require.Equal(t, 1, stuck)
}

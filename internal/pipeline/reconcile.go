package pipeline

import (
	"context"

	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// reconcileFound counts what a reconciliation found: a message committed by
// a provider's reconciliation (Meta source=reconcile) that, applied, changed
// something, which is when the appliers append a feed event. A state the
// webhooks had already brought changes nothing and is not counted; neither
// is a rebuild, which appends no feed events.
type reconcileFound struct {
	connection, kind string
	feeds            int
}

// watch returns the transaction the appliers of m write through: for a
// reconciled message, one that counts the feed events they append.
func (f *reconcileFound) watch(tx store.Tx, m *model.InboxMessage) store.Tx {
	if m.Meta[provider.MetaSource] != provider.SourceReconcile {
		return tx
	}
	f.connection, f.kind = m.Connection, m.Meta[provider.MetaReconcileKind]
	if f.kind == "" {
		f.kind = "other"
	}
	return feedCounter{Tx: tx, n: &f.feeds}
}

// count adds the message to the metric, once its batch is committed.
func (f *reconcileFound) count(m *metrics.Metrics) {
	if f.kind != "" && f.feeds > 0 {
		m.ReconcileFound.WithLabelValues(f.connection, f.kind).Inc()
	}
}

// feedCounter is a Tx that counts AppendFeed calls.
type feedCounter struct {
	store.Tx
	n *int
}

func (t feedCounter) AppendFeed(ctx context.Context, e *model.FeedEvent) error {
	if err := t.Tx.AppendFeed(ctx, e); err != nil {
		return err
	}
	*t.n++
	return nil
}

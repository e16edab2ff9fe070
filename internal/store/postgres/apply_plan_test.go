package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/sim/mixed"
	"github.com/shiphub/shiphub/internal/store"
)

// planCopies is how many times TestIntakeAndApplyStatementsHaveIndexedGenericPlans
// copies what the first messages made, so the second ones meet tables of a
// hub that has run for a while.
const planCopies = 60

// TestIntakeAndApplyStatementsHaveIndexedGenericPlans is
// TestDeliveryStatementsHaveIndexedGenericPlans for intake and apply: real
// provider messages (WICS orders, stock and shipments from its simulator,
// courier journeys, Winkelstraat pushes) are appended and applied once,
// what they made is copied planCopies times under other references, and
// the statements the store sends to append and apply more messages,
// freshly analysed, must have generic plans that read no large table whole.
func TestIntakeAndApplyStatementsHaveIndexedGenericPlans(t *testing.T) {
	t.Parallel()
	var log statementLog
	s, conn := planStore(t, &log)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	require.NoError(t, s.CreateEndpoint(ctx, &model.Endpoint{Workspace: "plan", URL: "https://plan.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))
	conns, first, second := planMessages(t)
	p, err := pipeline.New(pipeline.Config{Store: s, Connections: conns})
	require.NoError(t, err)
	appendAll(t, s, first)
	n, err := p.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, len(first), n)

	// Copies under other references, as more shipments, orders and
	// products would have made them (ten times as many products: the
	// simulated warehouse stocks few).
	for _, q := range []string{
		`INSERT INTO shipments (workspace, connection, provider, provider_ref, status, doc, created_at, updated_at, ref_key)
			SELECT workspace, connection, provider, provider_ref || '~' || g, status, doc, created_at, updated_at, ref_key || '~' || g
			FROM shipments, generate_series(1, $1) g`,
		`INSERT INTO shipment_refs (workspace, value, shipment_id)
			SELECT r.workspace, r.value || '~' || g, c.id FROM shipment_refs r JOIN shipments o ON o.id = r.shipment_id
			CROSS JOIN generate_series(1, $1) g JOIN shipments c ON c.ref_key = o.ref_key || '~' || g`,
		`INSERT INTO events (shipment_id, dedup_key, occurred_at, doc)
			SELECT c.id, e.dedup_key, e.occurred_at, e.doc FROM events e JOIN shipments o ON o.id = e.shipment_id
			CROSS JOIN generate_series(1, $1) g JOIN shipments c ON c.ref_key = o.ref_key || '~' || g`,
		`INSERT INTO orders (workspace, connection, provider, reference, provider_ref, status, doc, created_at, updated_at)
			SELECT workspace, connection, provider, reference || '~' || g, CASE WHEN provider_ref = '' THEN '' ELSE provider_ref || '~' || g END,
				status, doc, created_at, updated_at FROM orders, generate_series(1, $1) g`,
		`INSERT INTO products (workspace, connection, provider, sku, doc, created_at, updated_at)
			SELECT workspace, connection, provider, sku || '~' || g, doc, created_at, updated_at FROM products, generate_series(1, 10 * $1) g`,
		`INSERT INTO stock (workspace, connection, provider, sku, warehouse, doc, created_at, updated_at)
			SELECT workspace, connection, provider, sku || '~' || g, warehouse, doc, created_at, updated_at FROM stock, generate_series(1, 10 * $1) g`,
		`INSERT INTO stock_mutations (workspace, connection, provider, dedup_key, sku, occurred_at, doc, created_at)
			SELECT workspace, connection, provider, dedup_key || '~' || g, sku || '~' || g, occurred_at, doc, created_at
			FROM stock_mutations, generate_series(1, $1) g`,
		`INSERT INTO inbox (workspace, connection, provider, source, topic, dedup_key, content_type, meta, body, received_at, processed_at)
			SELECT workspace, connection, provider, source, topic, dedup_key || '~' || g, content_type, meta, body, received_at, processed_at
			FROM inbox, generate_series(1, $1) g`,
		`INSERT INTO feed (workspace, type, subject_id, occurred_at, data)
			SELECT workspace, type, subject_id, occurred_at, data FROM feed, generate_series(1, $1) g`,
	} {
		_, err := conn.Exec(ctx, q, planCopies)
		require.NoError(t, err, "%s", q)
	}
	_, err = conn.Exec(ctx, `ANALYZE`)
	require.NoError(t, err)

	log.On.Store(true)
	appendAll(t, s, second)
	n, err = p.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, len(second), n)
	log.On.Store(false)
	stats, err := s.InboxStats(ctx)
	require.NoError(t, err)
	require.Zero(t, stats.Failed, "messages failed")

	large := largeTables(t, conn, 1000)
	for _, name := range []string{"shipments", "shipment_refs", "events", "orders", "stock", "inbox", "feed"} {
		require.True(t, large[name], "%s is not large: %v", name, large)
	}
	sts := log.Statements()
	require.NotEmpty(t, sts)
	for _, st := range sts {
		name := shortName(st.SQL)
		t.Run(name, func(t *testing.T) {
			requireIndexedGenericPlan(t, conn, large, name, st.SQL, st.Args)
		})
	}
}

// appendAll appends messages in order, one connection's after another's.
func appendAll(t *testing.T, s store.Store, msgs []*model.InboxMessage) {
	t.Helper()
	for _, m := range msgs {
		c := *m
		_, _, err := s.AppendInbox(context.Background(), &c)
		require.NoError(t, err)
	}
}

// planMessages builds the connections of the apply plan test and two sets
// of messages from one mixed inbox: the first to build the state, the
// second (later steps of the same and of new shipments and orders) to be
// explained.
func planMessages(t *testing.T) (*connections.Set, []*model.InboxMessage, []*model.InboxMessage) {
	t.Helper()
	in, err := mixed.New(mixed.Config{Workspace: "plan", WICSOrders: 30, Journeys: 60})
	require.NoError(t, err)
	var first, second []*model.InboxMessage
	// WICS: the first orders' lives, then more; each stream in order.
	for i, msg := range in.WICS {
		if i < len(in.WICS)*2/3 {
			first = append(first, msg)
		} else {
			second = append(second, msg)
		}
	}
	for n, journey := range in.Courier {
		for i, msg := range journey {
			if n < 40 || (n < 50 && i < 2) {
				first = append(first, msg)
			} else {
				second = append(second, msg)
			}
		}
	}
	for n, journey := range in.Winkelstraat {
		for i, msg := range journey {
			if n < 40 || (n < 50 && i < 1) {
				first = append(first, msg)
			} else {
				second = append(second, msg)
			}
		}
	}
	return in.Connections, first, second
}

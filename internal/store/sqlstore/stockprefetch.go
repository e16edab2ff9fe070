package sqlstore

import (
	"context"
	"fmt"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The stock mutations' part of Prefetch (PostgreSQL): the batch's dedup
// keys looked up with one statement, and the new mutations written behind
// with allocated ids, in one INSERT at the flush, where each was an
// INSERT … ON CONFLICT DO NOTHING round trip of its own.

// smKey is the cache key of a stock mutation's dedup key (see stockKey).
func smKey(workspace, connection, dedupKey string) string {
	return workspace + "\x00" + connection + "\x00" + dedupKey
}

// prefetchStockMutations looks up which of the named stock mutations are
// stored, with one statement, and returns how many are not (the ids to
// allocate for them).
func (t *tx) prefetchStockMutations(ctx context.Context, names []store.StockMutationKey) (int, error) {
	if t.smAsked == nil {
		t.smAsked, t.smHave = map[string]bool{}, map[string]bool{}
	}
	var wss, conns, keys []string
	for _, n := range names {
		k := smKey(n.Workspace, n.Connection, n.DedupKey)
		if t.smAsked[k] {
			continue
		}
		t.smAsked[k] = true
		wss, conns, keys = append(wss, n.Workspace), append(conns, n.Connection), append(keys, n.DedupKey)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT m.workspace, m.connection, m.dedup_key
		FROM unnest($1::text[], $2::text[], $3::text[]) AS k (workspace, connection, dedup_key)
		JOIN stock_mutations m ON m.workspace = k.workspace AND m.connection = k.connection AND m.dedup_key = k.dedup_key`, wss, conns, keys)
	if err != nil {
		return 0, fmt.Errorf("looking up %d stock mutations: %w", len(keys), err)
	}
	defer func() { _ = rows.Close() }()
	stored := 0
	for rows.Next() {
		var ws, conn, key string
		if err := rows.Scan(&ws, &conn, &key); err != nil {
			return 0, fmt.Errorf("looking up %d stock mutations: %w", len(keys), err)
		}
		if k := smKey(ws, conn, key); !t.smHave[k] {
			t.smHave[k] = true
			stored++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("looking up %d stock mutations: %w", len(keys), err)
	}
	return len(keys) - stored, nil
}

// mutationRow is a stock mutation written behind.
type mutationRow struct {
	id                                             int64
	workspace, connection, provider, dedupKey, sku string
	occurredAt, createdAt                          int64
	doc                                            string
}

// insertMutationBehind queues a new stock mutation for flush when the
// transaction knows whether it is a duplicate and has an id for it; ok is
// false when it must be inserted at once instead.
func (t *tx) insertMutationBehind(m *model.StockMutation, dedupKey, doc string) (inserted, ok bool) {
	k := smKey(m.Workspace, m.Connection, dedupKey)
	if t.smHave[k] {
		return false, true // stored, or added by this transaction
	}
	if !t.smAsked[k] || len(t.smIDs) == 0 {
		return false, false
	}
	t.smHave[k] = true
	m.ID = t.smIDs[0]
	t.smIDs = t.smIDs[1:]
	t.newMutations = append(t.newMutations, mutationRow{id: m.ID, workspace: m.Workspace, connection: m.Connection, provider: m.Provider,
		dedupKey: dedupKey, sku: m.SKU, occurredAt: micros(m.OccurredAt), createdAt: micros(m.CreatedAt), doc: doc})
	return true, true
}

// flushStockMutations inserts the stock mutations written behind with one
// INSERT of unnested arrays (see flushEvents). No ON CONFLICT: the
// transaction looked their keys up under the processing lock, so a
// conflict is a fault, and the batch fails rather than count a mutation
// it did not add.
func (t *tx) flushStockMutations(ctx context.Context) error {
	n := len(t.newMutations)
	if n == 0 {
		return nil
	}
	ids, occurred, created := make([]int64, n), make([]int64, n), make([]int64, n)
	wss, conns, provs, keys, skus, docs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, r := range t.newMutations {
		ids[i], wss[i], conns[i], provs[i], keys[i], skus[i] = r.id, r.workspace, r.connection, r.provider, r.dedupKey, r.sku
		occurred[i], docs[i], created[i] = r.occurredAt, r.doc, r.createdAt
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO stock_mutations (id, workspace, connection, provider, dedup_key, sku, occurred_at, doc, created_at)`+t.s.dialect.OverrideIDs+`
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bigint[])`,
		ids, wss, conns, provs, keys, skus, occurred, docs, created); err != nil {
		return fmt.Errorf("inserting %d stock mutations: %w", n, err)
	}
	t.newMutations = t.newMutations[:0]
	return nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// tx is store.Tx on one ProcessInbox transaction.
type tx struct {
	s  *Store
	tx *sql.Tx
	// stmts holds this transaction's handles on the store's prepared
	// statements: SQLite spends a large part of a small statement's time
	// parsing it, and the pipeline runs the same few statements many times.
	stmts map[string]*sql.Stmt
	// refs remembers how many references each shipment loaded or inserted
	// in this transaction had: references only grow, so an update with the
	// same count has nothing new to index.
	refs map[int64]int

	// The transaction writes behind: every round trip to the database costs
	// more than the statement itself (PostgreSQL over TCP most of all), so
	// shipments loaded or inserted here are kept by ref key, their updates,
	// new references and feed entries are collected, and flush writes them
	// with a few multi-row statements before the commit.
	cache   map[string]*model.Shipment
	dirty   map[int64]*model.Shipment
	order   []int64 // dirty shipments in first-update order
	newRefs []refRow
	feed    []*model.FeedEvent
	// queued counts the webhook deliveries flush wrote (webhooks.go).
	queued int
	// orders holds the orders loaded or inserted here, by ref key
	// (orders.go); they are written through, not behind.
	orders map[string]*model.Order

	// What Prefetch (prefetch.go) learnt: the shipments and orders it
	// looked for and did not find, so that their look-ups need no round
	// trip; the event keys it asked for (evAsked) of the shipments it
	// loaded (evShip), and which of those the shipments hold or this
	// transaction added (evHave); the shipments inserted here, which hold
	// no stored event (evFresh); ids allocated for new events, and the
	// events written behind with them.
	missing      map[string]bool
	orderMissing map[string]bool
	evAsked      map[string]bool
	evShip       map[int64]bool
	evFresh      map[int64]bool
	evHave       map[evKey]bool
	eventIDs     []int64
	newEvents    []eventRow
	// behind is set by Prefetch: the orders and stock rows this
	// transaction loaded are then written by flush too (dirtyOrders,
	// dirtyStock, in first-update order), once however often they changed.
	behind       bool
	dirtyOrders  []*model.Order
	stock        map[string]*model.Stock
	stockMissing map[string]bool
	dirtyStock   []*model.Stock
	// With behind, new shipments take ids from shipIDs and are inserted
	// by flushPending (pendingShips, newShips in insertion order), and
	// the order links are collected too (links: the last one per
	// shipment, linkOrder: in first-link order), so that neither needs a
	// round trip of its own; OrderShipmentIDs flushes them first when one
	// of them may change its answer (linkedRefs: the reference each
	// shipment's stored link names, "" for none, where this transaction
	// knows it: the shipments it numbered and those whose links it wrote).
	shipIDs      []int64
	pendingShips map[int64]*model.Shipment
	newShips     []*model.Shipment
	links        map[int64]linkRow
	linkOrder    []int64
	linkedRefs   map[int64]string
	// With behind, the stock mutations the batch names (smAsked) that are
	// stored or inserted by this transaction (smHave); new ones take ids
	// from smIDs and are inserted by flush (newMutations).
	smAsked, smHave map[string]bool
	smIDs           []int64
	newMutations    []mutationRow
	// With Dialect.LastID (numbered.go): the last shipment and event ids
	// this transaction handed out (0: none yet, the database is asked
	// first), and the dedup keys of the events of the new shipments still
	// to be inserted (newShips), which flush inserts after them (newEvents).
	lastShipID, lastEventID int64
	pendingEvKeys           map[evKey]bool
}

type refRow struct {
	workspace, value string
	shipmentID       int64
}

// stmt returns the transaction's handle on the prepared query, or nil when it
// cannot be prepared (the caller then runs the query unprepared).
func (t *tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.stmts[query]; ok {
		return st
	}
	ps, ok := t.s.prepared(query)
	if !ok {
		return nil
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	st := t.tx.StmtContext(ctx, ps)
	t.stmts[query] = st
	return st
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// insertID runs a single-row INSERT built with Dialect.returningID and
// returns the new row's id, or inserted false when ON CONFLICT … DO NOTHING
// left the row out. On SQLite it does without RETURNING, which runs as a
// trigger that keeps the rows in a temporary table: a shipment's insert took
// 61–67 µs of CPU with it and 41–46 µs without (20,000 inserts, eight a
// transaction); the id is the connection's last_insert_rowid, which a
// trigger's inserts (the shipment counts') leave as it was. A WITHOUT ROWID
// table has no such id: its inserts must not come here.
func (t *tx) insertID(ctx context.Context, query string, args ...any) (id int64, inserted bool, err error) {
	if !t.s.dialect.LastInsertID {
		err := t.queryRow(ctx, query, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return id, err == nil, err
	}
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, false, err
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}

// insertOne is insertID for an INSERT that must write its row.
func (t *tx) insertOne(ctx context.Context, query string, args ...any) (int64, error) {
	id, inserted, err := t.insertID(ctx, query, args...)
	if err == nil && !inserted {
		err = errors.New("no row was written")
	}
	return id, err
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = t.s.stmtCtx(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *tx) rememberRefs(s *model.Shipment) {
	if t.refs == nil {
		t.refs = map[int64]int{}
	}
	t.refs[s.ID] = len(s.References)
}

var _ store.Tx = (*tx)(nil)

// ShipmentByRef returns the shipment with this provider reference in the
// connection, locked for update where the database needs it, without events.
func (t *tx) ShipmentByRef(ctx context.Context, workspace, connection, providerRef string) (*model.Shipment, error) {
	key := refKey(workspace, connection, providerRef)
	if sh, ok := t.cache[key]; ok {
		return sh, nil
	}
	if t.missing[key] {
		return nil, fmt.Errorf("finding shipment %q of connection %q: %w", providerRef, connection, store.ErrNotFound)
	}
	sh, err := scanShipment(t.queryRow(ctx, t.s.q.shipmentByRef, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding shipment %q of connection %q: %w", providerRef, connection, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding shipment %q of connection %q: %w", providerRef, connection, err)
	}
	t.rememberRefs(sh)
	t.keep(key, sh)
	return sh, nil
}

// keep caches a shipment of this transaction by its ref key.
func (t *tx) keep(key string, sh *model.Shipment) {
	if t.cache == nil {
		t.cache = map[string]*model.Shipment{}
	}
	t.cache[key] = sh
}

// InsertShipment stores a new shipment and sets its ID. Zero CreatedAt and
// UpdatedAt are set to now. Its references, and its ProviderRef, become
// searchable by ListShipments.
func (t *tx) InsertShipment(ctx context.Context, s *model.Shipment) error {
	if s.Workspace == "" || s.Connection == "" || s.ProviderRef == "" {
		return errors.New("inserting shipment: workspace, connection and provider reference are required")
	}
	now := t.s.now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = now
	}
	if behind, err := t.insertShipmentBehind(ctx, s); err != nil || behind {
		return err
	}
	doc, err := shipmentDoc(s)
	if err != nil {
		return fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
	}
	id, err := t.insertOne(ctx, t.s.q.shipmentInsert,
		s.Workspace, s.Connection, s.Provider, s.ProviderRef, refKey(s.Workspace, s.Connection, s.ProviderRef), string(s.Status), s.EventID, doc,
		micros(s.CreatedAt), micros(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting shipment %q: %w", s.ProviderRef, err)
	}
	s.ID = id
	t.inserted(s)
	return nil
}

// inserted records a shipment this transaction inserted (or will insert at
// flush): it is cached, its references are queued, and it has no stored
// event.
func (t *tx) inserted(s *model.Shipment) {
	if t.evAsked != nil {
		if t.evFresh == nil {
			t.evFresh = map[int64]bool{}
		}
		t.evFresh[s.ID] = true
	}
	t.addRefs(s)
	t.rememberRefs(s)
	t.keep(refKey(s.Workspace, s.Connection, s.ProviderRef), s)
}

// UpdateShipment stores a changed shipment (everything but its events and
// its identity: workspace, connection, provider and provider reference stay
// as inserted). A zero UpdatedAt is set to now. References are added, never
// removed. A shipment this transaction loaded or inserted is written by flush,
// once however often it changed; any other is written at once.
func (t *tx) UpdateShipment(ctx context.Context, s *model.Shipment) error {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = t.s.now()
	}
	if cached, ok := t.cache[refKey(s.Workspace, s.Connection, s.ProviderRef)]; ok && cached.ID == s.ID {
		if cached != s {
			*cached = *s
		}
		// A shipment still to be inserted is inserted as it stands.
		if t.pendingShips[s.ID] == nil {
			if t.dirty == nil {
				t.dirty = map[int64]*model.Shipment{}
			}
			if _, seen := t.dirty[s.ID]; !seen {
				t.order = append(t.order, s.ID)
			}
			t.dirty[s.ID] = cached
		}
	} else {
		doc, err := shipmentDoc(s)
		if err != nil {
			return fmt.Errorf("updating shipment %d: %w", s.ID, err)
		}
		res, err := t.exec(ctx, t.s.q.shipmentUpdate, string(s.Status), s.EventID, doc, micros(s.UpdatedAt), s.ID, s.Workspace)
		if err != nil {
			return fmt.Errorf("updating shipment %d: %w", s.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("updating shipment %d: %w", s.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("updating shipment %d: %w", s.ID, store.ErrNotFound)
		}
	}
	if n, known := t.refs[s.ID]; known && n == len(s.References) {
		return nil
	}
	t.addRefs(s)
	t.rememberRefs(s)
	return nil
}

// refKey is the shipments.ref_key of a provider reference in a connection.
// Workspace and connection ids cannot contain "/" (config.Validate), so the
// key is unambiguous.
func refKey(workspace, connection, providerRef string) string {
	return workspace + "/" + connection + "/" + providerRef
}

// addRefs queues the shipment's references (and its provider reference)
// for ListShipments' reference filter; flush writes them.
func (t *tx) addRefs(s *model.Shipment) {
	seen := make(map[string]bool, len(s.References)+1)
	for _, v := range append([]string{s.ProviderRef}, refValues(s.References)...) {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		t.newRefs = append(t.newRefs, refRow{workspace: s.Workspace, value: v, shipmentID: s.ID})
	}
}

func refValues(refs []model.Reference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Value
	}
	return out
}

// InsertEvent adds an event to a shipment and sets its ID. It reports
// inserted=false, and changes nothing, when the shipment already has an event
// with the same DedupKey. An empty DedupKey is never a duplicate. A zero
// RecordedAt is set to now.
func (t *tx) InsertEvent(ctx context.Context, shipmentID int64, e *model.Event) (bool, error) {
	if e.RecordedAt.IsZero() {
		e.RecordedAt = t.s.now()
	}
	doc, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("inserting event of shipment %d: encoding: %w", shipmentID, err)
	}
	if inserted, ok := t.insertEventBehind(shipmentID, e, doc); ok {
		return inserted, nil
	}
	if inserted, ok, err := t.insertEventNumbered(ctx, shipmentID, e, doc); ok || err != nil {
		return inserted, err
	}
	id, inserted, err := t.insertID(ctx, t.s.q.eventInsert, shipmentID, dedupArg(e.DedupKey), micros(e.OccurredAt), string(doc), string(e.Status))
	if err != nil {
		return false, fmt.Errorf("inserting event %q of shipment %d: %w", e.DedupKey, shipmentID, err)
	}
	if !inserted {
		return false, nil
	}
	e.ID = id
	if t.evHave != nil && e.DedupKey != "" {
		t.evHave[evKey{shipmentID, e.DedupKey}] = true
	}
	return true, nil
}

// dedupArg is an event's dedup_key argument: an empty key is NULL, which is
// never a duplicate.
func dedupArg(key string) any {
	if key == "" {
		return nil
	}
	return key
}

// AppendFeed adds an entry to the workspace's event feed. A zero OccurredAt
// is set to now. The entry is written by flush, so its ID is assigned at the
// end of the transaction. Feed ids grow in commit order because only one
// transaction applies messages at a time, which is what lets ListFeed's
// consumers page with after=<last id> without missing entries.
func (t *tx) AppendFeed(_ context.Context, e *model.FeedEvent) error {
	if e.Workspace == "" || e.Type == "" {
		return errors.New("appending to the feed: workspace and type are required")
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = t.s.now()
	}
	t.feed = append(t.feed, e)
	return nil
}

// flushChunk bounds the rows of one multi-row statement, far below either
// database's limit on bound parameters.
const flushChunk = 200

// flush writes what the transaction collected: events, shipment updates,
// new references and feed entries, each with as few statements as it can.
func (t *tx) flush(ctx context.Context) error {
	if err := t.flushShipmentInserts(ctx); err != nil {
		return err
	}
	if err := t.flushEvents(ctx); err != nil {
		return err
	}
	if err := t.flushLinks(ctx); err != nil {
		return err
	}
	if err := t.flushOrders(ctx); err != nil {
		return err
	}
	if err := t.flushStock(ctx); err != nil {
		return err
	}
	if err := t.flushStockMutations(ctx); err != nil {
		return err
	}
	if t.s.dialect.Prefetch {
		if err := t.flushUnnested(ctx); err != nil {
			return err
		}
	} else if err := t.flushValues(ctx); err != nil {
		return err
	}
	if err := t.queueDeliveries(ctx, t.feed); err != nil {
		return fmt.Errorf("queueing webhook deliveries: %w", err)
	}
	t.order, t.newRefs, t.feed = t.order[:0], t.newRefs[:0], t.feed[:0]
	clear(t.dirty)
	return nil
}

// flushValues writes the shipment updates, new references and feed entries
// with multi-row VALUES statements, as SQLite runs them: in process, each
// text kept prepared by the connection's statement cache. PostgreSQL's
// flushUnnested writes the same rows.
func (t *tx) flushValues(ctx context.Context) error {
	var b strings.Builder
	for start := 0; start < len(t.order); start += flushChunk {
		part := t.order[start:min(start+flushChunk, len(t.order))]
		b.Reset()
		b.WriteString(`WITH v (id, status, status_event_id, doc, updated_at) AS (VALUES `)
		args := make([]any, 0, 5*len(part))
		for i, id := range part {
			sh := t.dirty[id]
			doc, err := shipmentDoc(sh)
			if err != nil {
				return fmt.Errorf("updating shipment %d: %w", id, err)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT))`)
			args = append(args, id, string(sh.Status), sh.EventID, doc, micros(sh.UpdatedAt))
		}
		b.WriteString(`) UPDATE shipments SET status = v.status, status_event_id = v.status_event_id, doc = v.doc, updated_at = v.updated_at FROM v WHERE shipments.id = v.id`)
		if _, err := t.tx.ExecContext(t.s.stmtCtx(ctx), t.s.dialect.bind(b.String()), args...); err != nil {
			return fmt.Errorf("updating %d shipments: %w", len(part), err)
		}
	}
	for start := 0; start < len(t.newRefs); start += flushChunk {
		part := t.newRefs[start:min(start+flushChunk, len(t.newRefs))]
		b.Reset()
		b.WriteString(`INSERT INTO shipment_refs (workspace, value, shipment_id) VALUES `)
		args := make([]any, 0, 3*len(part))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`(?, ?, ?)`)
			args = append(args, r.workspace, r.value, r.shipmentID)
		}
		b.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := t.tx.ExecContext(t.s.stmtCtx(ctx), t.s.dialect.bind(b.String()), args...); err != nil {
			return fmt.Errorf("recording %d shipment references: %w", len(part), err)
		}
	}
	for start := 0; start < len(t.feed); start += flushChunk {
		part := t.feed[start:min(start+flushChunk, len(t.feed))]
		b.Reset()
		// created_at is when the entry was written: the feed's retention
		// counts from it, not from the provider's occurred_at.
		b.WriteString(`INSERT INTO feed (workspace, type, subject_id, occurred_at, data, created_at) VALUES `)
		args := make([]any, 0, 6*len(part))
		now := micros(t.s.now())
		for i, e := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?)`)
			args = append(args, e.Workspace, e.Type, e.SubjectID, micros(e.OccurredAt), string(e.Data), now)
		}
		// The ids come back to queue webhook deliveries by. One statement
		// assigns them in VALUES order, ascending, whatever order RETURNING
		// lists them in.
		b.WriteString(` RETURNING id`)
		ids, err := t.insertReturningIDs(ctx, b.String(), args)
		if err != nil {
			return fmt.Errorf("appending %d entries to the feed: %w", len(part), err)
		}
		if len(ids) != len(part) {
			return fmt.Errorf("appending %d entries to the feed: %d ids came back", len(part), len(ids))
		}
		for i, e := range part {
			e.ID = ids[i]
		}
	}
	return nil
}

// MarkProcessed records that an inbox message was applied, or, with a
// non-empty failure, that it could not be; either way it is no longer pending.
func (t *tx) MarkProcessed(ctx context.Context, inboxID int64, failure string) error {
	var f any
	if failure != "" {
		f = failure
	}
	res, err := t.exec(ctx, t.s.q.markProcessed, micros(t.s.now()), f, inboxID)
	if err != nil {
		return fmt.Errorf("marking inbox message %d processed: %w", inboxID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("marking inbox message %d processed: %w", inboxID, err)
	}
	if n == 0 {
		return fmt.Errorf("marking inbox message %d processed: %w", inboxID, store.ErrNotFound)
	}
	return nil
}

// shipmentDoc is the stored JSON document of a shipment: everything but its
// events, which live in their own table.
func shipmentDoc(s *model.Shipment) (string, error) {
	c := *s
	c.Events = nil
	b, err := json.Marshal(storedShipment{Shipment: &c, FactTimes: s.FactTimes})
	if err != nil {
		return "", fmt.Errorf("encoding: %w", err)
	}
	return string(b), nil
}

// storedShipment is the stored document: the shipment's JSON and, beside
// it, what the API does not show.
type storedShipment struct {
	*model.Shipment
	FactTimes map[string]time.Time `json:"fact_times,omitempty"`
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanShipment reads shipmentColumns. The columns win over the document for
// the fields they hold; the status's event id is only in its column, because
// the document's JSON leaves it out.
func scanShipment(row scanner) (*model.Shipment, error) {
	var (
		sh      model.Shipment
		id      int64
		ws      string
		conn    string
		prov    string
		ref     string
		status  string
		eventID int64
		doc     string
		created int64
	)
	if err := row.Scan(&id, &ws, &conn, &prov, &ref, &status, &eventID, &doc, &created); err != nil {
		return nil, err
	}
	stored := storedShipment{Shipment: &sh}
	if err := json.Unmarshal([]byte(doc), &stored); err != nil {
		return nil, fmt.Errorf("decoding shipment %d: %w", id, err)
	}
	sh.FactTimes = stored.FactTimes
	sh.ID, sh.Workspace, sh.Connection, sh.Provider, sh.ProviderRef = id, ws, conn, prov, ref
	sh.Status, sh.EventID = model.Status(status), eventID
	sh.CreatedAt = fromMicros(created)
	return &sh, nil
}

package sqlstore

// inboxColumns are the inbox columns a message is read from, in scan order.
const inboxColumns = `id, workspace, connection, provider, source, topic, dedup_key, content_type, meta, body, received_at`

// shipmentColumns are the shipment columns a shipment is read from, in scan order.
const shipmentColumns = `id, workspace, connection, provider, provider_ref, status, status_event_id, doc, created_at`

// queries holds every fixed statement, already bound to the dialect.
type queries struct {
	inboxExisting    string
	inboxPending     string
	inboxGet         string
	inboxStats       string
	inboxOldest      string
	inboxWake        string
	inboxDefer       string
	inboxFailedCols  string
	inboxRetry       string
	inboxInWorkspace string
	markProcessed    string
	shipmentByRef    string
	shipmentByID     string
	// shipmentsByRefValue lists a workspace's shipments of other
	// connections that have a reference of that value, oldest first.
	shipmentsByRefValue string
	shipmentGet         string
	shipmentInsert      string
	shipmentInsertID    string
	shipmentUpdate      string
	eventInsert         string
	eventInsertID       string
	eventsOf            string
	feedList            string
	resetAllEvents      string
	resetAllRefs        string
	resetAllShips       string
	resetAllInbox       string
	resetWsEvents       string
	resetWsRefs         string
	resetWsShips        string
	resetWsInbox        string
	inboxInsertTail     string
	inboxInsertHead     string
	inboxInsertTuple    string
}

func newQueries(d Dialect) queries {
	b := d.bind
	return queries{
		inboxExisting: b(`SELECT id FROM inbox WHERE workspace = ? AND connection = ? AND dedup_key = ?`),
		// Pending messages that are not deferred, from the partial index
		// inbox_pending, which holds exactly those.
		inboxPending: b(`SELECT ` + inboxColumns + ` FROM inbox WHERE processed_at IS NULL AND deferred_until IS NULL ORDER BY id LIMIT ?`),
		inboxGet:     b(`SELECT ` + inboxColumns + ` FROM inbox WHERE id = ?`),
		// The total is kept by triggers in inbox_total; the other counts are
		// each answered from a partial index, so no count reads the
		// processed messages, which are nearly all of them.
		inboxStats: `SELECT (SELECT n FROM inbox_total),
			(SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL AND deferred_until IS NULL),
			(SELECT COUNT(*) FROM inbox WHERE deferred_until IS NOT NULL),
			(SELECT COUNT(*) FROM inbox WHERE failure IS NOT NULL)`,
		// The oldest pending message is the first of inbox_pending or the
		// first deferred one (inbox_deferred_by_id), whichever came first.
		inboxOldest: `SELECT MIN(received_at) FROM inbox WHERE id IN (
			(SELECT MIN(id) FROM inbox WHERE processed_at IS NULL AND deferred_until IS NULL),
			(SELECT MIN(id) FROM inbox WHERE deferred_until IS NOT NULL))`,
		// Deferred messages whose time has come are pending again.
		inboxWake:  b(`UPDATE inbox SET deferred_until = NULL WHERE deferred_until IS NOT NULL AND deferred_until <= ?`),
		inboxDefer: b(`UPDATE inbox SET deferred_until = ? WHERE processed_at IS NULL AND deferred_until IS NULL AND ` + d.NoIndex + `workspace = ? AND ` + d.NoIndex + `connection = ?`),
		// Failed messages with their reason and time.
		inboxFailedCols:  inboxColumns + `, failure, processed_at`,
		inboxRetry:       b(`UPDATE inbox SET processed_at = NULL, failure = NULL, deferred_until = NULL WHERE id = ? AND workspace = ? AND failure IS NOT NULL`),
		inboxInWorkspace: b(`SELECT failure IS NOT NULL FROM inbox WHERE id = ? AND workspace = ?`),
		markProcessed:    b(`UPDATE inbox SET processed_at = ?, failure = ?, deferred_until = NULL WHERE id = ?`),

		shipmentByRef: b(`SELECT ` + shipmentColumns + ` FROM shipments WHERE ref_key = ?` + d.LockSuffix),
		shipmentByID:  b(`SELECT ` + shipmentColumns + ` FROM shipments WHERE id = ? AND workspace = ?` + d.LockSuffix),
		shipmentsByRefValue: b(`SELECT ` + shipmentColumns + ` FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_refs WHERE workspace = ? AND value = ?)
			AND connection <> ? ORDER BY id LIMIT ?` + d.LockSuffix),
		shipmentGet: b(`SELECT ` + shipmentColumns + ` FROM shipments WHERE id = ? AND workspace = ?`),
		shipmentInsert: b(`INSERT INTO shipments (workspace, connection, provider, provider_ref, ref_key, status, status_event_id, doc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` + d.returningID()),
		// shipmentInsertID inserts a shipment whose id the transaction chose
		// (Dialect.LastID).
		shipmentInsertID: b(`INSERT INTO shipments (id, workspace, connection, provider, provider_ref, ref_key, status, status_event_id, doc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		shipmentUpdate: b(`UPDATE shipments SET status = ?, status_event_id = ?, doc = ?, updated_at = ? WHERE id = ? AND workspace = ?`),
		// eventInsertID inserts an event whose id the transaction chose
		// (Dialect.LastID).
		eventInsertID: b(`INSERT INTO events (id, shipment_id, dedup_key, occurred_at, doc, status) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (shipment_id, dedup_key) DO NOTHING`),
		eventInsert: b(`INSERT INTO events (shipment_id, dedup_key, occurred_at, doc, status) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (shipment_id, dedup_key) DO NOTHING` + d.returningID()),
		// Events of the same instant come in the order of their dedup key,
		// which the provider's content decides, so a shipment reads the same
		// whichever order its messages arrived in.
		eventsOf: b(`SELECT id, dedup_key, doc FROM events WHERE shipment_id = ? ORDER BY occurred_at, COALESCE(dedup_key, ''), id`),
		feedList: b(`SELECT id, workspace, type, subject_id, occurred_at, data FROM feed WHERE workspace = ? AND id > ? ORDER BY id LIMIT ?`),

		resetAllEvents: `DELETE FROM events`,
		resetAllRefs:   `DELETE FROM shipment_refs`,
		resetAllShips:  b(`UPDATE shipments SET status = 'pending', status_event_id = 0, doc = '{}', updated_at = ?`),
		resetAllInbox:  `UPDATE inbox SET processed_at = NULL, failure = NULL, deferred_until = NULL`,
		resetWsEvents:  b(`DELETE FROM events WHERE shipment_id IN (SELECT id FROM shipments WHERE workspace = ?)`),
		resetWsRefs:    b(`DELETE FROM shipment_refs WHERE workspace = ?`),
		resetWsShips:   b(`UPDATE shipments SET status = 'pending', status_event_id = 0, doc = '{}', updated_at = ? WHERE workspace = ?`),
		resetWsInbox:   b(`UPDATE inbox SET processed_at = NULL, failure = NULL, deferred_until = NULL WHERE workspace = ?`),

		inboxInsertHead:  `INSERT INTO inbox (workspace, connection, provider, source, topic, dedup_key, content_type, meta, body, received_at) VALUES `,
		inboxInsertTuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inboxInsertTail:  ` ON CONFLICT (workspace, connection, dedup_key) DO NOTHING RETURNING id, workspace, connection, dedup_key`,
	}
}

// returningID is the end of a single-row INSERT whose new id insertID
// reads: RETURNING id, but nothing where the driver reports it
// (Dialect.LastInsertID).
func (d Dialect) returningID() string {
	if d.LastInsertID {
		return ""
	}
	return " RETURNING id"
}

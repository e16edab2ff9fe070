package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
)

// openLogged opens a store whose database logs every write of a shipment
// row (shipment_writes, by triggers the store does not know of), and a
// second connection to the database, to read the log with.
func openLogged(t *testing.T) (*Store, *sql.DB, func() []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := New(context.Background(), Config{Path: path, Synchronous: "NORMAL", Secrets: secrets.NewRandomKeyring()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	db, err := OpenDB(path, false)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	for _, q := range []string{
		`CREATE TABLE shipment_writes (n INTEGER PRIMARY KEY, what TEXT NOT NULL)`,
		`CREATE TRIGGER log_insert AFTER INSERT ON shipments BEGIN INSERT INTO shipment_writes (what) VALUES ('insert ' || NEW.id || ' ' || NEW.status); END`,
		`CREATE TRIGGER log_update AFTER UPDATE ON shipments BEGIN INSERT INTO shipment_writes (what) VALUES ('update ' || NEW.id || ' ' || NEW.status); END`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	return s, db, func() []string {
		rows, err := db.Query(`SELECT what FROM shipment_writes ORDER BY n`)
		require.NoError(t, err)
		defer func() { _ = rows.Close() }()
		var log []string
		for rows.Next() {
			var w string
			require.NoError(t, rows.Scan(&w))
			log = append(log, w)
		}
		require.NoError(t, rows.Err())
		return log
	}
}

// applyNew applies one inbox message whose transaction runs fn.
func applyNew(t *testing.T, s *Store, key string, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	_, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "courier", Provider: "courier", DedupKey: key, Body: []byte("x")})
	require.NoError(t, err)
	_, err = s.ProcessInbox(ctx, 10, func(ctx context.Context, tx store.Tx, msgs []*model.InboxMessage) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		for _, m := range msgs {
			if err := tx.MarkProcessed(ctx, m.ID, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// newShipment inserts a shipment, adds its first event and updates it with
// the status the event gives it, as the pipeline does.
func newShipment(ctx context.Context, tx store.Tx, ref string) (*model.Shipment, error) {
	sh := &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: ref,
		StatusPosition: model.StatusPosition{Status: model.StatusPending}}
	if err := tx.InsertShipment(ctx, sh); err != nil {
		return nil, err
	}
	e := &model.Event{DedupKey: ref + "-1", OccurredAt: time.Unix(1_700_000_000, 0).UTC(), Status: model.StatusInTransit}
	if _, err := tx.InsertEvent(ctx, sh.ID, e); err != nil {
		return nil, err
	}
	sh.Status, sh.EventID = model.StatusInTransit, e.ID
	if err := tx.UpdateShipment(ctx, sh); err != nil {
		return nil, err
	}
	if err := tx.LinkShipment(ctx, "acme", "courier", sh.ID, "ORDER-"+ref); err != nil {
		return nil, err
	}
	return sh, nil
}

// TestANewShipmentIsWrittenOnce: a shipment inserted and changed in one
// apply transaction is inserted once, as it stands, with the id the
// transaction gave it, not inserted and then updated (Dialect.LastID); its
// event and order link are kept; ids are never handed out twice, a
// deleted shipment's neither.
func TestANewShipmentIsWrittenOnce(t *testing.T) {
	t.Parallel()
	s, db, writes := openLogged(t)
	ctx := context.Background()

	var first []*model.Shipment
	require.NoError(t, applyNew(t, s, "m1", func(ctx context.Context, tx store.Tx) error {
		for _, ref := range []string{"S1", "S2"} {
			sh, err := newShipment(ctx, tx, ref)
			if err != nil {
				return err
			}
			first = append(first, sh)
		}
		return nil
	}))
	require.Equal(t, []string{"insert 1 in_transit", "insert 2 in_transit"}, writes(), "each new shipment is written once, as it stands")

	for i, sh := range first {
		got, err := s.GetShipment(ctx, "acme", sh.ID)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("S%d", i+1), got.ProviderRef)
		require.Equal(t, model.StatusInTransit, got.Status)
		require.Len(t, got.Events, 1, "the event written before its shipment is kept")
		require.Equal(t, sh.EventID, got.Events[0].ID)
	}
	found, err := s.ListShipments(ctx, store.ShipmentFilter{Workspace: "acme", Reference: "S2"})
	require.NoError(t, err)
	require.Len(t, found, 1, "the shipment's references are searchable")
	require.Equal(t, first[1].ID, found[0].ID)

	// The newest shipment deleted, the next one still takes a new id.
	_, err = db.Exec(`DELETE FROM shipments WHERE id = ?`, first[1].ID)
	require.NoError(t, err)
	var third *model.Shipment
	require.NoError(t, applyNew(t, s, "m2", func(ctx context.Context, tx store.Tx) error {
		third, err = newShipment(ctx, tx, "S3")
		return err
	}))
	require.EqualValues(t, 3, third.ID, "an id is never handed out twice")
	require.Equal(t, []string{"insert 1 in_transit", "insert 2 in_transit", "insert 3 in_transit"}, writes())
}

// TestNumberedEventsAreUniqueAndDeduplicated: once a transaction numbers
// events, those of stored shipments take its numbers too, and an event's
// dedup key holds whether its shipment's row is still to be inserted or
// was inserted earlier in the transaction (a link writes it).
func TestNumberedEventsAreUniqueAndDeduplicated(t *testing.T) {
	t.Parallel()
	s, _, _ := openLogged(t)
	ctx := context.Background()
	var stored *model.Shipment
	require.NoError(t, applyNew(t, s, "m1", func(ctx context.Context, tx store.Tx) error {
		var err error
		stored, err = newShipment(ctx, tx, "S1")
		return err
	}))
	at := time.Unix(1_700_000_000, 0).UTC()
	ev := func(key string, minutes int) *model.Event {
		return &model.Event{DedupKey: key, OccurredAt: at.Add(time.Duration(minutes) * time.Minute), Status: model.StatusInTransit}
	}
	var fresh *model.Shipment
	var ids []int64
	require.NoError(t, applyNew(t, s, "m2", func(ctx context.Context, tx store.Tx) error {
		fresh = &model.Shipment{Workspace: "acme", Connection: "courier", Provider: "courier", ProviderRef: "S2",
			StatusPosition: model.StatusPosition{Status: model.StatusPending}}
		require.NoError(t, tx.InsertShipment(ctx, fresh))
		for _, c := range []struct {
			shipment int64
			event    *model.Event
			inserted bool
		}{
			{fresh.ID, ev("a", 1), true},
			{fresh.ID, ev("a", 1), false},  // a duplicate of an event still to be inserted
			{stored.ID, ev("b", 2), true},  // a stored shipment's event, numbered too
			{stored.ID, ev("b", 2), false}, // and its duplicate
		} {
			inserted, err := tx.InsertEvent(ctx, c.shipment, c.event)
			require.NoError(t, err)
			require.Equal(t, c.inserted, inserted, "event %q of shipment %d", c.event.DedupKey, c.shipment)
			if inserted {
				ids = append(ids, c.event.ID)
			}
		}
		require.NoError(t, tx.LinkShipment(ctx, "acme", "courier", fresh.ID, "ORDER-S2")) // inserts the shipment and its event
		dup, err := tx.InsertEvent(ctx, fresh.ID, ev("a", 1))
		require.NoError(t, err)
		require.False(t, dup, "a duplicate of an event inserted earlier in the transaction")
		e := ev("c", 3)
		inserted, err := tx.InsertEvent(ctx, fresh.ID, e)
		require.NoError(t, err)
		require.True(t, inserted)
		ids = append(ids, e.ID)
		return nil
	}))
	require.Len(t, ids, 3)
	require.True(t, stored.EventID < ids[0] && ids[0] < ids[1] && ids[1] < ids[2], "new events take new ids, ascending: %d, then %v", stored.EventID, ids)

	got, err := s.GetShipment(ctx, "acme", fresh.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, dedupKeys(got.Events))
	require.Equal(t, []int64{ids[0], ids[2]}, []int64{got.Events[0].ID, got.Events[1].ID})
	got, err = s.GetShipment(ctx, "acme", stored.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"S1-1", "b"}, dedupKeys(got.Events))
	require.Equal(t, ids[1], got.Events[1].ID)
}

func dedupKeys(events []model.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.DedupKey
	}
	return out
}

// TestForeignKeysAreStillChecked: a transaction that numbers shipments
// still has its foreign keys checked: an event of a shipment that does not
// exist fails, and nothing the transaction wrote is kept.
func TestForeignKeysAreStillChecked(t *testing.T) {
	t.Parallel()
	s, _, writes := openLogged(t)
	err := applyNew(t, s, "m1", func(ctx context.Context, tx store.Tx) error {
		if _, err := newShipment(ctx, tx, "S1"); err != nil {
			return err
		}
		_, err := tx.InsertEvent(ctx, 999, &model.Event{DedupKey: "orphan", OccurredAt: time.Unix(1_700_000_000, 0).UTC()})
		return err
	})
	require.ErrorContains(t, err, "FOREIGN KEY constraint failed")
	require.Empty(t, writes(), "the failed transaction wrote nothing")
	list, err := s.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Empty(t, list)
}

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
// apply transaction is inserted at its end as it stands, with the id the
// transaction gave it, not inserted and updated (Dialect.LastID); its
// events and order link, written before its row, are kept; ids are never
// handed out twice, a deleted shipment's neither.
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

// TestForeignKeysAreStillChecked: deferred to the commit, the foreign keys
// of a transaction that numbered shipments still hold: an event of a
// shipment that does not exist fails the commit, and nothing it wrote is
// kept.
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

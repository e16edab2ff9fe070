package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/benchseed"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// The page benchmark's data set: one workspace with 100,000 shipments of
// 10 events each (1,000,000 events), their raw inbox messages, references
// and feed, and beside them orders, stock, inbound goods, returns,
// endpoints with deliveries and dead letters, commands and intake errors.
//
// The big tables are written with multi-row INSERTs straight into the
// schema (the documents encoded from the model types, as the store encodes
// them): through the pipeline it would take an hour. The smaller
// aggregates go through the store's own methods. The seeded database is
// kept between runs (a SQLite file in os.TempDir(), the PostgreSQL
// database shiphub_bench_ui) under a key of the migrations and of
// benchSeedVersion: a new migration or a changed seed seeds anew.

const (
	// benchSeedVersion changes whenever the seed below does.
	benchSeedVersion = "ui-2"

	benchWorkspace = "bench"
	benchOther     = "bench-other"
	benchShipments = 100_000
	benchEventsPer = 10
	benchOrders    = 10_000
	benchSKUs      = 500
	benchMutations = 20_000
	benchInbound   = 1_000
	benchReturns   = 1_000
	benchCommands  = 2_000
	benchIntakeErr = 500
	// benchDeliveries are the newest shipments' shipment.created
	// deliveries to the first endpoint.
	benchDeliveries = 20_000
	benchDeadEvery  = 40 // one delivery in 40 is a dead letter
	// benchFeedEvents: the newest shipments get their every event in the feed.
	benchFeedEvents = 20_000
	benchPGDatabase = "shiphub_bench_ui"
)

// benchConns are the bench workspace's connections (id, provider).
var benchConns = [][2]string{{"courier", "courier"}, {"winkelstraat", "winkelstraat"}, {"wics", "wics"}, {"aa", "activeants"}}

// benchKeyring seals the endpoint secrets with a fixed key, so that a store
// opened on the kept database reads them.
func benchKeyring(tb testing.TB) *secrets.Keyring {
	sum := sha256.Sum256([]byte("shiphub page benchmark"))
	k, err := secrets.NewKeyring(sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// benchSeedKey identifies the schema (every migration file) and the seed.
func benchSeedKey(tb testing.TB) string {
	key, err := benchseed.Key("../..", benchSeedVersion)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// benchSQLiteStore opens the kept SQLite bench database, seeding it when
// it is missing or of another schema.
func benchSQLiteStore(tb testing.TB) store.Store {
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), "shiphub-bench-ui.db")
	kept := benchseed.Kept{Key: benchSeedKey(tb), SQLite: path}
	start := time.Now()
	_, fresh, err := kept.Ensure(ctx, func(ctx context.Context) error {
		s, err := sqlite.New(ctx, sqlite.Config{Path: path, Synchronous: "NORMAL", Secrets: benchKeyring(tb)})
		if err != nil {
			return err
		}
		defer s.Close()
		db, err := sqlite.OpenDB(path, false)
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		for _, pragma := range []string{"PRAGMA synchronous=OFF", "PRAGMA foreign_keys=0", "PRAGMA busy_timeout=30000"} {
			if _, err := db.ExecContext(ctx, pragma); err != nil {
				return err
			}
		}
		if err := seedBench(ctx, s, &benchDB{DB: db}); err != nil {
			return fmt.Errorf("seeding the sqlite bench database: %w", err)
		}
		_, err = db.ExecContext(ctx, "ANALYZE")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if fresh {
		tb.Logf("seeded %s in %s", path, time.Since(start).Round(time.Second))
	}
	s, err := sqlite.New(ctx, sqlite.Config{Path: path, Synchronous: "NORMAL", Secrets: benchKeyring(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// benchPostgresStore opens the kept PostgreSQL bench database on the
// server of SHIPHUB_TEST_POSTGRES, seeding it when it is missing or of
// another schema. Without a server the benchmark is skipped.
func benchPostgresStore(tb testing.TB) store.Store {
	ctx := context.Background()
	server := os.Getenv(postgres.TestServerEnv)
	if server == "" {
		tb.Skipf("set %s to benchmark the pages on PostgreSQL", postgres.TestServerEnv)
	}
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatal(err)
	}
	if u.User == nil {
		u.User = url.User("postgres")
	}
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		tb.Skipf("postgres unreachable: %v", err)
	}
	kept := benchseed.Kept{Key: benchSeedKey(tb), Server: u.String(), Database: benchPGDatabase}
	dbURL, err := kept.URL()
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	_, fresh, err := kept.Ensure(ctx, func(ctx context.Context) error {
		s, err := postgres.New(ctx, postgres.Config{URL: dbURL, Secrets: benchKeyring(tb)})
		if err != nil {
			return err
		}
		defer s.Close()
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, "SET synchronous_commit = off"); err != nil {
			return err
		}
		if err := seedBench(ctx, s, &benchDB{DB: db, pg: true}); err != nil {
			return fmt.Errorf("seeding the postgres bench database: %w", err)
		}
		_, err = db.ExecContext(ctx, "VACUUM ANALYZE")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if fresh {
		tb.Logf("seeded %s in %s", benchPGDatabase, time.Since(start).Round(time.Second))
	}
	s, err := postgres.New(ctx, postgres.Config{URL: dbURL, Secrets: benchKeyring(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// benchDB writes rows in bulk on either database.
type benchDB struct {
	*sql.DB
	pg bool
}

// benchRows are rows of one table. Where the table has an explicit
// identity, fixSequence moves its sequence past them.
type benchRows struct {
	benchseed.Table
	rows [][]any
}

// write inserts rows into their tables in one transaction.
func (d *benchDB) write(ctx context.Context, tables ...benchRows) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	dialect := benchseed.SQLite
	if d.pg {
		dialect = benchseed.PostgreSQL
	}
	ins := benchseed.NewInserter(tx, dialect)
	defer ins.Close()
	for _, t := range tables {
		if err := ins.Insert(ctx, t.Table, t.rows); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// hasColumn reports whether a later migration added the column: the seed
// fills the columns the store writes beside the documents where they exist.
func (d *benchDB) hasColumn(ctx context.Context, table, column string) bool {
	rows, err := d.QueryContext(ctx, "SELECT "+column+" FROM "+table+" LIMIT 0")
	if err != nil {
		return false
	}
	_ = rows.Close()
	return true
}

// bind numbers the placeholders for PostgreSQL.
func (d *benchDB) bind(q string) string {
	if !d.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fixSequence moves a PostgreSQL identity past the explicit ids.
func (d *benchDB) fixSequence(ctx context.Context, table string) error {
	if !d.pg {
		return nil
	}
	_, err := d.ExecContext(ctx, benchseed.MoveIdentity(table))
	return err
}

// benchStatus is a shipment's last status in the seed, by its number.
func benchStatus(i int, recent bool) (model.Status, string, bool, string, [3]string) {
	if recent {
		return model.StatusInTransit, "", false, "centerscan", [3]string{"Centerscan", "Centerscan", "Centerscan"}
	}
	switch r := i % 100; {
	case r < 80:
		return model.StatusDelivered, "", false, "DELIVERED", [3]string{"Geleverd", "Livré", "Delivered"}
	case r < 85:
		return model.StatusFailedAttempt, "not_home", false, "notOk_10", [3]string{"NIET THUIS", "Pas present", "Not home"}
	case r < 90:
		return model.StatusException, "address_issue", true, "ADDRESS_INVALID", [3]string{"Adres onjuist", "Adresse incorrecte", "Address invalid"}
	case r < 93:
		return model.StatusReturned, "", false, "RETURNED", [3]string{"Retour", "Retour", "Returned"}
	case r < 95:
		return model.StatusAvailableForPickup, "", false, "PICKUP_POINT", [3]string{"Bij afhaalpunt", "Au point relais", "At pickup point"}
	case r < 97:
		return model.StatusCancelled, "", false, "AN", [3]string{"Geannuleerd", "Annulé", "Canceled"}
	case r < 99:
		return model.StatusInTransit, "", false, "AT_SORTING_CENTRE", [3]string{"Aangekomen in sorteercentrum", "Arrivé dans centre de triage", "Arrived in sorting centre"}
	default:
		return model.StatusUnknown, "", false, "XYZ_NEW", nil3()
	}
}

func nil3() [3]string { return [3]string{} }

// benchSteps are the first nine events of every shipment.
var benchSteps = []struct {
	status model.Status
	code   string
	labels [3]string
}{
	{model.StatusInfoReceived, "PICKUP_PLANNED", [3]string{"Ophaling gepland", "Enlèvement prévu", "Pickup planned"}},
	{model.StatusInTransit, "take", [3]string{"Mee met koerier", "En route avec courier", "Taken by courier"}},
	{model.StatusInTransit, "depotIn", [3]string{"Ter Behandeling Gegeven", "Livré pour traitement", "Delivered for processing"}},
	{model.StatusInTransit, "centerscan", [3]string{"Centerscan", "Centerscan", "Centerscan"}},
	{model.StatusInTransit, "AT_SORTING_CENTRE", [3]string{"Aangekomen in sorteercentrum", "Arrivé dans centre de triage", "Arrived in sorting centre"}},
	{model.StatusInTransit, "depotOut", [3]string{"Na behandeling Opgehaald", "Enlevé après traitement", "Picked up after processing"}},
	{model.StatusInTransit, "AT_CUSTOMS", [3]string{"Bij Douane", "A la douane", "At Customs"}},
	{model.StatusInTransit, "centerscan", [3]string{"Centerscan", "Centerscan", "Centerscan"}},
	{model.StatusOutForDelivery, "DEPOT_OUT", [3]string{"Uit voor levering", "En route pour livraison", "Out for delivery"}},
}

var benchCities = []struct {
	name     string
	lat, lon float64
}{
	{"Antwerpen", 51.2194, 4.4025}, {"Brussel", 50.8503, 4.3517}, {"Gent", 51.0543, 3.7174},
	{"Leuven", 50.8798, 4.7005}, {"Mechelen", 51.0259, 4.4776}, {"Liège", 50.6326, 5.5797},
	{"Utrecht", 52.0907, 5.1214}, {"Rotterdam", 51.9244, 4.4777}, {"Breda", 51.5719, 4.7683},
}

// seedBench writes the whole data set.
func seedBench(ctx context.Context, s store.Store, d *benchDB) error {
	now := time.Now().UTC().Truncate(time.Hour)
	span := 88 * 24 * time.Hour
	first := now.Add(-90 * 24 * time.Hour)

	// Endpoints first, through the store: the deliveries refer to them.
	var endpoints []int64
	for i, u := range []string{"https://shop.example/hooks/shipments", "https://erp.example/hooks/all"} {
		e := &model.Endpoint{Workspace: benchWorkspace, URL: u, Events: []string{"shipment.*"}, Secret: fmt.Sprintf("whsec_%032d", i), Description: "bench endpoint"}
		if err := s.CreateEndpoint(ctx, e); err != nil {
			return err
		}
		endpoints = append(endpoints, e.ID)
	}

	// events.status (migration 00021, insights) is the event's canonical
	// status beside its document.
	eventCols := []string{"id", "shipment_id", "dedup_key", "occurred_at", "doc"}
	eventStatus := d.hasColumn(ctx, "events", "status")
	if eventStatus {
		eventCols = append(eventCols, "status")
	}

	const batch = 2000
	feedID := int64(0)
	type delivery struct {
		feed int64
		ship int64
		at   time.Time
	}
	var deliveries []delivery
	for lo := 1; lo <= benchShipments; lo += batch {
		hi := min(lo+batch-1, benchShipments)
		var inbox, ships, refs, events, feed [][]any
		for i := lo; i <= hi; i++ {
			conn := benchConns[i%len(benchConns)]
			created := first.Add(time.Duration(int64(span) / benchShipments * int64(i)))
			recent := now.Sub(created) < 3*24*time.Hour
			ref := fmt.Sprintf("BNCH%08d", i)
			orderRef := fmt.Sprintf("ORD%07d", i)
			sh := &model.Shipment{
				ID: int64(i), Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], ProviderRef: ref,
				References: []model.Reference{
					{Kind: model.RefOrder, Value: ref}, {Kind: model.RefBarcode, Value: fmt.Sprintf("3SBNCH%09d", i)},
					{Kind: model.RefMerchant, Value: orderRef},
				},
				Carrier: conn[1], TrackingNumber: fmt.Sprintf("3SBNCH%09d", i), OrderReference: orderRef,
				Items: []model.Item{{SKU: fmt.Sprintf("SKU-%04d", i%benchSKUs), Name: "Bench product", Quantity: float64(1 + i%3)}},
				ShippingAddress: &model.Address{FirstName: "Jan", LastName: fmt.Sprintf("Peeters %d", i), Street: "Meir", HouseNumber: fmt.Sprint(1 + i%200),
					Postcode: "2000", City: benchCities[i%len(benchCities)].name, Country: "BE"},
				CreatedAt: created,
			}
			body := fmt.Sprintf(`{"order":%q,"barcode":"3SBNCH%09d","status":"PROCESSING","statustime":%q,"statuscode":"take","statusNL":"Mee met koerier","statusEN":"Taken by courier","statusFR":"En route avec courier","referentie":%q,"comment":"bench"}`,
				ref, i, created.Format("20060102150405"), orderRef)
			inbox = append(inbox, []any{int64(i), benchWorkspace, conn[0], conn[1], "webhook", "", "bench-" + ref, "application/json", "", []byte(body), created.UnixMicro(), created.UnixMicro()})
			final, sub, action, code, labels := benchStatus(i, recent)
			var last model.Event
			for k := range benchEventsPer {
				at := created.Add(time.Duration(k) * 3 * time.Hour)
				e := model.Event{Status: final, Substatus: sub, ActionRequired: action, ProviderCode: code, ProviderGroup: "PROCESSING",
					OccurredAt: at, Source: model.SourceWebhook, Connection: conn[0], Provider: conn[1], InboxID: int64(i), RecordedAt: at.Add(time.Second)}
				l := labels
				if k < len(benchSteps) {
					e.Status, e.Substatus, e.ActionRequired, e.ProviderCode, l = benchSteps[k].status, "", false, benchSteps[k].code, benchSteps[k].labels
				}
				if l[0] != "" {
					e.Labels = map[string]string{"nl": l[0], "fr": l[1], "en": l[2]}
				} else {
					e.Description = "a code no table maps"
				}
				if k%2 == 0 {
					c := benchCities[(i+k)%len(benchCities)]
					lat, lon := c.lat+float64(i%17)/1000, c.lon+float64(k%13)/1000
					e.Location = &model.Location{Text: c.name, Lat: &lat, Lon: &lon}
				}
				id := int64((i-1)*benchEventsPer + k + 1)
				doc, err := json.Marshal(&e)
				if err != nil {
					return err
				}
				row := []any{id, int64(i), fmt.Sprintf("%s|%d", e.ProviderCode, at.Unix()), at.UnixMicro(), string(doc)}
				if eventStatus {
					row = append(row, string(e.Status))
				}
				events = append(events, row)
				e.ID = id
				last = e
				if i > benchShipments-benchFeedEvents {
					feedID++
					data, _ := json.Marshal(map[string]any{"shipment_id": i, "event": &e})
					feed = append(feed, []any{feedID, benchWorkspace, model.EventShipmentEventAdded, int64(i), at.UnixMicro(), string(data), at.UnixMicro()})
				}
			}
			sh.StatusPosition = model.StatusPosition{Status: last.Status, Substatus: last.Substatus, ActionRequired: last.ActionRequired, At: last.OccurredAt}
			sh.UpdatedAt = last.RecordedAt
			if last.Status == model.StatusDelivered {
				at := last.OccurredAt
				sh.DeliveredAt = &at
			}
			doc, err := json.Marshal(sh)
			if err != nil {
				return err
			}
			ships = append(ships, []any{int64(i), benchWorkspace, conn[0], conn[1], ref, benchWorkspace + "/" + conn[0] + "/" + ref, string(last.Status), last.ID, string(doc), created.UnixMicro(), sh.UpdatedAt.UnixMicro()})
			for _, v := range []string{ref, sh.References[1].Value, orderRef} {
				refs = append(refs, []any{benchWorkspace, v, int64(i)})
			}
			feedID++
			data, _ := json.Marshal(map[string]json.RawMessage{"shipment": doc})
			feed = append(feed, []any{feedID, benchWorkspace, model.EventShipmentCreated, int64(i), created.UnixMicro(), string(data), created.UnixMicro()})
			if i > benchShipments-benchDeliveries {
				deliveries = append(deliveries, delivery{feed: feedID, ship: int64(i), at: created})
			}
		}
		if err := d.write(ctx,
			benchRows{benchseed.Table{Name: "inbox", Cols: []string{"id", "workspace", "connection", "provider", "source", "topic", "dedup_key", "content_type", "meta", "body", "received_at", "processed_at"}, Identity: true}, inbox},
			benchRows{benchseed.Table{Name: "shipments", Cols: []string{"id", "workspace", "connection", "provider", "provider_ref", "ref_key", "status", "status_event_id", "doc", "created_at", "updated_at"}, Identity: true}, ships},
			benchRows{benchseed.Table{Name: "shipment_refs", Cols: []string{"workspace", "value", "shipment_id"}}, refs},
			benchRows{benchseed.Table{Name: "events", Cols: eventCols, Identity: true}, events},
			benchRows{benchseed.Table{Name: "feed", Cols: []string{"id", "workspace", "type", "subject_id", "occurred_at", "data", "created_at"}, Identity: true}, feed},
		); err != nil {
			return err
		}
	}

	// Deliveries of the newest shipments: most delivered, some dead
	// letters, a few pending; and their attempts.
	var drows, arows [][]any
	attemptID := int64(0)
	for n, dl := range deliveries {
		id := int64(n + 1)
		status, attempts, code, lastErr := model.DeliverySucceeded, 1, 200, ""
		var deliveredAt any = dl.at.Add(time.Second).UnixMicro()
		switch {
		case n%benchDeadEvery == 0:
			status, attempts, code, lastErr, deliveredAt = model.DeliveryFailed, 3, 500, "HTTP 500", nil
		case n >= len(deliveries)-50:
			status, attempts, code, lastErr, deliveredAt = model.DeliveryPending, 1, 503, "HTTP 503", nil
		}
		drows = append(drows, []any{id, benchWorkspace, endpoints[0], dl.feed, model.EventShipmentCreated, fmt.Sprintf("shipment/%d", dl.ship), status, attempts,
			dl.at.Add(time.Minute).UnixMicro(), code, lastErr, dl.at.UnixMicro(), dl.at.Add(time.Second).UnixMicro(), deliveredAt})
		for a := range attempts {
			attemptID++
			arows = append(arows, []any{attemptID, id, dl.at.Add(time.Duration(a) * time.Minute).UnixMicro(), int64(120_000 + a*1000), code, lastErr, `{"ok":true}`})
		}
	}
	// Commands of the first orders: most succeeded, some failed, some dead.
	var crows [][]any
	for n := 1; n <= benchCommands; n++ {
		at := first.Add(time.Duration(n) * time.Hour)
		status, attempts, lastErr := model.CommandSucceeded, 1, ""
		var next any
		switch {
		case n%50 == 0:
			status, attempts, lastErr = model.CommandDead, 8, "refused by the provider: Item NO-SUCH-ITEM does not exist."
		case n%33 == 0:
			status, attempts, lastErr, next = model.CommandFailed, 2, "provider unavailable: HTTP 503", now.Add(time.Hour).UnixMicro()
		}
		conn := benchConns[2+n%2]
		crows = append(crows, []any{int64(n), benchWorkspace, conn[0], conn[1], "order.create", "order", int64(n), string(status), attempts, lastErr, next, "{}", at.UnixMicro(), at.Add(time.Minute).UnixMicro()})
	}
	if err := d.write(ctx,
		benchRows{benchseed.Table{Name: "deliveries", Cols: []string{"id", "workspace", "endpoint_id", "feed_id", "event_type", "subject", "status", "attempts", "next_attempt_at", "last_status_code", "last_error", "created_at", "updated_at", "delivered_at"}, Identity: true}, drows},
		benchRows{benchseed.Table{Name: "delivery_attempts", Cols: []string{"id", "delivery_id", "attempted_at", "duration_us", "status_code", "error", "response"}, Identity: true}, arows},
		benchRows{benchseed.Table{Name: "commands", Cols: []string{"id", "workspace", "connection", "provider", "kind", "subject_type", "subject_id", "status", "attempts", "last_error", "next_attempt_at", "payload", "created_at", "updated_at"}, Identity: true}, crows},
	); err != nil {
		return err
	}
	for _, t := range []string{"inbox", "shipments", "events", "feed", "deliveries", "delivery_attempts", "commands"} {
		if err := d.fixSequence(ctx, t); err != nil {
			return err
		}
	}

	// shipments.stuck_at (migration 00020, overview): the open shipments
	// without an update for five days are stuck, as the scan would mark them.
	if d.hasColumn(ctx, "shipments", "stuck_at") {
		if _, err := d.ExecContext(ctx, d.bind(`UPDATE shipments SET stuck_at = ? WHERE status NOT IN ('delivered', 'returned', 'cancelled', 'expired') AND updated_at < ?`),
			now.UnixMicro(), now.Add(-5*24*time.Hour).UnixMicro()); err != nil {
			return fmt.Errorf("marking stuck shipments: %w", err)
		}
	}

	// The fulfilment side, through the store: orders (linked to their
	// shipments), products, stock and its mutations, inbound goods, returns.
	if _, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: benchWorkspace, Connection: "wics", Provider: "wics", Source: model.SourcePoll,
		DedupKey: "bench-fulfilment", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: now}); err != nil {
		return err
	}
	n, err := s.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		return seedFulfilment(ctx, tx, first, now)
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return errors.New("seeding the fulfilment side: the inbox message was not processed")
	}
	for i := range benchIntakeErr {
		conn := benchConns[i%len(benchConns)][0]
		if err := s.RecordIntakeError(ctx, &model.IntakeError{Workspace: benchWorkspace, Connection: conn, Source: model.SourceWebhook,
			Name: fmt.Sprintf("request-%d", i), Reason: "invalid JSON: unexpected end of input", Size: 18, Body: []byte(`{"order":"BNCH0000`),
			ReceivedAt: first.Add(time.Duration(i) * 4 * time.Hour)}); err != nil {
			return err
		}
	}
	// A second workspace: a page must never show it.
	for i := range 3 {
		if _, _, err := s.AppendInbox(ctx, &model.InboxMessage{Workspace: benchOther, Connection: "courier", Provider: "courier", Source: model.SourceWebhook,
			DedupKey: fmt.Sprintf("other-%d", i), ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// seedFulfilment writes the orders, stock, inbound goods and returns in one
// apply transaction, as the pipeline would.
func seedFulfilment(ctx context.Context, tx store.Tx, first, now time.Time) error {
	orderStatuses := []model.OrderStatus{model.OrderShipped, model.OrderShipped, model.OrderShipped, model.OrderProcessing, model.OrderAccepted, model.OrderCancelled, model.OrderRejected, model.OrderOnHold}
	for n := 1; n <= benchOrders; n++ {
		i := n * (benchShipments / benchOrders) // the shipment of the order
		conn := benchConns[i%len(benchConns)]
		at := first.Add(time.Duration(int64(88*24*time.Hour) / benchShipments * int64(i)))
		o := &model.Order{
			Resource:  model.Resource{Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], ProviderRef: fmt.Sprintf("P%07d", n), CreatedAt: at, UpdatedAt: at.Add(time.Hour)},
			Reference: fmt.Sprintf("ORD%07d", i), Status: orderStatuses[n%len(orderStatuses)],
			ProviderStatus: &model.ProviderStatus{Code: "30", Description: "bench"},
			Lines: []model.OrderLine{
				{LineNumber: 1, SKU: fmt.Sprintf("SKU-%04d", i%benchSKUs), Description: "Bench product", Quantity: 2, QuantityShipped: 2},
				{LineNumber: 2, SKU: fmt.Sprintf("SKU-%04d", (i+7)%benchSKUs), Description: "Bench product", Quantity: 1, QuantityShipped: 1},
			},
			DeliveryAddress: &model.Address{FirstName: "Jan", LastName: "Peeters", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"},
			ShippingMethod:  "standard",
		}
		if n <= benchCommands {
			o.LastCommand = &model.CommandRef{ID: int64(n), Status: string(model.CommandSucceeded)}
		}
		if err := tx.InsertOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.LinkShipment(ctx, benchWorkspace, conn[0], int64(i), o.Reference); err != nil {
			return err
		}
	}
	warehouses := []string{"", "NL01", "BE02"}
	for k := range benchSKUs {
		sku := fmt.Sprintf("SKU-%04d", k)
		for w, wh := range warehouses {
			conn := benchConns[1+w]
			if err := tx.InsertStock(ctx, &model.Stock{Resource: model.Resource{Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], CreatedAt: first, UpdatedAt: now},
				SKU: sku, Warehouse: wh, Physical: float64(100 + k%50), Available: float64(80 + k%40), Announced: float64(k % 20), AsOf: now}); err != nil {
				return err
			}
		}
	}
	for n := range benchMutations {
		conn := benchConns[1+n%3]
		at := first.Add(time.Duration(n) * 6 * time.Minute)
		m := &model.StockMutation{Resource: model.Resource{Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], CreatedAt: at, UpdatedAt: at},
			SKU: fmt.Sprintf("SKU-%04d", n%benchSKUs), Quantity: float64(n%7 - 3), ReasonCode: "PICK", Reason: "picked for an order", OccurredAt: at, InboxID: 1}
		if _, err := tx.InsertStockMutation(ctx, m, fmt.Sprintf("mut-%d", n)); err != nil {
			return err
		}
	}
	inStatuses := []model.InboundStatus{model.InboundReceived, model.InboundReceived, model.InboundReceiving, model.InboundAnnounced, model.InboundCancelled}
	for n := 1; n <= benchInbound; n++ {
		conn := benchConns[2+n%2]
		at := first.Add(time.Duration(n) * 2 * time.Hour)
		exp := at.Add(72 * time.Hour)
		in := &model.Inbound{Resource: model.Resource{Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], ProviderRef: fmt.Sprintf("IN%06d", n), CreatedAt: at, UpdatedAt: at},
			Reference: fmt.Sprintf("PO%06d", n), Status: inStatuses[n%len(inStatuses)], ExpectedAt: &exp,
			Lines:    []model.InboundLine{{LineNumber: 1, SKU: fmt.Sprintf("SKU-%04d", n%benchSKUs), Expected: 50, Received: 50}},
			Receipts: []model.Receipt{{ProviderRef: fmt.Sprintf("R%06d", n), ReceivedAt: exp, Lines: []model.ReceiptLine{{SKU: fmt.Sprintf("SKU-%04d", n%benchSKUs), Quantity: 50}}}},
		}
		if err := tx.InsertInbound(ctx, fmt.Sprintf("PO%06d", n), in); err != nil {
			return err
		}
	}
	retStatuses := []model.ReturnStatus{model.ReturnProcessed, model.ReturnReceived, model.ReturnAnnounced}
	for n := 1; n <= benchReturns; n++ {
		i := n * (benchShipments / benchOrders)
		conn := benchConns[2+n%2]
		at := first.Add(time.Duration(n) * 2 * time.Hour)
		r := &model.Return{Resource: model.Resource{Workspace: benchWorkspace, Connection: conn[0], Provider: conn[1], ProviderRef: fmt.Sprintf("RMA%06d", n), CreatedAt: at, UpdatedAt: at},
			Reference: fmt.Sprintf("ORD%07d", i), Status: retStatuses[n%len(retStatuses)],
			Lines: []model.ReturnLine{{LineNumber: 1, SKU: fmt.Sprintf("SKU-%04d", i%benchSKUs), Quantity: 1, Reason: "too small",
				Answers: []model.ReturnAnswer{{Question: "Why?", Answer: "It did not fit"}}}},
		}
		if err := tx.InsertReturn(ctx, fmt.Sprintf("RMA%06d", n), r); err != nil {
			return err
		}
	}
	return nil
}

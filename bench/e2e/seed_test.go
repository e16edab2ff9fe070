package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/provider/courier"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

func BenchmarkSeederBatch(b *testing.B) {
	p := seedPlan{inbox: 10_000_000, shipments: 1_000_000, now: time.Now(), feedDays: 2}
	s := newSeeder(p)
	for b.Loop() {
		if _, err := s.batch(1, 100); err != nil {
			b.Fatal(err)
		}
	}
}

// The event documents made from templates are what encoding each event
// gives, for every status the seed uses, at times with and without
// fractions of a second.
func TestSeederEventDoc(t *testing.T) {
	t.Parallel()
	s := newSeeder(seedPlan{inbox: 10, shipments: 1, now: time.Now()})
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name string
		st   seedStatus
		at   time.Time
		id   int64
	}{
		{"the first step", s.steps[0], at, 1},
		{"a step in transit", s.steps[3], at.Add(time.Hour), 1234567},
		{"delivered", s.delivered, at.Add(time.Nanosecond * 1500), 99},
		{"an unknown code", lookupSeedStatus("NO_SUCH_CODE"), at, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := s.event(tc.st, tc.at, tc.id, tc.id+5)
			want, err := json.Marshal(&e)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.eventDoc(tc.st, &e); got != string(want) {
				t.Errorf("eventDoc:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestSeedPlan(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name             string
		inbox, shipments int
	}{
		{"even", 100, 10},
		{"a remainder", 105, 10},
		{"one message each", 7, 7},
		{"the criteria's sizes", 10_000_000, 1_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := seedPlan{inbox: tc.inbox, shipments: tc.shipments, now: now}
			total := 0
			for i := 1; i <= tc.shipments; i++ {
				total += p.messagesOf(i)
			}
			if total != tc.inbox {
				t.Errorf("the shipments have %d messages, want %d", total, tc.inbox)
			}
			first, last := p.createdAt(1), p.createdAt(tc.shipments)
			lastMsg := last.Add(time.Duration(p.messagesOf(tc.shipments)-1) * seedStep)
			if now.Sub(first) > 80*24*time.Hour || lastMsg.After(now) || last.Before(first) {
				t.Errorf("created from %s to %s, last message %s: want within the 80 days before %s", first, last, lastMsg, now)
			}
		})
	}
}

// BenchmarkSeedSQLite writes a small seed into a new migrated SQLite file
// (b.N times 20,000 inbox rows): where the large store's seeding time goes.
func BenchmarkSeedSQLite(b *testing.B) {
	ctx := context.Background()
	for i := range b.N {
		path := filepath.Join(b.TempDir(), fmt.Sprintf("seed-%d.db", i))
		st, err := sqlite.New(ctx, sqlite.Config{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		_ = st.Close()
		w, err := openSQLiteBulk(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if err := seedRowsInto(ctx, w, seedPlan{inbox: 20_000, shipments: 2_000, now: time.Now().Truncate(time.Second), feedDays: 2}, false); err != nil {
			b.Fatal(err)
		}
		w.close()
	}
}

// A seeded inbox body is a courier message the connector decodes, with the
// fields the seed meant.
func TestSeederBody(t *testing.T) {
	t.Parallel()
	s := newSeeder(seedPlan{inbox: 3, shipments: 1, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)})
	rows, err := s.batch(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows[0]) != 3 {
		t.Fatalf("%d inbox rows, want 3", len(rows[0]))
	}
	// The shipment is months old: its last message says delivered.
	codes := []string{seedCodes[0], seedCodes[1], "DELIVERED"}
	for i, r := range rows[0] {
		m, err := courier.DecodeJSON(r[9].([]byte))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if m.Order != "SEED00000001" || m.Referentie != seedRef(1) || m.Comment != seedComment || m.StatusCode != codes[i] {
			t.Errorf("message %d decodes to %+v", i, m)
		}
		if want := courier.DedupKey(m); r[6] != want {
			t.Errorf("message %d: dedup key %v, want %s", i, r[6], want)
		}
	}
}

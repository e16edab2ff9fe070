package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/courier"
)

// The large store's rows: what the pipeline leaves behind after a courier
// connection sent seedInbox messages about seedShipments parcels (the
// messages spread evenly over the parcels), every message processed. Each
// parcel's messages walk through the courier's statuses three hours apart;
// the parcels were created over the 80 days before the seed, so nothing
// is older than the default inbox retention (90 days) for ten days after
// seeding, and only parcels of the last two days are still on their way
// (none is stuck, so the stuck scan has nothing to mark at start). The
// feed holds the entries of the messages of the last seedFeedDays days
// (the default feed retention keeps 30, which at this volume would be
// millions of rows the criteria do not ask about; see the report).

// seedTables are the tables the seed writes, with their columns.
var seedTables = []struct {
	name string
	cols []string
}{
	{"inbox", []string{"id", "workspace", "connection", "provider", "source", "topic", "dedup_key", "content_type", "meta", "body", "received_at", "processed_at"}},
	{"shipments", []string{"id", "workspace", "connection", "provider", "provider_ref", "ref_key", "status", "status_event_id", "doc", "created_at", "updated_at"}},
	{"shipment_refs", []string{"workspace", "value", "shipment_id"}},
	{"events", []string{"id", "shipment_id", "dedup_key", "occurred_at", "doc", "status"}},
	{"feed", []string{"id", "workspace", "type", "subject_id", "occurred_at", "data", "created_at"}},
}

// seedComment is every seeded message's comment, as in the load.
const seedComment = "TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024"

// seedPlan is the shape of a seed: how many messages each shipment gets,
// and when.
type seedPlan struct {
	inbox, shipments int
	now              time.Time
	feedDays         float64
}

// messagesOf is how many inbox messages shipment i (1-based) has: the
// inbox rows spread evenly, the first shipments taking the remainder.
func (p seedPlan) messagesOf(i int) int {
	if p.shipments <= 0 {
		return 0
	}
	n := p.inbox / p.shipments
	if i <= p.inbox%p.shipments {
		n++
	}
	return max(1, n)
}

// maxMessages is the most messages one shipment has.
func (p seedPlan) maxMessages() int { return p.messagesOf(1) }

// createdAt is when shipment i's first message arrived: the shipments
// spread over 80 days, ending early enough that the last message of the
// newest one is not in the future.
func (p seedPlan) createdAt(i int) time.Time {
	end := p.now.Add(-time.Duration(p.maxMessages()-1)*seedStep - time.Hour)
	begin := p.now.Add(-80 * 24 * time.Hour)
	return begin.Add(time.Duration(int64(end.Sub(begin)) / int64(max(1, p.shipments)) * int64(i-1)))
}

// seedStep is the time between a parcel's messages.
const seedStep = 3 * time.Hour

// seedCodes are the courier status codes a parcel walks through before its
// last one (DELIVERED, unless the parcel is recent).
var seedCodes = []string{"PICKUP_PLANNED", "take", "depotIn", "centerscan", "depotOut", "centerscan", "DEPOT_OUT"}

// seedStatus is the canonical mapping of a courier code, from the
// courier's own table.
type seedStatus struct {
	// quoted is the message's status fields, encoded once:
	// "status":…,"statusEN":…,"statusFR":…,"statusNL":…,"statuscode":….
	quoted                  string
	code, group, nl, fr, en string
	status                  model.Status
	substatus               string
	action                  bool
}

func lookupSeedStatus(code string) seedStatus {
	row, ok := courier.LookupStatus(code, courier.Labels{})
	st := seedStatus{code: code, group: "PROCESSING", status: model.StatusUnknown}
	if ok {
		st = seedStatus{code: code, group: row.Group, nl: row.NL, fr: row.FR, en: row.EN, status: row.Status, substatus: row.Substatus, action: row.ActionRequired}
	}
	st.quoted = fmt.Sprintf(`"status":%s,"statusEN":%s,"statusFR":%s,"statusNL":%s,"statuscode":%s`,
		jsonString(st.group), jsonString(st.en), jsonString(st.fr), jsonString(st.nl), jsonString(st.code))
	return st
}

// quotedSeedComment is seedComment as a JSON string.
var quotedSeedComment = jsonString(seedComment)

func jsonString(v string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// seedRows is one batch of rows, by table (in seedTables order).
type seedRows [][][]any

// seeder makes the rows of consecutive shipments; it keeps the running ids.
type seeder struct {
	plan             seedPlan
	steps            []seedStatus
	delivered        seedStatus
	scan             *model.Scan
	loc              *model.Location
	inboxID, eventID int64
	feedID           int64
	// docs are the event documents by status code, as templates: only
	// the ids and times differ from one event to the next, and encoding
	// each of ten million events would be most of the seed's time.
	docs map[string]*docTemplate
}

func newSeeder(p seedPlan) *seeder {
	s := &seeder{plan: p, delivered: lookupSeedStatus("DELIVERED"), docs: map[string]*docTemplate{}}
	for _, c := range seedCodes {
		s.steps = append(s.steps, lookupSeedStatus(c))
	}
	s.scan, s.loc = courier.ParseComment(seedComment, time.UTC)
	return s
}

// seedRef is shipment i's merchant reference, which the API is asked for.
func seedRef(i int) string { return fmt.Sprintf("seed/%d", i) }

// batch makes the rows of shipments lo..hi (1-based, inclusive).
func (s *seeder) batch(lo, hi int) (seedRows, error) {
	out := make(seedRows, len(seedTables))
	recent := s.plan.now.Add(-48 * time.Hour)
	feedFrom := s.plan.now.Add(-time.Duration(s.plan.feedDays * float64(24*time.Hour)))
	for i := lo; i <= hi; i++ {
		order := fmt.Sprintf("SEED%08d", i)
		barcode := fmt.Sprintf("3SSEED%09d", i)
		created := s.plan.createdAt(i)
		k := s.plan.messagesOf(i)
		sh := &model.Shipment{
			ID: int64(i), Workspace: "bench", Connection: "courier", Provider: "courier", ProviderRef: order,
			References: []model.Reference{{Kind: model.RefBarcode, Value: barcode}, {Kind: model.RefMerchant, Value: seedRef(i)}, {Kind: model.RefOrder, Value: order}},
			CreatedAt:  created,
		}
		events := make([]model.Event, k)
		for m := range k {
			at := created.Add(time.Duration(m) * seedStep)
			st := s.steps[3] // more messages than steps: more centre scans
			if m < len(s.steps) {
				st = s.steps[m]
			}
			if m == k-1 && at.Before(recent) {
				st = s.delivered
			}
			statusTime := at.Format("20060102150405")
			s.inboxID++
			body := `{"barcode":"` + barcode + `","comment":` + quotedSeedComment + `,"container":"","newlead":"","oldlead":"","order":"` + order +
				`","pictures":[],"referentie":"` + seedRef(i) + `","signatures":[],` + st.quoted + `,"statustime":"` + statusTime + `","verifier":""}`
			dedup := courier.DedupKey(&courier.Message{Order: order, StatusCode: st.code, StatusTime: statusTime})
			out[0] = append(out[0], []any{s.inboxID, "bench", "courier", "courier", "webhook", "", dedup, "application/json", `{"method":"POST"}`, []byte(body), at.UnixMicro(), at.Add(time.Second).UnixMicro()})
			s.eventID++
			e := s.event(st, at, s.eventID, s.inboxID)
			out[3] = append(out[3], []any{e.ID, int64(i), st.code + "|" + statusTime, at.UnixMicro(), s.eventDoc(st, &e), string(st.status)})
			events[m] = e
		}
		last := events[k-1]
		sh.StatusPosition = last.Position()
		sh.UpdatedAt = last.RecordedAt
		if last.Status == model.StatusDelivered {
			at := last.OccurredAt
			sh.DeliveredAt = &at
		}
		doc, err := json.Marshal(sh)
		if err != nil {
			return nil, err
		}
		out[1] = append(out[1], []any{int64(i), "bench", "courier", "courier", order, "bench/courier/" + order, string(last.Status), last.ID, string(doc), created.UnixMicro(), sh.UpdatedAt.UnixMicro()})
		for _, r := range sh.References {
			out[2] = append(out[2], []any{"bench", r.Value, int64(i)})
		}
		// The feed entries the pipeline wrote for the messages of the
		// feed's window: created (with the first message), event_added for
		// each event, status_changed when the status moved.
		prev := model.Status("")
		for m := range events {
			e := &events[m]
			if e.RecordedAt.Before(feedFrom) {
				prev = e.Status
				continue
			}
			at := e.RecordedAt.UnixMicro()
			add := func(typ string, data any) error {
				raw, err := json.Marshal(data)
				if err != nil {
					return err
				}
				s.feedID++
				out[4] = append(out[4], []any{s.feedID, "bench", typ, int64(i), at, string(raw), at})
				return nil
			}
			if m == 0 {
				if err := add(model.EventShipmentCreated, pipeline.ShipmentCreated{Shipment: doc}); err != nil {
					return nil, err
				}
			}
			if err := add(model.EventShipmentEventAdded, pipeline.EventAdded{ShipmentID: int64(i), Event: e, Shipment: doc}); err != nil {
				return nil, err
			}
			if e.Status != prev {
				if err := add(model.EventShipmentStatusChanged, pipeline.StatusChanged{ShipmentID: int64(i), PreviousStatus: prev, Status: e.Status, Substatus: e.Substatus, Shipment: doc}); err != nil {
					return nil, err
				}
			}
			prev = e.Status
		}
	}
	return out, nil
}

// event is the event the courier's message makes (as Normalize does).
func (s *seeder) event(st seedStatus, at time.Time, id, inboxID int64) model.Event {
	e := model.Event{ID: id, Status: st.status, Substatus: st.substatus, ActionRequired: st.action, ProviderCode: st.code, ProviderGroup: st.group,
		OccurredAt: at, Source: model.SourceWebhook, Connection: "courier", Provider: "courier", InboxID: inboxID,
		Scan: s.scan, Location: s.loc, Comment: seedComment, RecordedAt: at.Add(time.Second)}
	if st.nl != "" {
		e.Labels = map[string]string{"nl": st.nl, "fr": st.fr, "en": st.en}
	}
	return e
}

// Sentinels of the event template: values no real event has.
const (
	sentinelID    = 987654321012345
	sentinelInbox = 987654321054321
)

var (
	sentinelOccurred = time.Date(1901, 2, 3, 4, 5, 6, 0, time.UTC)
	sentinelRecorded = time.Date(1902, 3, 4, 5, 6, 7, 0, time.UTC)
)

// eventDoc is e's JSON document, made from the template of its status:
// byte for byte what json.Marshal(e) gives (the seed's test checks it).
func (s *seeder) eventDoc(st seedStatus, e *model.Event) string {
	t := s.docs[st.code]
	if t == nil {
		te := s.event(st, sentinelOccurred, sentinelID, sentinelInbox)
		te.RecordedAt = sentinelRecorded
		t = newDocTemplate(&te, map[string]int{
			fmt.Sprint(sentinelID): 0, fmt.Sprint(sentinelInbox): 1, jsonTime(sentinelOccurred): 2, jsonTime(sentinelRecorded): 3})
		s.docs[st.code] = t
	}
	return t.fill(fmt.Sprint(e.ID), fmt.Sprint(e.InboxID), jsonTime(e.OccurredAt), jsonTime(e.RecordedAt))
}

func jsonTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// docTemplate is a JSON document cut at its variable values.
type docTemplate struct {
	parts []string // len(order)+1
	order []int    // which value goes after parts[i]
}

// newDocTemplate encodes v and cuts the result at each sentinel (the keys
// of sentinels, each found once), remembering which value each stands for.
func newDocTemplate(v any, sentinels map[string]int) *docTemplate {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	doc := string(b)
	type cut struct{ at, n, value int }
	var cuts []cut
	for sv, idx := range sentinels {
		at := strings.Index(doc, sv)
		if at < 0 || strings.Count(doc, sv) != 1 {
			panic(fmt.Sprintf("seed template: sentinel %q is not in %s once", sv, doc))
		}
		cuts = append(cuts, cut{at, len(sv), idx})
	}
	slices.SortFunc(cuts, func(a, b cut) int { return a.at - b.at })
	t := &docTemplate{}
	prev := 0
	for _, c := range cuts {
		t.parts = append(t.parts, doc[prev:c.at])
		t.order = append(t.order, c.value)
		prev = c.at + c.n
	}
	t.parts = append(t.parts, doc[prev:])
	return t
}

func (t *docTemplate) fill(values ...string) string {
	n := 0
	for _, p := range t.parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n + 64)
	for i, p := range t.parts {
		b.WriteString(p)
		if i < len(t.order) {
			b.WriteString(values[t.order[i]])
		}
	}
	return b.String()
}

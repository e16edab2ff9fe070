package deliver

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// TestBodyIsPayloadMarshalled holds Body to json.Marshal of the Payload,
// byte for byte and error for error, on the data shapes it handles apart.
func TestBodyIsPayloadMarshalled(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))
	for _, c := range []struct {
		name string
		e    model.FeedEvent
	}{
		{"compact data", model.FeedEvent{ID: 42, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 7, OccurredAt: at, Data: []byte(`{"shipment":{"id":7,"refs":["a","b"]}}`)}},
		{"no data", model.FeedEvent{ID: 1, Workspace: "acme", Type: model.EventOrderCreated, SubjectID: 1, OccurredAt: at}},
		{"spaces in strings", model.FeedEvent{ID: 10, Workspace: "acme", Type: model.EventShipmentEventAdded, SubjectID: 10, OccurredAt: at, Data: []byte(`{"event":{"description":"Parcel scanned at depot \"Utrecht Noord\" \\ hall 2","labels":{"nl":"Pakket gescand"}},"note":"a\tb"}`)}},
		{"a string ending in an escaped backslash, then a space", model.FeedEvent{ID: 11, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 11, OccurredAt: at, Data: []byte(`{"a":"x\\", "b":1}`)}},
		{"spaced data", model.FeedEvent{ID: 2, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 2, OccurredAt: at, Data: []byte("{ \"a\" :\n [1, 2] }")}},
		{"html in data", model.FeedEvent{ID: 3, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 3, OccurredAt: at, Data: []byte(`{"note":"<b>&</b>"}`)}},
		{"line separator in data", model.FeedEvent{ID: 4, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 4, OccurredAt: at, Data: []byte("{\"note\":\"a\u2028b\"}")}},
		{"escapes in data", model.FeedEvent{ID: 5, Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 5, OccurredAt: at, Data: []byte(`{"note":"a\"b\\c\u00e9"}`)}},
		{"odd workspace and type", model.FeedEvent{ID: 6, Workspace: "ac\"me<é>\x01", Type: "x&y", SubjectID: -6, OccurredAt: at, Data: []byte(`[]`)}},
		{"invalid data", model.FeedEvent{ID: 7, Workspace: "acme", Type: model.EventShipmentCreated, OccurredAt: at, Data: []byte(`{"a":`)}},
		{"year out of range", model.FeedEvent{ID: 8, Workspace: "acme", Type: model.EventShipmentCreated, OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Data: []byte(`{}`)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkBody(t, &c.e)
		})
	}
}

// FuzzBody checks Body against json.Marshal of the Payload on any data.
func FuzzBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` [1, 2 ] `, `{"s":"<&>"}`, "\"\u2028\"", `nul`, `"\ud800"`, `{"s":"a b"}`, `{"s":"a\\" , "t":"\" "}`, `["\\\" x"]`} {
		f.Add(s, "acme", int64(3))
	}
	f.Fuzz(func(t *testing.T, data, workspace string, subject int64) {
		checkBody(t, &model.FeedEvent{ID: 9, Workspace: workspace, Type: model.EventShipmentCreated, SubjectID: subject, OccurredAt: time.Unix(1773480413, 5).UTC(), Data: []byte(data)})
	})
}

func checkBody(t *testing.T, e *model.FeedEvent) {
	t.Helper()
	got, gotErr := Body(e)
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	want, wantErr := json.Marshal(Payload{ID: model.WebhookID(e.ID), Type: e.Type, Timestamp: e.OccurredAt.UTC(), Workspace: e.Workspace, SubjectID: e.SubjectID, Data: data})
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("Body error %v, json.Marshal error %v", gotErr, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("Body:\n%s\njson.Marshal:\n%s", got, want)
	}
}

// BenchmarkBody encodes a delivery of a shipment.event_added event whose
// data has spaces in its strings, as nearly every shipment's has.
func BenchmarkBody(b *testing.B) {
	data := []byte(`{"shipment_id":7,"event":{"id":9,"status":"in_transit","action_required":false,"provider_code":"A02","description":"Parcel scanned at the depot in Utrecht","occurred_at":"2026-03-14T09:26:53Z"},"shipment":{"id":7,"workspace":"acme","connection":"courier","provider":"courier","provider_ref":"3SABC1234567","references":[{"kind":"tracking_number","value":"3SABC1234567"}],"status":"in_transit","action_required":false,"carrier":"Pakketdienst Zuid","shipping_address":{"name":"Jan de Vries","street":"Lange Nieuwstraat 12","city":"Utrecht","postcode":"3512 PN","country":"NL"},"created_at":"2026-03-14T09:26:53Z","updated_at":"2026-03-14T09:26:53Z"}}`)
	e := &model.FeedEvent{ID: 42, Workspace: "acme", Type: model.EventShipmentEventAdded, SubjectID: 7, OccurredAt: time.Unix(1773480413, 0), Data: data}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Body(e); err != nil {
			b.Fatal(err)
		}
	}
}

package winkelstraat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testKey = "ws-shared-secret-0123456789"

func newTestConnector(t testing.TB) *Connector {
	t.Helper()
	c, err := NewWithSettings(Settings{InboundAPIKey: testKey})
	require.NoError(t, err)
	return c
}

func hookRequest(method string, body []byte) *http.Request {
	r := httptest.NewRequest(method, "/hooks/acme/ws", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(HeaderAPIKey, testKey)
	r.Header.Set(HeaderVersion, "1")
	return r
}

// inboxMessage is what the intake would commit for an accepted request.
func inboxMessage(in provider.Inbound) *model.InboxMessage {
	return &model.InboxMessage{
		ID:          42,
		Workspace:   "acme",
		Connection:  "ws",
		Provider:    "winkelstraat",
		Source:      model.SourceWebhook,
		DedupKey:    in.DedupKey,
		ContentType: in.ContentType,
		Meta:        in.Meta,
		Body:        in.Body,
		ReceivedAt:  time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
	}
}

// goldenView is the golden files' shape: the updates plus the event dedup
// keys, which model.Event does not marshal.
type goldenView struct {
	Updates        []model.ShipmentUpdate `json:"updates"`
	EventDedupKeys []string               `json:"event_dedup_keys"`
}

func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	c := newTestConnector(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(file)
			require.NoError(t, err)
			r := hookRequest(http.MethodPost, body)
			require.NoError(t, c.Authenticate(r))
			in, err := c.Accept(r, "", body)
			require.NoError(t, err)
			updates, err := shipments(c.Normalize(inboxMessage(in)))
			require.NoError(t, err)
			view := goldenView{Updates: updates}
			for _, u := range updates {
				for _, e := range u.Events {
					view.EventDedupKeys = append(view.EventDedupKeys, e.DedupKey)
				}
			}
			got, err := json.MarshalIndent(view, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create the golden file")
			require.JSONEq(t, string(want), string(got))
		})
	}
}

// TestDocumentExample checks the document's own example field by field, so
// that a wrong golden file cannot hide a wrong mapping.
func TestDocumentExample(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "document-example.json"))
	require.NoError(t, err)
	c := newTestConnector(t)
	in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
	require.NoError(t, err)

	sum := sha256.Sum256(body)
	// updated_at "2024-02-20 15:31:54", Amsterdam's winter time: 14:31:54 UTC.
	require.Equal(t, "20240220143154-"+hex.EncodeToString(sum[:16]), in.DedupKey)
	require.Equal(t, "application/json", in.ContentType)
	require.Equal(t, body, in.Body)
	require.Equal(t, map[string]string{"x-version": "1"}, in.Meta)

	updates, err := shipments(c.Normalize(inboxMessage(in)))
	require.NoError(t, err)
	require.Len(t, updates, 1)
	u := updates[0]
	require.Equal(t, "000000288", u.ProviderRef)
	require.Equal(t, []model.Reference{
		{Kind: model.RefShipment, Value: "000000288"},
		{Kind: model.RefOrder, Value: "000000549"},
		{Kind: model.RefTrackingNumber, Value: "1Z7E3V556825150AAP"},
		{Kind: model.RefPONumber, Value: "YOUR_ORDER_REFERENCE"},
	}, u.References)
	require.Equal(t, "ups", u.Carrier)
	require.Empty(t, u.Method)
	require.Equal(t, "EUR", u.Currency)
	require.Len(t, u.Items, 1)
	require.Equal(t, 2.0, u.Items[0].Quantity)
	require.Equal(t, 270.0, *u.Items[0].UnitPrice)
	require.Equal(t, 540.0, *u.Items[0].RowTotal)
	require.Equal(t, "Winkelstraat.nl", u.OriginAddress.Company)
	require.Equal(t, "Jan", u.ShippingAddress.FirstName)
	// 2024-02-23 21:20:39 in Amsterdam (CET, UTC+1) is 20:20:39 UTC.
	require.Equal(t, time.Date(2024, 2, 23, 20, 20, 39, 0, time.UTC), *u.CollectedAt)
	require.Nil(t, u.DeliveredAt)
	require.Equal(t, map[string]string{"x_version": "1", "created_at": "2024-02-20T14:28:51Z"}, u.Attributes)

	require.Len(t, u.Events, 1)
	e := u.Events[0]
	require.Equal(t, model.StatusInTransit, e.Status)
	require.Equal(t, "IN_TRANSIT", e.ProviderCode)
	// The example's updated_at (2024-02-20 15:31:54) is three days before
	// collected_at: a parcel is not in transit before the carrier has it.
	require.Equal(t, time.Date(2024, 2, 23, 20, 20, 39, 0, time.UTC), e.OccurredAt, "in transit no earlier than collected_at")
	require.Equal(t, model.SourceWebhook, e.Source)
	require.Equal(t, int64(42), e.InboxID)
	require.Equal(t, "IN_TRANSIT|2024-02-20T14:31:54Z", e.DedupKey)
	require.Equal(t, "Shipment in transit (ups 1Z7E3V556825150AAP)", e.Description)
}

func TestStatusMapping(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	tests := []struct {
		name       string
		status     any
		want       model.Status
		substatus  string
		action     bool
		code       string
		occurredAt time.Time
	}{
		{"UnknownIsCanonicalUnknown", "UNKNOWN", model.StatusUnknown, "", false, "UNKNOWN", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
		{"LowerCaseUnknownIsUnknownToo", "unknown", model.StatusUnknown, "", false, "unknown", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
		{"ReadyForPickupIsPlannedCollection", "READY_FOR_PICKUP", model.StatusInfoReceived, model.SubPickupPlanned, false, "READY_FOR_PICKUP", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
		{"InTransitIsInTransit", "IN_TRANSIT", model.StatusInTransit, "", false, "IN_TRANSIT", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
		{"DeliveredOccursAtDeliveredAt", "DELIVERED", model.StatusDelivered, "", false, "DELIVERED", time.Date(2024, 5, 2, 7, 45, 0, 0, time.UTC)},
		{"ExceptionNeedsAction", "EXCEPTION", model.StatusException, "", true, "EXCEPTION", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
		{"LowerCaseCodeIsStillKnown", "delivered", model.StatusDelivered, "", false, "delivered", time.Date(2024, 5, 2, 7, 45, 0, 0, time.UTC)},
		{"UndocumentedCodeIsUnknownNotAGuess", "LOST_IN_SPACE", model.StatusUnknown, "", false, "LOST_IN_SPACE", time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := json.Marshal(map[string]any{
				"increment_id": "000000900",
				"status":       tt.status,
				"created_at":   "2024-05-01 09:00:00",
				"updated_at":   "2024-05-02 10:00:00",
				"collected_at": "2024-05-01 18:00:00",
				"delivered_at": "2024-05-02 09:45:00",
			})
			require.NoError(t, err)
			in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
			require.NoError(t, err)
			updates, err := shipments(c.Normalize(inboxMessage(in)))
			require.NoError(t, err)
			e := updates[0].Events[0]
			require.Equal(t, tt.want, e.Status)
			require.Equal(t, tt.substatus, e.Substatus)
			require.Equal(t, tt.action, e.ActionRequired)
			require.Equal(t, tt.code, e.ProviderCode)
			require.Equal(t, tt.occurredAt, e.OccurredAt)
			require.Equal(t, tt.code+"|2024-05-02T08:00:00Z", e.DedupKey)
		})
	}
}

// normalizeFields posts a body of fields and returns its one update.
func normalizeFields(t *testing.T, c *Connector, fields map[string]any) model.ShipmentUpdate {
	t.Helper()
	body, err := json.Marshal(fields)
	require.NoError(t, err)
	in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
	require.NoError(t, err)
	updates, err := shipments(c.Normalize(inboxMessage(in)))
	require.NoError(t, err)
	require.Len(t, updates, 1)
	return updates[0]
}

// TestNoNewsNeverOverturnsAKnownStatus: a later UNKNOWN, or a later push
// without a status, leaves a shipment that is in transit in transit.
func TestNoNewsNeverOverturnsAKnownStatus(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	inTransit := normalizeFields(t, c, map[string]any{
		"increment_id": "000000910", "status": "IN_TRANSIT",
		"updated_at": "2024-05-02 10:00:00", "collected_at": "2024-05-02 09:00:00",
	})
	require.Len(t, inTransit.Events, 1)
	known := inTransit.Events[0]
	known.ID = 1
	cur := known.Position()

	later := normalizeFields(t, c, map[string]any{"increment_id": "000000910", "status": "UNKNOWN", "updated_at": "2024-05-03 10:00:00"})
	require.Len(t, later.Events, 1)
	unknown := later.Events[0]
	unknown.ID = 2
	require.Equal(t, model.StatusUnknown, unknown.Status)
	require.Equal(t, "UNKNOWN", unknown.ProviderCode, "the raw code is kept")
	require.True(t, unknown.OccurredAt.After(known.OccurredAt))
	require.False(t, unknown.Position().Outranks(cur), "a later UNKNOWN does not overturn in_transit")

	for name, status := range map[string]any{"Null": nil, "Empty": "", "Absent": "absent"} {
		fields := map[string]any{"increment_id": "000000910", "updated_at": "2024-05-04 10:00:00", "currency": "EUR"}
		if status != "absent" {
			fields["status"] = status
		}
		u := normalizeFields(t, c, fields)
		require.Empty(t, u.Events, "%s status: no event, so nothing to overturn a known status with", name)
		require.Equal(t, "EUR", u.Currency, "%s status: the shipment's facts still count", name)
	}
}

// TestInTransitIsNoEarlierThanCollection: updated_at is the record's time,
// not the status's; a status after collection takes collected_at when that
// is later.
func TestInTransitIsNoEarlierThanCollection(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	tests := []struct {
		name   string
		fields map[string]any
		want   time.Time
	}{
		{"InTransitUpdatedBeforeCollection", map[string]any{"status": "IN_TRANSIT", "updated_at": "2024-02-20 15:31:54", "collected_at": "2024-02-23 21:20:39"}, time.Date(2024, 2, 23, 20, 20, 39, 0, time.UTC)},
		{"InTransitUpdatedAfterCollection", map[string]any{"status": "IN_TRANSIT", "updated_at": "2024-02-24 08:00:00", "collected_at": "2024-02-23 21:20:39"}, time.Date(2024, 2, 24, 7, 0, 0, 0, time.UTC)},
		{"DeliveredWithoutDeliveredAtUpdatedBeforeCollection", map[string]any{"status": "DELIVERED", "updated_at": "2024-02-20 15:31:54", "collected_at": "2024-02-23 21:20:39"}, time.Date(2024, 2, 23, 20, 20, 39, 0, time.UTC)},
		{"ReadyForPickupKeepsUpdatedAt", map[string]any{"status": "READY_FOR_PICKUP", "updated_at": "2024-02-20 15:31:54", "collected_at": "2024-02-23 21:20:39"}, time.Date(2024, 2, 20, 14, 31, 54, 0, time.UTC)},
		{"ExceptionKeepsUpdatedAt", map[string]any{"status": "EXCEPTION", "updated_at": "2024-02-20 15:31:54", "collected_at": "2024-02-23 21:20:39"}, time.Date(2024, 2, 20, 14, 31, 54, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fields["increment_id"] = "000000920"
			u := normalizeFields(t, c, tt.fields)
			require.Len(t, u.Events, 1)
			require.Equal(t, tt.want, u.Events[0].OccurredAt)
		})
	}
}

// TestAFieldGivenTwiceWithDifferentValuesIsRefused: which of two statuses
// counts would be a guess.
func TestAFieldGivenTwiceWithDifferentValuesIsRefused(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	cases := []struct{ name, body, err string }{
		{"TwoStatuses", `{"increment_id":"1","status":"IN_TRANSIT","status":"DELIVERED"}`, "status: given twice"},
		{"TwoCarriers", `{"increment_id":"1","track":{"carrier":"ups","carrier":"dhl"}}`, "track.carrier: given twice"},
		{"TwoSKUsInAnItem", `{"increment_id":"1","items":[{"sku":"a"},{"sku":"b","sku":"c"}]}`, "items[1].sku: given twice"},
		{"TheSameValueTwiceIsFine", `{"increment_id":"1","status":"IN_TRANSIT","status":"IN_TRANSIT"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tc.body)
			_, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, provider.ErrBadInput)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestOccurredAtFallsBack(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	received := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		fields map[string]any
		want   time.Time
	}{
		{"UpdatedAtWins", map[string]any{"updated_at": "2024-01-10 10:00:00", "created_at": "2024-01-09 10:00:00"}, time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)},
		{"DeliveredAtWhenNoUpdatedAt", map[string]any{"delivered_at": "2024-01-11 10:00:00", "collected_at": "2024-01-10 10:00:00"}, time.Date(2024, 1, 11, 9, 0, 0, 0, time.UTC)},
		{"CollectedAtWhenNoDeliveredAt", map[string]any{"collected_at": "2024-01-10 10:00:00", "created_at": "2024-01-09 10:00:00"}, time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)},
		{"CreatedAtAsLastDate", map[string]any{"created_at": "2024-01-09 10:00:00"}, time.Date(2024, 1, 9, 9, 0, 0, 0, time.UTC)},
		{"ReceivedAtWithoutAnyDate", map[string]any{}, received},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fields := map[string]any{"increment_id": "1", "status": "IN_TRANSIT"}
			for k, v := range tt.fields {
				fields[k] = v
			}
			body, err := json.Marshal(fields)
			require.NoError(t, err)
			in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
			require.NoError(t, err)
			updates, err := shipments(c.Normalize(inboxMessage(in)))
			require.NoError(t, err)
			require.Equal(t, tt.want, updates[0].Events[0].OccurredAt)
		})
	}
}

func TestTimezoneSetting(t *testing.T) {
	t.Parallel()
	c, err := NewWithSettings(Settings{InboundAPIKey: testKey, Timezone: "America/New_York"})
	require.NoError(t, err)
	body := []byte(`{"increment_id":"1","status":"IN_TRANSIT","updated_at":"2024-02-20 15:31:54","created_at":"2024-02-20T15:28:51+01:00"}`)
	in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
	require.NoError(t, err)
	updates, err := shipments(c.Normalize(inboxMessage(in)))
	require.NoError(t, err)
	require.Equal(t, time.Date(2024, 2, 20, 20, 31, 54, 0, time.UTC), updates[0].Events[0].OccurredAt, "a local time is read in the configured zone")
	require.Equal(t, "2024-02-20T14:28:51Z", updates[0].Attributes["created_at"], "an explicit offset wins over the zone")
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	tests := []struct {
		name    string
		key     *string
		wantErr bool
	}{
		{"RightKeyIsAccepted", ptr(testKey), false},
		{"WrongKeyIsRefused", ptr("not-the-secret"), true},
		{"KeyPrefixIsRefused", ptr(testKey[:10]), true},
		{"LongerKeyIsRefused", ptr(testKey + "x"), true},
		{"MissingKeyIsRefused", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/hooks/acme/ws", nil)
			if tt.key != nil {
				r.Header.Set("X-Api-Key", *tt.key)
			}
			err := c.Authenticate(r)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, provider.ErrUnauthorized)
			require.NotContains(t, err.Error(), testKey, "an error must never echo the secret")
		})
	}
}

func TestAcceptErrors(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	valid := `{"increment_id":"000000288","status":"IN_TRANSIT","updated_at":"2024-02-20 15:31:54"}`
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		want        error
		mention     string
	}{
		{"MalformedJSONIsBadInput", http.MethodPost, "application/json", `{"increment_id": "1",`, provider.ErrBadInput, "JSON"},
		{"EmptyBodyIsBadInput", http.MethodPost, "application/json", ``, provider.ErrBadInput, "empty"},
		{"ArrayBodyIsBadInput", http.MethodPost, "application/json", `[` + valid + `]`, provider.ErrBadInput, "object"},
		{"NullBodyIsBadInput", http.MethodPost, "application/json", `null`, provider.ErrBadInput, "null"},
		{"MissingIncrementIDIsBadInput", http.MethodPost, "application/json", `{"status":"IN_TRANSIT"}`, provider.ErrBadInput, "increment_id"},
		{"EmptyIncrementIDIsBadInput", http.MethodPost, "application/json", `{"increment_id":" "}`, provider.ErrBadInput, "increment_id"},
		{"BadDateIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","updated_at":"20-02-2024 15:31"}`, provider.ErrBadInput, "updated_at"},
		{"DateOnlyIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","collected_at":"2024-02-23"}`, provider.ErrBadInput, "collected_at"},
		{"NumericDateIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","delivered_at":1708442314}`, provider.ErrBadInput, "delivered_at"},
		{"NumericStatusIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","status":3}`, provider.ErrBadInput, "status"},
		{"ObjectStatusIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","status":{"code":"DELIVERED"}}`, provider.ErrBadInput, "status"},
		{"ItemsNotAnArrayIsBadInput", http.MethodPost, "application/json", `{"increment_id":"1","items":{}}`, provider.ErrBadInput, "items"},
		{"BadQuantityNamesTheItem", http.MethodPost, "application/json", `{"increment_id":"1","items":[{"qty":"two"}]}`, provider.ErrBadInput, "items[0].qty"},
		{"BadAddressFieldNamesIt", http.MethodPost, "application/json", `{"increment_id":"1","shipping_address":{"city":["Utrecht"]}}`, provider.ErrBadInput, "shipping_address.city"},
		{"GetIsNotAllowed", http.MethodGet, "application/json", valid, provider.ErrMethodNotAllowed, "GET"},
		{"PutIsNotAllowed", http.MethodPut, "application/json", valid, provider.ErrMethodNotAllowed, "PUT"},
		{"XMLIsUnsupported", http.MethodPost, "text/xml", valid, provider.ErrUnsupportedMedia, "text/xml"},
		{"FormIsUnsupported", http.MethodPost, "application/x-www-form-urlencoded", valid, provider.ErrUnsupportedMedia, "form"},
		{"GarbledContentTypeIsUnsupported", http.MethodPost, "application/json; charset", valid, provider.ErrUnsupportedMedia, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := hookRequest(tt.method, []byte(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			_, err := c.Accept(r, "", []byte(tt.body))
			require.ErrorIs(t, err, tt.want)
			for _, other := range []error{provider.ErrBadInput, provider.ErrMethodNotAllowed, provider.ErrUnsupportedMedia, provider.ErrUnauthorized} {
				if other != tt.want {
					require.False(t, errors.Is(err, other), "error %q must not also wrap %v", err, other)
				}
			}
			require.Contains(t, err.Error(), tt.mention)
		})
	}
}

func TestAcceptContentTypes(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	body := []byte(`{"increment_id":"1"}`)
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "Application/JSON", "text/json", "application/vnd.winkelstraat+json"} {
		t.Run("Accepts"+ct, func(t *testing.T) {
			t.Parallel()
			r := hookRequest(http.MethodPost, body)
			r.Header.Set("Content-Type", ct)
			in, err := c.Accept(r, "", body)
			require.NoError(t, err)
			require.Equal(t, "application/json", in.ContentType)
		})
	}
}

func TestAcceptDedupKey(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	first := []byte(`{"increment_id":"1","status":"IN_TRANSIT","updated_at":"2024-02-20 15:31:54"}`)
	changed := []byte(`{"increment_id":"1","status":"DELIVERED","updated_at":"2024-02-21 10:00:00"}`)
	a, err := c.Accept(hookRequest(http.MethodPost, first), "", first)
	require.NoError(t, err)
	retry, err := c.Accept(hookRequest(http.MethodPost, first), "", bytes.Clone(first))
	require.NoError(t, err)
	b, err := c.Accept(hookRequest(http.MethodPost, changed), "", changed)
	require.NoError(t, err)
	require.Equal(t, a.DedupKey, retry.DedupKey, "a retry is a duplicate")
	require.NotEqual(t, a.DedupKey, b.DedupKey, "a changed shipment is a new message")
	// The key leads with updated_at in UTC (the connection's zone here is
	// Europe/Amsterdam, an hour ahead in February), then the body's hash.
	sum := sha256.Sum256(first)
	require.Equal(t, "20240220143154-"+hex.EncodeToString(sum[:16]), a.DedupKey)
	require.Less(t, a.DedupKey, b.DedupKey, "a later update sorts after an earlier one")
	noTime := []byte(`{"increment_id":"1","status":"IN_TRANSIT"}`)
	c2, err := c.Accept(hookRequest(http.MethodPost, noTime), "", noTime)
	require.NoError(t, err)
	sum = sha256.Sum256(noTime)
	require.Equal(t, hex.EncodeToString(sum[:16]), c2.DedupKey, "without updated_at the key is the hash alone")

	r := hookRequest(http.MethodPost, first)
	r.Header.Del(HeaderVersion)
	noVersion, err := c.Accept(r, "", first)
	require.NoError(t, err)
	require.Empty(t, noVersion.Meta)
	updates, err := shipments(c.Normalize(inboxMessage(noVersion)))
	require.NoError(t, err)
	require.NotContains(t, updates[0].Attributes, "x_version")
}

func TestNormalizeRejectsWhatAcceptWould(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t)
	_, err := shipments(c.Normalize(&model.InboxMessage{ID: 7, Body: []byte(`{"status":"DELIVERED"}`)}))
	require.ErrorIs(t, err, provider.ErrBadInput)
	require.Contains(t, err.Error(), "increment_id")
}

func TestSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		wantTZ  string
	}{
		{"DefaultsToAmsterdam", "inbound_api_key: s3cret", "", "Europe/Amsterdam"},
		{"KeepsAnExplicitZone", "inbound_api_key: s3cret\ntimezone: UTC", "", "UTC"},
		{"MissingKeyIsNamed", "timezone: Europe/Amsterdam", "inbound_api_key: is required", ""},
		{"PaddedKeyIsRefused", "inbound_api_key: ' s3cret '", "inbound_api_key: must not start or end with white space", ""},
		{"BadZoneIsNamed", "inbound_api_key: s3cret\ntimezone: Europe/Vianen", "timezone: unknown IANA time zone", ""},
		{"HostZoneIsRefused", "inbound_api_key: s3cret\ntimezone: Local", "timezone:", ""},
		{"UnknownKeyIsRefused", "inbound_api_key: s3cret\napi_key: x", "api_key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := provider.Connection{Workspace: "acme", ID: "ws", Decode: func(into any) error {
				dec := yaml.NewDecoder(strings.NewReader(tt.yaml))
				dec.KnownFields(true)
				return dec.Decode(into)
			}}
			got, err := Info.New(conn)
			if tt.wantErr != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantTZ, got.(*Connector).settings.Timezone)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// addTestdataSeeds seeds a fuzz target with every body in testdata.
func addTestdataSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(f, err)
	for _, file := range files {
		body, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(body)
	}
}

func FuzzAccept(f *testing.F) {
	addTestdataSeeds(f)
	f.Add([]byte(`{"increment_id":1e400}`))
	f.Add([]byte(`{"increment_id":"1","updated_at":"0000-01-01T00:00:00+01:00"}`))
	c := newTestConnector(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := c.Accept(hookRequest(http.MethodPost, body), "", body)
		if err != nil {
			require.ErrorIs(t, err, provider.ErrBadInput)
			return
		}
		updates, err := shipments(c.Normalize(inboxMessage(in)))
		require.NoError(t, err, "whatever Accept acknowledges must normalise")
		require.Len(t, updates, 1)
		require.NotEmpty(t, updates[0].ProviderRef)
		require.LessOrEqual(t, len(updates[0].Events), 1, "at most one event: none when the status is null")
		for _, e := range updates[0].Events {
			require.True(t, e.Status.Valid())
			require.NotEqual(t, model.StatusPending, e.Status, "a provider's event never says pending: that would overturn what is known")
			if u := updates[0]; u.CollectedAt != nil && (e.Status == model.StatusInTransit || e.Status == model.StatusDelivered && u.DeliveredAt == nil) {
				require.False(t, e.OccurredAt.Before(*u.CollectedAt), "no earlier than collected_at")
			}
		}
		_, err = json.Marshal(updates)
		require.NoError(t, err, "a normalised update must be storable as JSON")
	})
}

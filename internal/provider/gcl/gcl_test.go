package gcl_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/gcl"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func connector(t testing.TB, settings map[string]any) *gcl.Connector {
	t.Helper()
	if settings == nil {
		settings = map[string]any{"base_url": "http://127.0.0.1:1", "api_key": "k-123456"}
	}
	c, err := gcl.New(decoded(settings))
	require.NoError(t, err)
	return c.(*gcl.Connector)
}

// decoded is a connection whose settings decode as shiphub.yaml's do.
func decoded(settings map[string]any) provider.Connection {
	cn := config.Connection{ID: "gcl", Provider: "gcl", Settings: settings}
	return provider.Connection{Workspace: "acme", ID: "gcl", Decode: cn.DecodeSettings}
}

func pollMessage(t testing.TB, file, number string) *model.InboxMessage {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	return &model.InboxMessage{
		ID: 1, Workspace: "acme", Connection: "gcl", Provider: "gcl", Source: model.SourcePoll,
		DedupKey: gcl.DedupKey(body), ContentType: "application/json", Body: body,
		Meta:       map[string]string{gcl.MetaTrackingNumber: number, gcl.MetaReference: "order-42"},
		ReceivedAt: time.Date(2024, 7, 29, 19, 0, 0, 0, time.UTC),
	}
}

func TestNormalizeGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, number string
	}{
		{"document-example.json", "EXMPL0001234TRCKNUM"},
		{"document-not-found.json", "EXMPL0001234TRCKNUM"},
		{"numbers-only.json", "NUM123"},
		{"unknown-status.json", "UNK1"},
		{"empty-checkpoints.json", "EMPTY1"},
		{"unknown-uid-known-number.json", "UNK2"},
		{"malformed-checkpoints.json", "EXMPL0001234TRCKNUM"},
	}
	c := connector(t, nil)
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			t.Parallel()
			updates, err := shipments(c.Normalize(pollMessage(t, tt.file, tt.number)))
			require.NoError(t, err)
			got, err := json.MarshalIndent(updates, "", "  ")
			require.NoError(t, err)
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(tt.file, ".json")+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got))
		})
	}
}

func TestDocumentExampleMapping(t *testing.T) {
	t.Parallel()
	updates, err := shipments(connector(t, nil).Normalize(pollMessage(t, "document-example.json", "EXMPL0001234TRCKNUM")))
	require.NoError(t, err)
	require.Len(t, updates, 1)
	u := updates[0]
	require.Equal(t, "EXMPL0001234TRCKNUM", u.ProviderRef)
	require.Equal(t, "dhl_express", u.Carrier)
	require.Equal(t, "dhl_express_worldwide", u.Method)
	require.Equal(t, "460", u.Attributes[gcl.AttrWeightInGrams])
	require.Equal(t, "DHL Express", u.Attributes[gcl.AttrCarrierName])
	require.Contains(t, u.TrackingURL, "mydhl.express.dhl")
	require.Equal(t, "2024-07-30", u.ExpectedDelivery)
	require.Contains(t, u.References, model.Reference{Kind: model.RefMerchant, Value: "order-42"})
	require.Contains(t, u.References, model.Reference{Kind: model.RefShipment, Value: "EXMPL0001234"})
	require.Len(t, u.Events, 7)
	var statuses []model.Status
	keys := map[string]bool{}
	for _, e := range u.Events {
		statuses = append(statuses, e.Status)
		keys[e.DedupKey] = true
		require.Equal(t, model.SourcePoll, e.Source)
	}
	require.Equal(t, []model.Status{
		model.StatusInTransit, model.StatusInTransit, model.StatusInTransit, model.StatusInTransit,
		model.StatusInTransit, model.StatusOutForDelivery, model.StatusDelivered,
	}, statuses, "oldest first")
	require.Len(t, keys, 7, "every checkpoint has its own dedup key")
	require.Equal(t, model.SubCustoms, u.Events[2].Substatus)
	for _, e := range u.Events[:6] {
		require.Nil(t, e.Scan)
	}
	require.Equal(t, &model.Scan{By: "aftership"}, u.Events[6].Scan, "signedBy stays on the delivered event")
	require.Equal(t, time.Date(2024, 7, 29, 18, 16, 6, 0, time.UTC), *u.DeliveredAt)
	require.Equal(t, time.Date(2024, 7, 25, 14, 21, 55, 0, time.UTC), *u.CollectedAt)

	sum := gcl.Summarize(mustDecode(t, "document-example.json"))
	require.Equal(t, model.StatusDelivered, sum.Status)
	require.Equal(t, "2024-07-30", sum.ExpectedDelivery)
}

func mustDecode(t *testing.T, file string) *gcl.Response {
	body, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	r, e, err := gcl.Decode(body)
	require.NoError(t, err)
	require.Nil(t, e)
	return r
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uid       string
		number    int
		want      model.Status
		substatus string
		action    bool
	}{
		{"registered", 0, model.StatusInfoReceived, "", false},
		{"in_transit", 1, model.StatusInTransit, "", false},
		{"out_for_delivery", 2, model.StatusOutForDelivery, "", false},
		{"failed_attempt", 3, model.StatusFailedAttempt, "", false},
		{"exception", 4, model.StatusException, "", true},
		{"available_for_pickup", 5, model.StatusAvailableForPickup, "", false},
		{"delivered", 6, model.StatusDelivered, "", false},
		{"shipped", 7, model.StatusInTransit, "", false},
		{"returned", 8, model.StatusReturned, "", false},
		{"not_picked_up", 9, model.StatusException, gcl.SubNotPickedUp, true},
		{"", 2, model.StatusOutForDelivery, "", false},
		{"", 8, model.StatusReturned, "", false},
		{"", 77, model.StatusUnknown, "", false},
		{"Delivered", 6, model.StatusDelivered, "", false},
		// An unknown uid falls back to the number, read through the enum.
		{"beamed_up", 6, model.StatusDelivered, "", false},
		{"with_courier", 2, model.StatusOutForDelivery, "", false},
		{"teleported", 42, model.StatusUnknown, "", false},
		{"teleported", -1, model.StatusUnknown, "", false},
		// A known uid wins over a number that disagrees.
		{"in_transit", 6, model.StatusInTransit, "", false},
	}
	c := connector(t, nil)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Uid%sNumber%d", tt.uid, tt.number), func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(map[string]any{"trackingNumber": "X1", "checkpoints": []map[string]any{
				{"status": tt.number, "statusUid": tt.uid, "message": "m", "createdAt": "2024-07-29T08:00:00Z", "signedBy": "s"},
			}})
			updates, err := shipments(c.Normalize(&model.InboxMessage{Body: body, Meta: map[string]string{gcl.MetaTrackingNumber: "X1"}}))
			require.NoError(t, err)
			e := updates[0].Events[0]
			require.Equal(t, tt.want, e.Status)
			require.Equal(t, tt.substatus, e.Substatus)
			require.Equal(t, tt.action, e.ActionRequired)
			require.NotEmpty(t, e.ProviderCode, "the raw code is kept")
			if tt.uid != "" {
				require.Equal(t, strings.ToLower(tt.uid), e.ProviderCode)
			}
		})
	}
}

func TestBadAnswersAreRefused(t *testing.T) {
	t.Parallel()
	c := connector(t, nil)
	for name, body := range map[string]string{
		"NotJSON":           "<html>",
		"NoTrackingNumber":  `{"checkpoints":[]}`,
		"OtherErrorCode":    `{"trackingNumber":"X","code":"RATE_LIMITED","message":"slow down"}`,
		"CheckpointsObject": `{"trackingNumber":"X","checkpoints":{}}`,
		"CodeNotAString":    `{"trackingNumber":"X","code":{"a":1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := shipments(c.Normalize(&model.InboxMessage{Body: []byte(body)}))
			require.ErrorIs(t, err, provider.ErrBadInput)
		})
	}
}

func TestMalformedCheckpointsAreLeftOutAndTheOthersKept(t *testing.T) {
	t.Parallel()
	good := mustDecode(t, "document-example.json")
	r := mustDecode(t, "malformed-checkpoints.json")
	require.Len(t, r.Checkpoints, len(good.Checkpoints)-2)
	require.Len(t, r.Rejected, 2)
	require.Equal(t, 3, r.Rejected[0].Index)
	require.Contains(t, r.Rejected[0].Reason, "createdAt")
	require.Contains(t, string(r.Rejected[0].Raw), `"28-07-2024 12:02"`, "the raw checkpoint is kept for the operator")
	require.Equal(t, 6, r.Rejected[1].Index)
	require.Contains(t, r.Rejected[1].Reason, "status")

	for name, cp := range map[string]string{
		"BadCreatedAt":        `{"status":1,"statusUid":"in_transit","message":"m","createdAt":"yesterday"}`,
		"BadExpectedDate":     `{"status":1,"statusUid":"in_transit","message":"m","createdAt":"2024-07-29T08:00:00Z","expectedDeliveryDate":"30/07/2024"}`,
		"StatusNotANumber":    `{"status":"one","message":"m","createdAt":"2024-07-29T08:00:00Z"}`,
		"MessageNotAString":   `{"status":1,"statusUid":"in_transit","message":["m"],"createdAt":"2024-07-29T08:00:00Z"}`,
		"NotAnObject":         `"in_transit"`,
		"Null":                `null`,
		"MissingCreatedAt":    `{"status":1,"statusUid":"in_transit","message":"m"}`,
		"StatusOutOfIntRange": `{"status":1e400,"statusUid":"in_transit","message":"m","createdAt":"2024-07-29T08:00:00Z"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := `{"trackingNumber":"X","checkpoints":[` + cp + `,{"status":6,"statusUid":"delivered","message":"Delivered","createdAt":"2024-07-29T18:00:00Z","signedBy":"aftership"}]}`
			r, e, err := gcl.Decode([]byte(body))
			require.NoError(t, err, "one bad checkpoint does not reject the answer")
			require.Nil(t, e)
			require.Len(t, r.Checkpoints, 1)
			require.Len(t, r.Rejected, 1)
			require.Zero(t, r.Rejected[0].Index)
			updates, err := shipments(connector(t, nil).Normalize(&model.InboxMessage{Body: []byte(body), Meta: map[string]string{gcl.MetaTrackingNumber: "X"}}))
			require.NoError(t, err)
			require.Len(t, updates[0].Events, 1)
			require.Equal(t, model.StatusDelivered, updates[0].Events[0].Status)
		})
	}
}

func TestErrorObjectKeepsCodeMessageAndDetails(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "document-not-found.json"))
	require.NoError(t, err)
	r, e, err := gcl.Decode(body)
	require.NoError(t, err)
	require.Nil(t, r)
	require.Equal(t, &gcl.ErrorResponse{TrackingNumber: "EXMPL0001234TRCKNUM", Code: gcl.CodeNotFound, Message: "Tracking details not found."}, e)
	require.Equal(t, `TRACKING_DETAILS_NOT_FOUND "Tracking details not found."`, e.Describe())

	body, err = os.ReadFile(filepath.Join("testdata", "error-with-details.json"))
	require.NoError(t, err)
	_, e, err = gcl.Decode(body)
	require.NoError(t, err)
	require.Equal(t, "INTERNAL_ERROR", e.Code)
	require.Equal(t, "UPSTREAM_TIMEOUT", e.Details.Code)
	require.Equal(t, "req-7f3a", e.Details.Reference)
	require.Equal(t, `INTERNAL_ERROR "Tracking temporarily unavailable." (details: code UPSTREAM_TIMEOUT, "The carrier did not answer.", reference req-7f3a)`, e.Describe())

	// Odd details are kept as sent, and never reject the answer.
	_, e, err = gcl.Decode([]byte(`{"code":"X","message":"m","details":["a",1]}`))
	require.NoError(t, err)
	require.Equal(t, `X "m" (details: ["a",1])`, e.Describe())
	_, e, err = gcl.Decode([]byte(`{"code":"X\nlevel=ERROR msg=forged","message":"m"}`))
	require.NoError(t, err)
	require.Equal(t, `X?level=ERROR msg=forged "m"`, e.Describe(), "one line, whatever the code holds")
	_, e, err = gcl.Decode([]byte(`{"code":404,"message":"gone"}`))
	require.NoError(t, err)
	require.Equal(t, "404", e.Code)

	_, err = shipments(connector(t, nil).Normalize(&model.InboxMessage{Body: body}))
	require.ErrorIs(t, err, provider.ErrBadInput)
	require.ErrorContains(t, err, "UPSTREAM_TIMEOUT", "a committed error answer names its details")
}

// TestStatusEnumFollowsTheDocument derives the status numbers from the
// document: its StatusEnum rows, in order, are the table's, and the
// example's status numbers are their uids' positions in it.
func TestStatusEnumFollowsTheDocument(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("testdata", "gcl-tracking.txt"))
	require.NoError(t, err)
	text := string(doc)
	start := strings.Index(text, "\nStatusEnum\n")
	require.Positive(t, start)
	end := strings.Index(text[start:], "\nFoutmelding\n")
	require.Positive(t, end)
	var lines []string
	for _, l := range strings.Split(text[start+len("\nStatusEnum\n"):start+end], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	require.Equal(t, []string{"Statuswaarde", "Beschrijving"}, lines[:2])
	lines = lines[2:]
	table := gcl.StatusEnumForTest()
	require.Len(t, lines, 2*len(table), "one row per enum value")
	for i, row := range table {
		require.Equal(t, lines[2*i], row[0], "row %d's value", i)
		require.Equal(t, lines[2*i+1], row[1], "row %d's description", i)
	}

	var example struct {
		Checkpoints []struct {
			Status    int    `json:"status"`
			StatusUID string `json:"statusUid"`
		} `json:"checkpoints"`
	}
	body, err := os.ReadFile(filepath.Join("testdata", "document-example.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &example))
	require.True(t, strings.Contains(text, string(body)), "the fixture is the document's example verbatim")
	for _, cp := range example.Checkpoints {
		require.Equal(t, cp.StatusUID, table[cp.Status][2], "the example's status %d is %s", cp.Status, cp.StatusUID)
	}
}

func TestExpiredRecordBecomesAnExpiredEvent(t *testing.T) {
	t.Parallel()
	body, _ := json.Marshal(gcl.Expired{TrackingNumber: "NF1", Reason: "not_found", Since: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), ExpiredAt: time.Date(2024, 7, 31, 0, 0, 0, 0, time.UTC)})
	updates, err := shipments(connector(t, nil).Normalize(&model.InboxMessage{Topic: gcl.TopicExpired, Body: body, Meta: map[string]string{gcl.MetaTrackingNumber: "NF1"}}))
	require.NoError(t, err)
	require.Len(t, updates[0].Events, 1)
	require.Equal(t, model.StatusExpired, updates[0].Events[0].Status)
	require.Equal(t, "NF1", updates[0].ProviderRef)
}

func TestSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings map[string]any
		wantErr  string
	}{
		{"MinimalIsValid", map[string]any{"base_url": "https://api.example", "api_key": "k"}, ""},
		{"BaseURLIsRequired", map[string]any{"api_key": "k"}, "base_url: is required"},
		{"BaseURLMustBeHTTP", map[string]any{"base_url": "ftp://x", "api_key": "k"}, "base_url"},
		{"APIKeyIsRequired", map[string]any{"base_url": "https://api.example"}, "api_key: is required"},
		{"RateMustBePositive", map[string]any{"base_url": "https://api.example", "api_key": "k", "rate_per_second": -1}, "rate_per_second"},
		{"RuleNeedsACarrier", map[string]any{"base_url": "https://api.example", "api_key": "k", "attach": []map[string]any{{"connection": "ws"}}}, "attach[0].carrier"},
		{"DurationsAreYAMLDurations", map[string]any{"base_url": "https://api.example", "api_key": "k", "timeout": "2s", "schedule": map[string]any{"in_transit": "90m"}}, ""},
		{"UnknownKeysAreRefused", map[string]any{"base_url": "https://api.example", "api_key": "k", "rate": 3}, "rate"},
		{"TimezoneMustBeKnown", map[string]any{"base_url": "https://api.example", "api_key": "k", "timezone": "Mars/Base"}, "timezone"},
		{"AuthHeaderAndSchemeAreSettings", map[string]any{"base_url": "https://api.example", "api_key": "k", "auth_header": "X-Api-Key", "auth_scheme": "none"}, ""},
		{"AuthHeaderMustBeAHeaderName", map[string]any{"base_url": "https://api.example", "api_key": "k", "auth_header": "X Api: Key"}, "auth_header"},
		{"AuthSchemeIsOneWord", map[string]any{"base_url": "https://api.example", "api_key": "k", "auth_scheme": "Bearer\r\nX-Evil: 1"}, "auth_scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := gcl.New(decoded(tt.settings))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, file := range []string{"document-example.json", "document-not-found.json", "numbers-only.json", "unknown-status.json",
		"empty-checkpoints.json", "unknown-uid-known-number.json", "malformed-checkpoints.json", "error-with-details.json"} {
		body, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(body)
	}
	f.Add([]byte(`{"code":null}`))
	f.Add([]byte(`{"trackingNumber":"x","checkpoints":[{"status":1e400}]}`))
	f.Add([]byte(`{"trackingNumber":"x","checkpoints":[null,"a",{"createdAt":"2024-07-29T08:00:00Z","status":"7"}]}`))
	c := connector(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, e, err := gcl.Decode(body)
		if err != nil {
			require.ErrorIs(t, err, provider.ErrBadInput)
			return
		}
		require.True(t, (r == nil) != (e == nil), "exactly one of answer and error")
		updates, err := shipments(c.Normalize(&model.InboxMessage{Body: body, Meta: map[string]string{gcl.MetaTrackingNumber: "F"}}))
		if e != nil && e.Code != gcl.CodeNotFound {
			require.ErrorIs(t, err, provider.ErrBadInput)
			return
		}
		require.NoError(t, err)
		require.Len(t, updates, 1)
		if r != nil {
			require.Len(t, updates[0].Events, len(r.Checkpoints), "one event per good checkpoint")
			for _, rj := range r.Rejected {
				require.NotEmpty(t, rj.Reason)
			}
		}
		for _, ev := range updates[0].Events {
			require.True(t, ev.Status.Valid())
			require.NotEmpty(t, ev.DedupKey)
		}
		gcl.Summarize(r)
	})
}

// FuzzErrorObject decodes error objects of any shape: the answer is an
// error answer whenever it has a code, and what the operator is shown is
// one line of valid UTF-8 of bounded length.
func FuzzErrorObject(f *testing.F) {
	for _, file := range []string{"document-not-found.json", "error-with-details.json"} {
		body, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(body)
	}
	f.Add([]byte(`{"code":"X","details":{"code":7,"message":null,"reference":["r"]}}`))
	f.Add([]byte(`{"code":"X","message":"\xff\u2028","details":"just text"}`))
	f.Add([]byte(`{"code":"X\nlevel=ERROR forged","details":{"reference":"r\r\n"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, e, err := gcl.Decode(body)
		if err != nil || e == nil {
			require.False(t, err == nil && r == nil, "no answer without an error")
			return
		}
		require.Nil(t, r)
		require.NotEmpty(t, e.Code)
		d := e.Describe()
		require.True(t, utf8.ValidString(d))
		require.LessOrEqual(t, len(d), 1000+len("…"))
		require.False(t, strings.ContainsFunc(d, unicode.IsControl), "one line, no control characters: %q", d)
		if len(e.Code) < 100 && utf8.ValidString(e.Code) && !strings.ContainsFunc(e.Code, unicode.IsControl) {
			require.True(t, strings.HasPrefix(d, e.Code), "it starts with the code")
		}
	})
}

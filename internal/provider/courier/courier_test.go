package courier

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// yamlConnection builds a provider.Connection whose Decode reads YAML the
// way the configuration loader does, refusing unknown keys.
func yamlConnection(src string) provider.Connection {
	return provider.Connection{
		Workspace: "acme", ID: "courier",
		Decode: func(into any) error {
			dec := yaml.NewDecoder(strings.NewReader(src))
			dec.KnownFields(true)
			return dec.Decode(into)
		},
	}
}

func newTestConnector(t testing.TB, s Settings) *Connector {
	t.Helper()
	c, err := NewConnector(s)
	require.NoError(t, err)
	return c
}

func TestNewDecodesAndValidatesSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		yaml    string
		wantErr string
		want    Settings
	}{
		{
			name: "AllKeysAreDecoded",
			yaml: "inbound_api_key: k3y\ntimezone: Europe/Amsterdam\nftp_user: acme\nftp_password: pw\n",
			want: Settings{InboundAPIKey: "k3y", Timezone: "Europe/Amsterdam", FTPUser: "acme", FTPPassword: "pw"},
		},
		{
			name: "TimezoneDefaultsToBrussels",
			yaml: "{}\n",
			want: Settings{Timezone: "Europe/Brussels"},
		},
		{
			name:    "AnUnknownTimezoneNamesTheKey",
			yaml:    "timezone: Mars/Base\n",
			wantErr: `timezone: unknown IANA time zone "Mars/Base"`,
		},
		{
			name:    "TheHostsLocalZoneIsRefused",
			yaml:    "timezone: Local\n",
			wantErr: `timezone: "Local" is not allowed`,
		},
		{
			name:    "AnFTPUserNeedsAPassword",
			yaml:    "ftp_user: acme\n",
			wantErr: "ftp_password: is required when ftp_user is set",
		},
		{
			name:    "AnUnknownKeyIsRefused",
			yaml:    "inbound_api_kee: typo\n",
			wantErr: "inbound_api_kee",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := New(yamlConnection(tc.yaml))
			if tc.wantErr != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, conn.(*Connector).Settings())
		})
	}
}

func TestTheCourierDoesNotRetryAndDeliversJSONAndXMLFiles(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	require.False(t, provider.Retries(c), "the document promises an e-mail, not a retry")
	require.Equal(t, []string{"json", "xml"}, c.FileExtensions())
}

func TestInfoRegistersTheCourier(t *testing.T) {
	t.Parallel()
	require.Equal(t, "courier", Info.Name)
	c, err := Info.New(yamlConnection("{}"))
	require.NoError(t, err)
	_, ok := c.(provider.WebhookReceiver)
	require.True(t, ok, "the courier pushes over HTTP")
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		configured string
		header     *string
		ok         bool
	}{
		{"NoKeyConfiguredAcceptsARequestWithoutKey", "", nil, true},
		{"NoKeyConfiguredAcceptsAnyKey", "", ptr("whatever"), true},
		{"TheRightKeyIsAccepted", "s3cret-key", ptr("s3cret-key"), true},
		{"AWrongKeyIsRefused", "s3cret-key", ptr("s3cret-kez"), false},
		{"AKeyThatIsAPrefixIsRefused", "s3cret-key", ptr("s3cret"), false},
		{"AMissingKeyIsRefused", "s3cret-key", nil, false},
		{"AnEmptyKeyIsRefused", "s3cret-key", ptr(""), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestConnector(t, Settings{InboundAPIKey: tc.configured})
			r := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier?order=1", nil)
			if tc.header != nil {
				r.Header.Set("X-Api-Key", *tc.header)
			}
			err := c.Authenticate(r)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, provider.ErrUnauthorized)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

const validQuery = "order=ASK1&statuscode=take&statustime=20230717094743"

func TestAcceptRefusesBadRequests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		method      string
		query       string
		contentType string
		body        string
		topic       string
		want        error
		reason      string
	}{
		{"MissingOrderInAQuery", "GET", "statuscode=take&statustime=20230717094743", "", "", "", provider.ErrBadInput, "order: is required"},
		{"BlankOrderInJSON", "POST", "", "application/json", `{"order":"  ","statuscode":"take","statustime":"20230717094743"}`, "", provider.ErrBadInput, "order: is required"},
		{"MissingStatuscode", "GET", "order=ASK1&statustime=20230717094743", "", "", "", provider.ErrBadInput, "statuscode: is required"},
		{"MissingStatustime", "GET", "order=ASK1&statuscode=take", "", "", "", provider.ErrBadInput, "statustime: is required"},
		{"StatustimeWithSeparators", "GET", "order=ASK1&statuscode=take&statustime=2023-07-17T09:47", "", "", "", provider.ErrBadInput, "statustime"},
		{"StatustimeTooShort", "GET", "order=ASK1&statuscode=take&statustime=202307170947", "", "", "", provider.ErrBadInput, "is not YYYYMMDDhhmmss"},
		{"StatustimeOnTheThirteenthMonth", "POST", "", "application/json", `{"order":"ASK1","statuscode":"take","statustime":"20231317094743"}`, "", provider.ErrBadInput, "is not a valid time"},
		{"MalformedJSON", "POST", "", "application/json", `{"order":"ASK1",`, "", provider.ErrBadInput, "decoding courier JSON"},
		{"JSONThatIsNotAnObject", "POST", "", "application/json", `["ASK1"]`, "", provider.ErrBadInput, "want a JSON object"},
		{"JSONWithAnObjectForAString", "POST", "", "application/json", `{"order":{"id":1},"statuscode":"take","statustime":"20230717094743"}`, "", provider.ErrBadInput, "want a string"},
		{"JSONWithTrailingGarbage", "POST", "", "", `{"order":"ASK1","statuscode":"take","statustime":"20230717094743"} x`, "", provider.ErrBadInput, "decoding courier JSON"},
		{"MalformedQueryEscape", "GET", "order=ASK%zz1&statuscode=take&statustime=20230717094743", "", "", "", provider.ErrBadInput, "decoding courier query"},
		{"EmptyPost", "POST", "", "", "", "", provider.ErrBadInput, "order: is required"},
		{"XMLPost", "POST", "", "application/xml", `<status order="ASK1"/>`, "", provider.ErrUnsupportedMedia, "application/xml"},
		{"PutIsNotAMethodTheCourierUses", "PUT", validQuery, "", "", "", provider.ErrMethodNotAllowed, "PUT"},
		{"DeleteIsNotAMethodTheCourierUses", "DELETE", validQuery, "", "", "", provider.ErrMethodNotAllowed, "DELETE"},
		{"ATopicIsNotACourierURL", "GET", validQuery, "", "", "orders", provider.ErrBadInput, "topic"},
		{"AQueryWithTwoStatuscodes", "GET", validQuery + "&statuscode=DELIVERED", "", "", "", provider.ErrBadInput, "statuscode: given 2 times with different values"},
		{"AQueryWithTwoLabels", "GET", validQuery + "&statusNL=a&statusNL=b", "", "", "", provider.ErrBadInput, "statusNL: given 2 times"},
		{"JSONWithTwoStatuscodes", "POST", "", "application/json", `{"order":"ASK1","statuscode":"take","statustime":"20230717094743","statuscode":"DELIVERED"}`, "", provider.ErrBadInput, "statuscode: given twice with different values"},
		{"JSONWithAnOrderInTwoCases", "POST", "", "application/json", `{"order":"ASK1","Order":"ASK2","statuscode":"take","statustime":"20230717094743"}`, "", provider.ErrBadInput, "Order: given twice"},
	}
	c := newTestConnector(t, Settings{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, "/hooks/acme/courier", strings.NewReader(tc.body))
			r.URL.RawQuery = tc.query
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			_, err := c.Accept(r, tc.topic, []byte(tc.body))
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

// TestTheSameValueTwiceIsNoConflict: a sender that repeats a field with the
// same value is sloppy, not ambiguous.
func TestTheSameValueTwiceIsNoConflict(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	get := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier?"+validQuery+"&statuscode=take", nil)
	_, err := c.Accept(get, "", nil)
	require.NoError(t, err)
	body := []byte(`{"order":"ASK1","statuscode":"take","statustime":"20230717094743","statuscode":"take","signatures":["a"],"signatures":["b"]}`)
	post := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader(body))
	post.Header.Set("Content-Type", "application/json")
	_, err = c.Accept(post, "", body)
	require.NoError(t, err)
}

// timeLedKey is the form of an accepted update's dedup key: its
// statustime, then 128 bits of hash.
var timeLedKey = regexp.MustCompile(`^[0-9]{14}-[0-9a-f]{32}$`)

func TestDedupKey(t *testing.T) {
	t.Parallel()
	ask1 := &Message{Order: "ASK1", StatusCode: "take", StatusTime: "20230717094743"}
	tests := []struct {
		name string
		msg  *Message
		want string
	}{
		// A key stored before must be the key of the same update forever
		// after: a retry with another key would be taken twice.
		{"an update leads with its statustime", ask1, "20230717094743-68c65e6ef7d6d615ab2a779cfa381e3c"},
		{"a statustime that is not YYYYMMDDhhmmss is only hashed", &Message{Order: "ASK1", StatusCode: "take", StatusTime: "2023-07-17"}, "7b9f4a3298faa8c183d226bf02eb7f54"},
		{"so is one of the wrong length", &Message{Order: "ASK1", StatusCode: "take", StatusTime: "2023071709474"}, "1e4d40b305ae6324a8d99d0eeae9d5e8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, DedupKey(tc.msg))
			require.Equal(t, DedupKey(tc.msg), DedupKey(&Message{Order: tc.msg.Order, StatusCode: tc.msg.StatusCode, StatusTime: tc.msg.StatusTime, Comment: "other"}),
				"only order, statuscode and statustime make the key")
		})
	}

	// Updates sort by their time, whatever their orders, so that an index
	// on the keys grows where the newest are.
	keys := []string{
		DedupKey(&Message{Order: "ZZZ9", StatusCode: "take", StatusTime: "20230717094743"}),
		DedupKey(&Message{Order: "AAA1", StatusCode: "deliver", StatusTime: "20230717094744"}),
		DedupKey(&Message{Order: "MMM5", StatusCode: "take", StatusTime: "20230718000000"}),
	}
	require.True(t, slices.IsSorted(keys), "keys %v", keys)
	require.NotEqual(t, DedupKey(&Message{Order: "ASK1", StatusCode: "take", StatusTime: "20230717094743"}),
		DedupKey(&Message{Order: "ASK2", StatusCode: "take", StatusTime: "20230717094743"}), "the same time of two orders")
}

func TestAcceptStoresTheRawBytesAndAStableDedupKey(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	getReq := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier?"+validQuery+"&statusNL=Mee+met+koerier", nil)
	get, err := c.Accept(getReq, "", nil)
	require.NoError(t, err)
	require.Equal(t, ContentTypeForm, get.ContentType)
	require.Equal(t, validQuery+"&statusNL=Mee+met+koerier", string(get.Body), "a GET stores its raw query string")
	require.Equal(t, map[string]string{"method": "GET"}, get.Meta)

	body := []byte(` {"order":"ASK1", "statuscode":"take", "statustime":"20230717094743", "comment":"x"}`)
	postReq := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader(body))
	postReq.Header.Set("Content-Type", "text/plain") // JSON is recognised by its first byte
	post, err := c.Accept(postReq, "", body)
	require.NoError(t, err)
	require.Equal(t, ContentTypeJSON, post.ContentType)
	require.Equal(t, body, post.Body, "a POST stores its body byte for byte")

	form := []byte(validQuery + "&barcode=B1")
	formReq := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader(form))
	formReq.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	formIn, err := c.Accept(formReq, "", form)
	require.NoError(t, err)
	require.Equal(t, ContentTypeForm, formIn.ContentType)

	emptyPost := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier?"+validQuery, nil)
	queryIn, err := c.Accept(emptyPost, "", nil)
	require.NoError(t, err, "a POST with an empty body is read from its query string")

	require.Regexp(t, timeLedKey, get.DedupKey)
	require.Equal(t, get.DedupKey, post.DedupKey, "the same update through GET and POST is one message")
	require.Equal(t, get.DedupKey, formIn.DedupKey)
	require.Equal(t, get.DedupKey, queryIn.DedupKey)

	other := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier?order=ASK1&statuscode=take&statustime=20230717094744", nil)
	otherIn, err := c.Accept(other, "", nil)
	require.NoError(t, err)
	require.NotEqual(t, get.DedupKey, otherIn.DedupKey, "a later update of the same code is a new message")
	require.NotEqual(t, DedupKey(&Message{Order: "AB", StatusCode: "C", StatusTime: "D"}),
		DedupKey(&Message{Order: "A", StatusCode: "BC", StatusTime: "D"}), "the fields are separated")
}

// goldenCase is what a golden file holds: what Accept made of the request
// and what Normalize made of the committed message.
type goldenCase struct {
	DedupKey    string                 `json:"dedup_key"`
	ContentType string                 `json:"content_type"`
	Meta        map[string]string      `json:"meta"`
	Updates     []model.ShipmentUpdate `json:"updates"`
}

// requestFor builds the courier's request from a file in testdata/requests:
// *.url is a GET to that URL, *.json a JSON POST, *.form a form POST.
func requestFor(t *testing.T, path string) (*http.Request, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	switch filepath.Ext(path) {
	case ".url":
		u, err := url.Parse(strings.TrimSpace(string(raw)))
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier?"+u.RawQuery, nil)
		return r, nil
	case ".json":
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/json")
		return r, raw
	case ".form":
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r, raw
	}
	t.Fatalf("unknown request file %s", path)
	return nil, nil
}

func TestGoldenNormalization(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/requests/*")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10)
	c := newTestConnector(t, Settings{InboundAPIKey: "k"})
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, body := requestFor(t, path)
			in, err := c.Accept(r, "", body)
			require.NoError(t, err)
			msg := &model.InboxMessage{
				ID: 42, Workspace: "acme", Connection: "courier", Provider: "courier",
				Source: model.SourceWebhook, DedupKey: in.DedupKey, ContentType: in.ContentType,
				Meta: in.Meta, Body: in.Body,
			}
			updates, err := shipments(c.Normalize(msg))
			require.NoError(t, err)
			checkGolden(t, filepath.Join("testdata", "golden", name+".json"), goldenCase{in.DedupKey, in.ContentType, in.Meta, updates})
		})
	}
}

// checkGolden compares v, as indented JSON, with a golden file; -update
// rewrites the file first.
func checkGolden(t *testing.T, golden string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create %s", golden)
	require.Equal(t, string(want), string(got))
}

func TestNormalizeTheDocumentsPostExample(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	r, body := requestFor(t, "testdata/requests/document_post.json")
	in, err := c.Accept(r, "", body)
	require.NoError(t, err)
	updates, err := shipments(c.Normalize(&model.InboxMessage{ID: 7, Source: model.SourceWebhook, ContentType: in.ContentType, Body: in.Body}))
	require.NoError(t, err)
	require.Len(t, updates, 1)
	u := updates[0]
	require.Equal(t, "ASK132456798", u.ProviderRef)
	require.Equal(t, []model.Reference{{Kind: "order", Value: "ASK132456798"}, {Kind: "merchant_reference", Value: "anc/20221588"}}, u.References)
	require.Nil(t, u.Attributes)
	require.Len(t, u.Events, 1)
	ev := u.Events[0]
	require.Equal(t, model.StatusInTransit, ev.Status)
	require.Equal(t, "take", ev.ProviderCode)
	require.Equal(t, "PROCESSING", ev.ProviderGroup)
	require.Equal(t, "take|20230719110649", ev.DedupKey)
	require.Equal(t, time.Date(2023, 7, 19, 9, 6, 49, 0, time.UTC), ev.OccurredAt, "11:06:49 in Brussels summer time is 09:06:49 UTC")
	require.Equal(t, int64(7), ev.InboxID)
	require.Equal(t, model.SourceWebhook, ev.Source)
	require.Equal(t, map[string]string{"nl": "Mee met koerier", "en": "Taken by courier", "fr": "En route avec courier"}, ev.Labels)
	require.NotNil(t, ev.Scan)
	require.Equal(t, "PRISCILLA RAES", ev.Scan.By)
	require.Equal(t, time.Date(2023, 7, 19, 8, 33, 4, 0, time.UTC), *ev.Scan.At)
	require.NotNil(t, ev.Location)
	require.InDelta(t, 51.234535, *ev.Location.Lat, 1e-9)
	require.InDelta(t, 4.410024, *ev.Location.Lon, 1e-9)
}

func TestNormalizeReadsStatustimeInTheConnectionsTimezone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, tz, statustime string
		want                 time.Time
	}{
		{"BrusselsWinterTimeIsUTCPlusOne", "Europe/Brussels", "20240115083000", time.Date(2024, 1, 15, 7, 30, 0, 0, time.UTC)},
		{"BrusselsSummerTimeIsUTCPlusTwo", "Europe/Brussels", "20230625143015", time.Date(2023, 6, 25, 12, 30, 15, 0, time.UTC)},
		{"TheLastSecondBeforeTheSpringChange", "Europe/Brussels", "20240331015959", time.Date(2024, 3, 31, 0, 59, 59, 0, time.UTC)},
		{"TheFirstSecondAfterTheSpringChange", "Europe/Brussels", "20240331030000", time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC)},
		{"AnotherZoneIsHonoured", "America/New_York", "20240115083000", time.Date(2024, 1, 15, 13, 30, 0, 0, time.UTC)},
		{"UTCIsHonoured", "UTC", "20240115083000", time.Date(2024, 1, 15, 8, 30, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestConnector(t, Settings{Timezone: tc.tz})
			body := []byte(`{"order":"ASK1","statuscode":"take","statustime":"` + tc.statustime + `"}`)
			updates, err := shipments(c.Normalize(&model.InboxMessage{ContentType: ContentTypeJSON, Body: body}))
			require.NoError(t, err)
			require.Equal(t, tc.want, updates[0].Events[0].OccurredAt)
			require.Equal(t, time.UTC, updates[0].Events[0].OccurredAt.Location())
		})
	}
}

func TestNormalizeRefusesWhatItCannotDecode(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	cases := []struct {
		name        string
		contentType string
		body        string
		want        error
	}{
		{"AnXMLBodyWithoutOrder", "application/xml", `<status/>`, provider.ErrBadInput},
		{"YAMLIsNotACourierFormat", "application/yaml", `order: A`, provider.ErrUnsupportedMedia},
		{"AJSONBodyWithoutOrder", "application/json", `{"statuscode":"take","statustime":"20230717094743"}`, provider.ErrBadInput},
		{"AFormWithABadTime", ContentTypeForm, "order=A&statuscode=take&statustime=x", provider.ErrBadInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := shipments(c.Normalize(&model.InboxMessage{ID: 9, ContentType: tc.contentType, Body: []byte(tc.body)}))
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), "message 9")
		})
	}
}

// TestNormalizeNeverMakesADoubtfulTerminalStatus: a terminal status is
// final, so a code whose rows disagree, or a partial delivery, must not
// become one; a code no row knows takes its group's meaning.
func TestNormalizeNeverMakesADoubtfulTerminalStatus(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	cases := []struct {
		name, code, group string
		labels            Labels
		status            model.Status
		substatus         string
		unmapped          bool
	}{
		{"NotOk98WithoutLabelsIsAnException", "notOk_98", "NOTOK", Labels{}, model.StatusException, "", false},
		{"NotOk98StreetUnknownInFrench", "notOk_98", "NOTOK", Labels{FR: "RUE INCONNUE"}, model.StatusException, model.SubAddressIssue, false},
		{"NotOk98IncompleteIsNotDelivered", "notOk_98", "NOTOK", Labels{NL: "ZENDING ONVOLLEDIG GELEVERD"}, model.StatusException, model.SubPartialDelivery, false},
		{"PartialDeliveryOfADistributorIsInTransit", "DPD_207", "PROCESSING", Labels{}, model.StatusInTransit, model.SubPartialDelivery, false},
		{"ADistributorPrefixMayContainAnUnderscore", "GLS_BE_205", "DELIVERED", Labels{}, model.StatusDelivered, model.SubDeliveredNeighbour, false},
		{"AnUnknownCodeOfGroupDeliveredIsDelivered", "DELIVERED_LOCKER", "DELIVERED", Labels{}, model.StatusDelivered, "", true},
		{"AnUnknownCodeOfGroupCancelledIsCancelled", "AN_NEW", "cancelled", Labels{}, model.StatusCancelled, "", true},
		{"AnUnknownCodeOfGroupProcessingIsInTransit", "TELEPORTED", "PROCESSING", Labels{}, model.StatusInTransit, "", true},
		{"AnUnknownCodeOfGroupWarningIsAnException", "NEW_WARNING", "WARNING", Labels{}, model.StatusException, "", true},
		{"AnUnknownCodeOfGroupNotOkIsAnException", "notOk_999", "NOTOK", Labels{}, model.StatusException, "", true},
		{"AnUnknownCodeWithoutGroupIsUnknown", "TELEPORTED", "", Labels{}, model.StatusUnknown, "", true},
		{"AnUnknownCodeOfAnUnknownGroupIsUnknown", "TELEPORTED", "MAYBE", Labels{}, model.StatusUnknown, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, err := json.Marshal(map[string]string{
				"order": "ASK1", "status": tc.group, "statuscode": tc.code, "statustime": "20230802091500",
				"statusNL": tc.labels.NL, "statusFR": tc.labels.FR, "statusEN": tc.labels.EN,
			})
			require.NoError(t, err)
			updates, err := shipments(c.Normalize(&model.InboxMessage{ContentType: ContentTypeJSON, Body: body}))
			require.NoError(t, err)
			ev := updates[0].Events[0]
			require.Equal(t, tc.status, ev.Status)
			require.Equal(t, tc.substatus, ev.Substatus)
			require.Equal(t, tc.code, ev.ProviderCode, "the raw code is kept")
			require.Equal(t, tc.unmapped, ev.Unmapped, "a code no row maps is counted as unmapped")
		})
	}
}

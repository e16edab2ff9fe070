package courier

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// acceptThenNormalize checks the contract between Accept and Normalize:
// whatever is acknowledged can be normalised, into exactly one sane update.
func acceptThenNormalize(t *testing.T, c *Connector, r *http.Request, body []byte) {
	t.Helper()
	in, err := c.Accept(r, "", body)
	if err != nil {
		return
	}
	updates, err := shipments(c.Normalize(&model.InboxMessage{ID: 1, Source: model.SourceWebhook, ContentType: in.ContentType, Body: in.Body}))
	require.NoError(t, err, "Accept acknowledged a message Normalize cannot normalise")
	require.Len(t, updates, 1)
	u := updates[0]
	require.NotEmpty(t, u.ProviderRef)
	require.Len(t, u.Events, 1)
	ev := u.Events[0]
	require.True(t, ev.Status.Valid())
	require.NotEmpty(t, ev.ProviderCode)
	require.Equal(t, time.UTC, ev.OccurredAt.Location())
	require.Regexp(t, timeLedKey, in.DedupKey)
}

func documentExample(f *testing.F, name string) string {
	f.Helper()
	raw, err := os.ReadFile("testdata/requests/" + name)
	require.NoError(f, err)
	return strings.TrimSpace(string(raw))
}

func FuzzAcceptQuery(f *testing.F) {
	u, err := url.Parse(documentExample(f, "document_get.url"))
	require.NoError(f, err)
	f.Add(u.RawQuery)
	f.Add(validQuery)
	f.Add("order=A&statuscode=BPOST_205&statustime=20231029023000&comment=GPS%3A+lat+1+-+lon+2")
	f.Add("order=%zz")
	f.Add("")
	c := newTestConnector(f, Settings{})
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/hooks/acme/courier", nil)
		r.URL.RawQuery = query
		acceptThenNormalize(t, c, r, nil)
		// The same query posted as a form is the same message.
		form := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", strings.NewReader(query))
		form.Header.Set("Content-Type", ContentTypeForm)
		acceptThenNormalize(t, c, form, []byte(query))
	})
}

func FuzzAcceptJSON(f *testing.F) {
	f.Add(documentExample(f, "document_post.json"))
	f.Add(`{"order":1,"statuscode":true,"statustime":20230719110649,"signatures":[{"a":1},"s",null],"pictures":"p"}`)
	f.Add(`{"order":"A","statuscode":"notOk_98","statustime":"20230719110649","statusNL":"STRAAT ONBEKEND"}`)
	f.Add(`{"order":"A",`)
	f.Add(`[]`)
	c := newTestConnector(f, Settings{})
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", bytes.NewReader([]byte(body)))
		r.Header.Set("Content-Type", "application/json")
		acceptThenNormalize(t, c, r, []byte(body))
	})
}

func FuzzParseComment(f *testing.F) {
	f.Add("TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024")
	f.Add("GPS: lat 91 - lon 4")
	f.Add("on: 2023-02-31 Time: 99:99:99 scan  by\tX gsm :")
	f.Add("")
	brussels, err := time.LoadLocation("Europe/Brussels")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, comment string) {
		scan, location := ParseComment(comment, brussels)
		if location != nil {
			require.NotNil(t, location.Lat)
			require.NotNil(t, location.Lon)
			require.False(t, math.IsNaN(*location.Lat) || math.IsNaN(*location.Lon))
			require.LessOrEqual(t, math.Abs(*location.Lat), 90.0)
			require.LessOrEqual(t, math.Abs(*location.Lon), 180.0)
		}
		if scan != nil {
			require.True(t, scan.At != nil || scan.By != "" || scan.Phone != "" || scan.Status != "", "an empty scan is nil")
			for _, part := range []string{scan.By, scan.Phone, scan.Status} {
				require.Equal(t, strings.TrimSpace(part), part)
				require.Contains(t, comment, part, "parts are cut from the comment")
			}
			if scan.At != nil {
				require.Equal(t, time.UTC, scan.At.Location())
			}
		}
	})
}

// FuzzLookupStatus: any code and labels give a valid status, and a code whose
// rows include a non-terminal one is terminal only when the labels leave
// nothing but terminal rows.
func FuzzLookupStatus(f *testing.F) {
	f.Add("notOk_98", "", "", "", "NOTOK")
	f.Add("notOk_98", "STRAAT ONBEKEND", "LIVRAISON INCOMPLÈTE", "", "NOTOK")
	f.Add("GLS_BE_205", "", "", "", "DELIVERED")
	f.Add("bpost_207", "gedeeltelijke levering", "", "", "PROCESSING")
	f.Add("notOk_1_205", "", "", "", "")
	f.Add("NEW", "x", "y", "z", "delivered")
	byCode := map[string][]StatusRow{}
	for _, r := range Statuses() {
		byCode[r.Code] = append(byCode[r.Code], r)
	}
	f.Fuzz(func(t *testing.T, code, nl, fr, en, group string) {
		labels := Labels{NL: nl, FR: fr, EN: en}
		row, ok := LookupStatus(code, labels)
		if !ok {
			require.Equal(t, StatusRow{}, row)
			g, gok := LookupGroup(group)
			if gok {
				require.True(t, g.Status.Valid())
			}
			return
		}
		require.True(t, row.Status.Valid())
		require.True(t, knownSubstatuses[row.Substatus])
		rows := byCode[strings.TrimSpace(code)]
		if !row.Status.Terminal() || len(rows) < 2 {
			return
		}
		for _, r := range rows {
			require.True(t, r.Status.Terminal() || !matchesAll(r, labels),
				"code %q with labels %+v is %s, though row %q is not terminal", code, labels, row.Status, r.NL)
		}
	})
}

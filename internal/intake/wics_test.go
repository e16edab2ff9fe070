package intake_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/provider/wics"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// newWICSReceiver is the real intake with two WICS connections: "wics"
// receives every topic, "stockonly" the stock topic only.
func newWICSReceiver(t testing.TB, inbox intake.Inbox) *intake.HTTP {
	t.Helper()
	h, err := intake.NewHTTP(intake.HTTPConfig{Inbox: inbox, Connections: newWICSConns(t), MaxBodyBytes: 1 << 16})
	require.NoError(t, err)
	return h
}

func newWICSConns(t testing.TB) *connections.Set {
	t.Helper()
	registry.RegisterAll()
	settings := func(topics ...string) map[string]any {
		s := map[string]any{"base_url": "https://test.servicelayer.wics.nl", "api_key": "key-1", "api_secret": "s3cret"}
		if len(topics) > 0 {
			s["topics"] = topics
		}
		return s
	}
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "wics", Provider: "wics", Settings: settings()},
		{ID: "stockonly", Provider: "wics", Settings: settings("stock")},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	return conns
}

func wicsExample(t testing.TB, topic string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "provider", "wics", "testdata", "examples", topic+".json"))
	require.NoError(t, err)
	return string(raw)
}

// TestWICSWebhooks: every topic's document example is taken through the
// real intake with the document's literal Basic header; an unknown or
// unsubscribed topic is 404, wrong credentials 401, a wrong shape 400
// naming the field, and none of them stores anything.
func TestWICSWebhooks(t *testing.T) {
	t.Parallel()
	literal := map[string]string{"Authorization": "Basic key-1:s3cret", "Content-Type": "application/json"}
	b64 := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("key-1:s3cret"))}
	type tc struct {
		name       string
		target     string
		body       string
		header     map[string]string
		wantStatus int
		wantDetail string
	}
	var tests []tc
	for _, topic := range wics.Topics() {
		tests = append(tests, tc{"Example/" + string(topic), "/hooks/acme/wics/" + string(topic), wicsExample(t, string(topic)), literal, 200, ""})
	}
	tests = append(tests,
		tc{"Base64Basic", "/hooks/acme/wics/stock", wicsExample(t, "stock"), b64, 200, ""},
		tc{"TopicInAnotherCase", "/hooks/acme/wics/StockMutation", wicsExample(t, "stockmutation"), literal, 200, ""},
		tc{"WrongSecretIs401", "/hooks/acme/wics/stock", wicsExample(t, "stock"), map[string]string{"Authorization": "Basic key-1:nope"}, 401, ""},
		tc{"NoHeaderIs401", "/hooks/acme/wics/stock", wicsExample(t, "stock"), nil, 401, ""},
		tc{"UnknownTopicIs404", "/hooks/acme/wics/stocks", wicsExample(t, "stock"), literal, 404, `unknown wics topic "stocks"`},
		tc{"NoTopicIs404", "/hooks/acme/wics", wicsExample(t, "stock"), literal, 404, "{topic}"},
		tc{"UnsubscribedTopicIs404", "/hooks/acme/stockonly/shipment", wicsExample(t, "shipment"), literal, 404, "not in this connection's topics"},
		tc{"WrongShapeIs400NamingTheField", "/hooks/acme/wics/receipt",
			strings.Replace(wicsExample(t, "receipt"), `"quantityReceived": 4`, `"quantityReceived": "four"`, 1), literal, 400, "lines[0].quantityReceived"},
		tc{"MalformedJSONIs400", "/hooks/acme/wics/stock", `{"itemCode": `, literal, 400, "invalid JSON"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inbox := &recordingInbox{}
			h := newWICSReceiver(t, inbox)
			rec := serve(h, http.MethodPost, tt.target, tt.body, tt.header)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantStatus != http.StatusOK {
				require.Equal(t, 0, inbox.count(), "a refused request stores nothing")
				require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
				var p struct {
					Status int    `json:"status"`
					Detail string `json:"detail"`
				}
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
				require.Equal(t, tt.wantStatus, p.Status)
				require.Contains(t, p.Detail, tt.wantDetail)
				require.NotContains(t, p.Detail, "s3cret")
				return
			}
			require.Equal(t, 1, inbox.count())
			m := inbox.msgs[0]
			require.Equal(t, "wics", m.Provider)
			require.NotEmpty(t, m.Topic)
			require.Equal(t, tt.body, string(m.Body), "the raw body is stored as received")
			require.NotContains(t, strings.Join(mapValues(m.Meta), ""), "s3cret", "credentials are never stored")
		})
	}
}

// TestWICSRetryIsADuplicate: WICS's retry of a webhook is acknowledged as a
// duplicate and stored once; what was tolerated is recorded in the inbox.
func TestWICSRetryIsADuplicate(t *testing.T) {
	t.Parallel()
	inbox := &recordingInbox{}
	h := newWICSReceiver(t, inbox)
	header := map[string]string{"Authorization": "Basic key-1:s3cret"}
	body := wicsExample(t, "receipt")
	first := serve(h, http.MethodPost, "/hooks/acme/wics/receipt", body, header)
	second := serve(h, http.MethodPost, "/hooks/acme/wics/receipt", body, header)
	require.JSONEq(t, `{"status":"accepted","id":1}`, first.Body.String())
	require.JSONEq(t, `{"status":"duplicate","id":1}`, second.Body.String())
	require.Equal(t, 1, inbox.count())
	require.JSONEq(t, `["trailing comma at offset 768"]`, inbox.msgs[0].Meta[wics.MetaTolerated])
}

// TestWICSSimulatorStreamIsAcceptedAndNormalised: everything the WICS
// simulator sends (the document's examples and a world of orders, stock,
// receipts and returns) is acknowledged by the real intake at the first
// attempt, and every stored message normalises to at least one change.
func TestWICSSimulatorStreamIsAcceptedAndNormalised(t *testing.T) {
	t.Parallel()
	inbox := &recordingInbox{}
	h := newWICSReceiver(t, inbox)
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, b64 := range []bool{false, true} {
		sim, err := wicssim.New(wicssim.Config{
			URL: srv.URL + "/hooks/acme/wics", APIKey: "key-1", APISecret: "s3cret", Base64Auth: b64,
			Orders: 12, Step: -1, Seed: 7, TimeScale: 1e-6, SkipExamples: b64,
		})
		require.NoError(t, err)
		require.NoError(t, sim.Run(context.Background()))
		st := sim.Stats()
		require.NotZero(t, st.Sent)
		require.Equal(t, st.Sent, st.Acked, "every message acknowledged")
		require.Zero(t, st.Retried, "at the first attempt")
		for _, topic := range wics.Topics() {
			require.NotZero(t, st.Topics[string(topic)].Acked, "topic %s", topic)
		}
	}
	conns := newWICSConns(t)
	conn, ok := conns.Lookup("acme", "wics")
	require.True(t, ok)
	for _, m := range inbox.msgs {
		ch, err := conn.Connector.Normalize(m)
		require.NoError(t, err, "%s %s", m.Topic, m.Body)
		require.NotZero(t, ch.Len(), "%s %s", m.Topic, m.Body)
	}
}

// TestWICSKeyLimitIsThePipelines: the connector refuses at the intake the
// identifiers the pipeline would refuse after the acknowledgement.
func TestWICSKeyLimitIsThePipelines(t *testing.T) {
	t.Parallel()
	require.Equal(t, pipeline.MaxKeyBytes, wics.MaxKeyBytes)
}

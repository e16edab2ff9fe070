// Package mixed builds an inbox of real provider messages of three kinds:
// the recorded WICS webhook stream, courier status journeys and Winkelstraat
// shipment pushes, each made by its connector's Accept exactly as intake
// would commit it. The apply benchmark and the PostgreSQL plan test both
// need such an inbox; building it here keeps the two measuring the same
// messages.
//
// The WICS stream and the courier journeys are the same on every build.
// The Winkelstraat simulator dates its journeys just before the moment it
// is built, so their timestamps (and with them their bodies and dedup
// keys) move with the clock; their number and order do not.
package mixed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/sim/couriersim"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/sim/winkelstraatsim"
)

// The connection ids of the inbox's one workspace.
const (
	WICS         = "wics"
	Courier      = "courier"
	Winkelstraat = "ws"
)

// courierStart is when the first courier journey begins: fixed, so that
// the courier messages are the same on every build.
var courierStart = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

// Config sizes a mixed inbox.
type Config struct {
	// Workspace is the one workspace of the connections. It also names the
	// connections' credentials and the hook URLs the messages arrive on.
	Workspace string
	// WICSOrders is how many order lives the recorded WICS stream holds
	// (each some nineteen messages, over the nine webhook topics); at
	// least 1.
	WICSOrders int
	// Journeys and Messages size the courier and the Winkelstraat streams
	// alike: each gets whole journeys, in order, until it has at least
	// Journeys journeys and at least Messages messages.
	Journeys, Messages int
}

// Inbox is a built mixed inbox: the connections its messages arrive on,
// and the messages by stream, each stream in the order its provider sends
// it.
type Inbox struct {
	// Connections holds the WICS, Courier and Winkelstraat connections of
	// Config.Workspace.
	Connections *connections.Set
	// WICS is the recorded WICS stream.
	WICS []*model.InboxMessage
	// Courier and Winkelstraat hold one journey (one parcel's or one
	// shipment's pushes) each.
	Courier, Winkelstraat [][]*model.InboxMessage
}

// New builds the connections and the messages of cfg. It fails when a
// connector refuses a message: an inbox a benchmark drains must hold only
// what intake would have committed.
func New(cfg Config) (*Inbox, error) {
	if cfg.Workspace == "" {
		return nil, errors.New("building a mixed inbox: the workspace is required")
	}
	ws := cfg.Workspace
	registry.RegisterAll()
	conns, err := connections.Build(&config.Config{Workspaces: []config.Workspace{{ID: ws, Connections: []config.Connection{
		{ID: WICS, Provider: "wics", Settings: map[string]any{
			"base_url": "https://test.servicelayer.wics.nl", "api_key": ws, "api_secret": ws,
			"reconcile": false, "manage_subscriptions": false}},
		{ID: Courier, Provider: "courier", Settings: map[string]any{"inbound_api_key": ws}},
		{ID: Winkelstraat, Provider: "winkelstraat", Settings: map[string]any{"inbound_api_key": ws}},
	}}}})
	if err != nil {
		return nil, fmt.Errorf("building the mixed inbox's connections: %w", err)
	}
	in := &Inbox{Connections: conns}
	accept := func(connection, topic, url string, body []byte) (*model.InboxMessage, error) {
		c, ok := conns.Lookup(ws, connection)
		if !ok {
			return nil, fmt.Errorf("no connection %s", connection)
		}
		recv, ok := c.Connector.(provider.WebhookReceiver)
		if !ok {
			return nil, fmt.Errorf("connection %s takes no webhooks", connection)
		}
		r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		got, err := recv.Accept(r, topic, body)
		if err != nil {
			return nil, fmt.Errorf("accepting a %s message (topic %q): %w", connection, topic, err)
		}
		return &model.InboxMessage{Workspace: ws, Connection: connection, Provider: c.Provider,
			Source: model.SourceWebhook, Topic: topic, DedupKey: got.DedupKey, ContentType: got.ContentType,
			Meta: got.Meta, Body: got.Body, ReceivedAt: time.Now().UTC()}, nil
	}
	enough := func(journeys [][]*model.InboxMessage, messages int) bool {
		return len(journeys) >= cfg.Journeys && messages >= cfg.Messages
	}

	recorded, err := wicssim.Record(context.Background(), wicssim.RecordConfig{Orders: cfg.WICSOrders, Seed: 1})
	if err != nil {
		return nil, err
	}
	for _, m := range recorded {
		msg, err := accept(WICS, m.Topic, "/hooks/"+ws+"/"+WICS+"/"+m.Topic, m.Body)
		if err != nil {
			return nil, err
		}
		in.WICS = append(in.WICS, msg)
	}

	for n, total := int64(0), 0; !enough(in.Courier, total); n++ {
		var journey []*model.InboxMessage
		for _, u := range couriersim.Journey(1, n, courierStart) {
			msg, err := accept(Courier, "", "/hooks/"+ws+"/"+Courier, couriersim.PostBody(u))
			if err != nil {
				return nil, err
			}
			journey = append(journey, msg)
		}
		in.Courier = append(in.Courier, journey)
		total += len(journey)
	}

	sim, err := winkelstraatsim.New(winkelstraatsim.Config{URL: "http://127.0.0.1/hooks/" + ws + "/" + Winkelstraat, APIKey: ws, Seed: 1})
	if err != nil {
		return nil, err
	}
	for n, total := 0, 0; !enough(in.Winkelstraat, total); n++ {
		var journey []*model.InboxMessage
		for _, sh := range sim.Journey(n) {
			body, err := json.Marshal(sh)
			if err != nil {
				return nil, fmt.Errorf("encoding a winkelstraat push: %w", err)
			}
			msg, err := accept(Winkelstraat, "", "/hooks/"+ws+"/"+Winkelstraat, body)
			if err != nil {
				return nil, err
			}
			journey = append(journey, msg)
		}
		in.Winkelstraat = append(in.Winkelstraat, journey)
		total += len(journey)
	}
	return in, nil
}

// Interleaved is every message, one of each stream in turn (WICS, courier,
// Winkelstraat), each stream in its own order: as three providers sending
// at once would fill the inbox.
func (in *Inbox) Interleaved() []*model.InboxMessage {
	streams := [][]*model.InboxMessage{in.WICS, flatten(in.Courier), flatten(in.Winkelstraat)}
	var out []*model.InboxMessage
	for i := 0; ; i++ {
		more := false
		for _, s := range streams {
			if i < len(s) {
				out = append(out, s[i])
				more = true
			}
		}
		if !more {
			return out
		}
	}
}

func flatten(journeys [][]*model.InboxMessage) []*model.InboxMessage {
	var out []*model.InboxMessage
	for _, j := range journeys {
		out = append(out, j...)
	}
	return out
}

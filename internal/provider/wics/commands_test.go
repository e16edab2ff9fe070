package wics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// wcWICS is a small stateful Service Layer for the command sender: orders,
// items and announcements, answering as the document shows.
type wcWICS struct {
	*wcServer
	mu            sync.Mutex
	next          int
	orders        map[string]map[string]any // by number
	items         map[string]map[string]any // by code
	announcements map[string]map[string]any // by number
	// refuse, when set, answers every create with it (status, body).
	refuse *[2]string
	// noAnnouncementNumber makes announcement creates answer data null.
	noAnnouncementNumber bool
	// keepCancelled keeps a deleted order, with status 90, and refuses a
	// second DELETE of it (as the simulator does).
	keepCancelled bool
	// refuseDelete refuses every DELETE of an order as shipped.
	refuseDelete bool
}

func newWCWICS(t *testing.T) *wcWICS {
	f := &wcWICS{next: 13295, orders: map[string]map[string]any{}, items: map[string]map[string]any{}, announcements: map[string]map[string]any{}}
	f.wcServer = newWCServer(t, f.handle)
	return f
}

func (f *wcWICS) handle(w http.ResponseWriter, r *wcRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path, _ := url.PathUnescape(r.Path)
	seg := strings.Split(strings.TrimPrefix(path, "/api/"), "/")
	list := func(m map[string]map[string]any, key, want string) {
		items := []map[string]any{}
		for _, v := range m {
			if fmt.Sprint(v[key]) == want {
				items = append(items, v)
			}
		}
		if r.Query.Get("page") != "1" {
			items = nil
		}
		b, _ := json.Marshal(map[string]any{"code": 200, "message": fmt.Sprintf("List of %d", len(items)), "success": true, "data": items})
		wcAnswer(w, 200, string(b))
	}
	create := func(m map[string]map[string]any, key string) (string, bool) {
		if f.refuse != nil {
			code, _ := strconv.Atoi(f.refuse[0])
			wcAnswer(w, code, f.refuse[1])
			return "", false
		}
		var v map[string]any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			wcAnswer(w, 400, `{"code":400,"message":"Invalid JSON","success":false,"data":null}`)
			return "", false
		}
		id := fmt.Sprint(v[key])
		if key == "" {
			id = strconv.Itoa(f.next)
			f.next++
			v["number"] = id
		}
		m[id] = v
		return id, true
	}
	del := func(m map[string]map[string]any, id string) {
		if _, ok := m[id]; !ok {
			wcAnswer(w, 404, `{"code":404,"message":"`+id+` not found","success":false,"data":null}`)
			return
		}
		delete(m, id)
		wcAnswer(w, 200, `{"code":200,"message":"`+id+` deleted succesfully","success":true,"data":null}`)
	}
	switch {
	case r.Method == "GET" && path == "/api/order":
		list(f.orders, "reference", r.Query.Get("reference"))
	case r.Method == "POST" && path == "/api/order":
		var v map[string]any
		_ = json.Unmarshal(r.Body, &v)
		if v["deliveryDate"] == nil && f.refuse == nil {
			wcAnswer(w, 422, `{"code":422,"message":"The deliveryDate field is required.","success":false,"data":null}`)
			return
		}
		if id, ok := create(f.orders, ""); ok {
			wcAnswer(w, 201, `{"code":201,"message":"Order with number `+id+` created successfully","success":true,"data":["`+id+`"]}`)
		}
	case r.Method == "DELETE" && len(seg) == 2 && seg[0] == "order" && f.refuseDelete:
		wcAnswer(w, 422, `{"code":422,"message":"Order `+seg[1]+` has been shipped and can no longer be deleted.","success":false,"data":null}`)
	case r.Method == "DELETE" && len(seg) == 2 && seg[0] == "order" && f.keepCancelled:
		o, ok := f.orders[seg[1]]
		switch {
		case !ok:
			wcAnswer(w, 404, `{"code":404,"message":"Order not found","success":false,"data":null}`)
		case o["statusCode"] == "90":
			wcAnswer(w, 422, `{"code":422,"message":"Order `+seg[1]+` is already cancelled.","success":false,"data":null}`)
		default:
			o["statusCode"] = "90"
			wcAnswer(w, 200, `{"code":200,"message":"`+seg[1]+` deleted succesfully","success":true,"data":null}`)
		}
	case r.Method == "DELETE" && len(seg) == 2 && seg[0] == "order":
		del(f.orders, seg[1])
	case r.Method == "GET" && len(seg) == 2 && seg[0] == "order":
		o, ok := f.orders[seg[1]]
		if !ok {
			wcAnswer(w, 404, `{"code":404,"message":"Order not found","success":false,"data":null}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"code": 200, "message": "Order " + seg[1], "success": true, "data": o})
		wcAnswer(w, 200, string(b))
	case r.Method == "GET" && path == "/api/item":
		list(f.items, "code", r.Query.Get("code"))
	case r.Method == "POST" && path == "/api/item":
		if id, ok := create(f.items, "code"); ok {
			wcAnswer(w, 201, `{"code":201,"message":"Item with `+id+` created successfully","success":true,"data":null}`)
		}
	case r.Method == "PUT" && len(seg) == 2 && seg[0] == "item":
		if _, ok := f.items[seg[1]]; !ok {
			wcAnswer(w, 404, `{"code":404,"message":"Item not found","success":false,"data":null}`)
			return
		}
		wcAnswer(w, 200, `{"code":200,"message":"Item with number `+seg[1]+` has been updated.","success":true,"data":["`+seg[1]+`"]}`)
	case r.Method == "GET" && path == "/api/announcement":
		list(f.announcements, "reference", r.Query.Get("reference"))
	case r.Method == "POST" && path == "/api/announcement":
		if id, ok := create(f.announcements, ""); ok {
			if f.noAnnouncementNumber {
				wcAnswer(w, 201, `{"code":201,"message":"Announcement created","success":true,"data":null}`)
				return
			}
			wcAnswer(w, 201, `{"code":201,"message":"Announcement with number `+id+` created successfully","success":true,"data":["`+id+`"]}`)
		}
	case r.Method == "DELETE" && len(seg) == 2 && seg[0] == "announcement":
		del(f.announcements, seg[1])
	default:
		wcAnswer(w, 404, `{"code":404,"message":"no route","success":false,"data":null}`)
	}
}

// count is how many requests of method and path WICS got.
func (f *wcWICS) count(method, path string) int {
	n := 0
	for _, r := range f.requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (f *wcWICS) connector(t *testing.T) *Connector {
	return newConnector(t, func(s *Settings) { s.BaseURL = f.URL; s.WebshopID = 2 })
}

func orderCommand(t testing.TB, id, orderID int64, req model.OrderRequest) *model.Command {
	raw, err := json.Marshal(req)
	require.NoError(t, err)
	return &model.Command{ID: id, Kind: model.CommandOrderCreate, SubjectID: orderID, Payload: raw, Workspace: "acme", Connection: "wics"}
}

func payloadCommand(t testing.TB, kind model.CommandKind, id, subjectID int64, payload any) *model.Command {
	raw, err := json.Marshal(payload)
	require.NoError(t, err)
	return &model.Command{ID: id, Kind: kind, SubjectID: subjectID, Payload: raw}
}

func envWith(l provider.Limiter, subject any) provider.CommandEnv {
	return provider.CommandEnv{Limiter: l, Now: func() time.Time { return wcNow }, Subject: func(context.Context) (any, error) {
		if subject == nil {
			return nil, errors.New("no subject")
		}
		return subject, nil
	}}
}

// normalizeAnswer commits the answer as the worker would and normalises it.
func normalizeAnswer(t *testing.T, c *Connector, ans *provider.CommandAnswer) model.Changes {
	t.Helper()
	ch, err := c.Normalize(&model.InboxMessage{ID: 1, Topic: ans.Topic, DedupKey: ans.Inbound.DedupKey, Body: ans.Inbound.Body, ReceivedAt: received})
	require.NoError(t, err)
	return ch
}

func TestSendOrderCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newWCWICS(t)
	c := f.connector(t)
	l := &wcLimiter{}
	cmd := orderCommand(t, 7, 42, documentOrder())
	require.NoError(t, c.ValidateCommand(cmd))
	cmd.Attempts = 1 // the worker counts the attempt before it sends

	ans, err := c.SendCommand(ctx, envWith(l, nil), cmd)
	require.NoError(t, err)
	require.Equal(t, TopicCommandOrder, ans.Topic)
	require.Equal(t, "command:7", ans.Inbound.DedupKey)
	require.Zero(t, f.count("GET", "/api/order"), "a first attempt has sent nothing before: no lookup")
	require.Equal(t, 1, f.count("POST", "/api/order"))
	for _, r := range f.requests() {
		if r.Method == "POST" {
			requireSameJSON(t, string(mustGolden(t, "orderbody/document_order")), r.Body)
		}
	}
	for _, p := range l.waits {
		require.Equal(t, provider.PriorityUrgent, p, "commands are urgent work")
	}
	require.Len(t, l.waits, 1, "every request waits on the budget")

	ch := normalizeAnswer(t, c, ans)
	require.Len(t, ch.Orders, 1)
	u := ch.Orders[0]
	require.Equal(t, "SO510001", u.Reference)
	require.Equal(t, "13295", u.ProviderRef)
	require.Equal(t, model.OrderAccepted, u.Status)
	require.Equal(t, 1, u.StatusRank, "ranked as WICS's 00, below every later status")
	require.Len(t, u.Lines, 2)

	t.Run("SentAgainAfterACrashItCreatesNoSecondOrder", func(t *testing.T) {
		cmd.Attempts = 2
		again, err := c.SendCommand(ctx, envWith(l, nil), cmd)
		require.NoError(t, err)
		require.Equal(t, 1, f.count("GET", "/api/order"), "looked up by reference first")
		require.Equal(t, 1, f.count("POST", "/api/order"), "no second POST")
		require.Len(t, f.orders, 1)
		require.Equal(t, ans.Inbound.DedupKey, again.Inbound.DedupKey)
		r, err := DecodeCommandResult(again.Inbound.Body)
		require.NoError(t, err)
		require.True(t, r.Existing)
		require.Equal(t, "13295", r.Number)
		ch := normalizeAnswer(t, c, again)
		require.Equal(t, "13295", ch.Orders[0].ProviderRef)
	})
}

// mustGolden reads a golden file.
func mustGolden(t *testing.T, name string) []byte {
	t.Helper()
	return []byte(apiFixture(t, "../golden/"+name+".json"))
}

func TestSendOrderCreateFindsTheOrderOfAnEarlierAttempt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		meta       any
		wantErr    error
		wantPosted int
	}{
		{name: "CarryingThisOrdersID", meta: map[string]any{MetaOrderID: "42"}},
		{name: "CarryingTheIDAsANumber", meta: map[string]any{MetaOrderID: 42}},
		{name: "CarryingNoIDAtAll", meta: ""},
		{name: "CarryingAnotherOrdersIDIsARefusal", meta: map[string]any{MetaOrderID: "41"}, wantErr: provider.ErrRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newWCWICS(t)
			f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO510001", "statusCode": "30", "metaFields": tc.meta}
			c := f.connector(t)
			ans, err := c.SendCommand(context.Background(), envWith(nil, nil), orderCommand(t, 7, 42, documentOrder()))
			require.Zero(t, f.count("POST", "/api/order"))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.ErrorContains(t, err, "already used at WICS")
				return
			}
			require.NoError(t, err)
			u := normalizeAnswer(t, c, ans).Orders[0]
			require.Equal(t, "13000", u.ProviderRef)
			require.Equal(t, model.OrderAccepted, u.Status)
			require.Equal(t, &model.ProviderStatus{Code: "30", Description: "Bevestigd"}, u.ProviderStatus, "the status WICS states, in its webhooks' words")
			require.Equal(t, 31, u.StatusRank)
		})
	}
}

func TestSendCommandErrors(t *testing.T) {
	t.Parallel()
	noDate := documentOrder()
	noDate.DeliveryDate = ""
	cases := []struct {
		name        string
		req         model.OrderRequest
		refuse      *[2]string
		wantRefused bool
		wantMessage string
		wantAfter   time.Duration
		wantBlocks  int
	}{
		{name: "AMissingDeliveryDateIsRefusedByWICSInItsWords", req: noDate, wantRefused: true,
			wantMessage: "The deliveryDate field is required."},
		{name: "AnUnknownItemInA200IsRefused", req: documentOrder(),
			refuse:      &[2]string{"200", `{"code":400,"message":"Item 16082 does not exist","success":false,"data":null}`},
			wantRefused: true, wantMessage: "Item 16082 does not exist"},
		{name: "ABlockIsRetriedLaterAndTheLimiterTold", req: documentOrder(),
			refuse:    &[2]string{"429", `{"code":429,"message":"Too many requests","success":false,"data":null}`},
			wantAfter: 5 * time.Minute, wantBlocks: 1, wantMessage: "Too many requests"},
		{name: "AServerErrorIsRetried", req: documentOrder(),
			refuse:      &[2]string{"500", `{"code":500,"message":"Database error","success":false,"data":null}`},
			wantMessage: "Database error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newWCWICS(t)
			f.refuse = tc.refuse
			c := f.connector(t)
			cmd := orderCommand(t, 7, 42, tc.req)
			require.NoError(t, c.ValidateCommand(cmd), "nothing here is caught before sending")
			l := &wcLimiter{until: wcNow.Add(5 * time.Minute)}
			_, err := c.SendCommand(context.Background(), envWith(l, nil), cmd)
			require.Error(t, err)
			require.ErrorContains(t, err, tc.wantMessage)
			require.Equal(t, tc.wantRefused, errors.Is(err, provider.ErrRefused), "ErrRefused in %v", err)
			if tc.wantRefused {
				require.True(t, strings.HasSuffix(err.Error(), provider.ErrRefused.Error()+": "+tc.wantMessage), err.Error())
			}
			var ra *provider.RetryAfterError
			if tc.wantAfter > 0 {
				require.True(t, errors.As(err, &ra))
				require.Equal(t, tc.wantAfter, ra.After)
			} else {
				require.False(t, errors.As(err, &ra))
			}
			_, blocks := l.counts()
			require.Equal(t, tc.wantBlocks, blocks)
		})
	}
}

func TestSendOrderCancel(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		order      *model.Order
		stored     bool
		wantDelete string
		wantAbsent bool
	}{
		{name: "ByItsProviderRef", order: &model.Order{Resource: model.Resource{ProviderRef: "13000"}, Reference: "SO1"}, stored: true, wantDelete: "/api/order/13000"},
		{name: "LookedUpByReference", order: &model.Order{Reference: "SO1"}, stored: true, wantDelete: "/api/order/13000"},
		{name: "AnOrderWICSDoesNotHaveIsGone", order: &model.Order{Reference: "SO1"}, wantAbsent: true},
		{name: "A404IsAlreadyDeleted", order: &model.Order{Resource: model.Resource{ProviderRef: "13000"}, Reference: "SO1"}, wantDelete: "/api/order/13000", wantAbsent: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newWCWICS(t)
			if tc.stored {
				f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1"}
			}
			c := f.connector(t)
			ans, err := c.SendCommand(context.Background(), envWith(nil, tc.order), &model.Command{ID: 8, Kind: model.CommandOrderCancel, SubjectID: 42})
			require.NoError(t, err)
			if tc.wantDelete != "" {
				require.Equal(t, 1, f.count("DELETE", tc.wantDelete))
			}
			require.Empty(t, f.orders)
			r, err := DecodeCommandResult(ans.Inbound.Body)
			require.NoError(t, err)
			require.Equal(t, tc.wantAbsent, r.Absent)
			u := normalizeAnswer(t, c, ans).Orders[0]
			require.Equal(t, model.OrderCancelled, u.Status)
			require.Equal(t, "SO1", u.Reference)
			require.Equal(t, 91, u.StatusRank, "cancelled is final")
		})
	}
	t.Run("ASecondDeleteThatWICSRefusesOfACancelledOrderIsDone", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.keepCancelled = true
		f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1", "statusCode": "40"}
		c := f.connector(t)
		cmd := &model.Command{ID: 8, Kind: model.CommandOrderCancel, Attempts: 1}
		order := &model.Order{Resource: model.Resource{ProviderRef: "13000"}, Reference: "SO1"}
		_, err := c.SendCommand(context.Background(), envWith(nil, order), cmd)
		require.NoError(t, err)
		cmd.Attempts = 2
		ans, err := c.SendCommand(context.Background(), envWith(nil, order), cmd)
		require.NoError(t, err, "sent again after a crash")
		require.Equal(t, 2, f.count("DELETE", "/api/order/13000"))
		require.Equal(t, model.OrderCancelled, normalizeAnswer(t, c, ans).Orders[0].Status)
	})
	t.Run("ARefusedDeleteOfAShippedOrderIsARefusal", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1", "statusCode": "70"}
		f.refuseDelete = true
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, &model.Order{Resource: model.Resource{ProviderRef: "13000"}, Reference: "SO1"}),
			&model.Command{ID: 8, Kind: model.CommandOrderCancel})
		require.ErrorIs(t, err, provider.ErrRefused)
		require.ErrorContains(t, err, "has been shipped")
	})
	t.Run("APendingOrderWaitsForItsCreate", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		order := &model.Order{Reference: "SO1", Status: model.OrderPending}
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, order), &model.Command{ID: 8, Kind: model.CommandOrderCancel})
		var ra *provider.RetryAfterError
		require.ErrorAs(t, err, &ra, "cancelling nothing now would let the queued create through")
		require.Equal(t, pendingCreateWait, ra.After)
		require.Zero(t, f.count("DELETE", "/api/order/13000"))
	})
	t.Run("TheSubjectByValue", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1"}
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, model.Order{Reference: "SO1"}), &model.Command{ID: 8, Kind: model.CommandOrderCancel})
		require.NoError(t, err)
		require.Empty(t, f.orders)
	})
	t.Run("TheSubjectMustBeAnOrder", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, &model.Product{}), &model.Command{ID: 8, Kind: model.CommandOrderCancel})
		require.ErrorContains(t, err, "not a *model.Order")
		require.Empty(t, f.requests())
	})
}

func TestSendProductUpsert(t *testing.T) {
	t.Parallel()
	req := model.ProductRequest{SKU: "starterset-01", Name: "School startset", Barcodes: []string{"1398854674"},
		Attributes: map[string]string{"itemGroup": "DIV", "defaultUnit": "ST", "statusCode": "30", "weight": "3.75"}}
	t.Run("CreatedWhenWICSLacksIt", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		c := f.connector(t)
		ans, err := c.SendCommand(context.Background(), envWith(nil, nil), payloadCommand(t, model.CommandProductUpsert, 9, 5, req))
		require.NoError(t, err)
		require.Equal(t, 1, f.count("POST", "/api/item"))
		require.Zero(t, f.count("PUT", "/api/item/starterset-01"))
		for _, r := range f.requests() {
			if r.Method == "POST" {
				require.JSONEq(t, `{"code":"starterset-01","description":"School startset","internalDescription":"School startset",
					"barcode":"1398854674","itemGroup":"DIV","defaultUnit":"ST","statusCode":30,"weight":"3.75"}`, string(r.Body))
			}
		}
		require.Equal(t, TopicCommandProduct, ans.Topic)
		ch := normalizeAnswer(t, c, ans)
		require.Equal(t, []model.ProductUpdate{{AsOf: received, SKU: "starterset-01", ProviderRef: "starterset-01", Name: "School startset",
			Barcodes:   []string{"1398854674"},
			Attributes: map[string]string{"itemGroup": "DIV", "defaultUnit": "ST", "statusCode": "30", "weight": "3.75", "internalDescription": "School startset"}}}, ch.Products)
	})
	t.Run("UpdatedWhenWICSHasIt", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.items["starterset-01"] = map[string]any{"code": "starterset-01", "description": "old"}
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, nil), payloadCommand(t, model.CommandProductUpsert, 9, 5, req))
		require.NoError(t, err)
		require.Zero(t, f.count("POST", "/api/item"), "no second item")
		require.Equal(t, 1, f.count("PUT", "/api/item/starterset-01"))
		for _, r := range f.requests() {
			if r.Method == "PUT" {
				require.JSONEq(t, `{"description":"School startset","defaultUnit":"ST","statusCode":30,"weight":"3.75"}`, string(r.Body))
			}
		}
	})
}

func TestSendInbound(t *testing.T) {
	t.Parallel()
	req := model.InboundRequest{Reference: "PO150002", ExpectedAt: "2022-08-12", Supplier: "86",
		Lines: []model.InboundRequestLine{{SKU: "16082", Quantity: 1}}}
	for _, noNumber := range []bool{false, true} {
		t.Run(fmt.Sprintf("CreateThenRetry/AnswerWithoutNumber=%v", noNumber), func(t *testing.T) {
			t.Parallel()
			f := newWCWICS(t)
			f.noAnnouncementNumber = noNumber
			c := f.connector(t)
			cmd := payloadCommand(t, model.CommandInboundCreate, 11, 3, req)
			require.NoError(t, c.ValidateCommand(cmd))
			cmd.Attempts = 1
			ans, err := c.SendCommand(context.Background(), envWith(nil, nil), cmd)
			require.NoError(t, err)
			require.Equal(t, 1, f.count("POST", "/api/announcement"))
			wantGets := 0
			if noNumber {
				wantGets = 1 // the number is asked for
			}
			require.Equal(t, wantGets, f.count("GET", "/api/announcement"))
			for _, r := range f.requests() {
				if r.Method == "POST" {
					require.JSONEq(t, `{"reference":"PO150002","plannedDate":"2022-08-12","supplier":86,"stockStatus":31,
						"metaFields":{"shiphub_inbound_id":"3","shiphub_command_id":"11"},
						"lines":[{"lineNumber":1,"itemCode":"16082","quantityExpected":1,"lotNumber":"","bestBeforeDate":null}]}`, string(r.Body))
				}
			}
			require.Equal(t, TopicCommandInbound, ans.Topic)
			ch := normalizeAnswer(t, c, ans)
			expected := 1.0
			at := time.Date(2022, 8, 12, 0, 0, 0, 0, time.UTC)
			require.Equal(t, []model.InboundUpdate{{AsOf: received, Reference: "PO150002", ProviderRef: "13295", Status: model.InboundAnnounced,
				ProviderStatus: &model.ProviderStatus{Code: "00", Description: "Aangemaakt"}, StatusRank: 1, ExpectedAt: &at, Lines: []model.InboundLineUpdate{{LineNumber: 1, SKU: "16082", Expected: &expected}}}}, ch.Inbound)

			cmd.Attempts = 2
			_, err = c.SendCommand(context.Background(), envWith(nil, nil), cmd)
			require.NoError(t, err)
			require.Equal(t, 1, f.count("POST", "/api/announcement"), "no second announcement")
		})
	}
	t.Run("AnAnnouncementOfAnotherInboundIsARefusal", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.announcements["2454"] = map[string]any{"number": "2454", "reference": "PO150002", "metaFields": map[string]any{MetaInboundID: "2"}}
		_, err := f.connector(t).SendCommand(context.Background(), envWith(nil, nil), payloadCommand(t, model.CommandInboundCreate, 11, 3, req))
		require.ErrorIs(t, err, provider.ErrRefused)
		require.Zero(t, f.count("POST", "/api/announcement"))
	})
	t.Run("Cancel", func(t *testing.T) {
		t.Parallel()
		f := newWCWICS(t)
		f.announcements["2454"] = map[string]any{"number": "2454", "reference": "PO150001"}
		c := f.connector(t)
		ans, err := c.SendCommand(context.Background(), envWith(nil, &model.Inbound{Reference: "PO150001"}), &model.Command{ID: 12, Kind: model.CommandInboundCancel, SubjectID: 3})
		require.NoError(t, err)
		require.Equal(t, 1, f.count("DELETE", "/api/announcement/2454"))
		u := normalizeAnswer(t, c, ans).Inbound[0]
		require.Equal(t, model.InboundCancelled, u.Status)
		require.Equal(t, "2454", u.ProviderRef)
	})
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	badOrder := documentOrder()
	badOrder.DeliveryAddress.HouseNumber = "zwei"
	cases := []struct {
		name   string
		cmd    *model.Command
		fields []string
	}{
		{name: "AGoodOrder", cmd: orderCommand(t, 0, 0, documentOrder())},
		{name: "AnOrderWithoutDeliveryDateIsSent", cmd: func() *model.Command {
			r := documentOrder()
			r.DeliveryDate = ""
			return orderCommand(t, 0, 0, r)
		}()},
		{name: "AHouseNumberWithoutDigits", cmd: orderCommand(t, 0, 0, badOrder), fields: []string{"delivery_address.house_number"}},
		{name: "AnUnknownProductAttribute", cmd: payloadCommand(t, model.CommandProductUpsert, 0, 0, model.ProductRequest{SKU: "A", Name: "A",
			Attributes: map[string]string{"colour": "red", "weight": "heavy"}}), fields: []string{"attributes.colour", "attributes.weight"}},
		{name: "ATooLongInternalDescription", cmd: payloadCommand(t, model.CommandProductUpsert, 0, 0, model.ProductRequest{SKU: "A", Name: strings.Repeat("n", 60),
			Attributes: map[string]string{"internalDescription": strings.Repeat("i", 41)}}), fields: []string{"attributes.internalDescription"}},
		{name: "ALongNameIsClippedForTheInternalDescription", cmd: payloadCommand(t, model.CommandProductUpsert, 0, 0, model.ProductRequest{SKU: "A", Name: strings.Repeat("n", 60)})},
		{name: "InboundNeedsAPlannedDate", cmd: payloadCommand(t, model.CommandInboundCreate, 0, 0, model.InboundRequest{Reference: "PO1",
			Lines: []model.InboundRequestLine{{SKU: "A", Quantity: 2}}}), fields: []string{"expected_at"}},
		{name: "InboundSupplierIsWICSsNumber", cmd: payloadCommand(t, model.CommandInboundCreate, 0, 0, model.InboundRequest{Reference: "PO1", ExpectedAt: "2026-01-01",
			Supplier: "ACME", Lines: []model.InboundRequestLine{{SKU: "A", Quantity: 0.5}}}), fields: []string{"supplier", "lines[0].quantity"}},
		{name: "CancelsNeedNothing", cmd: &model.Command{Kind: model.CommandOrderCancel}},
		{name: "AnotherKind", cmd: &model.Command{Kind: model.CommandReturnCreate}, fields: []string{"kind"}},
		{name: "APayloadOfAnotherShape", cmd: &model.Command{Kind: model.CommandOrderCreate, Payload: json.RawMessage(`[1]`)}, fields: []string{"payload"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := c.ValidateCommand(tc.cmd)
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			var fe provider.FieldErrors
			require.True(t, errors.As(err, &fe), "FieldErrors, got %v", err)
			var fields []string
			for _, e := range fe {
				fields = append(fields, e.Field)
			}
			require.Equal(t, tc.fields, fields)
		})
	}
	require.Equal(t, []model.CommandKind{"order.create", "order.cancel", "product.upsert", "inbound.create", "inbound.cancel"}, c.CommandKinds())
}

// TestCommandRequestCosts states what each kind costs of the login's
// budget of 150 requests a minute, on a first attempt and when sent again.
func TestCommandRequestCosts(t *testing.T) {
	t.Parallel()
	product := model.ProductRequest{SKU: "16082", Name: "Jack kabel 1m"}
	inbound := model.InboundRequest{Reference: "PO1", ExpectedAt: "2026-01-01", Lines: []model.InboundRequestLine{{SKU: "16082", Quantity: 1}}}
	cases := []struct {
		name     string
		cmd      func() *model.Command
		subject  any
		prepare  func(f *wcWICS)
		attempts int
		want     int
	}{
		{name: "OrderCreateFirstAttempt", cmd: func() *model.Command { return orderCommand(t, 1, 1, documentOrder()) }, attempts: 1, want: 1},
		{name: "OrderCreateSentAgain", cmd: func() *model.Command { return orderCommand(t, 1, 1, documentOrder()) }, attempts: 2, want: 2},
		{name: "OrderCancelByProviderRef", cmd: func() *model.Command { return &model.Command{ID: 2, Kind: model.CommandOrderCancel} },
			subject: &model.Order{Resource: model.Resource{ProviderRef: "13000"}, Reference: "SO1"},
			prepare: func(f *wcWICS) { f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1"} }, attempts: 1, want: 1},
		{name: "OrderCancelByReference", cmd: func() *model.Command { return &model.Command{ID: 2, Kind: model.CommandOrderCancel} },
			subject: &model.Order{Reference: "SO1"},
			prepare: func(f *wcWICS) { f.orders["13000"] = map[string]any{"number": "13000", "reference": "SO1"} }, attempts: 1, want: 2},
		{name: "ProductUpsert", cmd: func() *model.Command { return payloadCommand(t, model.CommandProductUpsert, 3, 1, product) }, attempts: 1, want: 2},
		{name: "InboundCreateFirstAttempt", cmd: func() *model.Command { return payloadCommand(t, model.CommandInboundCreate, 4, 1, inbound) }, attempts: 1, want: 1},
		{name: "InboundCreateSentAgain", cmd: func() *model.Command { return payloadCommand(t, model.CommandInboundCreate, 4, 1, inbound) }, attempts: 2, want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newWCWICS(t)
			if tc.prepare != nil {
				tc.prepare(f)
			}
			l := &wcLimiter{}
			cmd := tc.cmd()
			cmd.Attempts = tc.attempts
			_, err := f.connector(t).SendCommand(context.Background(), envWith(l, tc.subject), cmd)
			require.NoError(t, err)
			waits, _ := l.counts()
			require.Equal(t, tc.want, waits, "requests waited for")
			require.Len(t, f.requests(), tc.want, "requests sent")
		})
	}
}

// BenchmarkSendOrderCreate measures the sender's own cost of an order
// (mapping, encoding, one POST to a loopback fake, the answer), without
// WICS's latency or the budget.
func BenchmarkSendOrderCreate(b *testing.B) {
	srv := newWCServerB(b)
	c, err := NewWithSettings(Settings{BaseURL: srv.URL, APIKey: "key-1", APISecret: "s3cret"})
	require.NoError(b, err)
	cmd := orderCommand(b, 7, 42, documentOrder())
	cmd.Attempts = 1
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendCommand(context.Background(), provider.CommandEnv{}, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

func newWCServerB(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		wcAnswer(w, 201, `{"code":201,"message":"Order with number 13295 created successfully","success":true,"data":["13295"]}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// TestInboundAnswersStateWhatTheWebhookStates: an announcement's create
// and cancel answers state its status as WICS's Announcement status webhook
// for the same code does, provider status included, so the two are one
// statement and their order of arrival cannot change the outcome. (An
// answer that stated no provider status, applied before a webhook received
// earlier, left the announcement without one: the newer statement of the
// same rank wins, and the provider status goes with the status.)
func TestInboundAnswersStateWhatTheWebhookStates(t *testing.T) {
	t.Parallel()
	c := newConnector(t)
	for _, tc := range []struct {
		kind              model.CommandKind
		code, description string
	}{
		{model.CommandInboundCreate, "00", "Aangemaakt"},
		{model.CommandInboundCancel, "90", "Geannuleerd"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			_, hook := accept(t, c, string(TopicAnnouncementStatus),
				replace(t, example(t, TopicAnnouncementStatus), `"00"`, `"`+tc.code+`"`, `"Aangemaakt"`, `"`+tc.description+`"`))
			answer, err := commandChanges(&CommandResult{Kind: tc.kind, Reference: "WT-2508-4", Number: "10344"}, received)
			require.NoError(t, err)
			require.Len(t, hook.Inbound, 1)
			require.Len(t, answer.Inbound, 1)
			h, a := hook.Inbound[0], answer.Inbound[0]
			require.Equal(t, &model.ProviderStatus{Code: tc.code, Description: tc.description}, h.ProviderStatus)
			require.Equal(t, h.Status, a.Status)
			require.Equal(t, h.StatusRank, a.StatusRank)
			require.Equal(t, h.ProviderStatus, a.ProviderStatus)
		})
	}
}

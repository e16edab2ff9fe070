package wicssim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzServer is a server without a listener, driven through ServeHTTP.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	s, err := NewServer(ServerConfig{Users: []User{{Key: keyA, Secret: secretA}}, ProgressStep: -1,
		PerMinute: 1 << 30, PerDay: 1 << 30, Clock: NewManualClock(limitStart)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	return s
}

// serve sends one request and checks the envelope: valid JSON, success
// exactly when the status is 2xx, never a 5xx.
func serve(t *testing.T, s *Server, method, target, body string) int {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.URL.RawQuery = query
	req.SetBasicAuth(keyA, secretA)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var env struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Success *bool  `json:"success"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success == nil {
		t.Fatalf("%s %s: the answer is not the envelope: %v %q", method, target, err, rec.Body.String())
	}
	if rec.Code >= 500 {
		t.Fatalf("%s %s: %d %s", method, target, rec.Code, env.Message)
	}
	if *env.Success != (rec.Code < 300) {
		t.Fatalf("%s %s: success %v with status %d", method, target, *env.Success, rec.Code)
	}
	return rec.Code
}

func FuzzCreateOrder(f *testing.F) {
	s := fuzzServer(f)
	f.Add(string(fixtureF(f, "requests/order-create.json")))
	f.Add(orderJSON("F", `{"itemCode": "16082", "quantity": 1}`))
	f.Add(`{"deliveryDate": "2026-13-40", "lines": [{"itemCode": "", "quantity": -1}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		before := s.Orders()
		code := serve(t, s, "POST", "/api/order", body)
		if created := s.Orders() - before; (code == http.StatusCreated) != (created == 1) {
			t.Fatalf("status %d but %d orders created", code, created)
		}
	})
}

func FuzzCreateAnnouncementAndItem(f *testing.F) {
	s := fuzzServer(f)
	f.Add("/api/announcement", string(fixtureF(f, "requests/announcement-create.json")))
	f.Add("/api/item", string(fixtureF(f, "requests/item-create.json")))
	f.Add("/api/item/list", `[{"code": "x", "internalDescription": "x", "weight": "1.5"}]`)
	f.Add("/api/webhook", string(fixtureF(f, "requests/webhook-create.json")))
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/api/announcement", "/api/item", "/api/item/list":
		default:
			path = "/api/announcement"
		}
		serve(t, s, "POST", path, body)
	})
}

func FuzzListQuery(f *testing.F) {
	s := fuzzServer(f)
	req := httptest.NewRequest("POST", "/api/order", strings.NewReader(orderJSON("Q-1")))
	req.SetBasicAuth(keyA, secretA)
	s.ServeHTTP(httptest.NewRecorder(), req)
	if s.Orders() != 1 {
		f.Fatal("the seed order was not created")
	}
	for _, q := range []string{"reference=Q-1", "priority[gte]=2&page=1&pageSize=5", "deliveryDate[lt]=2027-01-01",
		"nettoSalable[gte]=1000", "page=0", "x[y]=z", "ride=1"} {
		f.Add("order", q)
		f.Add("stock", q)
	}
	f.Fuzz(func(t *testing.T, list, query string) {
		switch list {
		case "order", "stock", "item", "announcement", "receipt", "webhook", "stock/detail":
		default:
			list = "order"
		}
		code := serve(t, s, "GET", "/api/"+list+"?"+query, "")
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Fatalf("a list answered %d", code)
		}
	})
}

func fixtureF(f *testing.F, name string) []byte {
	f.Helper()
	b, err := readFixture(name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

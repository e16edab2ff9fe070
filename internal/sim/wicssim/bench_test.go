package wicssim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchServer holds 10,000 orders, the size of the reconciliation figure.
func benchServer(b *testing.B) *Server {
	b.Helper()
	s, err := NewServer(ServerConfig{Users: []User{{Key: keyA, Secret: secretA}}, ProgressStep: -1,
		PerMinute: 1 << 30, PerDay: 1 << 30, InitialStock: 100000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	s.SeedOrders(10000, "B")
	return s
}

func benchServe(b *testing.B, s *Server, method, target, body string) {
	path, query, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.URL.RawQuery = query
	req.SetBasicAuth(keyA, secretA)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
}

func BenchmarkServer(b *testing.B) {
	s := benchServer(b)
	b.Run("ListOrdersPageOf100", func(b *testing.B) {
		for b.Loop() {
			benchServe(b, s, "GET", "/api/order?page=50&pageSize=100", "")
		}
	})
	b.Run("ListOrdersFilteredByReference", func(b *testing.B) {
		for b.Loop() {
			benchServe(b, s, "GET", "/api/order?reference=B-5000", "")
		}
	})
	b.Run("GetOrder", func(b *testing.B) {
		for b.Loop() {
			benchServe(b, s, "GET", "/api/order/B-5000", "")
		}
	})
	b.Run("CreateOrder", func(b *testing.B) {
		body := orderJSON("NEW")
		for b.Loop() {
			benchServe(b, s, "POST", "/api/order", body)
		}
	})
	_ = http.StatusOK
}

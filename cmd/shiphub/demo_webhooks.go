package main

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
)

// demoMerchant is the demo's merchant webhook receiver on loopback: it
// counts what the hub delivers, by event type, deduplicating by webhook-id
// as a real receiver should.
type demoMerchant struct {
	srv      *http.Server
	url      string
	requests atomic.Int64
	mu       sync.Mutex
	ids      map[string]bool
}

func startDemoMerchant() (*demoMerchant, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the demo merchant receiver: %w", err)
	}
	m := &demoMerchant{url: "http://" + ln.Addr().String() + "/hooks/shiphub", ids: map[string]bool{}}
	m.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		m.mu.Lock()
		m.ids[r.Header.Get("webhook-id")] = true
		m.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

// endpoint is the demo workspace's configured endpoint; the receiver is on
// loopback, so the demo allows private networks.
func (m *demoMerchant) endpoint() []config.Endpoint {
	return []config.Endpoint{{URL: m.url, Events: []string{"*"}, Description: "the demo's merchant receiver"}}
}

func (m *demoMerchant) summary() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("merchant webhooks received %d (%d distinct events)", m.requests.Load(), len(m.ids))
}

func (m *demoMerchant) Close() error { return m.srv.Close() }

// Package gclsim simulates GCL Logistics' tracking API
// (gcl-tracking.txt) for the demo and the tests: GET /v1/tracking/{number}
// serves a realistic history that grows as time passes, in the document's
// shape. It writes the wire format on its own and does not import the
// connector, so the two check each other.
//
// Every number gets a journey derived from its hash: picked up, departure
// scans, sometimes customs, arrival, out for delivery and delivered, or a
// failed attempt, a pickup point, an exception that moves the expected
// delivery date, a parcel not picked up and returned. The journey starts
// when the number is first asked for, and one more checkpoint appears every
// Step. Numbers with these prefixes (any case) behave specially:
//
//	NOTFOUND…  always TRACKING_DETAILS_NOT_FOUND (HTTP 404)
//	LATE…      not found until 2 Steps after the first request
//	SLOW…      answers after SlowDelay
//	FAIL…      every odd-numbered request gets 503 (retries succeed)
//	DOWN…      always 500
//	OOPS…      always HTTP 200 with an error object (INTERNAL_ERROR, with
//	           details): the document gives its error object no status
//	BADCP…     a journey whose first checkpoint has a createdAt that is not
//	           RFC 3339 (the others are fine)
//
// Config.ErrorStatus answers every error object (not found, FAIL, DOWN, a
// wrong key) with one HTTP status instead, e.g. 200.
//
// EXMPL0001234TRCKNUM serves the document's example verbatim. Requests must
// carry "Authorization: Bearer <APIKey>" (Config.AuthHeader and AuthScheme
// change that, as the connection's auth_header and auth_scheme do). The simulator counts the requests
// it receives, per number and per time window, so tests can check a rate
// limit.
package gclsim

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DocumentNumber is the example's tracking number; its answer is the
// document's example, byte for byte.
const DocumentNumber = "EXMPL0001234TRCKNUM"

//go:embed document-example.json
var documentExample []byte

// Config configures a simulator.
type Config struct {
	// APIKey is the bearer token requests must carry. Required.
	APIKey string
	// Step is the time between two checkpoints of a journey; default 2s.
	Step time.Duration
	// SlowDelay is how long SLOW… numbers take to answer; default 3s.
	SlowDelay time.Duration
	// Seed varies the journeys.
	Seed uint64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ErrorStatus, when set, is the HTTP status of every error answer,
	// e.g. 200; by default each error has its own (404, 401, 503, 500).
	ErrorStatus int
	// AuthHeader and AuthScheme are how the key must be sent; defaults
	// Authorization and Bearer, and scheme "none" means the key alone.
	AuthHeader, AuthScheme string
}

// Sim is the simulated API; it is an http.Handler.
type Sim struct {
	cfg Config

	mu        sync.Mutex
	firstSeen map[string]time.Time
	perNumber map[string]int
	hits      []time.Time
	srv       *http.Server
}

// New builds a simulator.
func New(cfg Config) (*Sim, error) {
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("gcl simulator: an api key is required")
	}
	if cfg.Step <= 0 {
		cfg.Step = 2 * time.Second
	}
	if cfg.SlowDelay <= 0 {
		cfg.SlowDelay = 3 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AuthHeader == "" {
		cfg.AuthHeader = "Authorization"
	}
	if cfg.AuthScheme == "" {
		cfg.AuthScheme = "Bearer"
	}
	return &Sim{cfg: cfg, firstSeen: map[string]time.Time{}, perNumber: map[string]int{}}, nil
}

// Start serves the simulator on addr (e.g. 127.0.0.1:0) and returns its base URL.
func (s *Sim) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("gcl simulator: listening on %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a simulator started with Start.
func (s *Sim) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Requests is how many tracking requests arrived (authorised or not).
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hits)
}

// RequestsFor is how many requests asked for one number.
func (s *Sim) RequestsFor(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perNumber[number]
}

// PerWindow counts the requests by fixed window of the given length (by
// arrival time truncated to the window).
func (s *Sim) PerWindow(window time.Duration) map[time.Time]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[time.Time]int{}
	for _, h := range s.hits {
		out[h.Truncate(window)]++
	}
	return out
}

// MaxInAnyWindow is the most requests that arrived within any span of the
// given length (a sliding window, stricter than fixed ones).
func (s *Sim) MaxInAnyWindow(window time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, lo := 0, 0
	for hi := range s.hits {
		for s.hits[hi].Sub(s.hits[lo]) >= window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// ServeHTTP answers GET /v1/tracking/{number}.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	number, ok := strings.CutPrefix(r.URL.Path, "/v1/tracking/")
	if !ok || number == "" || strings.Contains(number, "/") {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "NOT_FOUND", "message": "No such route.", "details": nil})
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.hits = append(s.hits, time.Now())
	s.perNumber[number]++
	n := s.perNumber[number]
	first, seen := s.firstSeen[number]
	if !seen {
		first = now
		s.firstSeen[number] = now
	}
	s.mu.Unlock()

	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": "METHOD_NOT_ALLOWED", "message": "Only GET.", "details": nil})
		return
	}
	got := r.Header.Get(s.cfg.AuthHeader)
	if !strings.EqualFold(s.cfg.AuthScheme, "none") {
		var ok bool
		if got, ok = strings.CutPrefix(got, s.cfg.AuthScheme+" "); !ok {
			got = ""
		}
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIKey)) != 1 {
		s.writeError(w, http.StatusUnauthorized, map[string]any{"trackingNumber": number, "code": "UNAUTHORIZED", "message": "Invalid API key.", "details": nil})
		return
	}
	upper := strings.ToUpper(number)
	switch {
	case strings.HasPrefix(upper, "SLOW"):
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.cfg.SlowDelay):
		}
	case strings.HasPrefix(upper, "FAIL") && n%2 == 1:
		s.writeError(w, http.StatusServiceUnavailable, map[string]any{"code": "SERVICE_UNAVAILABLE", "message": "Try again later.", "details": nil})
		return
	case strings.HasPrefix(upper, "DOWN"):
		s.writeError(w, http.StatusInternalServerError, map[string]any{"code": "INTERNAL_ERROR", "message": "Internal error.", "details": nil})
		return
	case strings.HasPrefix(upper, "OOPS"):
		writeJSON(w, http.StatusOK, OopsAnswer(number))
		return
	}
	if number == DocumentNumber {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(documentExample)
		return
	}
	start := first
	if strings.HasPrefix(upper, "LATE") {
		start = first.Add(2 * s.cfg.Step)
	}
	if strings.HasPrefix(upper, "NOTFOUND") || now.Before(start) {
		s.writeError(w, http.StatusNotFound, notFound(number))
		return
	}
	writeJSON(w, http.StatusOK, s.Tracking(number, start, now))
}

// writeError writes an error object with its own status, or ErrorStatus.
func (s *Sim) writeError(w http.ResponseWriter, status int, v any) {
	if s.cfg.ErrorStatus != 0 {
		status = s.cfg.ErrorStatus
	}
	writeJSON(w, status, v)
}

// OopsAnswer is the error object OOPS… numbers get with HTTP 200, in the
// document's shape with its ResponseErrorDetails filled in.
func OopsAnswer(number string) map[string]any {
	return map[string]any{
		"trackingNumber": number, "code": "INTERNAL_ERROR", "message": "Tracking temporarily unavailable.",
		"details": map[string]any{"code": "UPSTREAM_TIMEOUT", "message": "The carrier did not answer.", "reference": "req-" + number},
	}
}

func notFound(number string) map[string]any {
	return map[string]any{"trackingNumber": number, "code": "TRACKING_DETAILS_NOT_FOUND", "message": "Tracking details not found.", "details": nil}
}

// Response is the success answer, in the document's field order.
type Response struct {
	ShortUID           string       `json:"shortUid"`
	TrackingNumber     string       `json:"trackingNumber"`
	TrackingURL        string       `json:"trackingUrl"`
	ShipmentMethodUID  string       `json:"shipmentMethodUid"`
	ShipmentMethodName string       `json:"shipmentMethodName"`
	CarrierUID         string       `json:"carrierUid"`
	CarrierName        string       `json:"carrierName"`
	WeightInGrams      string       `json:"weightInGrams"`
	Checkpoints        []Checkpoint `json:"checkpoints"`
}

// Checkpoint is one tracking update.
type Checkpoint struct {
	Status               int    `json:"status"`
	Message              string `json:"message"`
	Description          string `json:"description"`
	Location             string `json:"location"`
	CreatedAt            string `json:"createdAt"`
	ExpectedDeliveryDate string `json:"expectedDeliveryDate"`
	StatusUID            string `json:"statusUid"`
	SignedBy             string `json:"signedBy"`
}

// The enum's uids and their numbers.
var statusNumber = map[string]int{
	"registered": 0, "in_transit": 1, "out_for_delivery": 2, "failed_attempt": 3, "exception": 4,
	"available_for_pickup": 5, "delivered": 6, "shipped": 7, "returned": 8, "not_picked_up": 9,
}

type step struct {
	uid, message, description string
	eddShift                  int // days the expected delivery moves from here on
}

// Journeys by kind.
var journeys = [][]step{
	{ // the common one
		{"registered", "Shipment information received", "Label created", 0},
		{"in_transit", "Shipment picked up", "Acceptance scan", 0},
		{"in_transit", "Shipment has departed from a facility", "Departure Scan", 0},
		{"in_transit", "Arrived at Sort Facility", "Arrival scan", 0},
		{"out_for_delivery", "Shipment is out with courier for delivery", "Out for Delivery", 0},
		{"delivered", "Delivered", "Delivered", 0},
	},
	{ // customs and a failed attempt
		{"in_transit", "Shipment picked up", "Acceptance scan", 0},
		{"in_transit", "Customs clearance status updated", "Customs clearance started", 0},
		{"out_for_delivery", "Shipment is out with courier for delivery", "Out for Delivery", 0},
		{"failed_attempt", "Delivery attempted; recipient not home", "Delivery attempt", 1},
		{"out_for_delivery", "Shipment is out with courier for delivery", "Out for Delivery", 1},
		{"delivered", "Delivered to neighbour", "Delivered", 1},
	},
	{ // pickup point
		{"registered", "Shipment information received", "Label created", 0},
		{"in_transit", "Shipment picked up", "Acceptance scan", 0},
		{"out_for_delivery", "Shipment is out with courier for delivery", "Out for Delivery", 0},
		{"available_for_pickup", "Parcel is available at the pickup point", "Ready for pickup", 0},
		{"delivered", "Collected by recipient", "Delivered", 0},
	},
	{ // an exception that delays
		{"in_transit", "Shipment picked up", "Acceptance scan", 0},
		{"exception", "Address incomplete; awaiting information", "Shipment exception", 2},
		{"in_transit", "Address corrected; shipment on its way", "Departure Scan", 2},
		{"out_for_delivery", "Shipment is out with courier for delivery", "Out for Delivery", 2},
		{"delivered", "Delivered", "Delivered", 2},
	},
	{ // not picked up, returned
		{"in_transit", "Shipment picked up", "Acceptance scan", 0},
		{"available_for_pickup", "Parcel is available at the pickup point", "Ready for pickup", 0},
		{"not_picked_up", "Parcel was not collected in time", "Not picked up", 0},
		{"returned", "Returned to sender", "Returned", 0},
	},
}

var carriers = []struct{ uid, name, method, methodName, url string }{
	{"ups", "UPS", "ups_standard", "UPS Standard", "https://www.ups.com/track?tracknum="},
	{"dhl", "DHL Parcel", "dhl_parcel_connect", "DHL Parcel Connect", "https://www.dhl.com/nl-en/home/tracking.html?tracking-id="},
	{"dhl_express", "DHL Express", "dhl_express_worldwide", "DHL Express Worldwide", "https://mydhl.express.dhl/nl/en/tracking.html#/results?id="},
	{"postnl", "PostNL", "postnl_standard", "PostNL Standaard", "https://jouw.postnl.nl/track-and-trace/"},
}

var places = []string{"ULM-DEU, Germany", "EAST MIDLANDS-GBR, United Kingdom", "UTRECHT-NLD, Netherlands", "AMSTERDAM-NLD, Netherlands", "BRUSSELS-BEL, Belgium", "ROTTERDAM-NLD, Netherlands"}

// Tracking is the answer for a number whose journey started at start, as
// it stands at now: the checkpoints revealed so far, newest first.
func (s *Sim) Tracking(number string, start, now time.Time) Response {
	h := fnv.New64a()
	_, _ = h.Write([]byte(number))
	rng := rand.New(rand.NewPCG(h.Sum64(), s.cfg.Seed))
	journey := journeys[rng.IntN(len(journeys))]
	c := carriers[rng.IntN(len(carriers))]
	switch upper := strings.ToUpper(number); {
	case strings.HasPrefix(upper, "1Z"):
		c = carriers[0]
	case strings.HasPrefix(upper, "JVGL"):
		c = carriers[1]
	case strings.HasPrefix(upper, "3S"):
		c = carriers[3]
	}
	r := Response{
		ShortUID:           strings.ToUpper(fmt.Sprintf("%012x", h.Sum64()))[:12],
		TrackingNumber:     number,
		TrackingURL:        c.url + number,
		ShipmentMethodUID:  c.method,
		ShipmentMethodName: c.methodName,
		CarrierUID:         c.uid,
		CarrierName:        c.name,
		WeightInGrams:      fmt.Sprint(200 + rng.IntN(4800)),
		Checkpoints:        []Checkpoint{},
	}
	revealed := int(now.Sub(start)/s.cfg.Step) + 1
	eddBase := start.Add(time.Duration(len(journey)-1) * s.cfg.Step).UTC()
	for i := 0; i < min(revealed, len(journey)); i++ {
		st := journey[i]
		cp := Checkpoint{
			Status: statusNumber[st.uid], StatusUID: st.uid, Message: st.message, Description: st.description,
			Location:  places[(i+rng.IntN(len(places)))%len(places)],
			CreatedAt: start.Add(time.Duration(i) * s.cfg.Step).UTC().Format(time.RFC3339),
			SignedBy:  "aftership",
		}
		if st.uid != "out_for_delivery" && st.uid != "delivered" && st.uid != "returned" {
			cp.ExpectedDeliveryDate = eddBase.AddDate(0, 0, st.eddShift).Format(time.DateOnly)
		}
		if i == 0 && strings.HasPrefix(strings.ToUpper(number), "BADCP") {
			cp.CreatedAt = start.UTC().Format("02-01-2006 15:04")
		}
		r.Checkpoints = append([]Checkpoint{cp}, r.Checkpoints...)
	}
	return r
}

// JourneyLength is how many checkpoints a number's journey has in all.
func (s *Sim) JourneyLength(number string) int {
	r := s.Tracking(number, time.Unix(0, 0), time.Unix(0, 0).Add(1000*s.cfg.Step))
	return len(r.Checkpoints)
}

// Final is a number's complete answer, its journey over.
func (s *Sim) Final(number string, start time.Time) Response {
	return s.Tracking(number, start, start.Add(1000*s.cfg.Step))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

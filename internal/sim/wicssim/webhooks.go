package wicssim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook subscriptions: GET|POST /api/webhook and DELETE
// /api/webhook/{identifier}. A subscription belongs to the login that made
// it: other logins neither see nor delete it. Each receives its topic's
// messages at its URL, with "Authorization: Basic {apikey}:{apisecret}" of
// its login, retried on the document's schedule by the webhook sender (Sim)
// on the server's clock.
//
// The document confirms only the topic name "STOCK". The simulator accepts
// the nine topic names in any case, with or without spaces, hyphens or
// underscores ("ORDERSTATUS", "orderStatus", "Order status",
// "order_line_status"), and lists a subscription with the name it was given.

// topicOf maps a subscription's topic name to a topic path name.
func topicOf(name string) (string, bool) {
	n := strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(name))
	for _, t := range topics {
		if t == n {
			return t, true
		}
	}
	return "", false
}

// subscription is one login's webhook.
type subscription struct {
	id     int
	user   string
	name   string // the topic as given
	topic  string // the topic path name
	url    string
	shopID *int
	q      *msgQueue
	sender *Sim
	// outstanding counts messages queued and not yet acknowledged, given
	// up or dropped.
	outstanding atomic.Int64
}

// Subscription is a webhook subscription as tests see it.
type Subscription struct {
	ID    int
	User  string
	Topic string
	URL   string
	// Stats counts its deliveries.
	Stats Stats
}

type webhookBody struct {
	Topic     string `json:"topic"`
	URL       string `json:"url"`
	WebshopID *int   `json:"webshopId"`
}

type webhookView struct {
	ID    int    `json:"id"`
	Topic string `json:"topic"`
	URL   string `json:"url"`
}

func (s *Server) ownSubs(user string) []*subscription {
	var out []*subscription
	for _, sub := range s.st.subs {
		if sub.user == user {
			out = append(out, sub)
		}
	}
	return out
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serveList(s, w, r, listing[*subscription]{noun: "webhooks", message: "List of Webhooks", records: s.ownSubs(userOf(r).Key),
		full: func(sub *subscription) map[string]any { return flatten(webhookView{sub.id, sub.name, sub.url}) },
		view: func(sub *subscription) any { return webhookView{sub.id, sub.name, sub.url} }})
}

// createWebhook subscribes the login to a topic at a URL. It answers as
// the document shows: HTTP 201 with code 200, "Webhook registered" and the
// new identifier. The same topic and URL twice is refused ("multiple urls as
// long they are unique").
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var b webhookBody
	if e := decode(r, &b); e != nil {
		s.fail(w, e)
		return
	}
	v := validation{}
	topic, known := topicOf(b.Topic)
	switch {
	case b.Topic == "":
		v.required("topic", true)
	case !known:
		v.add("topic", "The topic %q is not supported.", b.Topic)
	}
	if b.URL == "" {
		v.required("url", true)
	} else if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add("url", "The url %q is not a valid http(s) URL.", b.URL)
	}
	if e := v.err(); e != nil {
		s.fail(w, e)
		return
	}
	user := s.users[userOf(r).Key]
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.ownSubs(user.Key) {
		if sub.topic == topic && sub.url == b.URL && sameShop(sub.shopID, b.WebshopID) {
			s.fail(w, unprocessable("A webhook for topic %s and url %s is already registered.", b.Topic, b.URL))
			return
		}
	}
	s.st.nextSub++
	sub := &subscription{id: s.st.nextSub, user: user.Key, name: b.Topic, topic: topic, url: b.URL, shopID: b.WebshopID,
		q: newMsgQueue(), sender: s.newSender(b.URL, user)}
	s.st.subs = append(s.st.subs, sub)
	s.wg.Go(func() { s.deliver(sub) })
	writeEnvelope(w, http.StatusCreated, envelope{Code: http.StatusOK, Message: "Webhook registered", Success: true,
		Data: []string{strconv.Itoa(sub.id)}})
}

func sameShop(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	for i, sub := range s.st.subs {
		if strconv.Itoa(sub.id) == id && sub.user == userOf(r).Key {
			s.st.subs = append(s.st.subs[:i], s.st.subs[i+1:]...)
			sub.q.close()
			ok(w, http.StatusOK, id+" deleted succesfully", nil)
			return
		}
	}
	s.fail(w, notFound("Webhook %s not found", id))
}

// newSender builds the webhook sender of one subscription: the document's
// retry schedule on the server's clock.
func (s *Server) newSender(target string, u User) *Sim {
	cfg := Config{URL: target, APIKey: u.Key, APISecret: u.Secret, Base64Auth: s.cfg.Base64WebhookAuth,
		TimeScale: 1, Clock: s.clock, Client: s.cfg.Client, Logger: s.cfg.Logger, SkipExamples: true}
	cfg.setDefaults()
	sim := &Sim{cfg: cfg, base: target, exactURL: true, auth: authorization(u.Key, u.Secret, cfg.Base64Auth),
		schedule: scaled(1), counts: make(map[string]*topicCounters, len(topics))}
	for _, t := range topics {
		sim.counts[t] = &topicCounters{}
	}
	return sim
}

// deliver posts a subscription's messages in order; one that fails is
// retried in the background on the schedule while the later ones go on, as
// the generated stream does.
func (s *Server) deliver(sub *subscription) {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx := s.ctx
	for {
		m, live := sub.q.pop(ctx)
		if !live {
			return
		}
		c := sub.sender.counts[m.Topic]
		c.sent.Add(1)
		started := s.clock.Now()
		err := sub.sender.attempt(ctx, m)
		switch {
		case err == nil:
			sub.outstanding.Add(-1)
		case ctx.Err() != nil:
			c.dropped.Add(1)
			sub.outstanding.Add(-1)
		default:
			sub.sender.pending.Add(1)
			wg.Go(func() {
				defer sub.outstanding.Add(-1)
				defer sub.sender.pending.Add(-1)
				_ = sub.sender.retry(ctx, m, started, err)
			})
		}
	}
}

// msgQueue is an unbounded queue of messages for one subscription.
type msgQueue struct {
	mu     sync.Mutex
	items  []Message
	closed bool
	signal chan struct{}
}

func newMsgQueue() *msgQueue { return &msgQueue{signal: make(chan struct{}, 1)} }

func (q *msgQueue) push(m Message) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, m)
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *msgQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// pop waits for the next message; false once the queue is closed and empty
// or ctx ends.
func (q *msgQueue) pop(ctx context.Context) (Message, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			m := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return m, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return Message{}, false
		}
		select {
		case <-q.signal:
		case <-ctx.Done():
			return Message{}, false
		}
	}
}

// Subscriptions lists every login's webhook subscriptions with their
// delivery counters.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for _, sub := range s.st.subs {
		out = append(out, Subscription{ID: sub.id, User: sub.user, Topic: sub.name, URL: sub.url, Stats: sub.sender.Stats()})
	}
	return out
}

// WaitDelivered waits until no subscription has a message queued, in
// flight or waiting for a retry, or the timeout passes; it reports whether
// they all settled.
func (s *Server) WaitDelivered(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.settled() {
			return true
		}
		select {
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

func (s *Server) settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.st.subs {
		if sub.outstanding.Load() > 0 {
			return false
		}
	}
	return true
}

// String describes a subscription for test failures.
func (sub Subscription) String() string {
	return fmt.Sprintf("#%d %s %s -> %s", sub.ID, sub.User, sub.Topic, sub.URL)
}

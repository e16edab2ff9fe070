package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// Live streams new feed entries to open pages as server-sent events. It
// follows the feed of each workspace that has a subscriber with one
// goroutine, polling the store from the feed's end at the moment the first
// subscriber joined. Feed ids belong to the database, so an event applied by
// any instance sharing it reaches every instance's pages. A subscriber that
// does not keep up is dropped (its stream ends and the browser reconnects);
// it never holds the others up.
type Live struct {
	cfg LiveConfig
	log *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // nil until Start, done after Stop
	cancel  context.CancelFunc
	follows map[string]*liveFollower
	wg      sync.WaitGroup
}

// LiveConfig configures the broker.
type LiveConfig struct {
	// Store is the feed's store.
	Store store.Store
	// Logger receives failures; nil means slog.Default().
	Logger *slog.Logger
	// Poll is how often a followed feed is read; default 500ms.
	Poll time.Duration
	// Heartbeat is how often an idle stream sends a comment, so proxies
	// and browsers keep it open; default 15s.
	Heartbeat time.Duration
	// Buffer is how many entries a subscriber may lag behind before it is
	// dropped; default 256.
	Buffer int
}

// liveFollower reads one workspace's feed for its subscribers.
type liveFollower struct {
	ws     string
	cancel context.CancelFunc
	subs   map[*liveSubscriber]struct{}
	// pos is the id of the last entry handed to the subscribers (the
	// feed's end when the follower started): a new subscriber gets every
	// entry after it. Guarded by Live.mu.
	pos int64
}

// liveSubscriber is one open stream.
type liveSubscriber struct {
	items chan *liveItem
	// gone is closed when the broker drops the subscriber: it fell behind,
	// or the broker stopped.
	gone chan struct{}
}

// liveItem is one feed entry as the streams send it, rendered once.
type liveItem struct {
	ID       int64
	Type     string
	Subject  int64
	Resource string // shipment, order, stock, inbound, return, command
	HTML     string // one <li class="live-event"> line
}

// NewLive builds the broker; Start starts it.
func NewLive(cfg LiveConfig) *Live {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	return &Live{cfg: cfg, log: cfg.Logger, follows: map[string]*liveFollower{}}
}

// Start lets streams subscribe. Followers run until Stop (or ctx ends).
func (l *Live) Start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx != nil {
		return
	}
	l.ctx, l.cancel = context.WithCancel(ctx)
}

// Stop ends every follower and every open stream, and waits for the
// followers to return.
func (l *Live) Stop() {
	l.mu.Lock()
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithCancel(context.Background())
	}
	l.cancel()
	for ws, f := range l.follows {
		f.cancel()
		for s := range f.subs {
			close(s.gone)
		}
		delete(l.follows, ws)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

var errLiveStopped = errors.New("the live stream is not running")

// subscribe adds a stream of the workspace's new feed entries: every
// entry after pos is delivered to it. The first subscriber of a workspace
// starts its follower at the feed's current end, read before subscribe
// returns.
func (l *Live) subscribe(ctx context.Context, ws string) (s *liveSubscriber, pos int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil || l.ctx.Err() != nil {
		return nil, 0, errLiveStopped
	}
	s = &liveSubscriber{items: make(chan *liveItem, l.cfg.Buffer), gone: make(chan struct{})}
	if f, ok := l.follows[ws]; ok {
		f.subs[s] = struct{}{}
		return s, f.pos, nil
	}
	after, err := l.cfg.Store.LastFeedID(ctx, ws)
	if err != nil {
		return nil, 0, err
	}
	fctx, cancel := context.WithCancel(l.ctx)
	f := &liveFollower{ws: ws, cancel: cancel, subs: map[*liveSubscriber]struct{}{s: {}}, pos: after}
	l.follows[ws] = f
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.follow(fctx, f, after)
	}()
	return s, after, nil
}

// unsubscribe removes a stream; the last one of a workspace stops its follower.
func (l *Live) unsubscribe(ws string, s *liveSubscriber) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.follows[ws]
	if !ok {
		return
	}
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	close(s.gone)
	if len(f.subs) == 0 {
		f.cancel()
		delete(l.follows, ws)
	}
}

// follow polls one workspace's feed after the given id until ctx ends.
func (l *Live) follow(ctx context.Context, f *liveFollower, after int64) {
	const page = 200
	t := time.NewTicker(l.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			events, err := l.cfg.Store.ListFeed(ctx, f.ws, after, page)
			if err != nil {
				if ctx.Err() == nil {
					l.log.Warn("live stream: reading the feed", "workspace", f.ws, "error", err)
				}
				break
			}
			for _, e := range events {
				after = e.ID
				l.publish(f, renderLiveItem(e))
			}
			if len(events) < page {
				break
			}
		}
	}
}

// publish hands an item to every subscriber of the follower; one whose
// buffer is full is dropped rather than waited for.
func (l *Live) publish(f *liveFollower, it *liveItem) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.follows[f.ws] != f {
		return // stopped while reading
	}
	f.pos = it.ID
	for s := range f.subs {
		select {
		case s.items <- it:
		default:
			delete(f.subs, s)
			close(s.gone)
			l.log.Info("live stream: dropped a liveSubscriber that fell behind", "workspace", f.ws)
		}
	}
	if len(f.subs) == 0 {
		f.cancel()
		delete(l.follows, f.ws)
	}
}

// liveTemplate is one feed entry of the overview's live list. It is kept
// on one line: an SSE data field ends at a line break.
var liveTemplate = template.Must(template.New("live").Parse(
	`<li class="live-event" data-type="{{.Type}}" data-subject="{{.Subject}}">` +
		`<time datetime="{{.ISO}}">{{.Clock}}</time> <span class="live-type">{{.Type}}</span>` +
		`{{if .Ref}} {{if .Link}}<a href="{{.Link}}">{{.Ref}}</a>{{else}}<span class="live-ref">{{.Ref}}</span>{{end}}{{end}}</li>`))

// renderLiveItem turns a feed entry into what the streams send.
func renderLiveItem(e *model.FeedEvent) *liveItem {
	res, _, _ := strings.Cut(e.Type, ".")
	it := &liveItem{ID: e.ID, Type: e.Type, Subject: e.SubjectID, Resource: res}
	link := ""
	switch res {
	case "shipment", "order", "inbound":
		link = fmt.Sprintf("%s%ss/%d", Prefix, res, e.SubjectID)
		if res == "inbound" {
			link = fmt.Sprintf("%sinbound/%d", Prefix, e.SubjectID)
		}
	case "return":
		link = fmt.Sprintf("%sreturns/%d", Prefix, e.SubjectID)
	case "command":
		link = Prefix + "commands"
	case "stock":
		link = Prefix + "stock"
	}
	var buf bytes.Buffer
	at := e.OccurredAt.UTC()
	err := liveTemplate.Execute(&buf, map[string]any{
		"Type": e.Type, "Subject": e.SubjectID, "ISO": at.Format(time.RFC3339), "Clock": at.Format("15:04:05"),
		"Ref": subjectReference(e.Data), "Link": template.URL(link),
	})
	if err != nil {
		it.HTML = `<li class="live-event" data-type="` + template.HTMLEscapeString(e.Type) + `" data-subject="` + strconv.FormatInt(e.SubjectID, 10) + `">` + template.HTMLEscapeString(e.Type) + `</li>`
		return it
	}
	it.HTML = strings.ReplaceAll(buf.String(), "\n", " ")
	return it
}

// subjectReference is the reference people know a feed entry's subject
// by, from the entry's data: a shipment's provider reference and tracking
// number, an order's or a return's reference, a stock row's SKU, a
// command's kind. Empty when the data names none.
func subjectReference(data json.RawMessage) string {
	if len(data) == 0 {
		return ""
	}
	type refs struct {
		ProviderRef    string `json:"provider_ref"`
		TrackingNumber string `json:"tracking_number"`
		Reference      string `json:"reference"`
	}
	var doc struct {
		Shipment *refs `json:"shipment"`
		Order    *refs `json:"order"`
		refs
		SKU  string `json:"sku"`
		Kind string `json:"kind"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return ""
	}
	switch {
	case doc.Shipment != nil:
		parts := []string{doc.Shipment.ProviderRef}
		if tn := doc.Shipment.TrackingNumber; tn != "" && tn != doc.Shipment.ProviderRef {
			parts = append(parts, tn)
		}
		return strings.Trim(strings.Join(parts, " · "), " ·")
	case doc.Order != nil:
		return doc.Order.Reference
	case doc.SKU != "":
		return doc.SKU
	case doc.Reference != "":
		return doc.Reference
	case doc.Kind != "":
		return doc.Kind
	}
	return doc.ProviderRef
}

// Per-client limits of a stream.
const (
	liveFeedPerSecond = 10
	liveResourceEvery = time.Second
	// liveReplay is how far back, in feed ids, a reconnecting stream is
	// sent the entries it missed.
	liveReplay = 100
)

// liveThrottle decides what one stream sends: at most liveFeedPerSecond
// feed lines per second (then one "… and N more" line), and one event per
// resource per liveResourceEvery carrying the newest subject id. Times are
// passed in, so it is tested without a clock.
type liveThrottle struct {
	window     time.Time // start of the current feed second
	sent       int       // feed lines sent in it
	suppressed int       // feed lines held back in it
	// lastSuppressed is the feed id of the newest line held back.
	lastSuppressed int64
	lastRes        map[string]time.Time
	pendingRes     map[string]int64
}

// sseMessage is one message to write; id, when not 0, is the feed id the
// browser sends back as Last-Event-ID when it reconnects.
type sseMessage struct {
	event, data string
	id          int64
}

func newLiveThrottle() *liveThrottle {
	return &liveThrottle{lastRes: map[string]time.Time{}, pendingRes: map[string]int64{}}
}

// add takes an item in and returns what to send now.
func (t *liveThrottle) add(now time.Time, it *liveItem) []sseMessage {
	out := t.flush(now)
	if t.sent < liveFeedPerSecond {
		t.sent++
		out = append(out, sseMessage{event: "feed", data: it.HTML, id: it.ID})
	} else {
		t.suppressed++
		t.lastSuppressed = it.ID
	}
	if it.Resource != "" {
		if last, ok := t.lastRes[it.Resource]; !ok || now.Sub(last) >= liveResourceEvery {
			t.lastRes[it.Resource] = now
			delete(t.pendingRes, it.Resource)
			out = append(out, sseMessage{event: it.Resource, data: strconv.FormatInt(it.Subject, 10)})
		} else {
			t.pendingRes[it.Resource] = it.Subject
		}
	}
	return out
}

// flush returns what was held back and may go now.
func (t *liveThrottle) flush(now time.Time) []sseMessage {
	var out []sseMessage
	if now.Sub(t.window) >= time.Second {
		if t.suppressed > 0 {
			out = append(out, sseMessage{event: "feed", id: t.lastSuppressed,
				data: fmt.Sprintf(`<li class="live-event live-more" data-type="more" data-subject="0">… and %d more</li>`, t.suppressed)})
		}
		t.window, t.sent, t.suppressed = now, 0, 0
	}
	for res, id := range t.pendingRes {
		if now.Sub(t.lastRes[res]) >= liveResourceEvery {
			t.lastRes[res] = now
			delete(t.pendingRes, res)
			out = append(out, sseMessage{event: res, data: strconv.FormatInt(id, 10)})
		}
	}
	return out
}

// serveLive is GET /ui/live: the session's workspace's new feed entries as
// server-sent events, until the client goes or the broker stops.
func (u *UI) serveLive(w http.ResponseWriter, r *http.Request) {
	l := u.cfg.Live
	if l == nil {
		u.notFound(w, r)
		return
	}
	ws := workspace(r)
	sub, pos, err := l.subscribe(r.Context(), ws)
	if errors.Is(err, errLiveStopped) {
		u.errorPage(w, r, http.StatusServiceUnavailable, "The live stream is not running.")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer l.unsubscribe(ws, sub)

	// The server's write timeout would cut the stream: lift it for this
	// response. (net/http clears the read deadline itself while the
	// handler runs.)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(msgs ...sseMessage) bool {
		var b strings.Builder
		for _, m := range msgs {
			if m.id != 0 {
				b.WriteString("id: ")
				b.WriteString(strconv.FormatInt(m.id, 10))
				b.WriteByte('\n')
			}
			b.WriteString("event: ")
			b.WriteString(m.event)
			b.WriteString("\ndata: ")
			b.WriteString(m.data)
			b.WriteString("\n\n")
		}
		if _, err := w.Write([]byte(b.String())); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := w.Write([]byte("retry: 3000\n: live\n\n")); err != nil || rc.Flush() != nil {
		return
	}

	th := newLiveThrottle()
	// A browser that reconnects (after a drop, or a restart) says the last
	// entry it saw: what it missed up to where the subscription starts comes
	// first. Only the last liveReplay feed ids are looked at (ids count the
	// entries of every workspace), so a long absence costs one short read.
	if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && last > 0 && last < pos {
		from := max(last, pos-liveReplay)
		missed, err := l.cfg.Store.ListFeed(r.Context(), ws, from, liveReplay)
		if err != nil {
			u.log.Warn("live stream: reading what a reconnecting browser missed", "workspace", ws, "error", err)
		}
		for _, e := range missed {
			if e.ID > pos {
				break
			}
			if msgs := th.add(time.Now(), renderLiveItem(e)); len(msgs) > 0 && !write(msgs...) {
				return
			}
		}
	}
	heartbeat := time.NewTicker(l.cfg.Heartbeat)
	defer heartbeat.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.gone:
			return
		case it := <-sub.items:
			if msgs := th.add(time.Now(), it); len(msgs) > 0 && !write(msgs...) {
				return
			}
		case <-tick.C:
			if msgs := th.flush(time.Now()); len(msgs) > 0 && !write(msgs...) {
				return
			}
		case <-heartbeat.C:
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

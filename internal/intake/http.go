// Package intake accepts inbound provider messages and commits them to the
// inbox before acknowledging them. It knows no wire format: each provider's
// connector authenticates and validates its own requests.
package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/httpx"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// Inbox is the part of the store the intake writes to.
type Inbox interface {
	AppendInbox(ctx context.Context, m *model.InboxMessage) (id int64, duplicate bool, err error)
}

var _ Inbox = (store.Store)(nil)

// HTTPConfig configures the webhook receiver.
type HTTPConfig struct {
	// Inbox is where accepted messages are committed.
	Inbox Inbox
	// Connections resolves /hooks/{workspace}/{connection}.
	Connections *connections.Set
	// MaxBodyBytes caps a request body; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64
	// CommitTimeout bounds how long a request waits for its commit before it
	// is answered 503 (the provider retries). Default 10s.
	CommitTimeout time.Duration
	// Committed is called after every new message is committed, to wake the
	// pipeline. Optional.
	Committed func()
	// Metrics counts inbound messages. Optional.
	Metrics *metrics.Metrics
	// Unretried counts and alerts every 5xx answered to a provider that
	// does not retry (provider.Retries is false): each is a lost message
	// until someone re-imports it. Default: one that counts in Metrics and
	// logs, without alerts.
	Unretried *Unretried
	// Logger is the structured logger; default slog.Default().
	Logger *slog.Logger
	// OutageLogInterval is how often, at most, failing commits are logged
	// while they go on (see OutageLog); default DefaultOutageLogInterval.
	OutageLogInterval time.Duration
	// Now is the clock of the outage log; default time.Now.
	Now func() time.Time
}

// HTTP receives provider webhooks at /hooks/{workspace}/{connection}[/{topic}].
type HTTP struct {
	cfg    HTTPConfig
	outage *OutageLog
}

// NewHTTP creates the webhook receiver.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	if cfg.Inbox == nil || cfg.Connections == nil {
		return nil, errors.New("intake: Inbox and Connections are required")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.CommitTimeout == 0 {
		cfg.CommitTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Committed == nil {
		cfg.Committed = func() {}
	}
	if cfg.Unretried == nil {
		cfg.Unretried = NewUnretried(UnretriedConfig{Metrics: cfg.Metrics, Logger: cfg.Logger})
	}
	return &HTTP{cfg: cfg, outage: NewOutageLog(cfg.OutageLogInterval, cfg.Now)}, nil
}

// Register mounts the receiver's routes on mux.
func (h *HTTP) Register(mux *http.ServeMux) {
	mux.Handle("/hooks/{workspace}/{connection}", h)
	mux.Handle("/hooks/{workspace}/{connection}/{topic}", h)
}

// requestLog is a request's logger, with its workspace, connection and
// provider, made when something is logged: slog's With formats its
// attributes when it is called, and calling it for every request was 4 %
// of the hub's CPU while it took nothing but webhooks, which log nothing
// when all is well.
type requestLog struct {
	base   *slog.Logger
	attrs  [6]any
	logger *slog.Logger
}

func (l *requestLog) get() *slog.Logger {
	if l.logger == nil {
		l.logger = l.base.With(l.attrs[:]...)
	}
	return l.logger
}

// Reply is the body of a 200 answer to a provider.
type Reply struct {
	Status string `json:"status"` // accepted or duplicate
	ID     int64  `json:"id"`
}

// ServeHTTP handles one inbound provider request. It answers 200 only after
// the message is committed to the inbox. A panic in a connector is answered
// 500, not with a dropped connection, and every 5xx answered to a provider
// that does not retry is counted and alerted: that message is lost unless
// it is re-imported.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ws, cn, topic := r.PathValue("workspace"), r.PathValue("connection"), r.PathValue("topic")
	conn, ok := h.cfg.Connections.Lookup(ws, cn)
	if !ok {
		httpx.WriteProblem(w, http.StatusNotFound, "no such workspace or connection")
		return
	}
	recv, ok := conn.Connector.(provider.WebhookReceiver)
	if !ok {
		httpx.WriteProblem(w, http.StatusNotFound, fmt.Sprintf("connection %q (%s) does not receive webhooks", cn, conn.Provider))
		return
	}
	log := &requestLog{base: h.cfg.Logger, attrs: [...]any{"workspace", ws, "connection", cn, "provider", conn.Provider}}
	sw := &statusWriter{ResponseWriter: w}
	var reason string
	err := recovery.Do(func() error {
		reason = h.serve(sw, r, start, conn, recv, topic, log)
		return nil
	})
	if err != nil {
		recovery.Report(h.cfg.Metrics, log.get(), "intake", err)
		if sw.status == 0 {
			httpx.WriteProblem(sw, http.StatusInternalServerError, "the message could not be taken; see the hub's log")
		}
		reason = "internal error: " + err.Error()
	}
	if sw.status >= 500 && !provider.Retries(conn.Connector) {
		h.cfg.Unretried.Record(UnretriedAlert{
			Workspace: ws, Connection: cn, Provider: conn.Provider, Status: sw.status, Reason: reason,
		})
	}
}

// serve handles a request to a known webhook connection. It returns the
// reason of an error answer, for the operator.
func (h *HTTP) serve(w http.ResponseWriter, r *http.Request, start time.Time, conn *connections.Conn,
	recv provider.WebhookReceiver, topic string, log *requestLog) string {
	ws, cn := conn.Workspace, conn.ID
	count := func(result string) {
		if h.cfg.Metrics != nil {
			h.cfg.Metrics.Inbound.WithLabelValues(conn.Provider, result).Inc()
		}
	}
	if err := recv.Authenticate(r); err != nil {
		count("unauthorized")
		log.get().Info("inbound request refused", "reason", "unauthorized", "remote", r.RemoteAddr)
		httpx.WriteProblem(w, http.StatusUnauthorized, "missing or wrong credentials for this connection")
		return "unauthorized"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			count("too_large")
			httpx.WriteProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", h.cfg.MaxBodyBytes))
			return "too large"
		}
		count("rejected")
		httpx.WriteProblem(w, http.StatusBadRequest, "reading the body failed")
		return "reading the body failed: " + err.Error()
	}
	in, err := recv.Accept(r, topic, body)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, provider.ErrUnsupportedMedia):
			status = http.StatusUnsupportedMediaType
		case errors.Is(err, provider.ErrMethodNotAllowed):
			status = http.StatusMethodNotAllowed
		case errors.Is(err, provider.ErrUnknownTopic):
			status = http.StatusNotFound
		}
		count("rejected")
		log.get().Info("inbound request rejected", "status", status, "error", err)
		httpx.WriteProblem(w, status, err.Error())
		return err.Error()
	}
	msg := &model.InboxMessage{
		Workspace: ws, Connection: cn, Provider: conn.Provider,
		Source: model.SourceWebhook, Topic: topic,
		DedupKey: in.DedupKey, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body,
		ReceivedAt: start.UTC(),
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.CommitTimeout)
	defer cancel()
	id, dup, err := h.cfg.Inbox.AppendInbox(ctx, msg)
	if err != nil {
		count("unavailable")
		if !errors.Is(err, context.Canceled) {
			h.outage.Failed(log.get(), err)
		}
		w.Header().Set("Retry-After", "5")
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the message could not be stored; retry later")
		return "committing to the inbox: " + err.Error()
	}
	h.outage.Succeeded(log.get)
	reply := Reply{Status: "accepted", ID: id}
	if dup {
		reply.Status = "duplicate"
		count("duplicate")
	} else {
		count("accepted")
		h.cfg.Committed()
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.AckSeconds.WithLabelValues(conn.Provider).Observe(time.Since(start).Seconds())
	}
	httpx.WriteJSON(w, http.StatusOK, reply)
	return ""
}

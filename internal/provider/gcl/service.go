package gcl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/ctxtime"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/poll"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/recovery"
	"github.com/shiphub/shiphub/internal/store"
)

// ComponentAttach is the component label of a panic recovered in a
// carrier-rule scan.
const ComponentAttach = "gcl-attach"

// Service polls a GCL connection's trackers and attaches trackers to other
// connections' shipments by the carrier rules. Both loops run on one hub
// instance at a time (leases "gcl-poll/…" and "gcl-attach/…").
type Service struct {
	conn   *Connector
	env    provider.PollEnv
	client *Client
	policy poll.Policy
	budget *poll.Budget
	poller *poll.Poller[*model.Tracker]
	log    *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

var _ provider.PollService = (*Service)(nil)

// NewService builds the connection's polling service.
func (c *Connector) NewService(env provider.PollEnv) (provider.PollService, error) {
	return c.newService(env)
}

func (c *Connector) newService(env provider.PollEnv) (*Service, error) {
	if env.Store == nil || env.Holder == "" {
		return nil, errors.New("gcl service: Store and Holder are required")
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	if env.Committed == nil {
		env.Committed = func() {}
	}
	s := &Service{conn: c, env: env, log: env.Logger, client: NewClient(c.settings)}
	s.policy = poll.Policy{
		Intervals:   c.settings.Schedule,
		ExpireAfter: time.Duration(c.settings.ExpireAfterDays) * 24 * time.Hour,
		Location:    c.loc,
		Jitter:      0.1,
	}
	s.budget = &poll.Budget{
		Coord: env.Store, Key: "gcl/" + env.Workspace + "/" + env.Connection,
		PerSecond: c.settings.RatePerSecond, PerDay: c.settings.RatePerDay,
	}
	s.client.BeforeRetry = s.budget.Wait
	if m := env.Metrics; m != nil {
		label := env.Workspace + "/" + env.Connection
		s.client.Observe = func(result string) { m.ProviderRequests.WithLabelValues(Info.Name, label, result).Inc() }
		s.budget.Remaining = func(window string, left int) {
			m.RateBudgetRemaining.WithLabelValues(label, window).Set(float64(left))
		}
	}
	var err error
	s.poller, err = poll.NewPoller(poll.PollerConfig[*model.Tracker]{
		Name:   "gcl-poll/" + env.Workspace + "/" + env.Connection,
		Coord:  env.Store,
		Holder: env.Holder,
		Budget: s.budget,
		Due: func(ctx context.Context, now time.Time, limit int) ([]*model.Tracker, error) {
			return env.Store.DueTrackers(ctx, env.Workspace, env.Connection, now, limit)
		},
		Poll:        s.PollTracker,
		Backoff:     s.backOff,
		Metrics:     env.Metrics,
		Concurrency: c.settings.Concurrency,
		Now:         env.Now,
		Logger:      env.Logger,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs the poller and, when the connection has carrier rules, the
// attach scan.
func (s *Service) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.poller.Start(ctx)
	go func() {
		defer close(s.done)
		if len(s.conn.settings.Attach) == 0 {
			return
		}
		sg := &coord.Singleton{Leases: s.env.Store, Name: "gcl-attach/" + s.env.Workspace + "/" + s.env.Connection, Holder: s.env.Holder, Logger: s.log, Metrics: s.env.Metrics}
		sg.Run(ctx, s.scanLoop)
	}()
}

// Stop ends both loops and waits for the polls in flight, or ctx.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.once.Do(s.cancel)
	err := s.poller.Stop(ctx)
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// Client is the service's API client (tests shorten its backoff).
func (s *Service) Client() *Client { return s.client }

// Wake makes the poller look for due trackers now.
func (s *Service) Wake() { s.poller.Wake() }

// PollTracker polls one tracker: it asks GCL, commits the answer to the
// inbox, and stores the tracker's next poll. An answer that cannot be
// committed counts as a failed poll, so it is asked again.
func (s *Service) PollTracker(ctx context.Context, t *model.Tracker) {
	log := s.log.With("tracker", t.ID)
	res, err := s.client.Track(ctx, t.TrackingNumber)
	if ctx.Err() != nil {
		return // Stopping: the tracker stays due and is polled on restart.
	}
	now := s.env.Now()
	var out poll.Outcome
	switch {
	case err != nil:
		out = poll.Outcome{Kind: poll.Failed, Err: err.Error()}
		var he *HTTPError
		if errors.As(err, &he) && he.Answer != nil {
			var details string
			if d := he.Answer.Details; d != nil {
				details = string(d.Raw)
			}
			log.Warn("gcl answered with an error object", "http_status", he.StatusCode, "code", he.Answer.Code,
				"message", he.Answer.Message, "details", details)
		}
	case res.NotFound:
		out = poll.Outcome{Kind: poll.NotFound}
		if _, err := s.commit(ctx, t, "", res.Body, now); err != nil {
			out = poll.Outcome{Kind: poll.Failed, Err: err.Error()}
		}
	case res.Response == nil:
		out = poll.Outcome{Kind: poll.Failed, Err: "the answer was not decoded"}
	default:
		sum := Summarize(res.Response)
		dup, err := s.commit(ctx, t, "", res.Body, now)
		if err != nil {
			out = poll.Outcome{Kind: poll.Failed, Err: err.Error()}
			break
		}
		if !dup {
			s.recordRejected(ctx, t, res.Response.Rejected, now)
		}
		out = poll.Outcome{Kind: poll.Found, Status: sum.Status, ExpectedDelivery: sum.ExpectedDelivery, Changed: !dup}
	}
	if out.Kind == poll.Failed {
		log.Warn("polling a tracker failed", "error", out.Err, "attempts", res.Attempts)
	}
	since := t.NotFoundSince
	if since == nil {
		since = t.LastChangeAt
	}
	before := *t
	if s.policy.Apply(t, out, now) {
		reason := "no_update"
		if out.Kind == poll.NotFound {
			reason = "not_found"
		}
		rec := Expired{TrackingNumber: t.TrackingNumber, Reason: reason, ExpiredAt: now.UTC()}
		if since != nil {
			rec.Since = since.UTC()
		}
		body, _ := json.Marshal(rec)
		if _, err := s.commit(ctx, t, TopicExpired, body, now); err != nil {
			// Not expired until its expiry event is committed: the tracker
			// stays as it was and tries again after an error's backoff.
			*t = before
			s.policy.Apply(t, poll.Outcome{Kind: poll.Failed, Err: "recording the expiry: " + err.Error()}, now)
			log.Warn("recording an expired tracker failed; it expires at a later poll", "error", err)
		} else {
			log.Info("tracker expired", "reason", reason)
		}
	}
	s.save(ctx, t, log)
}

// save stores a tracker's schedule after a poll.
func (s *Service) save(ctx context.Context, t *model.Tracker, log *slog.Logger) {
	if err := s.env.Store.SaveTrackerPoll(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
		log.Error("saving a tracker's schedule failed", "error", err)
	}
}

// backOff records a poll that panicked as a failed poll, from the tracker
// as stored (the panic may have left t half-changed), so that it waits an
// error's backoff before it is polled again.
func (s *Service) backOff(ctx context.Context, t *model.Tracker, cause error) {
	log := s.log.With("tracker", t.ID)
	fresh, err := s.env.Store.GetTracker(ctx, t.Workspace, t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return // deleted meanwhile
	case err == nil:
		t = fresh
	}
	s.policy.Apply(t, poll.Outcome{Kind: poll.Failed, Err: cause.Error()}, s.env.Now())
	s.save(ctx, t, log)
}

// recordRejected records the checkpoints of a new answer that were left out
// as malformed, one intake error each, so the operator sees them.
func (s *Service) recordRejected(ctx context.Context, t *model.Tracker, rejected []RejectedCheckpoint, now time.Time) {
	for _, r := range rejected {
		e := &model.IntakeError{
			Workspace: s.env.Workspace, Connection: s.env.Connection, Source: model.SourcePoll,
			Name:   fmt.Sprintf("GET /v1/tracking/%s checkpoints[%d]", t.TrackingNumber, r.Index),
			Reason: "malformed checkpoint left out: " + r.Reason, Size: int64(len(r.Raw)), Body: r.Raw, ReceivedAt: now,
		}
		if err := s.env.Store.RecordIntakeError(ctx, e); err != nil {
			s.log.Warn("recording a malformed checkpoint failed", "tracker", t.ID, "error", err)
			continue
		}
		s.log.Warn("a malformed checkpoint was left out", "tracker", t.ID, "reason", r.Reason)
	}
}

// commit stores an answer (or an expiry record) in the inbox and wakes the
// pipeline. It reports duplicate=true for an answer seen before.
func (s *Service) commit(ctx context.Context, t *model.Tracker, topic string, body []byte, now time.Time) (bool, error) {
	meta := map[string]string{MetaTrackingNumber: t.TrackingNumber, MetaTracker: strconv.FormatInt(t.ID, 10)}
	if t.Reference != "" {
		meta[MetaReference] = t.Reference
	}
	if t.OriginShipment != 0 {
		meta[MetaOriginShipment] = strconv.FormatInt(t.OriginShipment, 10)
	}
	key := DedupKey(body)
	if topic != "" {
		key = topic + ":" + key
	}
	m := &model.InboxMessage{
		Workspace: s.env.Workspace, Connection: s.env.Connection, Provider: Info.Name,
		Source: model.SourcePoll, Topic: topic, DedupKey: key, ContentType: "application/json",
		Meta: meta, Body: body, ReceivedAt: now,
	}
	id, dup, err := s.env.Store.AppendInbox(ctx, m)
	if err != nil {
		return false, fmt.Errorf("committing the answer to the inbox: %w", err)
	}
	if !dup {
		s.log.Debug("poll answer committed", "message_id", id)
		s.env.Committed()
	}
	return dup, nil
}

// scanLoop attaches trackers to shipments the carrier rules select, every
// ScanInterval. It starts from the beginning on every (re)start: creating a
// tracker is idempotent, so looking at a shipment twice costs a statement.
func (s *Service) scanLoop(ctx context.Context) {
	var (
		since   time.Time
		afterID int64
	)
	for {
		// One scan is the unit of work: a panic in it is reported and the
		// scan is tried again after the interval, from where it stood.
		err := recovery.Do(func() error {
			var err error
			since, afterID, err = s.scan(ctx, since, afterID)
			return err
		})
		recovery.Report(s.env.Metrics, s.log, ComponentAttach, err)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("scanning shipments for carrier rules failed", "error", err)
		}
		if !ctxtime.Sleep(ctx, s.conn.settings.ScanInterval) {
			return
		}
	}
}

// scan looks at the shipments updated since the last scan and attaches a
// tracker to those the rules select. It returns where the next scan starts.
func (s *Service) scan(ctx context.Context, since time.Time, afterID int64) (time.Time, int64, error) {
	const page = 500
	added := 0
	defer func() {
		if added > 0 {
			s.poller.Wake()
		}
	}()
	for range 1000 { // Bounded: at most 500,000 shipments per scan.
		list, err := s.env.Store.ShipmentsUpdatedSince(ctx, s.env.Workspace, since, afterID, page)
		if err != nil {
			return since, afterID, err
		}
		for _, sh := range list {
			since, afterID = sh.UpdatedAt, sh.ID
			if !s.selects(sh) {
				continue
			}
			t := &model.Tracker{
				Workspace: s.env.Workspace, Connection: s.env.Connection, TrackingNumber: sh.TrackingNumber,
				Reference: firstNonEmpty(sh.OrderReference, sh.ProviderRef), Origin: "rule", OriginShipment: sh.ID,
				NextPollAt: ptr(s.env.Now().UTC()),
			}
			created, err := s.env.Store.CreateTracker(ctx, t)
			if errors.Is(err, store.ErrTrackerDeleted) {
				continue // deleted through the API: it stays deleted
			}
			if err != nil {
				return since, afterID, err
			}
			if created {
				added++
				s.log.Info("tracker attached by carrier rule", "tracker", t.ID, "shipment", sh.ID, "carrier", sh.Carrier)
			}
		}
		if len(list) < page {
			break
		}
	}
	return since, afterID, nil
}

// selects reports whether a carrier rule picks the shipment.
func (s *Service) selects(sh *model.Shipment) bool {
	if sh.Connection == s.env.Connection || strings.TrimSpace(sh.TrackingNumber) == "" || sh.Status.Terminal() {
		return false
	}
	for _, r := range s.conn.settings.Attach {
		if r.matches(sh.Connection, sh.Carrier) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// sendWorker works the command jobs.
type sendWorker struct {
	river.WorkerDefaults[sendArgs]
	q *Queue
}

// recordTimeout bounds the store writes that record an attempt, which run
// even when the job's context has ended so that an attempt's outcome is not
// lost to a shutdown.
const recordTimeout = 30 * time.Second

// Work carries out one attempt of a command: start it (counting the
// attempt), send it through the connection's connector, commit the
// provider's answer to the inbox, and only then record the outcome. An
// error returned here means the store failed; River then retries the job.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[sendArgs]) error {
	q := w.q
	id := job.Args.CommandID
	if len(job.Errors) == 0 && job.Args.Workspace != "" {
		// A job that never failed finds its command running only while
		// another job sends it (the job an API retry added while this one
		// was finishing): wait for that one. A job that failed or was
		// rescued from a dead worker takes the running command over.
		c, err := q.opts.Store.GetCommand(ctx, job.Args.Workspace, id)
		if err == nil && c.Status == model.CommandRunning {
			return river.JobSnooze(q.opts.Config.PollInterval)
		}
	}
	cmd, err := q.opts.Store.StartCommand(ctx, id, q.opts.Now())
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Succeeded or dead already (a job left over from before an API
		// retry, say): nothing to do.
		return nil
	case err != nil:
		return fmt.Errorf("starting command %d: %w", id, err)
	}
	log := q.log.With("workspace", cmd.Workspace, "connection", cmd.Connection, "provider", cmd.Provider,
		"command", cmd.ID, "kind", string(cmd.Kind), "attempt", cmd.Attempts)
	start := time.Now()
	answer, sendErr := w.send(ctx, log, cmd)
	if q.opts.Metrics != nil {
		q.opts.Metrics.AttemptSeconds.WithLabelValues(cmd.Provider).Observe(time.Since(start).Seconds())
	}
	if sendErr == nil && answer != nil {
		if err := w.commitAnswer(ctx, cmd, answer); err != nil {
			// The provider has the command but its answer is not recorded:
			// send again later, which the connector answers idempotently.
			sendErr = err
		}
	}
	if sendErr != nil && ctx.Err() != nil {
		// The instance is stopping. The command stays running, and the
		// job's error lets the next queue take it over and send it again;
		// that is no failure of the provider's, so it is not announced.
		w.count(cmd, "interrupted")
		log.Info("command attempt interrupted by shutdown")
		return fmt.Errorf("attempt of command %d interrupted by shutdown: %w", cmd.ID, ctx.Err())
	}
	outcome, snooze := w.outcome(cmd, sendErr)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	done, err := q.opts.Store.FinishCommand(rctx, cmd.ID, outcome)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recording the attempt of command %d: %w", cmd.ID, err)
	}
	switch done.Status {
	case model.CommandSucceeded:
		w.count(cmd, "succeeded")
		log.Info("command succeeded")
		return nil
	case model.CommandDead:
		w.count(cmd, "dead")
		log.Warn("command dead", "error", done.LastError)
		return nil
	default:
		var ra *provider.RetryAfterError
		if errors.As(sendErr, &ra) {
			w.count(cmd, "retry_after")
		} else {
			w.count(cmd, "failed")
		}
		log.Info("command attempt failed; retrying", "error", done.LastError, "next_attempt_at", outcome.NextAttemptAt)
		return river.JobSnooze(snooze)
	}
}

// send makes one attempt, bounded by the attempt timeout.
func (w *sendWorker) send(ctx context.Context, log *slog.Logger, cmd *model.Command) (*provider.CommandAnswer, error) {
	q := w.q
	conn, ok := q.opts.Connections.Lookup(cmd.Workspace, cmd.Connection)
	if !ok {
		return nil, fmt.Errorf("%w: connection %q is not configured", provider.ErrRefused, cmd.Connection)
	}
	sender, ok := conn.Connector.(provider.CommandSender)
	if !ok {
		return nil, fmt.Errorf("%w: connection %q (%s) does not carry out commands", provider.ErrRefused, cmd.Connection, conn.Provider)
	}
	limiter := q.opts.Limiters(cmd.Workspace, cmd.Connection)
	if limiter == nil {
		limiter = Unlimited{}
	}
	env := provider.CommandEnv{
		Limiter: limiter,
		Subject: func(ctx context.Context) (any, error) { return w.subject(ctx, cmd) },
		Logger:  log,
		Now:     q.opts.Now,
	}
	actx, cancel := context.WithTimeout(ctx, q.opts.Config.AttemptTimeout)
	defer cancel()
	answer, err := sender.SendCommand(actx, env, cmd)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = fmt.Errorf("attempt timed out after %s: %w", q.opts.Config.AttemptTimeout, err)
	}
	return answer, err
}

// subject loads the command's subject as it stands now.
func (w *sendWorker) subject(ctx context.Context, cmd *model.Command) (any, error) {
	st := w.q.opts.Store
	var (
		v   any
		err error
	)
	switch t, _, _ := strings.Cut(string(cmd.Kind), "."); t {
	case "order":
		v, err = st.GetOrder(ctx, cmd.Workspace, cmd.SubjectID)
	case "product":
		v, err = st.GetProduct(ctx, cmd.Workspace, cmd.SubjectID)
	case "inbound":
		v, err = st.GetInbound(ctx, cmd.Workspace, cmd.SubjectID)
	case "return":
		v, err = st.GetReturn(ctx, cmd.Workspace, cmd.SubjectID)
	default:
		return nil, fmt.Errorf("command kind %q names no known subject: %w", cmd.Kind, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// commitAnswer commits the provider's answer to the connection's inbox, as
// a pulled message, and wakes the pipeline.
func (w *sendWorker) commitAnswer(ctx context.Context, cmd *model.Command, a *provider.CommandAnswer) error {
	q := w.q
	dedup := a.Inbound.DedupKey
	if dedup == "" {
		// An answer recorded twice must be applied once.
		dedup = fmt.Sprintf("command:%d", cmd.ID)
	}
	msg := &model.InboxMessage{
		Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider,
		Source: model.SourcePoll, Topic: a.Topic, DedupKey: dedup,
		ContentType: a.Inbound.ContentType, Meta: a.Inbound.Meta, Body: a.Inbound.Body,
		ReceivedAt: q.opts.Now().UTC(),
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, _, err := q.opts.Store.AppendInbox(rctx, msg); err != nil {
		return fmt.Errorf("committing the answer to command %d to the inbox: %w", cmd.ID, err)
	}
	q.opts.Notify()
	return nil
}

// outcome turns an attempt's error into what FinishCommand records, and how
// long River should snooze the job for a retry.
func (w *sendWorker) outcome(cmd *model.Command, err error) (store.CommandOutcome, time.Duration) {
	now := w.q.opts.Now()
	if err == nil {
		return store.CommandOutcome{Status: model.CommandSucceeded, Now: now}, 0
	}
	msg := err.Error()
	if errors.Is(err, provider.ErrRefused) {
		return store.CommandOutcome{Status: model.CommandDead, Error: msg, Now: now}, 0
	}
	var ra *provider.RetryAfterError
	if errors.As(err, &ra) {
		// The provider (or the rate budget) said when. Such a wait is no
		// fault of the command's, so it never makes the command dead,
		// though it counts as an attempt (and so moves the schedule on).
		wait := max(ra.After, 0)
		return store.CommandOutcome{Status: model.CommandFailed, Error: msg, NextAttemptAt: now.Add(wait), Now: now}, wait
	}
	schedule := w.q.opts.Config.RetrySchedule
	failures := cmd.Attempts
	if failures > len(schedule) {
		return store.CommandOutcome{Status: model.CommandDead, Error: msg, Now: now}, 0
	}
	wait := schedule[failures-1]
	return store.CommandOutcome{Status: model.CommandFailed, Error: msg, NextAttemptAt: now.Add(wait), Now: now}, wait
}

func (w *sendWorker) count(cmd *model.Command, outcome string) {
	if m := w.q.opts.Metrics; m != nil {
		m.Attempts.WithLabelValues(cmd.Provider, string(cmd.Kind), outcome).Inc()
	}
}

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

var _ store.IntakeErrors = (*Store)(nil)

// RecordIntakeError stores one refused inbound message.
func (s *Store) RecordIntakeError(ctx context.Context, e *model.IntakeError) error {
	if s.isClosed.Load() {
		return store.ErrClosed
	}
	if e == nil || e.Workspace == "" || e.Connection == "" || e.Reason == "" {
		return errors.New("recording an intake error: workspace, connection and reason are required")
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = s.now()
	}
	body := e.Body
	if len(body) > model.IntakeErrorBodyCap {
		body = body[:model.IntakeErrorBodyCap]
	}
	if body == nil {
		body = []byte{}
	}
	err := s.writer.QueryRowContext(ctx, s.dialect.bind(`INSERT INTO intake_errors
		(workspace, connection, source, name, reason, ref, size, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		e.Workspace, e.Connection, string(e.Source), e.Name, e.Reason, e.Ref, e.Size, body, micros(e.ReceivedAt),
	).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("recording intake error for %s/%s: %w", e.Workspace, e.Connection, err)
	}
	e.ReceivedAt = fromMicros(micros(e.ReceivedAt))
	return nil
}

// ListIntakeErrors lists a workspace's intake errors, newest first.
func (s *Store) ListIntakeErrors(ctx context.Context, f store.IntakeErrorFilter) ([]*model.IntakeError, error) {
	if s.isClosed.Load() {
		return nil, store.ErrClosed
	}
	var (
		where = []string{"workspace = ?"}
		args  = []any{f.Workspace}
	)
	if f.Connection != "" {
		where, args = append(where, "connection = ?"), append(args, f.Connection)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	args = append(args, limit)
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT id, workspace, connection, source, name, reason, ref, size, body, received_at
		FROM intake_errors WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("listing intake errors of %q: %w", f.Workspace, err)
	}
	defer rows.Close()
	var out []*model.IntakeError
	for rows.Next() {
		var (
			e        model.IntakeError
			source   string
			received int64
		)
		if err := rows.Scan(&e.ID, &e.Workspace, &e.Connection, &source, &e.Name, &e.Reason, &e.Ref, &e.Size, &e.Body, &received); err != nil {
			return nil, fmt.Errorf("reading intake errors of %q: %w", f.Workspace, err)
		}
		e.Source, e.ReceivedAt = model.Source(source), fromMicros(received)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing intake errors of %q: %w", f.Workspace, err)
	}
	return out, nil
}

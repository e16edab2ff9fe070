package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Errors of SubmitCommand.
var (
	// ErrDuplicateReference means the connection already has a subject with
	// the submission's reference (an order number, a SKU, an inbound
	// reference) and no Idempotency-Key matched: the API answers 409.
	ErrDuplicateReference = errors.New("reference already exists")
	// ErrIdempotencyKeyReused means the Idempotency-Key was used before
	// with a different request: the API answers 422.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused with a different request")
)

// EnqueueFunc adds the work that carries a command out (its River job) to
// the transaction that commits the command, so that both commit or neither
// does. Both stores are database/sql, so the transaction is a *sql.Tx.
type EnqueueFunc func(ctx context.Context, tx *sql.Tx, cmd *model.Command) error

// Commands is the durable record of the commands shiphub sends to
// providers (DESIGN.md: "Commands are durable"). The queue that drives them
// (package commands, on River) keeps its jobs in the same database.
type Commands interface {
	// SubmitCommand commits, in one transaction: the new subject when the
	// submission carries one (an order, which starts pending; a product;
	// inbound goods), the command (queued), the idempotency key, and what
	// enqueue adds. With an IdempotencyKey seen before for the same
	// RequestHash it commits nothing and returns the first result with
	// Replayed set; for another hash it returns ErrIdempotencyKeyReused.
	// Without a matching key, a subject whose reference the connection
	// already has is ErrDuplicateReference.
	SubmitCommand(ctx context.Context, s *Submission, enqueue EnqueueFunc) (*SubmitResult, error)
	// GetCommand returns one command of the workspace, or ErrNotFound.
	GetCommand(ctx context.Context, workspace string, id int64) (*model.Command, error)
	// ListCommands lists a workspace's commands, newest first.
	ListCommands(ctx context.Context, f CommandFilter) ([]*model.Command, error)
	// StartCommand marks a command running and counts the attempt, for the
	// worker that is about to send it; ErrNotFound, or ErrConflict when it
	// has succeeded or is dead (the job has nothing to do).
	StartCommand(ctx context.Context, id int64, now time.Time) (*model.Command, error)
	// FinishCommand records an attempt's outcome in one transaction with
	// what follows from it: a command.failed or command.dead feed event
	// (with deliveries), and, when an order.create dies, its order's
	// status rejected (with order.status_changed).
	FinishCommand(ctx context.Context, id int64, o CommandOutcome) (*model.Command, error)
	// RetryCommand makes a failed or dead command of the workspace queued
	// again, with its attempts kept, and adds a new job through enqueue in
	// the same transaction; ErrNotFound, or ErrConflict in another status.
	RetryCommand(ctx context.Context, workspace string, id int64, enqueue EnqueueFunc) (*model.Command, error)
}

// Submission is a merchant's request for a command.
type Submission struct {
	Workspace  string
	Connection string
	Provider   string
	Kind       model.CommandKind
	// Payload is the validated canonical request (model.OrderRequest…).
	Payload json.RawMessage
	// At most one of Order, Product, Inbound and Return is set: the subject
	// the command creates, stored with it. Otherwise SubjectID names the
	// existing subject (the order an order.cancel cancels).
	Order   *model.Order
	Product *model.Product
	Inbound *model.Inbound
	// Return is stored under the lookup key of its reference alone
	// (ReturnKey("", reference)), so the connection may have one return
	// in the making per order reference: another is ErrDuplicateReference.
	// The provider's answer, which names the RMA number and the
	// reference, finds it by the reference (see the pipeline's returns).
	Return    *model.Return
	SubjectID int64
	// IdempotencyKey is the request's Idempotency-Key header, or empty.
	IdempotencyKey string
	// RequestHash identifies the request's content, so that a key reused
	// for a different request is refused.
	RequestHash string
	Now         time.Time
}

// SubmitResult is what SubmitCommand committed, or found committed.
type SubmitResult struct {
	Command *model.Command
	// SubjectID is the id of the subject (new or existing).
	SubjectID int64
	// Replayed means the Idempotency-Key matched an earlier submission,
	// whose result this is; nothing was committed.
	Replayed bool
}

// CommandOutcome is the result of one attempt.
type CommandOutcome struct {
	// Status is CommandSucceeded, CommandFailed (NextAttemptAt set) or CommandDead.
	Status        model.CommandStatus
	Error         string
	NextAttemptAt time.Time
	Now           time.Time
}

// CommandFilter selects commands for ListCommands.
type CommandFilter struct {
	Workspace  string
	Status     model.CommandStatus
	Connection string
	Kind       model.CommandKind
	// SubjectID, with Kind's resource, selects the commands of one subject.
	SubjectID int64
	BeforeID  int64
	Limit     int
}

package store

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
)

// IntakeErrors records inbound messages the intake refused after receiving
// them (an FTP file that does not parse), so they are visible through the
// API instead of only in a log line.
type IntakeErrors interface {
	// RecordIntakeError stores one refused message and sets its ID. The body
	// is cut to model.IntakeErrorBodyCap bytes.
	RecordIntakeError(ctx context.Context, e *model.IntakeError) error
	// ListIntakeErrors lists a workspace's intake errors, newest first.
	ListIntakeErrors(ctx context.Context, f IntakeErrorFilter) ([]*model.IntakeError, error)
}

// IntakeErrorFilter selects intake errors for ListIntakeErrors.
type IntakeErrorFilter struct {
	Workspace  string
	Connection string
	// BeforeID continues a listing: only errors with a smaller id.
	BeforeID int64
	Limit    int
}

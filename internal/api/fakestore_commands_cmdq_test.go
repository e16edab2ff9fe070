package api_test

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The cmdq branch adds store.Commands to store.Store; these stubs keep the
// API's fake store compiling until the API's own fake commands replace
// them (delete this file when they do).

func (f *fakeStore) SubmitCommand(context.Context, *store.Submission, store.EnqueueFunc) (*store.SubmitResult, error) {
	return nil, errReadOnly
}

func (f *fakeStore) GetCommand(context.Context, string, int64) (*model.Command, error) {
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListCommands(context.Context, store.CommandFilter) ([]*model.Command, error) {
	return []*model.Command{}, nil
}

func (f *fakeStore) StartCommand(context.Context, int64, time.Time) (*model.Command, error) {
	return nil, errReadOnly
}

func (f *fakeStore) FinishCommand(context.Context, int64, store.CommandOutcome) (*model.Command, error) {
	return nil, errReadOnly
}

func (f *fakeStore) RetryCommand(context.Context, string, int64, store.EnqueueFunc) (*model.Command, error) {
	return nil, errReadOnly
}

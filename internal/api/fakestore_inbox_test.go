package api_test

import (
	"context"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// The inbox methods of fakeStore: the API tests of the inbox run on a real
// store, so these only refuse.

func (f *fakeStore) ProcessWorkspaces(context.Context, []string, int, func(context.Context, store.Tx, []*model.InboxMessage) error) (int, error) {
	return 0, errReadOnly
}

func (f *fakeStore) ListFailedInbox(context.Context, store.FailedInboxFilter) ([]*store.FailedMessage, error) {
	return nil, errReadOnly
}

func (f *fakeStore) RetryInbox(context.Context, string, int64) error { return errReadOnly }

func (f *fakeStore) RetryFailedInbox(context.Context, string, string) (int64, error) {
	return 0, errReadOnly
}

func (f *fakeStore) LiveLeases(context.Context, string) ([]store.Lease, error) {
	return nil, errReadOnly
}

func (f *fakeStore) InboxConnections(context.Context, string) ([]string, error) {
	return nil, errReadOnly
}

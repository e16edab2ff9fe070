package api_test

import (
	"context"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// The API keeps no dashboard sessions: the fake has none.

func (f *fakeStore) CreateSession(context.Context, *store.Session) error { return errReadOnly }

func (f *fakeStore) GetSession(context.Context, string) (*store.Session, error) {
	return nil, store.ErrNotFound
}

func (f *fakeStore) DeleteSession(context.Context, string) error { return errReadOnly }

func (f *fakeStore) SetSessionLang(context.Context, string, string) error { return errReadOnly }

func (f *fakeStore) PruneSessions(context.Context, time.Time) (int64, error) { return 0, errReadOnly }

func (f *fakeStore) LastFeedID(_ context.Context, workspace string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last int64
	for _, e := range f.feed {
		if e.Workspace == workspace && e.ID > last {
			last = e.ID
		}
	}
	return last, nil
}

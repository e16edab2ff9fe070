package wics

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

// TestAPIErrorViolationLevel reads a block's level from WICS's message,
// in the document's words or as a number, and 0 when it names none.
func TestAPIErrorViolationLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		message string
		want    int
	}{
		{"DocumentsFirst", 429, "The user is blocked for one minute (First violation level)", 1},
		{"DocumentsSecond", 429, "blocked for an additional five minutes (Second violation level)", 2},
		{"DocumentsThird", 429, "blocked for a maximum of fifteen minutes (Third violation level) .", 3},
		{"Numbered", 429, "Too many requests: API user k is blocked until 2026-12-01T12:00:00Z (violation level 2 of 3); a request during a block extends it", 2},
		{"NumberedFirst", 429, "Too many requests: more than 150 requests per minute; API user k is blocked until 2026-12-01T12:00:00Z (violation level 1 of 3)", 1},
		{"NoLevel", 429, "Too Many Requests", 0},
		{"DayLimit", 429, "Too many requests: the maximum of 20000 requests per day is reached for API user k", 0},
		{"NotABlock", 422, "violation level 2", 0},
		{"Empty", 429, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &APIError{Method: http.MethodGet, Path: "/order", Status: tt.status, Code: tt.status, Message: tt.message}
			require.Equal(t, tt.want, e.ViolationLevel())
		})
	}
}

// wcLevelLimiter is a wcLimiter that also takes the stated level.
type wcLevelLimiter struct {
	wcLimiter
	levels []int
}

func (l *wcLevelLimiter) BlockedAt(ctx context.Context, level int) (time.Time, error) {
	l.mu.Lock()
	l.levels = append(l.levels, level)
	l.mu.Unlock()
	return l.Blocked(ctx)
}

var _ provider.LevelBlocker = (*wcLevelLimiter)(nil)

// TestABlockTellsTheLimiterItsLevel: a refusal that names its level passes
// it to a limiter that takes one, and one that does not passes 0, so the
// limiter escalates by its own count.
func TestABlockTellsTheLimiterItsLevel(t *testing.T) {
	t.Parallel()
	messages := []string{
		"Too many requests: API user key-1 is blocked until 2026-03-04T10:05:00Z (violation level 2 of 3)",
		"Too many requests",
	}
	i := 0
	s := newWCServer(t, func(w http.ResponseWriter, _ *wcRequest) {
		wcAnswer(w, http.StatusTooManyRequests, fmt.Sprintf(`{"code":429,"message":%q,"success":false,"data":null}`, messages[i]))
		i++
	})
	l := &wcLevelLimiter{wcLimiter: wcLimiter{until: wcNow.Add(5 * time.Minute)}}
	for range messages {
		err := s.client(l).Login(context.Background())
		var ra *provider.RetryAfterError
		require.ErrorAs(t, err, &ra)
		require.Equal(t, 5*time.Minute, ra.After, "until the limiter's end of the block")
	}
	require.Equal(t, []int{2, 0}, l.levels)
}

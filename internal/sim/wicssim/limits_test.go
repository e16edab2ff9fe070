package wicssim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// limitStart is a Tuesday morning in Amsterdam.
var limitStart = time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC)

func manualServer(t *testing.T, change func(*ServerConfig)) (*Server, *ManualClock, api, api) {
	t.Helper()
	clock := NewManualClock(limitStart)
	s, base := startServer(t, func(c *ServerConfig) {
		c.Clock = clock
		if change != nil {
			change(c)
		}
	})
	return s, clock, api{t, base, keyA, secretA}, api{t, base, keyB, secretB}
}

func TestTheMinuteLimitBlocksAndEscalates(t *testing.T) {
	t.Parallel()
	s, clock, a, b := manualServer(t, nil)
	for i := range 150 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status, "request %d", i+1)
	}
	// The 151st request within the minute: first violation level.
	first := a.do("GET", "/api/login", nil)
	require.Equal(t, http.StatusTooManyRequests, first.Status)
	require.Equal(t, 429, first.Code)
	require.False(t, first.Success)
	require.Contains(t, first.Message, "violation level 1")
	require.Contains(t, first.Message, "2026-06-02T08:01:00Z")
	require.Empty(t, first.Header.Get("Retry-After"), "the document names no header")
	require.Equal(t, 200, b.do("GET", "/api/login", nil).Status, "another login has its own limits")

	// Ignoring the message: five more minutes.
	clock.Advance(30 * time.Second)
	second := a.do("GET", "/api/login", nil)
	require.Equal(t, 429, second.Status)
	require.Contains(t, second.Message, "violation level 2")
	require.Contains(t, second.Message, "2026-06-02T08:05:30Z")

	// And on: fifteen minutes, the maximum.
	clock.Advance(time.Minute)
	third := a.do("GET", "/api/login", nil)
	require.Contains(t, third.Message, "violation level 3")
	require.Contains(t, third.Message, "2026-06-02T08:16:30Z")
	clock.Advance(time.Minute)
	fourth := a.do("GET", "/api/login", nil)
	require.Equal(t, 429, fourth.Status)
	require.Contains(t, fourth.Message, "violation level 3")
	require.Contains(t, fourth.Message, "2026-06-02T08:16:30Z", "the third level is not extended")

	clock.Set(time.Date(2026, 6, 2, 8, 16, 30, 0, time.UTC))
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status, "the block ends")

	st := s.Limits(keyA)
	require.EqualValues(t, 155, st.Requests)
	require.EqualValues(t, 151, st.Served)
	require.EqualValues(t, 4, st.Refused)
	require.Equal(t, 152, st.MaxPerMinute, "150 served and two refused within 60 seconds")
	require.Equal(t, 150, st.MaxServedPerMinute)
	require.Zero(t, st.Level)
	require.Equal(t, []Block{
		{At: limitStart, Level: 1, Until: limitStart.Add(time.Minute)},
		{At: limitStart.Add(30 * time.Second), Level: 2, Until: limitStart.Add(30*time.Second + 5*time.Minute)},
		{At: limitStart.Add(90 * time.Second), Level: 3, Until: limitStart.Add(90*time.Second + 15*time.Minute)},
	}, st.Blocks)
	require.Empty(t, s.Limits(keyB).Blocks)
}

func TestAClientThatWaitsOutTheBlockStartsAgainAtTheFirstLevel(t *testing.T) {
	t.Parallel()
	s, clock, a, _ := manualServer(t, func(c *ServerConfig) { c.PerMinute = 3 })
	for range 3 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	require.Equal(t, 429, a.do("GET", "/api/login", nil).Status)
	clock.Advance(time.Minute)
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status, "after the minute's block")
	for range 2 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	again := a.do("GET", "/api/login", nil)
	require.Contains(t, again.Message, "violation level 1")
	levels := []int{}
	for _, b := range s.Limits(keyA).Blocks {
		levels = append(levels, b.Level)
	}
	require.Equal(t, []int{1, 1}, levels)
}

func TestTheMinuteIsSliding(t *testing.T) {
	t.Parallel()
	_, clock, a, _ := manualServer(t, func(c *ServerConfig) { c.PerMinute = 10 })
	// Seven at :30 and three at :59 fill the minute; at 1:10 a fixed minute
	// would be new, but the sliding one still holds the seven from :30.
	clock.Advance(30 * time.Second)
	for range 7 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	clock.Advance(29 * time.Second)
	for range 3 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	clock.Advance(11 * time.Second)
	require.Equal(t, 429, a.do("GET", "/api/login", nil).Status)
}

func TestRequestsExactlyAMinuteApartAreInDifferentMinutes(t *testing.T) {
	t.Parallel()
	s, clock, a, _ := manualServer(t, func(c *ServerConfig) { c.PerMinute = 5 })
	for range 5 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	clock.Advance(time.Minute)
	for range 5 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	}
	require.Equal(t, 5, s.Limits(keyA).MaxPerMinute)
}

func TestTheDayLimit(t *testing.T) {
	t.Parallel()
	s, clock, a, _ := manualServer(t, func(c *ServerConfig) { c.PerDay = 4 })
	for range 4 {
		require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
		clock.Advance(time.Hour)
	}
	over := a.do("GET", "/api/login", nil)
	require.Equal(t, 429, over.Status)
	require.Contains(t, over.Message, "4 requests per day")
	require.Zero(t, s.Limits(keyA).Level, "the day limit does not escalate")
	// Midnight in Amsterdam (22:00 UTC in summer) starts a new day.
	clock.Set(time.Date(2026, 6, 2, 21, 59, 59, 0, time.UTC))
	require.Equal(t, 429, a.do("GET", "/api/login", nil).Status)
	clock.Set(time.Date(2026, 6, 2, 22, 0, 0, 0, time.UTC))
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	require.Equal(t, 1, s.Limits(keyA).Today)
}

func TestRetryAfterOnRequest(t *testing.T) {
	t.Parallel()
	_, clock, a, _ := manualServer(t, func(c *ServerConfig) { c.PerMinute = 1; c.RetryAfter = true })
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	require.Equal(t, "60", a.do("GET", "/api/login", nil).Header.Get("Retry-After"))
	clock.Advance(10 * time.Second)
	require.Equal(t, "300", a.do("GET", "/api/login", nil).Header.Get("Retry-After"))
}

func TestUnauthenticatedRequestsCountForNoOne(t *testing.T) {
	t.Parallel()
	s, _, a, _ := manualServer(t, nil)
	for range 3 {
		require.Equal(t, 401, api{t, a.base, keyA, "wrong"}.do("GET", "/api/login", nil).Status)
	}
	require.Zero(t, s.Limits(keyA).Requests)
}

// With a compressed clock a minute's block passes in a fraction of a
// second of the test's time.
func TestACompressedClockShortensTheBlocks(t *testing.T) {
	t.Parallel()
	clock := NewScaledClock(600) // a minute is 100ms
	s, base := startServer(t, func(c *ServerConfig) { c.Clock = clock; c.PerMinute = 5 })
	a := api{t, base, keyA, secretA}
	// Five within a simulated minute fill it; however slow the machine,
	// some request soon finds it full.
	refused := false
	for i := 0; i < 200 && !refused; i++ {
		refused = a.do("GET", "/api/login", nil).Status == 429
	}
	require.True(t, refused, "the minute filled up")
	st := s.Limits(keyA)
	require.Len(t, st.Blocks, 1)
	require.Equal(t, time.Minute, st.Blocks[0].Until.Sub(st.Blocks[0].At), "the block is a simulated minute")
	waitFor(t, 10*time.Second, "the block to end on the compressed clock", func() bool { return !clock.Now().Before(st.BlockedUntil) })
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	require.Equal(t, 100*time.Millisecond, clock.Real(time.Minute))
}

func TestABlockCanBeForced(t *testing.T) {
	t.Parallel()
	s, clock, a, b := manualServer(t, nil)
	s.Block(keyA, 1)
	require.Equal(t, 429, a.do("GET", "/api/login", nil).Status)
	require.Equal(t, 200, b.do("GET", "/api/login", nil).Status)
	st := s.Limits(keyA)
	require.Equal(t, 2, st.Level, "a request during the forced block escalates it")
	require.Equal(t, []int{1, 2}, []int{st.Blocks[0].Level, st.Blocks[1].Level})
	clock.Advance(5 * time.Minute)
	require.Equal(t, 200, a.do("GET", "/api/login", nil).Status)
	s.Block(keyB, 9)
	require.Equal(t, 3, s.Limits(keyB).Level, "the level is capped at the last")
}

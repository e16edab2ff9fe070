package sqlite_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/store/storetest"
)

// BenchmarkInsights measures the insights aggregates at 100,000 shipments
// and 1,000,000 events. Seeding takes minutes: run it alone, with
// -benchtime=3x.
func BenchmarkInsights(b *testing.B) {
	storetest.BenchmarkInsights(b, sqlite.OpenTest(b), 100000)
}

func BenchmarkInsightsSmall(b *testing.B) {
	storetest.BenchmarkInsights(b, sqlite.OpenTest(b), 2000)
}

// TestSeedInsightsDatabase seeds, when SHIPHUB_INSIGHTS_SEED names a file,
// a database there for looking at the aggregates' plans by hand
// (SHIPHUB_INSIGHTS_SHIPMENTS shipments, default 100,000).
func TestSeedInsightsDatabase(t *testing.T) {
	path := os.Getenv("SHIPHUB_INSIGHTS_SEED")
	if path == "" {
		t.Skip("SHIPHUB_INSIGHTS_SEED is not set")
	}
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SHIPHUB_INSIGHTS_SHIPMENTS")); err == nil {
		n = v
	}
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: path, Synchronous: "NORMAL"})
	require.NoError(t, err)
	defer s.Close()
	t.Logf("%d events", storetest.SeedInsights(t, s, n, time.Now().UTC()))
}

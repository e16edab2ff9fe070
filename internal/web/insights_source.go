package web

import (
	"context"

	"github.com/shiphub/shiphub/internal/insights"
)

// InsightsSource answers the insights page's charts. Package insights
// implements it with a snapshot per workspace it keeps current in the
// background, so the page never waits for the aggregation (but the first
// view of a workspace it does not compute in the background).
type InsightsSource interface {
	Snapshot(ctx context.Context, workspace string) (*insights.Snapshot, error)
}

var _ InsightsSource = (*insights.Service)(nil)

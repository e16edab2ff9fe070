package web

import "context"

// InsightsSource answers the insights page's charts. Package insights
// implements it with a snapshot per workspace it keeps current in the
// background, so the page never waits for the aggregation.
// TODO(insights): the snapshot type; this is the skeleton's placeholder.
type InsightsSource interface {
	Snapshot(ctx context.Context, workspace string) (any, error)
}

package sqlite_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wholeTableScan matches a plan step that reads a table from end to end:
// "SCAN deliveries", "SCAN d" (an alias), but not a scan of a virtual table
// (json_each), of a materialised subquery, or one in order of an index.
var wholeTableScan = regexp.MustCompile(`^SCAN (\w+)$`)

// TestDeliveryStatementsHaveAnIndex checks, with EXPLAIN QUERY PLAN, the
// fixed statements of the delivery worker's claim and record cycle (as the
// store sends them, from DeliveryStatementsForPlanTests): every read of
// deliveries, feed and endpoints is a search of an index or of the primary
// key, or an ordered walk of the due index that a LIMIT ends, and nothing
// is sorted. PostgreSQL's generic plans of the same statements are checked
// by TestDeliveryStatementsHaveIndexedGenericPlans.
func TestDeliveryStatementsHaveAnIndex(t *testing.T) {
	t.Parallel()
	s, db := planStore(t)

	statements := s.DeliveryStatementsForPlanTests()
	require.Contains(t, statements, "claim")
	require.Contains(t, statements, "next due")
	for name, query := range statements {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := make([]any, strings.Count(query, "?"))
			for i := range args {
				args[i] = 0
			}
			all := queryPlan(t, db, query, args...)
			require.NotContains(t, all, "TEMP B-TREE", "plan: %s", all)
			for _, step := range strings.Split(all, "; ") {
				if m := wholeTableScan.FindStringSubmatch(step); m != nil && m[1] != "f" {
					t.Errorf("%q reads a table whole; plan: %s", step, all)
				}
				if strings.HasPrefix(step, "SCAN ") && strings.Contains(step, "USING") && !strings.Contains(step, "USING INDEX deliveries_due") {
					t.Errorf("%q walks a whole index; plan: %s", step, all)
				}
			}
		})
	}
}

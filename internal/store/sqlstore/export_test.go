package sqlstore

// InboxMonitoringQueries are the inbox statements that run on every sampling
// of InboxStats and on every claim, with their arguments, for the plan test.
func InboxMonitoringQueries(d Dialect) map[string]struct {
	Query string
	Args  []any
} {
	q := newQueries(d)
	s := &Store{dialect: d, q: q}
	pendingOf, pendingArgs := s.pendingOfSQL([]string{"acme", "globex"}, 32)
	type stmt = struct {
		Query string
		Args  []any
	}
	return map[string]stmt{
		"stats":                    {q.inboxStats, nil},
		"oldest pending":           {q.inboxOldest, nil},
		"claim":                    {q.inboxPending, []any{32}},
		"claim of some workspaces": {pendingOf, pendingArgs},
		"wake":                     {q.inboxWake, []any{1}},
		"defer":                    {q.inboxDefer, []any{1, "acme", "c"}},
	}
}

package sqlstore

// ListQuery is listQuery, for the plan test of inbound goods and returns.
var ListQuery = listQuery

// ReturnOrdersOf is returnOrdersOf, for its plan test.
const ReturnOrdersOf = returnOrdersOf

// Package activeants is the connector of Active Ants, a Dutch fulfilment
// warehouse, through its ShopApi (activeants-shopapi.txt, with the paths
// activeants-public-clients.md recovers from public clients): the only
// place in shiphub that knows the ShopApi's wire format. Shipments, stock,
// stock mutations and track-trace status come out by the pulls below;
// orders, products, purchase orders and returns go in as commands
// (commands.go: what each sends and how it stays idempotent; answers.go:
// how their answers map; purchaseorders.go: the colour rules; returns.go:
// the RMA and its label).
//
// Every path the connector sends is in one table, Paths (paths.go), with
// its source; the paths no source shows are marked "unknown: chosen as
// plausible" with the reason.
//
// # Login and tokens
//
// POST /token with the form grant_type=password&username&password gives a
// bearer token. Tokens are fetched per connection and hub instance, and
// kept in memory only: the document's tokens live about 15 hours
// (expires_in 56499), so a few instances fetch a few tokens a day, and a
// token never rests in the database. The token is dropped a tenth of its
// life (at most five minutes) before expires_in. On a 401 the client
// fetches a new token once and sends the request again; a second 401 is
// the answer. A refused login (HTTP 400 with error and error_description)
// is a *LoginError: the connection's health check returns it (GET
// /api/v1/connections shows it), and it is remembered for sync_interval,
// so nothing asks POST /token again before the next scheduled pull. Tokens
// and the password are never logged or put in errors.
//
// # Answers
//
// Every answer but the token's is the envelope {messageCode, message,
// result}; a 2xx with messageCode NOK is an *APIError carrying Active
// Ants's message. Keys are read case-insensitively, so the document's
// camelCase and the clients' PascalCase both decode; numbers may come as
// strings; times without an offset are read in Europe/Amsterdam.
//
// # Pulls
//
// The poll service (service.go) commits every answer to the inbox before
// it acts on it:
//
//   - Shipments: GET /v2/shipment/get serves the shipments of every order
//     of the account not yet marked synced, including orders created
//     outside shiphub. Each is committed as its own inbox message (topic
//     shipment, dedup key "shipment:<id>", the item's bytes verbatim); only
//     then are the committed ones marked with POST /v2/shipment/sync. A
//     crash between the two re-serves them, and the inbox acknowledges
//     them as duplicates: applied once, then marked.
//   - Order status: a shipment states its order (by externalOrderNumber)
//     shipped or partially_shipped. The service decides when it commits
//     the shipment, and records it in the message's Meta (order_status) so
//     that Normalize stays a pure function of the message: when the hub
//     knows the order's lines, the order is shipped once its shipments of
//     this connection cover every line's quantity; otherwise (an order
//     created outside shiphub) the shipment ships it, as Active Ants ships
//     an order whole unless it was created with partialDelivery. Ranked,
//     so a late partial never replaces shipped.
//   - Stock: GET /stock/bulk/true until a full sync has been committed
//     (State keeps the flag; without it, the hub's stock rows of the
//     connection say so), then /stock/bulk/false, every stock_interval;
//     the whole answer is one message. A failed commit makes the next pull
//     a full one, as Active Ants marks what it served.
//   - Stock mutations: as shipments (GET /v2/stockmutation/get, one message
//     each, dedup "stockmutation:<id>", then POST /v2/stockmutation/sync),
//     with their purchase-order links as inbound receipts.
//   - Track-trace: at most once per track_trace_interval (never under an
//     hour, the document's limit), gated by a lease in the shared database
//     taken before the request, so neither failures, restarts nor other
//     instances ask sooner; the whole answer is one message;
//     track_trace_statuses.tsv maps the codes.
//
// An answer or item that does not decode is recorded as an intake error
// with its excerpt, and the connection goes on with the rest: the other
// items are committed, and an undecodable item of an unsynced list is
// marked synced after it is recorded, so it does not block the list.
//
// The mapping of each message to canonical changes is documented on its
// normalize function (normalize.go), field by field.
//
// # State and compressed time
//
// What the connector remembers (the first full stock sync done, the
// cached settings, the last track-trace read) is a State: the poll service
// keeps it in the store's sync cursors (CursorState, cursor names
// "activeants/<key>" of the connection) whenever its store has them, so it
// survives restarts and moves with the lease to another instance; tests
// use MemState. The setting speed (default 1) is for a simulator whose
// warehouse clock runs faster: every interval is waited for speed times
// shorter in real time, and keeps its limit in warehouse time.
package activeants

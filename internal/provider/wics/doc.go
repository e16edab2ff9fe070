// Package wics is the connector of the WICS Service Layer's webhooks, the
// provider "wics": the only place in shiphub that knows WICS's wire format.
// It decodes the nine webhook topics the document (wics-service-layer.txt,
// "Topic's") shows, checks the Authorization header WICS sends, holds the
// connection's settings and the tables of WICS status codes, and maps each
// topic to canonical changes (mapping.go has the table, wire field by
// canonical field, and which time each topic's statements carry).
//
// The Connector (connector.go) is a provider.WebhookReceiver. Accept
// decodes and maps the whole message before it is committed, so whatever
// is acknowledged can be normalised; its dedup key is the digest of topic
// and body (a WICS retry is a duplicate), and the inbox message's Meta
// keeps, under "tolerated", what was read liberally. Normalize decodes the
// stored body again and maps it: a pure function of the message.
//
// # Topics
//
// WICS posts every topic to its own subscribed URL; shiphub's is
// POST /hooks/{workspace}/{connection}/{topic}, where {topic} is one of these
// lower-case path names (matched case-insensitively, so StockMutation is
// stockmutation):
//
//	shipment            Topic Shipment
//	receipt             Topic Receipt
//	stock               Topic Stock
//	stockmutation       Topic StockMutation
//	announcementstatus  Topic Announcement status
//	orderstatus         Topic Order status
//	orderlinestatus     Topic OrderLineStatus
//	picksliplinestatus  Topic PickslipLineStatus
//	rma                 Topic RMA
//
// Any other path name is ErrUnknownTopic (the intake answers 404).
//
// # Tolerance
//
// The document's own examples are accepted verbatim, although two of them
// are not what they claim to be: the Receipt example has a trailing comma
// and the StockMutation example's registrationDate has a space before the
// T. The decoder is liberal where the meaning is unambiguous and records
// every such reading in the Tolerated list it returns:
//
//   - a comma directly before } or ] (white space aside) is dropped, and a
//     UTF-8 byte order mark at the start is skipped; no other JSON syntax is
//     repaired;
//   - a date-time may have a space before or instead of the T, may lack the
//     UTC offset (it is then read in the connection's zone, default
//     Europe/Amsterdam, and refused when that wall-clock time happens twice
//     or never because of a DST change), may have up to nine fractional
//     digits, and an empty string means no date;
//   - a number field may carry its digits as a JSON string ("20639": the
//     document's field tables call several of them String), or an integral
//     value written with a fraction (3.0);
//   - a text field may carry a JSON number (9000000), taken as its digits,
//     except for status codes, whose leading zeros a number would lose;
//   - metaFields may be an object, an empty string (the examples' own form),
//     null, or an object encoded as a JSON string;
//   - a key may differ from the document's only in ASCII case (eansscc for
//     EANSSCC), and keys the document does not name are ignored.
//
// The list names the field and what was read, e.g. "trailing comma at
// offset 768" or "registrationDate: space before T". It holds at most 32
// entries; a last one counts the rest.
//
// It is strict where the meaning is ambiguous: a key given twice, a number
// with a fraction where a count belongs, a status code sent as a number,
// text where a number belongs, invalid UTF-8, anything after the JSON value,
// and a missing identifier are all errors wrapping provider.ErrBadInput
// that name the field, e.g. `lines[0].quantityReceived: expected a number,
// got "four"`. A Decoder with Strict set refuses every tolerance, which is
// what the fuzz tests compare against.
package wics

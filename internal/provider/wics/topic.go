package wics

import (
	"fmt"
	"strings"

	"github.com/shiphub/shiphub/internal/provider"
)

// Topic is one of the nine webhook topics, by its URL path name.
type Topic string

// The topics, by the path name of their webhook URL (see the package doc).
const (
	TopicShipment           Topic = "shipment"
	TopicReceipt            Topic = "receipt"
	TopicStock              Topic = "stock"
	TopicStockMutation      Topic = "stockmutation"
	TopicAnnouncementStatus Topic = "announcementstatus"
	TopicOrderStatus        Topic = "orderstatus"
	TopicOrderLineStatus    Topic = "orderlinestatus"
	TopicPickslipLineStatus Topic = "picksliplinestatus"
	TopicRMA                Topic = "rma"
)

// ErrUnknownTopic is the error of a path name that is none of the nine
// topics. It wraps provider.ErrUnknownTopic, not provider.ErrBadInput: the
// intake answers 404, as for any URL that does not exist.
var ErrUnknownTopic = &unknownTopicError{}

type unknownTopicError struct{}

func (*unknownTopicError) Error() string { return "unknown wics topic" }

// Unwrap makes errors.Is(err, provider.ErrUnknownTopic) hold.
func (*unknownTopicError) Unwrap() error { return provider.ErrUnknownTopic }

// topics lists the topics in the document's order.
var topics = []Topic{
	TopicShipment, TopicReceipt, TopicStock, TopicStockMutation, TopicAnnouncementStatus,
	TopicOrderStatus, TopicOrderLineStatus, TopicPickslipLineStatus, TopicRMA,
}

// Topics returns all nine topics in the document's order: the default of
// Settings.Topics.
func Topics() []Topic { return append([]Topic(nil), topics...) }

// ParseTopic reads the {topic} segment of a webhook URL, case-insensitively.
// Anything else, the empty name included, is ErrUnknownTopic.
func ParseTopic(name string) (Topic, error) {
	for _, t := range topics {
		if asciiEqualFold(name, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w %q; known topics: %s", ErrUnknownTopic, clip(name), topicList())
}

func topicList() string {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// clip shortens outside text for an error message.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}

// asciiEqualFold is strings.EqualFold for ASCII letters only: a path name
// or a JSON key matches in another case, but not through Unicode folding
// (the long s of "ſtock" is not the s of stock).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

package wicssim

import (
	"embed"
	"fmt"
	"slices"
)

// The topic path names: the last segment of the hook URL
// {hub}/hooks/{workspace}/{connection}/{topic}. The document names the topics
// only in headings ("Topic Shipment", "Topic Announcement status", …) and in
// the sentences under the examples ("the announcementStatus webhook"); these
// are those names in lower case, without spaces.
const (
	TopicShipment           = "shipment"
	TopicReceipt            = "receipt"
	TopicStock              = "stock"
	TopicStockMutation      = "stockmutation"
	TopicAnnouncementStatus = "announcementstatus"
	TopicOrderStatus        = "orderstatus"
	TopicOrderLineStatus    = "orderlinestatus"
	TopicPickslipLineStatus = "picksliplinestatus"
	TopicRMA                = "rma"
)

// topics is every topic in the document's order.
var topics = []string{
	TopicShipment, TopicReceipt, TopicStock, TopicStockMutation, TopicAnnouncementStatus,
	TopicOrderStatus, TopicOrderLineStatus, TopicPickslipLineStatus, TopicRMA,
}

// Topics returns the nine topic path names in the document's order.
func Topics() []string { return slices.Clone(topics) }

// examples holds the document's nine example payloads byte for byte, as cut
// from wics-service-layer.txt between "Topic …" and "The json message
// delivered by …", without a trailing newline. They keep the document's
// quirks: the Receipt example has a trailing comma after the last field of
// its line, and the StockMutation example writes registrationDate as
// "2022-05-02 T09:48:11.000+02:00", with a space before the T.
//
//go:embed examples/*.json
var examples embed.FS

// Example returns the document's example payload of a topic, verbatim.
func Example(topic string) ([]byte, error) {
	if !slices.Contains(topics, topic) {
		return nil, fmt.Errorf("wics simulator: unknown topic %q", topic)
	}
	b, err := examples.ReadFile("examples/" + topic + ".json")
	if err != nil {
		return nil, fmt.Errorf("reading the %s example: %w", topic, err)
	}
	return b, nil
}

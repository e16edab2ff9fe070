package wicssim

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// documentHeadings maps each topic to its heading in the document.
var documentHeadings = map[string]string{
	TopicShipment:           "Topic Shipment",
	TopicReceipt:            "Topic Receipt",
	TopicStock:              "Topic Stock",
	TopicStockMutation:      "Topic StockMutation",
	TopicAnnouncementStatus: "Topic Announcement status",
	TopicOrderStatus:        "Topic Order status",
	TopicOrderLineStatus:    "Topic OrderLineStatus",
	TopicPickslipLineStatus: "Topic PickslipLineStatus",
	TopicRMA:                "Topic RMA",
}

// documentExample cuts a topic's example out of testdata's copy of the
// document: what stands between its heading and "The json message delivered
// by".
func documentExample(t *testing.T, topic string) []byte {
	t.Helper()
	doc, err := os.ReadFile("testdata/wics-service-layer.txt")
	require.NoError(t, err)
	heading := "\n" + documentHeadings[topic] + "\n\n"
	start := bytes.Index(doc, []byte(heading))
	require.GreaterOrEqual(t, start, 0, "heading %q in the document", heading)
	start += len(heading)
	end := bytes.Index(doc[start:], []byte("\n\nThe json message delivered by"))
	require.Greater(t, end, 0)
	return doc[start : start+end]
}

func TestExamplesAreTheDocumentsVerbatim(t *testing.T) {
	t.Parallel()
	require.Len(t, Topics(), len(documentHeadings))
	for _, topic := range Topics() {
		t.Run(topic, func(t *testing.T) {
			t.Parallel()
			got, err := Example(topic)
			require.NoError(t, err)
			require.Equal(t, string(documentExample(t, topic)), string(got))
		})
	}
}

func TestExamplesKeepTheDocumentsQuirks(t *testing.T) {
	t.Parallel()
	receipt, err := Example(TopicReceipt)
	require.NoError(t, err)
	require.Contains(t, string(receipt), "\"stockStatusDescription\": \"Vrij\",\n    }", "the Receipt example's trailing comma")
	mutation, err := Example(TopicStockMutation)
	require.NoError(t, err)
	require.Contains(t, string(mutation), `"registrationDate": "2022-05-02 T09:48:11.000+02:00"`, "the space before the T")
}

func TestExampleOfAnUnknownTopic(t *testing.T) {
	t.Parallel()
	_, err := Example("orders")
	require.ErrorContains(t, err, `unknown topic "orders"`)
	_, err = Example("../wicssim")
	require.Error(t, err)
}

func TestTopicsReturnsACopy(t *testing.T) {
	t.Parallel()
	ts := Topics()
	ts[0] = "changed"
	require.Equal(t, TopicShipment, Topics()[0])
	require.False(t, strings.Contains(strings.Join(Topics(), ","), "changed"))
}

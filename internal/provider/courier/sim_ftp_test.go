package courier

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/couriersim"
)

// TestTheSimulatorsFilesAreAcceptedAndNormalized checks the connector's file
// channel against the independent simulator's FTP/JSON and FTP/XML files:
// each is accepted, keyed like the same update over HTTP, and normalised to
// a known status.
func TestTheSimulatorsFilesAreAcceptedAndNormalized(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	start := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	for n := int64(1); n <= 40; n++ {
		for _, u := range couriersim.Journey(5, n, start) {
			for ext, body := range map[string][]byte{"json": couriersim.PostBody(u), "xml": couriersim.XMLBody(u)} {
				name := couriersim.FileName(u, ext)
				in, err := c.AcceptFile(name, body)
				require.NoError(t, err, name)
				require.Equal(t, DedupKey(&Message{Order: u.Order, StatusCode: u.StatusCode, StatusTime: u.StatusTime}), in.DedupKey)
				updates, err := shipments(c.Normalize(&model.InboxMessage{Source: model.SourceFTP, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body}))
				require.NoError(t, err, name)
				require.Equal(t, u.Order, updates[0].ProviderRef)
				ev := updates[0].Events[0]
				require.NotEqual(t, model.StatusUnknown, ev.Status, name)
				require.Equal(t, u.StatusNL, ev.Labels["nl"], name)
			}
		}
	}
}

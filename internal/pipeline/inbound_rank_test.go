package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestARetriedOlderAnnouncementStatusNeverMovesInboundGoodsBack: statuses
// whose messages carry no time are dated by their arrival, so a late retry
// of an older status arrives as the newest; the provider's rank keeps the
// goods at the furthest status, with its provider status, in every order
// of arrival.
func TestARetriedOlderAnnouncementStatusNeverMovesInboundGoodsBack(t *testing.T) {
	t.Parallel()
	status := func(asOf int, code string, st model.InboundStatus, rank int) model.Changes {
		return model.Changes{Inbound: []model.InboundUpdate{{AsOf: orderHour(asOf), Reference: "PO-7", Status: st, StatusRank: rank,
			ProviderStatus: &model.ProviderStatus{Code: code, Description: "d" + code}}}}
	}
	// Arrival times run against the lifecycle: the furthest status came
	// first, and the retries of the earlier ones after it.
	msgs := []model.Changes{
		status(1, "60", model.InboundReceived, 61),
		status(2, "40", model.InboundReceiving, 41),
		status(3, "00", model.InboundAnnounced, 1),
	}
	orders := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	for name, open := range stores {
		for _, order := range orders {
			t.Run(fmt.Sprint(name, order), func(t *testing.T) {
				t.Parallel()
				st := open(t)
				p := changesPipeline(t, st, 1, 1)
				for i, k := range order {
					commitOrderChanges(t, st, "c000", fmt.Sprint(i), msgs[k])
				}
				_, err := p.Drain(context.Background())
				require.NoError(t, err)
				list, err := st.ListInbound(context.Background(), store.InboundFilter{Workspace: "acme", Limit: 2})
				require.NoError(t, err)
				require.Len(t, list, 1)
				require.Equal(t, model.InboundReceived, list[0].Status)
				require.Equal(t, "60", list[0].ProviderStatus.Code, "the provider status goes with the status")
			})
		}
	}
}

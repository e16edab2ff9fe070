package commands_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/commands"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

func TestMetricsCountOutcomesAndSampleTheDepth(t *testing.T) {
	t.Parallel()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			m := metrics.NewCommandMetrics(prometheus.NewRegistry())
			release := make(chan struct{})
			sender := &fakeSender{answer: func(cmd *model.Command, _ int, _ any) (*provider.CommandAnswer, error) {
				<-release
				return okAnswer(cmd), nil
			}}
			q, err := commands.New(commands.Options{Store: s, DB: s, Connections: fakeConns{sender}, Config: testConfig(),
				Metrics: m, SampleInterval: 20 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, q.Start(context.Background()))
			t.Cleanup(func() { require.NoError(t, q.Stop(context.Background())) })

			res := submitOrder(t, q, "WT-1")
			waitFor(t, 20*time.Second, "the running job to show", func() bool {
				return testutil.ToFloat64(m.Jobs.WithLabelValues("running")) == 1
			})
			close(release)
			waitStatus(t, s, res.Command.ID, model.CommandSucceeded)
			require.Equal(t, 1.0, testutil.ToFloat64(m.Attempts.WithLabelValues("wics", "order.create", "succeeded")))
			waitFor(t, 20*time.Second, "the queue to show empty", func() bool {
				return testutil.ToFloat64(m.Jobs.WithLabelValues("running")) == 0 &&
					testutil.ToFloat64(m.Jobs.WithLabelValues("available")) == 0
			})
		})
	}
}

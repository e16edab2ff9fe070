package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// BenchmarkQueue measures the queue's own cost per command: submit (the
// order, the command and the job in one transaction), then the worker's
// start, send to a fake that answers at once, answer to the inbox and
// finish, until every command of the run has succeeded. The provider's
// rate budget, not this, bounds real throughput (WICS: 150 a minute).
func BenchmarkQueue(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			q := startQueue(b, s, s, &fakeSender{}, testConfig(), nil)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				_, err := q.Submit(context.Background(), &store.Submission{
					Workspace: "acme", Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate,
					Order: &model.Order{Reference: fmt.Sprintf("WT-%d", i)},
				})
				require.NoError(b, err)
			}
			submitted := time.Since(start)
			deadline := time.Now().Add(5 * time.Minute)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				cmds, err := s.ListCommands(context.Background(), store.CommandFilter{Workspace: "acme", Status: model.CommandSucceeded, Limit: b.N + 1})
				require.NoError(b, err)
				if len(cmds) == b.N {
					break
				}
				require.True(b, time.Now().Before(deadline), "commands still unsent")
				<-tick.C
			}
			total := time.Since(start)
			b.ReportMetric(float64(b.N)/total.Seconds(), "commands/s")
			b.ReportMetric(float64(submitted.Microseconds())/float64(b.N), "µs/submit")
		})
	}
}

package metrics_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/metrics"
)

func TestUnknownCodesHaveBoundedCardinality(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	for i := range 500 {
		m.CountUnknown("courier", fmt.Sprintf("CODE_%d", i))
	}
	m.CountUnknown("courier", "CODE_0")
	m.CountUnknown("courier", "bad\xffutf8")
	require.LessOrEqual(t, testutil.CollectAndCount(m.UnknownStatus), 201, "at most 200 codes and \"other\"")
	require.Equal(t, 2.0, testutil.ToFloat64(m.UnknownStatus.WithLabelValues("courier", "CODE_0")), "a known code keeps counting")
	require.Equal(t, 301.0, testutil.ToFloat64(m.UnknownStatus.WithLabelValues("courier", "other")), "later codes are counted as other")
}

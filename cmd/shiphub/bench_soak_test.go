package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSoakVerdict(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	type s struct{ updates, bytes int64 }
	get := func(v s) (int64, int64) { return v.updates, v.bytes }
	cases := []struct {
		name    string
		samples []s
		want    string
	}{
		{"a size that levels off is flat", []s{{1, 20 * mib}, {2, 60 * mib}, {3, 100 * mib}, {4, 104 * mib}, {5, 105 * mib}},
			"verdict: FLAT: 100.0 MiB after 3 updates, 105.0 MiB after 5 (+5.0%), peak 105.0 MiB"},
		{"a size that keeps growing is not", []s{{1, 20 * mib}, {2, 40 * mib}, {3, 60 * mib}, {4, 80 * mib}, {5, 100 * mib}},
			"verdict: GROWING: 60.0 MiB after 3 updates, 100.0 MiB after 5 (+66.7%), peak 100.0 MiB"},
		{"a small database may wobble by a few MiB", []s{{1, 10 * mib}, {2, 12 * mib}, {3, 12 * mib}, {4, 15 * mib}},
			"verdict: FLAT: 12.0 MiB after 3 updates, 15.0 MiB after 4 (+25.0%), peak 15.0 MiB"},
		{"two samples are too few", []s{{1, mib}, {2, mib}}, "verdict: too few samples (lower --report-every)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, soakVerdict(c.samples, get))
		})
	}
}

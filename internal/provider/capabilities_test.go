package provider_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

func TestHasFileExtension(t *testing.T) {
	t.Parallel()
	exts := []string{"json", "xml"}
	cases := []struct {
		name string
		want bool
	}{
		{"A_take_20230719110649.json", true},
		{"A_take_20230719110649.XML", true},
		{"A_take_20230719110649.json.part", false},
		{"A_take_20230719110649.csv", false},
		{"json", false},
		{"A_take_20230719110649.", false},
		{"", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, provider.HasFileExtension(tc.name, exts))
		})
	}
	require.False(t, provider.HasFileExtension("a.json", nil), "a connector without extensions takes nothing")
}

type plain struct{}

func (plain) Normalize(*model.InboxMessage) (model.Changes, error) { return model.Changes{}, nil }

type once struct{ plain }

func (once) ProviderRetries() bool { return false }

func TestRetriesUnlessTheConnectorSaysOtherwise(t *testing.T) {
	t.Parallel()
	require.True(t, provider.Retries(plain{}), "a connector that says nothing is taken to retry")
	require.False(t, provider.Retries(once{}))
}

package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

func TestTimeLedKey(t *testing.T) {
	t.Parallel()
	content := []byte("ASK1\x00take\x0020230717094743")
	sum := sha256.Sum256(content)
	require.Equal(t, "20230717094743-"+hex.EncodeToString(sum[:16]), provider.TimeLedKey("20230717094743", content))
	require.Equal(t, hex.EncodeToString(sum[:16]), provider.TimeLedKey("", content), "without a time, the hash alone")

	// Keys sort by their time whatever their content.
	keys := []string{
		provider.TimeLedKey("20230717094743", []byte("zzz")),
		provider.TimeLedKey("20230717094744", []byte("aaa")),
		provider.TimeLedKey("20230718000000", []byte("mmm")),
	}
	require.True(t, slices.IsSorted(keys), "keys %v", keys)
}

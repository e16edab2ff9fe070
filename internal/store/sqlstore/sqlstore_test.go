package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/store/sqlstore"
)

func TestRebindNumbersPlaceholdersInOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"a query without placeholders is unchanged", "SELECT 1", "SELECT 1"},
		{"placeholders are numbered from one", "SELECT id FROM inbox WHERE workspace = ? AND id > ? LIMIT ?", "SELECT id FROM inbox WHERE workspace = $1 AND id > $2 LIMIT $3"},
		{"numbering passes ten", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, sqlstore.Rebind(c.in))
		})
	}
}

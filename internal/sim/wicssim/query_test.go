package wicssim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPaging(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, func(c *ServerConfig) { c.MaxPageSize = 30 })
	a := api{t, base, keyA, secretA}
	for i := range 45 {
		require.Equal(t, 201, a.do("POST", "/api/order", orderJSON(fmt.Sprintf("P-%02d", i))).Status)
	}
	refs := func(ans answer) []string {
		var out []string
		for _, o := range ans.list(t) {
			out = append(out, o["reference"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		first       string
		n           int
		message     string
	}{
		{"TheDefaultPageIsTheFirstOfTwenty", "", "P-00", 20, "List of 20 orders"},
		{"PagesStartAtOne", "?page=1", "P-00", 20, "List of 20 orders"},
		{"TheSecondPage", "?page=2", "P-20", 20, "List of 20 orders"},
		{"TheLastPageIsShort", "?page=3", "P-40", 5, "List of 5 orders"},
		{"PastTheLastPageIsEmpty", "?page=4", "", 0, "List of 0 orders"},
		{"APageSize", "?page=2&pageSize=10", "P-10", 10, "List of 10 orders"},
		{"APageSizeAboveTheMaximumIsCut", "?pageSize=100", "P-00", 30, "List of 30 orders"},
		{"AnExactLastPageIsFollowedByAnEmptyOne", "?page=10&pageSize=5", "", 0, "List of 0 orders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do("GET", "/api/order"+tc.query, nil)
			require.Equal(t, 200, ans.Status)
			require.Equal(t, tc.message, ans.Message)
			got := refs(ans)
			require.Len(t, got, tc.n)
			if tc.n > 0 {
				require.Equal(t, tc.first, got[0])
			}
		})
	}
	t.Run("WalkingThePagesSeesEveryOrderOnce", func(t *testing.T) {
		var all []string
		for page := 1; ; page++ {
			got := refs(a.do("GET", fmt.Sprintf("/api/order?page=%d&pageSize=7", page), nil))
			all = append(all, got...)
			if len(got) < 7 {
				break
			}
		}
		require.Len(t, all, 45)
		seen := map[string]bool{}
		for _, r := range all {
			require.False(t, seen[r], r)
			seen[r] = true
		}
	})
	for _, q := range []string{"?page=0", "?page=-1", "?page=x", "?pageSize=0", "?pageSize=abc"} {
		t.Run("Refuses"+q, func(t *testing.T) {
			ans := a.do("GET", "/api/order"+q, nil)
			require.Equal(t, 400, ans.Status)
			require.False(t, ans.Success)
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	for i, o := range []struct {
		ref, date  string
		prio, shop int
		method     string
	}{
		{"F-1", "2026-06-01", 1, 1, "WEB"},
		{"F-2", "2026-06-02", 2, 1, "POR"},
		{"F-3", "2026-06-03", 3, 2, "WEB"},
		{"F-4", "2026-06-04", 2, 2, "WEB"},
	} {
		body := strings.Replace(orderJSON(o.ref), `"2026-06-02"`, `"`+o.date+`"`, 1)
		body = strings.Replace(body, `"reference"`, fmt.Sprintf(`"priority": %d, "webshopId": %d, "method": %q, "additionalReference": "AR%d", "reference"`, o.prio, o.shop, o.method, i), 1)
		require.Equal(t, 201, a.do("POST", "/api/order", body).Status)
	}
	nr := a.do("GET", "/api/order?reference=F-4", nil).list(t)[0]["number"].(string)
	for !s.AdvanceOrder(nr) {
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"reference=F-2", []string{"F-2"}},
		{"reference[eq]=F-2", []string{"F-2"}},
		{"reference[neq]=F-2", []string{"F-1", "F-3", "F-4"}},
		{"priority=2&method=WEB&webshopId=2", []string{"F-4"}},
		{"priority[gte]=2", []string{"F-2", "F-3", "F-4"}},
		{"priority[gt]=2", []string{"F-3"}},
		{"priority[lt]=2", []string{"F-1"}},
		{"priority[lte]=2", []string{"F-1", "F-2", "F-4"}},
		{"deliveryDate[gte]=2026-06-03", []string{"F-3", "F-4"}},
		{"deliveryDate=2026-06-01", []string{"F-1"}},
		{"additionalReference=AR2", []string{"F-3"}},
		{"paid=true", []string{"F-1", "F-2", "F-3", "F-4"}},
		{"statusCode=Verzonden", []string{"F-4"}},
		{"priority=high", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got []string
			for _, o := range a.do("GET", "/api/order?"+tc.query, nil).list(t) {
				got = append(got, o["reference"].(string))
			}
			require.Equal(t, tc.want, got)
		})
	}
	t.Run("StockByNettoSalable", func(t *testing.T) {
		all := a.do("GET", "/api/stock?pageSize=100", nil).list(t)
		high := a.do("GET", "/api/stock?nettoSalable[gte]=1000&pageSize=100", nil).list(t)
		require.NotEmpty(t, high)
		require.Less(t, len(high), len(all), "the orders took some items below 1000")
		for _, st := range high {
			require.GreaterOrEqual(t, st["nettoSalable"].(float64), 1000.0)
		}
	})
	for _, tc := range []struct{ query, message string }{
		{"updatedAt[gte]=2026-06-01", `The field "updatedAt" can not be filtered on`},
		{"priority[like]=2", `The filter operator "like" is unknown`},
		{"priority[gte=2", `is not of the form field[operator]`},
		{"ride=1", `is a list or an object`},
	} {
		t.Run("Refuses "+tc.query, func(t *testing.T) {
			ans := a.do("GET", "/api/order?"+tc.query, nil)
			require.Equal(t, 400, ans.Status)
			require.Contains(t, ans.Message, tc.message)
		})
	}
}

func TestParseFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key       string
		field, op string
		refused   bool
	}{
		{"reference", "reference", "eq", false},
		{"nettoSalable[gte]", "nettoSalable", "gte", false},
		{"receiptDate[lte]", "receiptDate", "lte", false},
		{"x[]", "", "", true},
		{"[gte]", "", "", true},
		{"x[gte", "", "", true},
		{"x[GTE]", "", "", true},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			f, e := parseFilter(tc.key, "1")
			if tc.refused {
				require.NotNil(t, e)
				return
			}
			require.Nil(t, e)
			require.Equal(t, tc.field, f.field)
			require.Equal(t, tc.op, f.op)
		})
	}
}

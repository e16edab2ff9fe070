package wicssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Filters and paging (the document's "Filters" chapter and the lists'
// page/pageSize parameters).

// filter is one query condition: field[op]=value.
type filter struct {
	field, op, value string
}

var operators = []string{"eq", "neq", "gt", "lt", "gte", "lte"}

// parseQuery splits a list's query into its page, page size and filters.
func parseQuery(q url.Values, defSize, maxSize int) (page, size int, fs []filter, e *apiError) {
	page, size = 1, defSize
	for _, k := range sortedKeys(q) {
		v := q[k][len(q[k])-1]
		switch k {
		case "page":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return 0, 0, nil, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The page must be an integer of at least 1, not %q.", v)}
			}
			page = n
		case "pageSize":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return 0, 0, nil, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The pageSize must be an integer of at least 1, not %q.", v)}
			}
			size = min(n, maxSize)
		default:
			f, err := parseFilter(k, v)
			if err != nil {
				return 0, 0, nil, err
			}
			fs = append(fs, f)
		}
	}
	return page, size, fs, nil
}

// parseFilter reads "field" or "field[op]".
func parseFilter(key, value string) (filter, *apiError) {
	f := filter{field: key, op: "eq", value: value}
	if i := strings.IndexByte(key, '['); i >= 0 {
		if !strings.HasSuffix(key, "]") || i == 0 {
			return f, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The filter %q is not of the form field[operator].", key)}
		}
		f.field, f.op = key[:i], key[i+1:len(key)-1]
		if !slices.Contains(operators, f.op) {
			return f, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The filter operator %q is unknown; use one of %s.", f.op, strings.Join(operators, ", "))}
		}
	}
	return f, nil
}

// flatten is a record as the get endpoint shows it, as decoded JSON, for
// filtering.
func flatten(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wicssim: encoding a record: %v", err)) // plain structs always encode
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	return m
}

// match reports whether a record passes every filter; a filter on a field
// the record lacks, or on an object or list, is refused.
func match(rec map[string]any, fs []filter) (bool, *apiError) {
	for _, f := range fs {
		v, ok := rec[f.field]
		if !ok {
			return false, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The field %q can not be filtered on: it is not a field of this list.", f.field)}
		}
		c, cmpOK, e := compare(v, f)
		if e != nil {
			return false, e
		}
		if !cmpOK {
			return false, nil
		}
		if !holds(c, f.op) {
			return false, nil
		}
	}
	return true, nil
}

func holds(c int, op string) bool {
	switch op {
	case "eq":
		return c == 0
	case "neq":
		return c != 0
	case "gt":
		return c > 0
	case "lt":
		return c < 0
	case "gte":
		return c >= 0
	default: // lte
		return c <= 0
	}
}

// compare orders a record's value against the filter's: numbers as numbers,
// booleans as booleans, text as text, a date-time field against a date by its
// date. ok is false when the two cannot be compared (a number field against
// text), which matches nothing but neq.
func compare(v any, f filter) (c int, ok bool, e *apiError) {
	switch x := v.(type) {
	case nil:
		return strings.Compare("", f.value), true, nil
	case json.Number:
		a, err1 := x.Float64()
		b, err2 := strconv.ParseFloat(f.value, 64)
		if err1 != nil || err2 != nil {
			return 0, f.op == "neq", nil
		}
		return cmpFloat(a, b), true, nil
	case bool:
		b, err := strconv.ParseBool(f.value)
		if err != nil {
			return 0, f.op == "neq", nil
		}
		switch {
		case x == b:
			return 0, true, nil
		case !x:
			return -1, true, nil
		default:
			return 1, true, nil
		}
	case string:
		s := x
		if len(f.value) == 10 && len(s) > 10 && f.value[4] == '-' && f.value[7] == '-' && (s[10] == 'T' || s[10] == ' ') {
			s = s[:10]
		}
		return strings.Compare(s, f.value), true, nil
	}
	return 0, false, &apiError{code: http.StatusBadRequest, message: fmt.Sprintf("The field %q is a list or an object and can not be filtered on.", f.field)}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// listing is one list answer's records and the word for them.
type listing[T any] struct {
	noun string
	// message, if set, is the answer's fixed message instead of "List of
	// N noun".
	message string
	records []T
	// full is what a record looks like at its get endpoint (what filters
	// see); view is what the list shows.
	full func(T) map[string]any
	view func(T) any
}

// serveList filters, pages and answers a list.
func serveList[T any](s *Server, w http.ResponseWriter, r *http.Request, l listing[T]) {
	page, size, fs, e := parseQuery(r.URL.Query(), s.cfg.PageSize, s.cfg.MaxPageSize)
	if e != nil {
		s.fail(w, e)
		return
	}
	var kept []T
	for _, rec := range l.records {
		if len(fs) > 0 {
			okay, e := match(l.full(rec), fs)
			if e != nil {
				s.fail(w, e)
				return
			}
			if !okay {
				continue
			}
		}
		kept = append(kept, rec)
	}
	from := min((page-1)*size, len(kept))
	to := min(from+size, len(kept))
	data := make([]any, 0, to-from)
	for _, rec := range kept[from:to] {
		data = append(data, l.view(rec))
	}
	msg := fmt.Sprintf("List of %d %s", len(data), l.noun)
	if l.message != "" {
		msg = l.message
	}
	ok(w, http.StatusOK, msg, data)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

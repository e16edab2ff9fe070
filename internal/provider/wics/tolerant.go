package wics

import (
	"bytes"
	"fmt"
)

// Tolerated lists, in the order they were met, the readings of a message
// that a strict decoder would have refused, e.g. "trailing comma at offset
// 862" or "registrationDate: space before T". It is empty for a message that
// is exactly what the document describes.
type Tolerated []string

// utf8BOM is the byte order mark some senders put before JSON.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// tolerantJSON is the pre-pass before the JSON parser. It drops a comma that
// follows a value and stands directly (white space aside) before } or ], and
// a UTF-8 byte order mark at the very start; each is recorded with its byte
// offset in body. Nothing else is changed: a comma after [ or {, two commas
// in a row, comments, single quotes and the like are left for the parser to
// refuse. removed holds the offsets in body of the dropped bytes, ascending,
// so that the parser's error offsets can be mapped back to body.
func tolerantJSON(body []byte) (out []byte, tol Tolerated, removed []int) {
	start := 0
	if bytes.HasPrefix(body, utf8BOM) {
		start = len(utf8BOM)
		tol = append(tol, "byte order mark at offset 0")
		removed = append(removed, 0, 1, 2)
	}
	var (
		inString, escaped bool
		prev              byte // the last byte of the last token outside strings
		copied            = start
		buf               []byte
	)
	for i := start; i < len(body); i++ {
		c := body[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString, prev = false, '"'
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
			continue
		case ',':
			if endsValue(prev) && closesNext(body, i+1) {
				buf = append(buf, body[copied:i]...)
				copied = i + 1
				tol = append(tol, fmt.Sprintf("trailing comma at offset %d", i))
				removed = append(removed, i)
				continue // prev stays the end of the value before the comma
			}
		}
		prev = c
	}
	if len(removed) == 0 {
		return body, nil, nil
	}
	buf = append(buf, body[copied:]...)
	return buf, tol, removed
}

// endsValue reports whether c can be the last byte of a JSON value: the
// quote of a string, a closing bracket, a digit, or the last letter of true,
// false or null.
func endsValue(c byte) bool {
	return c == '"' || c == '}' || c == ']' || (c >= '0' && c <= '9') || c == 'e' || c == 'l'
}

// closesNext reports whether the first byte at or after i that is not JSON
// white space closes an object or an array.
func closesNext(body []byte, i int) bool {
	for ; i < len(body); i++ {
		switch body[i] {
		case ' ', '\t', '\n', '\r':
		case '}', ']':
			return true
		default:
			return false
		}
	}
	return false
}

// originalOffset maps an offset in tolerantJSON's output back to body.
func originalOffset(off int, removed []int) int {
	for _, r := range removed {
		if r <= off {
			off++
		}
	}
	return off
}

package wics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// kind is the JSON type of a node.
type kind byte

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is one parsed JSON value. Unlike a map, it keeps an object's keys in
// their order and lets the parser refuse a key given twice.
type node struct {
	kind kind
	// text is a string's value or a number's literal.
	text    string
	boolean bool
	// keys and vals are an object's members in order; vals alone are an
	// array's elements.
	keys []string
	vals []*node
}

// maxDepth bounds nesting. No topic nests deeper than four levels; the rest
// is room for metaFields.
const maxDepth = 64

// errDepth is returned for input nested deeper than maxDepth.
var errDepth = fmt.Errorf("nested deeper than %d levels", maxDepth)

// parseTree parses exactly one JSON value, with nothing but white space
// after it. Its errors carry the parser's byte offset in b.
func parseTree(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec, 0, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{msg: "data after the JSON value", off: int(dec.InputOffset())}
	}
	return n, nil
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

func readNode(dec *json.Decoder, depth int, path string) (*node, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenError(dec, err)
	}
	switch v := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, boolean: v}, nil
	case json.Number:
		return &node{kind: kindNumber, text: v.String()}, nil
	case string:
		return &node{kind: kindString, text: v}, nil
	case json.Delim:
		switch v {
		case '[':
			n := &node{kind: kindArray}
			for dec.More() {
				el, err := readNode(dec, depth+1, fmt.Sprintf("%s[%d]", path, len(n.vals)))
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, el)
			}
			if _, err := dec.Token(); err != nil {
				return nil, tokenError(dec, err)
			}
			return n, nil
		case '{':
			n := &node{kind: kindObject}
			seen := map[string]bool{}
			for dec.More() {
				off := int(dec.InputOffset())
				kt, err := dec.Token()
				if err != nil {
					return nil, tokenError(dec, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, &syntaxError{msg: "an object key that is not a string", off: off}
				}
				if seen[key] {
					return nil, &duplicateKeyError{path: joinPath(path, key)}
				}
				seen[key] = true
				val, err := readNode(dec, depth+1, joinPath(path, key))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, tokenError(dec, err)
			}
			return n, nil
		}
	}
	return nil, &syntaxError{msg: "unexpected " + fmt.Sprint(tok), off: int(dec.InputOffset())}
}

// duplicateKeyError is a key an object gives twice: which of the two values
// is meant is ambiguous.
type duplicateKeyError struct{ path string }

func (e *duplicateKeyError) Error() string { return e.path + ": given twice" }

// joinPath names a member of the object at path, the way the errors do:
// lines[0].itemCode. A key that is not a plain name is quoted.
func joinPath(path, key string) string {
	if !plainKey(key) {
		key = strconv.Quote(clip(key))
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// plainKey reports whether key is a non-empty run of ASCII letters, digits
// and underscores, which a path shows unquoted.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// tokenError turns the decoder's error into a syntaxError with an offset.
func tokenError(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &syntaxError{msg: se.Error(), off: int(se.Offset)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &syntaxError{msg: "unexpected end of JSON", off: int(dec.InputOffset())}
	}
	return &syntaxError{msg: err.Error(), off: int(dec.InputOffset())}
}

package wics

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/provider"
)

// FieldError is a message WICS sent that cannot be read: Field names where,
// as a path such as lines[0].quantityReceived ("" for the body as a whole),
// and Reason says what is wrong. It wraps provider.ErrBadInput, so the
// intake answers 400 with a problem body that names the field.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return provider.ErrBadInput.Error() + ": " + e.Reason
	}
	return provider.ErrBadInput.Error() + ": " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, provider.ErrBadInput) hold.
func (e *FieldError) Unwrap() error { return provider.ErrBadInput }

func fieldError(path, format string, args ...any) *FieldError {
	return &FieldError{Field: path, Reason: fmt.Sprintf(format, args...)}
}

// binder fills a wire struct from a parsed tree, recording tolerances.
type binder struct {
	loc    *time.Location
	strict bool
	tol    Tolerated
	// more counts the tolerances beyond maxTolerated, which are not listed.
	more int
}

// maxTolerated bounds the Tolerated list: a body of thousands of lines,
// each with a field the document does not name, must not make a list as
// long as the body. What is left out is counted in a last entry.
const maxTolerated = 32

// tolerated is the list, with the count of what was left out.
func (b *binder) tolerated() Tolerated {
	if b.more > 0 {
		return append(b.tol, fmt.Sprintf("and %d more tolerances not listed", b.more))
	}
	return b.tol
}

// tolerate records a liberal reading at path, or refuses it in strict mode.
func (b *binder) tolerate(path, what string) error {
	if b.strict {
		return fieldError(path, "%s (refused: strict decoding)", what)
	}
	if len(b.tol) >= maxTolerated {
		b.more++
		return nil
	}
	if path != "" {
		what = path + ": " + what
	}
	b.tol = append(b.tol, what)
	return nil
}

// fieldInfo is what the binder knows of one struct field from its tags:
// json:"name" is the document's key; wics:"required,code,date" say that the
// field must be present and not empty, that it is a status code (a JSON
// number is refused, since it would lose leading zeros), and that it holds a
// calendar date.
type fieldInfo struct {
	index    int
	name     string
	required bool
	code     bool
	date     bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func fieldsOf(t reflect.Type) []fieldInfo {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]fieldInfo)
	}
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fi := fieldInfo{index: i, name: name}
		for _, opt := range strings.Split(f.Tag.Get("wics"), ",") {
			switch opt {
			case "required":
				fi.required = true
			case "code":
				fi.code = true
			case "date":
				fi.date = true
			case "":
			default:
				panic("wics: unknown tag option " + opt + " on " + t.String() + "." + f.Name)
			}
		}
		out = append(out, fi)
	}
	fieldCache.Store(t, out)
	return out
}

var (
	timeType       = reflect.TypeFor[Time]()
	metaFieldsType = reflect.TypeFor[MetaFields]()
)

// bindStruct fills the struct v from the object n.
func (b *binder) bindStruct(path string, n *node, v reflect.Value) error {
	if n.kind != kindObject {
		if path == "" {
			return fieldError("", "the body must be a JSON object, got %s", describe(n))
		}
		return fieldError(path, "expected an object, got %s", describe(n))
	}
	fields := fieldsOf(v.Type())
	given := make([]bool, len(fields))
	for k, key := range n.keys {
		fi := -1
		for i, f := range fields {
			if f.name == key {
				fi = i
				break
			}
		}
		if fi < 0 {
			for i, f := range fields {
				if asciiEqualFold(f.name, key) {
					fi = i
					break
				}
			}
			if fi >= 0 {
				if given[fi] {
					return fieldError(joinPath(path, fields[fi].name), "given twice (once as %s)", strconv.Quote(key))
				}
				if err := b.tolerate(joinPath(path, key), "key read as "+fields[fi].name+", ignoring case"); err != nil {
					return err
				}
			}
		}
		if fi < 0 {
			if err := b.tolerate(joinPath(path, key), "unknown field ignored"); err != nil {
				return err
			}
			continue
		}
		if given[fi] {
			return fieldError(joinPath(path, fields[fi].name), "given twice (once as %s)", strconv.Quote(key))
		}
		f := fields[fi]
		val := n.vals[k]
		fp := joinPath(path, f.name)
		if f.required && missing(val) {
			return fieldError(fp, "is required, got %s", describe(val))
		}
		given[fi] = true
		if err := b.bindValue(fp, f, val, v.Field(f.index)); err != nil {
			return err
		}
	}
	for i, f := range fields {
		if f.required && !given[i] {
			return fieldError(joinPath(path, f.name), "is required")
		}
	}
	return nil
}

// missing reports whether a required value is absent in effect: null, or a
// string of white space.
func missing(n *node) bool {
	return n.kind == kindNull || (n.kind == kindString && strings.TrimSpace(n.text) == "")
}

func (b *binder) bindValue(path string, f fieldInfo, n *node, v reflect.Value) error {
	switch v.Type() {
	case timeType:
		return b.bindTime(path, f, n, v)
	case metaFieldsType:
		return b.bindMetaFields(path, n, v)
	}
	switch v.Kind() {
	case reflect.String:
		switch n.kind {
		case kindString:
			// No WICS text means anything with a NUL in it, and PostgreSQL
			// cannot store one in text or JSON: refused here, at the intake,
			// rather than acknowledged and then failed by the pipeline.
			if strings.IndexByte(n.text, 0) >= 0 {
				return fieldError(path, "holds a NUL character (\\u0000)")
			}
			v.SetString(n.text)
		case kindNull:
		case kindNumber:
			if f.code {
				return fieldError(path, "expected a status code as a string such as \"00\", got the number %s", clip(n.text))
			}
			if err := b.tolerate(path, "number "+clip(n.text)+" taken as text"); err != nil {
				return err
			}
			v.SetString(n.text)
		default:
			return fieldError(path, "expected a string, got %s", describe(n))
		}
	case reflect.Int64:
		i, err := b.integer(path, n)
		if err != nil {
			return err
		}
		v.SetInt(i)
	case reflect.Pointer:
		if n.kind == kindNull {
			return nil
		}
		if v.Type().Elem().Kind() != reflect.Int64 {
			panic("wics: unsupported pointer field " + v.Type().String())
		}
		i, err := b.integer(path, n)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(&i))
	case reflect.Bool:
		if n.kind != kindBool {
			return fieldError(path, "expected true or false, got %s", describe(n))
		}
		v.SetBool(n.boolean)
	case reflect.Slice:
		switch n.kind {
		case kindNull:
			return b.tolerate(path, "null taken as an empty list")
		case kindArray:
		default:
			return fieldError(path, "expected a list, got %s", describe(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.vals), len(n.vals))
		for i, el := range n.vals {
			if err := b.bindStruct(fmt.Sprintf("%s[%d]", path, i), el, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
	default:
		panic("wics: unsupported field type " + v.Type().String())
	}
	return nil
}

// digitsRE is an integer written the way JSON writes one.
var digitsRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// maxExact is the largest integer a float64 holds exactly.
const maxExact = 1 << 53

// integer reads a whole number: a JSON integer; or, recorded, one written
// with a zero fraction or exponent (3.0, 1e3), or its digits as a string.
func (b *binder) integer(path string, n *node) (int64, error) {
	switch n.kind {
	case kindNumber:
		if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(n.text, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > maxExact {
			return 0, fieldError(path, "expected a whole number, got %s", clip(n.text))
		}
		if err := b.tolerate(path, "whole number written as "+clip(n.text)); err != nil {
			return 0, err
		}
		return int64(f), nil
	case kindString:
		if digitsRE.MatchString(n.text) {
			if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
				if err := b.tolerate(path, "number given as the string "+strconv.Quote(n.text)); err != nil {
					return 0, err
				}
				return i, nil
			}
		}
	}
	return 0, fieldError(path, "expected a number, got %s", describe(n))
}

func (b *binder) bindTime(path string, f fieldInfo, n *node, v reflect.Value) error {
	switch n.kind {
	case kindNull:
		return nil
	case kindString:
	default:
		return fieldError(path, "expected a date-time string, got %s", describe(n))
	}
	t, err := parseTime(n.text, b.loc, f.date, func(what string) error { return b.tolerate(path, what) })
	if err != nil {
		if _, ok := err.(*FieldError); ok {
			return err
		}
		return fieldError(path, "%s", err.Error())
	}
	v.Set(reflect.ValueOf(t))
	return nil
}

func (b *binder) bindMetaFields(path string, n *node, v reflect.Value) error {
	switch n.kind {
	case kindNull:
		return nil
	case kindObject:
	case kindString:
		if n.text == "" {
			return nil // the document's own examples send "" for no metafields
		}
		inner, err := parseTree([]byte(n.text))
		if err != nil || inner.kind != kindObject {
			return fieldError(path, "expected an object, got %s", describe(n))
		}
		if err := b.tolerate(path, "object given as a JSON string"); err != nil {
			return err
		}
		n = inner
	default:
		return fieldError(path, "expected an object, got %s", describe(n))
	}
	m := make(MetaFields, len(n.keys))
	for i, k := range n.keys {
		m[k] = encodeNode(n.vals[i])
	}
	v.Set(reflect.ValueOf(m))
	return nil
}

// encodeNode writes a parsed value back as compact JSON.
func encodeNode(n *node) json.RawMessage {
	var buf []byte
	var enc func(n *node)
	enc = func(n *node) {
		switch n.kind {
		case kindNull:
			buf = append(buf, "null"...)
		case kindBool:
			buf = strconv.AppendBool(buf, n.boolean)
		case kindNumber:
			buf = append(buf, n.text...)
		case kindString:
			q, _ := json.Marshal(n.text)
			buf = append(buf, q...)
		case kindArray:
			buf = append(buf, '[')
			for i, el := range n.vals {
				if i > 0 {
					buf = append(buf, ',')
				}
				enc(el)
			}
			buf = append(buf, ']')
		case kindObject:
			buf = append(buf, '{')
			for i, k := range n.keys {
				if i > 0 {
					buf = append(buf, ',')
				}
				q, _ := json.Marshal(k)
				buf = append(buf, q...)
				buf = append(buf, ':')
				enc(n.vals[i])
			}
			buf = append(buf, '}')
		}
	}
	enc(n)
	return buf
}

// describe names a value for an error message: the string quoted (and
// clipped), the number, true, false, null, an object, a list.
func describe(n *node) string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(n.boolean)
	case kindNumber:
		return clip(n.text)
	case kindString:
		return strconv.Quote(clip(n.text))
	case kindArray:
		return "a list"
	}
	return "an object"
}

package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
)

// maxIdempotencyKey bounds an Idempotency-Key; a UUID is 36 characters.
const maxIdempotencyKey = 255

// maxCommandBody bounds the body of a creating request (an order of a few
// thousand lines fits).
const maxCommandBody = 1 << 20

// checkIdempotencyKey checks an Idempotency-Key header: printable ASCII,
// at most maxIdempotencyKey characters.
func checkIdempotencyKey(key string) []error {
	if len(key) > maxIdempotencyKey {
		return []error{badParam("header.Idempotency-Key", key, "must be at most %d characters", maxIdempotencyKey)}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return []error{badParam("header.Idempotency-Key", key, "must be printable ASCII without spaces")}
		}
	}
	return nil
}

// requestHash identifies a validated request, so that an Idempotency-Key
// reused for a different request is refused: the SHA-256 of the canonical
// JSON of what the request asks (encoding/json writes struct fields in
// their order and map keys sorted, so equal requests hash equally).
func requestHash(kind model.CommandKind, connection string, subjectID int64, request any) string {
	b, err := json.Marshal(struct {
		Kind       model.CommandKind `json:"kind"`
		Connection string            `json:"connection"`
		SubjectID  int64             `json:"subject_id,omitempty"`
		Request    any               `json:"request,omitempty"`
	}{kind, connection, subjectID, request})
	if err != nil {
		// Requests are plain data decoded from JSON; they always encode.
		panic(fmt.Sprintf("api: encoding a request to hash it: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// decodeBody decodes a request body strictly into v: one JSON object of
// the documented fields, nothing after it. Its error is the 400 answer.
func decodeBody(raw []byte, v any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return huma.Error400BadRequest("a JSON body is required")
	}
	if trimmed[0] != '{' {
		// null, an array or a scalar would decode into nothing and read as
		// a request without any field.
		return huma.Error400BadRequest("the body is not a valid JSON request",
			&huma.ErrorDetail{Location: "body", Message: "must be a JSON object"})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		detail := &huma.ErrorDetail{Location: "body", Message: err.Error()}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			detail.Location = "body" + locateField(raw, te)
			detail.Message = "must be a JSON " + jsonKind(te.Type)
		}
		return huma.Error400BadRequest("the body is not a valid JSON request", detail)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return huma.Error400BadRequest("the body is not a valid JSON request",
			&huma.ErrorDetail{Location: "body", Message: "has data after its JSON object"})
	}
	return nil
}

// locateField finds the JSON path (".lines[1].quantity") of the value a
// type error is about. encoding/json names the field by the names of the
// Go fields it went through, embedded structs included and array indices
// left out ("OrderRequest.lines.quantity"), so the path is found again in
// the body: the first value on that path of the kind the error found.
func locateField(raw []byte, te *json.UnmarshalTypeError) string {
	var parts []string
	for _, p := range strings.Split(te.Field, ".") {
		// The request types' JSON names are lower case, their embedded Go
		// types upper case.
		if p != "" && (p[0] < 'A' || p[0] > 'Z') {
			parts = append(parts, p)
		}
	}
	var v any
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v); err == nil {
		if path, ok := walkTo(v, parts, te.Value); ok {
			return path
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "." + strings.Join(parts, ".")
}

func walkTo(v any, parts []string, kind string) (string, bool) {
	if list, ok := v.([]any); ok {
		for i, el := range list {
			if p, ok := walkTo(el, parts, kind); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
		return "", false
	}
	if len(parts) == 0 {
		return "", valueKind(v) == kind
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	child, ok := m[parts[0]]
	if !ok {
		for k, c := range m { // encoding/json matches names without case
			if strings.EqualFold(k, parts[0]) {
				child, ok = c, true
				break
			}
		}
	}
	if !ok {
		return "", false
	}
	p, ok := walkTo(child, parts[1:], kind)
	return "." + parts[0] + p, ok
}

// valueKind names a decoded JSON value's kind as UnmarshalTypeError.Value does.
func valueKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return "null"
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// registerCreate registers a POST operation whose JSON body the handler
// decodes itself (from RawBody), so that a body that does not decode is a
// 400 and invalid content a 422 naming the field, never huma's own
// answers; the document still shows the body's schema, from request.
func registerCreate[I, O any](a *API, op huma.Operation, request reflect.Type, handler func(context.Context, *I) (*O, error)) {
	schema := a.humaAP.OpenAPI().Components.Schemas.Schema(request, true, "")
	op.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"application/json": {Schema: schema},
	}}
	op.Security = secured
	op.SkipValidateParams = true
	op.SkipValidateBody = true
	op.MaxBodyBytes = maxCommandBody
	if op.DefaultStatus == 0 {
		op.DefaultStatus = http.StatusAccepted
	}
	huma.Register(a.humaAP, op, handler)
	// RawBody adds an octet-stream body to the document; the body is JSON.
	if item := a.humaAP.OpenAPI().Paths[op.Path]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		delete(item.Post.RequestBody.Content, "application/octet-stream")
	}
}

package wics

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

// FuzzDecode decodes any body as any topic, liberally and strictly. It
// never panics; every refusal is a FieldError wrapping ErrBadInput; and
// nothing the strict decoder refuses is accepted without a recorded
// tolerance: a body accepted with an empty Tolerated list is accepted by the
// strict decoder with the same result, and is valid JSON by the standard
// library's own check.
func FuzzDecode(f *testing.F) {
	for i, topic := range Topics() {
		f.Add(uint8(i), example(f, topic))
	}
	f.Add(uint8(2), []byte(`{"itemCode":"A","physical":"20639","nettoSalable":1.0,"announced":0,"Warehouses":null,}`))
	f.Add(uint8(3), []byte(`{"itemCode":"1","quantity":1,"registrationDate":"2022-10-30 02:30:00"}`))
	f.Add(uint8(0), []byte(`{"shipmentNr":1,"orderReference":"R","metaFields":"{\"a\":[1,]}"}`))
	f.Add(uint8(8), []byte("\xef\xbb\xbf{\"orderReference\":\"R\",\"lines\":[{\"itemCode\":\"W\",\"quantity\":1,\"questions\":[{},]}]}"))
	lenient, strict := NewDecoder(nil), &Decoder{Strict: true}
	f.Fuzz(func(t *testing.T, idx uint8, body []byte) {
		topic := topics[int(idx)%len(topics)]
		m, tol, err := lenient.Decode(topic, body)
		sm, stol, serr := strict.Decode(topic, body)
		for _, e := range []error{err, serr} {
			if e != nil {
				require.ErrorIs(t, e, provider.ErrBadInput)
				var fe *FieldError
				require.True(t, errors.As(e, &fe))
			}
		}
		require.Empty(t, stol, "the strict decoder tolerates nothing")
		if serr == nil {
			require.NoError(t, err, "the lenient decoder accepts what the strict one does")
			require.Empty(t, tol)
			require.True(t, reflect.DeepEqual(m, sm), "both decoders read it the same")
		}
		if err != nil {
			require.Nil(t, m)
			require.Nil(t, tol)
			return
		}
		require.Equal(t, topic, m.Topic())
		if len(tol) == 0 {
			require.NoError(t, serr, "accepted without a tolerance, so the strict decoder accepts it")
			require.True(t, json.Valid(body), "accepted without a tolerance, so it is valid JSON")
		} else {
			require.Error(t, serr, "a tolerance was needed, so the strict decoder refuses it")
		}
		_, merr := json.Marshal(m)
		require.NoError(t, merr)
	})
}

// FuzzTolerantJSON: the pre-pass only ever drops commas directly before a
// closing bracket (and a leading byte order mark), records each, leaves
// valid JSON alone, and needs no second pass.
func FuzzTolerantJSON(f *testing.F) {
	f.Add(example(f, TopicReceipt))
	f.Add([]byte(`{"a":[1,"x",true,false,null,{},[],],"b":{"c":1,},}`))
	f.Add([]byte(`[1,,] [,] {"a":,} {"s":"\",}"}`))
	f.Add([]byte("\xef\xbb\xbf[1,]"))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, tol, removed := tolerantJSON(body)
		require.Len(t, out, len(body)-len(removed))
		if len(removed) == 0 {
			require.Empty(t, tol)
			require.Equal(t, body, out)
			return
		}
		require.NotEmpty(t, tol)
		require.False(t, json.Valid(body), "valid JSON needs no tolerance")
		for i, r := range removed {
			if i > 0 {
				require.Greater(t, r, removed[i-1])
			}
			if bytes.HasPrefix(body, utf8BOM) && r < len(utf8BOM) {
				continue
			}
			require.Equal(t, byte(','), body[r], "only commas are dropped")
			rest := bytes.TrimLeft(body[r+1:], " \t\r\n")
			require.True(t, len(rest) > 0 && (rest[0] == '}' || rest[0] == ']'), "only a comma before a closing bracket is dropped")
		}
		for c := range out {
			require.Equal(t, out[c], body[originalOffset(c, removed)], "offsets map back to the body")
		}
		_, again, _ := tolerantJSON(out)
		if bytes.HasPrefix(out, utf8BOM) {
			// Only the first of two byte order marks is one; the second,
			// now at the start, is the body's first character (which the
			// parser refuses), and a second pass would take it for a mark.
			require.Equal(t, Tolerated{"byte order mark at offset 0"}, again[:1])
			again = again[1:]
		}
		require.Empty(t, again, "one pass drops every trailing comma")
	})
}

// FuzzAuthenticate: the header is accepted exactly when it is "Basic "
// and the key:secret pair, literally or in standard base64; a refusal never
// says what was sent.
func FuzzAuthenticate(f *testing.F) {
	f.Add("Basic wics-key:s3cr3t", "wics-key", "s3cr3t")
	f.Add(basic("wics-key:s3cr3t"), "wics-key", "s3cr3t")
	f.Add("basic  a:b:c", "a", "b:c")
	f.Add("Bearer x", "x", "y")
	f.Add("Basic d2ljcy1rZXk6fn5-", "wics-key", "~~~")
	f.Add("", "", "")
	fixed := map[string]bool{
		"unauthorized: no Authorization header":                                     true,
		"unauthorized: the Authorization header is not Basic":                       true,
		"unauthorized: the Basic credentials are neither key:secret nor its base64": true,
		"unauthorized: wrong API key or secret":                                     true,
	}
	f.Fuzz(func(t *testing.T, header, key, secret string) {
		err := Authenticate(header, key, secret)
		usable := key != "" && secret != "" && !strings.Contains(key, ":")
		if err != nil {
			require.ErrorIs(t, err, provider.ErrUnauthorized)
			require.True(t, fixed[err.Error()], "a refusal says nothing of what was sent: %q", err.Error())
		} else {
			require.True(t, usable)
			h := strings.Trim(header, " \t")
			require.True(t, len(h) > 6 && strings.EqualFold(h[:6], "basic "))
			creds := strings.TrimLeft(h[6:], " ")
			dec, derr := base64.StdEncoding.DecodeString(creds)
			require.True(t, creds == key+":"+secret || (derr == nil && string(dec) == key+":"+secret && !strings.Contains(creds, ":")))
		}
		if usable {
			require.NoError(t, Authenticate(basic(key+":"+secret), key, secret), "the base64 form of the pair is accepted")
			if strings.Trim(key, " \t") == key && strings.Trim(secret, " \t") == secret {
				require.NoError(t, Authenticate("Basic "+key+":"+secret, key, secret), "the literal form of the pair is accepted")
			}
		}
	})
}

// FuzzParseTopic: a path segment is a topic exactly when it is one of the
// nine names in some case.
func FuzzParseTopic(f *testing.F) {
	for _, topic := range Topics() {
		f.Add(string(topic))
	}
	f.Add("StockMutation")
	f.Add("stocks")
	f.Fuzz(func(t *testing.T, name string) {
		topic, err := ParseTopic(name)
		if err != nil {
			require.ErrorIs(t, err, ErrUnknownTopic)
			for _, known := range topics {
				require.NotEqual(t, string(known), strings.ToLower(name))
			}
			return
		}
		require.Equal(t, string(topic), strings.ToLower(name))
		require.Len(t, name, len(topic), "only ASCII letters fold")
	})
}

// FuzzParseTime: a date-time is read without a tolerance only when it is
// RFC 3339 (or a date, where a date belongs), and always into UTC.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2021-09-13T00:00:00.000+02:00", "2022-05-02 T09:48:11.000+02:00", "2022-05-02 09:48:11", "2022-10-30T02:30:00", "2024-02-14", "", "2022-05-02T09:48:11,5Z"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, dateField bool) {
		var tol []string
		got, err := parseTime(s, defaultLocation, dateField, func(w string) error { tol = append(tol, w); return nil })
		if err != nil {
			return
		}
		if !got.Instant.IsZero() {
			require.Equal(t, time.UTC, got.Instant.Location())
		}
		if len(tol) == 0 {
			if got.Instant.IsZero() {
				require.True(t, dateField)
				_, perr := time.Parse(time.DateOnly, s)
				require.NoError(t, perr)
			} else {
				want, perr := time.Parse(time.RFC3339Nano, s)
				require.NoError(t, perr)
				require.True(t, want.Equal(got.Instant))
				require.Equal(t, s[:10], got.Date)
			}
		}
	})
}

package activeantssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// postPaths are the operations that read a body.
func postPaths() []string {
	var out []string
	for _, p := range Paths() {
		if p.Method == http.MethodPost && p.Pattern != "/token" {
			out = append(out, p.Pattern)
		}
	}
	return out
}

// FuzzRequestBodies sends any body to any operation that reads one: the
// simulator answers 200/201 with an envelope or 400 with one, and never
// panics or writes something that is not JSON.
func FuzzRequestBodies(f *testing.F) {
	for name := range documentExamples {
		if strings.HasSuffix(name, "request") {
			f.Add(uint8(len(name)), false, docJSON(f, documentExample(f, name)))
		}
	}
	f.Add(uint8(0), true, []byte("ExternalOrderNumber=1&OrderItems[0][Sku]=x&OrderItems[0][Quantity]=2"))
	f.Add(uint8(3), true, []byte("a[0]=1&a[2]=2&a[x][y]=3&b[]=4"))
	f.Add(uint8(5), false, []byte(`{"ids":[1,2,"3"],"purchaseOrderItems":{"sku":null}}`))
	h := newHarness(f, func(c *Config) { c.Products = 3; c.ShopOrders = 2 })
	paths := postPaths()
	f.Fuzz(func(t *testing.T, which uint8, form bool, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", "Bearer "+h.token)
		rec := httptest.NewRecorder()
		h.sim.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 201 && rec.Code != 400 {
			t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
		}
		var env envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || (env.MessageCode != "OK" && env.MessageCode != "NOK") {
			t.Fatalf("%s answered %q: %v", path, rec.Body, err)
		}
		if rec.Code == 400 && env.MessageCode != "NOK" {
			t.Fatalf("a 400 is NOK: %s", rec.Body)
		}
	})
}

// FuzzToken sends any form to POST /token: a token only for the right
// login, else a 400 with error and error_description.
func FuzzToken(f *testing.F) {
	f.Add("grant_type=password&username=shopapi-user&password=your-secret-is-safe")
	f.Add("grant_type=password&username=shopapi-user&password=")
	f.Add("grant_type=password&username=shopapi-user&username=x&password=your-secret-is-safe")
	f.Add("%zz")
	h := newHarness(f, func(c *Config) { c.Products = -1 })
	f.Fuzz(func(t *testing.T, form string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.sim.ServeHTTP(rec, req)
		code, body := rec.Code, rec.Body.Bytes()
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("answer %q is not JSON", body)
		}
		switch code {
		case http.StatusOK:
			if v["access_token"] == "" || v["token_type"] != "bearer" {
				t.Fatalf("token answer %v", v)
			}
		case http.StatusBadRequest:
			if v["error"] == nil || v["error_description"] == nil {
				t.Fatalf("error answer %v", v)
			}
		default:
			t.Fatalf("answered %d", code)
		}
	})
}

// FuzzPascalCase: whatever JSON goes in, valid JSON with the same values
// comes out, and only keys change.
func FuzzPascalCase(f *testing.F) {
	f.Add([]byte(`{"messageCode":"OK","result":[{"id":1,"x":null,"ü":"é"}]}`))
	f.Add([]byte(`[1,"a",true,{"":{}}]`))
	f.Add([]byte(`"just a string"`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			if _, err := PascalCase(doc); err == nil {
				t.Fatalf("invalid JSON %q was rewritten", doc)
			}
			return
		}
		out, err := PascalCase(doc)
		if err != nil {
			return // e.g. duplicate-free but deeply nested input the decoder refuses
		}
		if !json.Valid(out) {
			t.Fatalf("%q became invalid %q", doc, out)
		}
		da, db := json.NewDecoder(bytes.NewReader(doc)), json.NewDecoder(bytes.NewReader(out))
		da.UseNumber()
		db.UseNumber()
		for {
			ta, errA := da.Token()
			tb, errB := db.Token()
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%q -> %q: token streams end differently", doc, out)
			}
			if errA != nil {
				break
			}
			if sa, ok := ta.(string); ok && tb == upperFirst(sa) {
				continue
			}
			if ta != tb {
				t.Fatalf("%q -> %q: %v became %v", doc, out, ta, tb)
			}
		}
	})
}

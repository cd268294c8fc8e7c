package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"steward"
)

// FuzzFormDecode feeds arbitrary bodies to the form decoders every page
// handler uses — parseForm under the middleware's body limit, then
// recordForm's "record.field" split — (issue 14: "run the fuzzers for the
// form decoders"). A body either decodes or is refused as EINVALID
// ("error.form_unreadable", a 400), never a panic or a 500; and recordForm
// keeps exactly the dotted inputs the form carried, each under its first
// dot, with its first value (unknown ones too, so validation refuses them,
// R4).
func FuzzFormDecode(f *testing.F) {
	for _, s := range []string{"", "a=b", "account.email=x%40y.nl&password=p", "a.b.c=1&a.b.c=2&.x=3&y.=4", "%zz=1", "a=%", "a;b=c",
		"account.first_name=%E2%80%AE&&&=", strings.Repeat("x.y=z&", 200), "\x00=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/signup", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
		if err := parseForm(r); err != nil {
			if steward.ErrorCode(err) != steward.EINVALID || steward.ErrorKey(err) != "error.form_unreadable" {
				t.Fatalf("body %q: error %v, want EINVALID form_unreadable", body, err)
			}
			return
		}
		got := recordForm(r)
		n := 0
		for rid, fields := range got {
			if strings.Contains(rid, ".") {
				t.Fatalf("record id %q holds a dot", rid)
			}
			for fid, v := range fields {
				n++
				if vs := r.PostForm[rid+"."+fid]; len(vs) == 0 || vs[0] != v {
					t.Fatalf("recordForm %s.%s = %q, the form has %q", rid, fid, v, vs)
				}
			}
		}
		want := 0
		for k, vs := range r.PostForm {
			if strings.Contains(k, ".") && len(vs) > 0 {
				want++
			}
		}
		if n != want {
			t.Fatalf("recordForm kept %d inputs, the form has %d dotted ones", n, want)
		}
	})
}

// FuzzJSONDecode feeds arbitrary bodies to the API's strict JSON decoder:
// it decodes or refuses with EINVALID (a 400), never panics, and a body it
// accepts decodes to what encoding/json reads from it.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.nl","password":"x"}`, `{"email":1}`, `{"shoe":"42"}`, `{} {}`, `[`, ``, `{"email":"\ud800"}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBody)
		var in struct {
			Email    string `json:"email"`
			Password string `json:"password"`
			Code     string `json:"code"`
		}
		if err := decodeJSON(r, &in); err != nil && steward.ErrorCode(err) != steward.EINVALID {
			t.Fatalf("body %q: error %v, want EINVALID", body, err)
		}
	})
}

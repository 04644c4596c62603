package web

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLogin feeds the sign-in form decoder arbitrary bodies: it must
// never panic, never accept an empty or oversized field, and only ever
// send people on to a path of this site.
func FuzzParseLogin(f *testing.F) {
	for _, s := range []string{
		"csrf=abc&username=amina&password=correct+horse&next=%2Fdashboard",
		"username=amina&password=x&next=%2F%2Fevil.example",
		"username=&password=",
		"username=a%00b&password=" + strings.Repeat("x", 300),
		"next=%2F%5Cevil.example&username=u&password=p",
		"next=https://evil.example&username=u&password=p",
		"username=%ff%fe&password=p",
		"%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		l, err := parseLogin(form)
		if !strings.HasPrefix(l.Next, "/") || strings.HasPrefix(l.Next, "//") || strings.HasPrefix(l.Next, "/\\") || strings.ContainsAny(l.Next, "\r\n") {
			t.Fatalf("next %q leads off the site", l.Next)
		}
		if err != nil {
			return
		}
		if l.Username == "" || l.Password == "" || len(l.Username) > 64 || len(l.Password) > 256 || !utf8.ValidString(l.Username) {
			t.Fatalf("accepted %+v", l)
		}
	})
}

// FuzzDecodeJSON feeds the API's JSON decoder arbitrary bodies for each
// request type: it must never panic, and every refusal must be an *Error
// with a 4xx status and a catalog message.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"username":"new.officer","role":"officer","unit":"Unit 9"}`,
		`{"title":"March","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z","area":{"type":"LineString","coordinates":[[0,0],[1,1]]}}`,
		`{"role":"commander"}`,
		`{"title":`, `[]`, `null`, `{"title":5}`, `{"x":1}`, `{} {}`, "\xff", `{"starts":"yesterday"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&newAccountJSON{}, &newAssemblyJSON{}, &struct {
			Role string `json:"role"`
		}{}} {
			err := decodeJSONBytes([]byte(body), v)
			if err == nil {
				continue
			}
			var he *Error
			if !errors.As(err, &he) || he.Status < 400 || he.Status >= 500 || he.Key == "" {
				t.Fatalf("decode %q: %v is not a 4xx Error", body, err)
			}
		}
	})
}

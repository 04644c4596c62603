package policy

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func jsonOf(t testing.TB, r Request) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDigestMatchesJSON: the hand-written JSON of every example request,
// and of requests with every awkward character and number, is what
// encoding/json writes.
func TestDigestMatchesJSON(t *testing.T) {
	var reqs []Request
	for _, name := range BuiltIn() {
		p, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range p.Examples {
			r, err := exampleRequest(ex)
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, r)
		}
	}
	odd := RequestForTest()
	odd.Grounds = "quotes \" back\\slash <b>&amp; \n\r\t\b\f \x00\x1f é 漢字 \u2028\u2029 \xff\xfe end"
	odd.Targets = nil
	odd.Area = Area{Bounded: true, SquareMetres: 1e-7}
	odd.Window.Hours = 1e21
	odd.Window.Start = time.Date(2026, 12, 1, 14, 0, 0, 123456789, time.FixedZone("x", 3600))
	reqs = append(reqs, odd, Request{})
	for i, r := range reqs {
		want := jsonOf(t, r)
		got := append(appendRequest(nil, &r), '\n')
		if !bytes.Equal(got, want) {
			t.Errorf("request %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// FuzzDigestMatchesJSON holds the hand-written JSON to encoding/json for
// any text and numbers a request can hold.
func FuzzDigestMatchesJSON(f *testing.F) {
	f.Add("grounds <&>", "subj_abcd1234", 3.5, 12000.0, int64(0))
	f.Add("\xff\u2028\x00", "", 1e-7, 1e22, int64(1e15))
	f.Fuzz(func(t *testing.T, text, target string, hours, sqm float64, nanos int64) {
		r := RequestForTest()
		r.Grounds, r.LegalBasis, r.Force.Justification = text, text, text
		r.Targets = []string{target, text}
		r.Window.Hours, r.Area.SquareMetres = hours, sqm
		r.Window.Start = time.Unix(0, nanos).UTC()
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(r); err != nil {
			return // NaN or an infinity: encoding/json refuses, Normalize never makes one
		}
		if got := append(appendRequest(nil, &r), '\n'); !bytes.Equal(got, buf.Bytes()) {
			t.Fatalf("\n got %s\nwant %s", got, buf.Bytes())
		}
	})
}

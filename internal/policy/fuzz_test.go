package policy

import (
	"testing"
)

// FuzzParseRequest: a request from outside never panics the parser or the
// engine, and whatever is accepted gets a decision.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"assembly":{"id":"asm_bcdfghjklmnpqrstvwx","kind":"notified"},"technology":{"kind":"network_disruption","disrupts_network":true,"assessment_current":true},"purpose":"public_order","mode":"untargeted","grounds":"Stop participants from coordinating the march by phone.","window":{"start":"2026-12-01T09:00:00Z","end":"2026-12-01T17:00:00Z"}}`,
		`{"technology":{"kind":"facial_recognition","biometric":true},"purpose":"identify_suspect","mode":"targeted","targets":["subj_abcd1234"],"existing_footage":true}`,
		`{"window":{"start":"2026-12-01T09:00:00Z","end":"2026-11-01T17:00:00Z"}}`,
		`{"targets":["Amina Haddad"]}`, `{}`, `[]`, `{"retention_days":-5}`, `{"grounds":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	stack, err := Stack("eu-ai-act")
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewEngine(stack, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		d, err := e.Decide(r)
		if err != nil {
			t.Fatalf("an accepted request got no decision: %v", err)
		}
		if d.Outcome == "" || d.InputDigest == "" {
			t.Fatalf("incomplete decision %+v", d)
		}
	})
}

// FuzzParsePack: a pack file never panics the loader.
func FuzzParsePack(f *testing.F) {
	for _, name := range BuiltIn() {
		b, err := builtin.ReadFile("packs/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("pack: default\nversion: 1.0.0\nrules:\n  - {id: abc, source: x, effect: deny, message: m, when: 'size(targets) > 1'}\n"))
	f.Add([]byte("pack: [\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		for _, r := range p.Rules {
			if r.prog == nil {
				t.Fatalf("rule %s accepted without a program", r.ID)
			}
		}
	})
}

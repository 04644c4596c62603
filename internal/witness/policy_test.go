package witness_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/witness"
)

// cosigners makes n witness keys, named w0.test/w … w<n-1>.test/w.
func cosigners(t *testing.T, n int) []witness.Key {
	t.Helper()
	var out []witness.Key
	for i := range n {
		k, _, err := witness.LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), fmt.Sprintf("w%d.test/w", i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// cosign adds each key's cosignature/v1 signature to a checkpoint note.
func cosign(t *testing.T, cp []byte, keys ...witness.Key) []byte {
	t.Helper()
	out := cp
	for _, k := range keys {
		text, _, _ := strings.Cut(string(cp), "\n\n")
		line := signatureLine(t, text+"\n", k)
		out = append(append([]byte{}, out...), line...)
	}
	return out
}

func TestPolicyCheck(t *testing.T) {
	lg := newTestLog(t, "vigil.test/log", "main", 8)
	ws := cosigners(t, 3)
	cp := lg.checkpoint(t, 8)
	policyText := fmt.Sprintf(`# Who must cosign vigil.test/log
log vigil.test/log
witness a %s https://a.example/
witness b %s https://b.example/
witness c %s https://c.example/
group two-of-bc 1 b c
group all-two any a two-of-bc
group need 2 a two-of-bc
quorum need
`, ws[0].VerifierKey, ws[1].VerifierKey, ws[2].VerifierKey)
	policy, err := witness.ParsePolicy([]byte(policyText))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := policy.String(), "cosignatures by all of w0.test/w (key "; !strings.HasPrefix(got, want) || !strings.Contains(got, "(cosignatures by any of w1.test/w") {
		t.Errorf("policy in words: %q", got)
	}
	if len(policy.Witnesses()) != 3 {
		t.Errorf("witnesses %v, want 3", policy.Witnesses())
	}
	all, err := witness.RequireAll(ws[0].VerifierKey, ws[2].VerifierKey)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name       string
		note       []byte
		p          *witness.Policy
		ok         bool
		valid      int
		missing    []string
		invalid    []string
		errPhrases []string
	}{
		{name: "none", note: cp, p: policy, missing: []string{"w0.test/w", "w1.test/w", "w2.test/w"},
			errPhrases: []string{"witness w0.test/w (key ", "has not cosigned it"}},
		{name: "a only", note: cosign(t, cp, ws[0]), p: policy, valid: 1, missing: []string{"w1.test/w", "w2.test/w"},
			errPhrases: []string{"valid cosignatures only by w0.test/w"}},
		{name: "a and c", note: cosign(t, cp, ws[0], ws[2]), p: policy, ok: true, valid: 2, missing: []string{"w1.test/w"}},
		{name: "all three", note: cosign(t, cp, ws[0], ws[1], ws[2]), p: policy, ok: true, valid: 3},
		{name: "b and c", note: cosign(t, cp, ws[1], ws[2]), p: policy, valid: 2, missing: []string{"w0.test/w"}},
		{name: "a altered", note: flipLast(t, cosign(t, cp, ws[2], ws[0])), p: policy, valid: 1, missing: []string{"w1.test/w"}, invalid: []string{"w0.test/w"},
			errPhrases: []string{"the cosignature of witness w0.test/w (key", "does not verify"}},
		{name: "c altered, a and b fine", note: flipLast(t, cosign(t, cp, ws[0], ws[1], ws[2])), p: policy, ok: true, valid: 2, invalid: []string{"w2.test/w"}},
		{name: "require all: both", note: cosign(t, cp, ws[2], ws[0]), p: all, ok: true, valid: 2},
		{name: "require all: one", note: cosign(t, cp, ws[2]), p: all, valid: 1, missing: []string{"w0.test/w"},
			errPhrases: []string{"(cosignatures by all of w0.test/w (key", "witness w0.test/w (key"}},
		// A cosignature made over another checkpoint, moved onto this one.
		{name: "moved from another checkpoint", note: moveSignatures(t, cosign(t, lg.checkpoint(t, 7), ws[0]), cp), p: all, invalid: []string{"w0.test/w"}, missing: []string{"w2.test/w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.p.Check(tc.note)
			if got := tc.p.Satisfied(tc.note); got != tc.ok {
				t.Errorf("Satisfied = %v, want %v", got, tc.ok)
			}
			var pe *witness.PolicyError
			switch {
			case tc.ok && err != nil:
				t.Fatalf("Check: %v, want success", err)
			case !tc.ok && !errors.As(err, &pe):
				t.Fatalf("Check: %v, want a *PolicyError", err)
			}
			if len(r.Valid) != tc.valid || names(r.Missing) != strings.Join(tc.missing, ",") || names(r.Invalid) != strings.Join(tc.invalid, ",") {
				t.Fatalf("result: %d valid, missing %q, invalid %q; want %d, %q, %q", len(r.Valid), names(r.Missing), names(r.Invalid), tc.valid, tc.missing, tc.invalid)
			}
			for _, c := range r.Valid {
				if c.Time.IsZero() {
					t.Errorf("cosignature by %s has no time", c.Name)
				}
			}
			for _, p := range tc.errPhrases {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q lacks %q", err, p)
				}
			}
		})
	}

	others, err := witness.OtherSignatures(cosign(t, cp, ws[1], ws[0]), lg.verifier)
	if err != nil || names(others) != "w1.test/w,w0.test/w" {
		t.Fatalf("other signatures %v (%v)", others, err)
	}
	if others, err := witness.OtherSignatures(cp, lg.verifier); err != nil || len(others) != 0 {
		t.Fatalf("other signatures on the log's own: %v (%v)", others, err)
	}
	if _, err := policy.Check([]byte("not a note")); !errors.Is(err, witness.ErrNotANote) {
		t.Fatalf("Check of garbage: %v", err)
	}
}

func names(ks []witness.KeyID) string {
	var s []string
	for _, k := range ks {
		s = append(s, k.Name)
	}
	return strings.Join(s, ",")
}

// flipLast flips a bit of the last signature of a note.
func flipLast(t *testing.T, signed []byte) []byte {
	t.Helper()
	s := strings.TrimSuffix(string(signed), "\n")
	i := strings.LastIndex(s, " ")
	sig, err := base64.StdEncoding.DecodeString(s[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	return []byte(s[:i+1] + base64.StdEncoding.EncodeToString(sig) + "\n")
}

// moveSignatures puts the signatures of from (all but the first, the
// log's) under the text of onto.
func moveSignatures(t *testing.T, from, onto []byte) []byte {
	t.Helper()
	_, sigs, _ := strings.Cut(string(from), "\n\n")
	lines := strings.SplitAfter(sigs, "\n")
	return append(append([]byte{}, onto...), strings.Join(lines[1:], "")...)
}

func TestParsePolicyRefuses(t *testing.T) {
	ws := cosigners(t, 1)
	for name, text := range map[string]string{
		"no quorum":      "witness a " + ws[0].VerifierKey + " https://a.example/\n",
		"unknown quorum": "quorum b\n",
		"bad key":        "witness a a.example+1234+AAAA https://a.example/\nquorum a\n",
		"too many":       "witness a " + ws[0].VerifierKey + " https://a.example/\ngroup g 2 a\nquorum g\n",
		"unknown word":   "witnesses a\n",
	} {
		if _, err := witness.ParsePolicy([]byte(text)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := witness.RequireAll("not a key"); err == nil {
		t.Error("RequireAll took a bad key")
	}
}

package witness

import (
	"errors"
	"fmt"
	"strings"
	"time"

	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"
)

// KeyID names a signer's key as a signed note does: its name and key hash.
type KeyID struct {
	Name string
	Hash uint32
}

func (k KeyID) String() string { return fmt.Sprintf("%s (key %08x)", k.Name, k.Hash) }

// Cosignature is a witness's cosignature that verified.
type Cosignature struct {
	KeyID
	// Time is when the witness says it cosigned (the cosignature/v1
	// timestamp, which the signature covers).
	Time time.Time
}

// Policy is what a verifier requires of a checkpoint's witness
// cosignatures: a quorum of witnesses, as a witness policy file says, or
// every one of a list of witnesses.
type Policy struct {
	group tessera.WitnessGroup
}

// ParsePolicy reads a witness policy: the format Tessera reads (Sigsum's
// policy format, with cosignature/v1 keys), so that a log's operator and
// its verifiers can use the same file:
//
//	witness NAME VKEY URL        # a witness: a label, its public key, where it listens
//	group NAME N|any|all LABEL…  # N of the witnesses or groups named
//	quorum LABEL|none            # what a checkpoint needs
//
// Lines starting with "log" are ignored, and '#' starts a comment.
func ParsePolicy(text []byte) (*Policy, error) {
	g, err := tessera.NewWitnessGroupFromPolicy(text)
	if err != nil {
		return nil, fmt.Errorf("witness: policy: %w", err)
	}
	return &Policy{group: g}, nil
}

// RequireAll is the policy that a checkpoint be cosigned by every one of
// the witnesses whose public keys (in note format, key type 0x04 or 0x01)
// are given.
func RequireAll(vkeys ...string) (*Policy, error) {
	var g tessera.WitnessGroup
	for _, k := range vkeys {
		v, err := f_note.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, fmt.Errorf("witness: %q is not a witness's public key (name+hash+key): %w", k, err)
		}
		g.Components = append(g.Components, tessera.Witness{Key: v})
	}
	g.N = len(g.Components)
	return &Policy{group: g}, nil
}

// Satisfied reports whether the checkpoint note carries the cosignatures
// the policy requires.
func (p *Policy) Satisfied(checkpoint []byte) bool { return p.group.Satisfied(checkpoint) }

// String says what the policy requires, in words.
func (p *Policy) String() string { return describe(p.group) }

// Witnesses lists the witnesses the policy names.
func (p *Policy) Witnesses() []KeyID {
	var out []KeyID
	seen := map[KeyID]bool{}
	walk(p.group, func(w tessera.Witness) {
		id := KeyID{w.Key.Name(), w.Key.KeyHash()}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	})
	return out
}

// Result is what Check found on a checkpoint.
type Result struct {
	// Valid are the cosignatures by the policy's witnesses that verify.
	Valid []Cosignature
	// Missing are the policy's witnesses with no cosignature on the
	// checkpoint; Invalid those whose cosignature does not verify.
	Missing, Invalid []KeyID
}

// PolicyError means a checkpoint does not meet a witness policy.
type PolicyError struct {
	// Requires is what the policy requires, in words.
	Requires string
	Result
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the checkpoint does not have the witness cosignatures required (%s)", e.Requires)
	for _, k := range e.Missing {
		fmt.Fprintf(&b, "; witness %s has not cosigned it", k)
	}
	for _, k := range e.Invalid {
		fmt.Fprintf(&b, "; the cosignature of witness %s does not verify: the checkpoint or the cosignature was altered, or it was made by another key of that name", k)
	}
	if len(e.Valid) > 0 {
		var ok []string
		for _, c := range e.Valid {
			ok = append(ok, c.KeyID.String())
		}
		fmt.Fprintf(&b, "; valid cosignatures only by %s", strings.Join(ok, ", "))
	}
	return b.String()
}

// ErrNotANote means the checkpoint given to Check is not a signed note.
var ErrNotANote = errors.New("witness: the checkpoint is not a signed note")

// Check checks the cosignatures on a checkpoint note against the policy,
// each witness's with its own key. It does not check the log's signature:
// check that first. It returns what it found, and a *PolicyError (with the
// same Result) if the policy is not met: which witnesses did not cosign,
// and whose cosignature is bad. A bad cosignature is reported in Invalid
// even when the policy is met without it.
func (p *Policy) Check(checkpoint []byte) (Result, error) {
	if _, err := note.Open(checkpoint, note.VerifierList()); !errors.As(err, new(*note.UnverifiedNoteError)) {
		return Result{}, fmt.Errorf("%w: %v", ErrNotANote, err)
	}
	var r Result
	seen := map[KeyID]bool{}
	walk(p.group, func(w tessera.Witness) {
		id := KeyID{w.Key.Name(), w.Key.KeyHash()}
		if seen[id] {
			return
		}
		seen[id] = true
		n, err := note.Open(checkpoint, note.VerifierList(w.Key))
		switch {
		case err == nil && len(n.Sigs) == 1:
			c := Cosignature{KeyID: id}
			if t, err := f_note.CoSigV1Timestamp(n.Sigs[0]); err == nil {
				c.Time = t.UTC()
			}
			r.Valid = append(r.Valid, c)
		case errors.As(err, new(*note.InvalidSignatureError)):
			r.Invalid = append(r.Invalid, id)
		default:
			r.Missing = append(r.Missing, id)
		}
	})
	if !p.group.Satisfied(checkpoint) {
		return r, &PolicyError{Requires: p.String(), Result: r}
	}
	return r, nil
}

// walk calls f on every witness in the policy's tree, depth first.
func walk(g tessera.WitnessGroup, f func(tessera.Witness)) {
	for _, c := range g.Components {
		switch c := c.(type) {
		case tessera.Witness:
			f(c)
		case tessera.WitnessGroup:
			walk(c, f)
		}
	}
}

// describe says what a group requires, in words.
func describe(g tessera.WitnessGroup) string {
	if g.N <= 0 {
		return "no cosignature"
	}
	var parts []string
	for _, c := range g.Components {
		switch c := c.(type) {
		case tessera.Witness:
			parts = append(parts, KeyID{c.Key.Name(), c.Key.KeyHash()}.String())
		case tessera.WitnessGroup:
			parts = append(parts, "("+describe(c)+")")
		}
	}
	if len(parts) == 1 && g.N == 1 {
		return "a cosignature by " + parts[0]
	}
	how := fmt.Sprintf("%d of", g.N)
	switch g.N {
	case len(parts):
		how = "all of"
	case 1:
		how = "any of"
	}
	return "cosignatures by " + how + " " + strings.Join(parts, ", ")
}

// Package id makes identifiers for Vigil's records: a short prefix naming
// the kind of record and twenty random consonants (about 88 bits).
//
// Consonants only, so that an identifier never spells a word and never
// holds a run of digits that could be mistaken for, or checked against, a
// phone number or a device identifier in the public log.
package id

import (
	"crypto/rand"
	"strings"
)

const alphabet = "bcdfghjklmnpqrstvwxz" // 20 letters: 5 bits of entropy minus a little, no vowels, no 'y'

const length = 20

// New returns a fresh identifier such as "acc_kqmvbtrhzxdwfpnslcgj".
func New(prefix string) string {
	var raw [length]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("id: no randomness: " + err.Error())
	}
	var b strings.Builder
	b.Grow(len(prefix) + 1 + length)
	b.WriteString(prefix)
	b.WriteByte('_')
	for _, c := range raw {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// Valid reports whether s is an identifier with the given prefix.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != length {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(alphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

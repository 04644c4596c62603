// Package id makes identifiers for Vigil's records: a short prefix naming
// the kind of record and twenty random consonants (about 86 bits).
//
// Consonants only, so that an identifier never spells a word and never
// holds a run of digits that could be mistaken for, or checked against, a
// phone number or a device identifier in the public log.
package id

import (
	"crypto/rand"
	"strings"
)

const alphabet = "bcdfghjklmnpqrstvwxz" // 20 letters, no vowels, no 'y'

const length = 20

// New returns a fresh identifier such as "acc_kqmvbtrhzxdwfpnslcgj".
func New(prefix string) string {
	var b strings.Builder
	b.Grow(len(prefix) + 1 + length)
	b.WriteString(prefix)
	b.WriteByte('_')
	var raw [2 * length]byte
	for n := 0; n < length; {
		if _, err := rand.Read(raw[:]); err != nil {
			panic("id: no randomness: " + err.Error())
		}
		for _, c := range raw {
			// Take only bytes below the largest multiple of the alphabet's
			// size, so that every letter is equally likely.
			if n < length && int(c) < 256/len(alphabet)*len(alphabet) {
				b.WriteByte(alphabet[int(c)%len(alphabet)])
				n++
			}
		}
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

package id

import "testing"

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := New("acc")
		if !Valid("acc", s) {
			t.Fatalf("New made %q, which Valid refuses", s)
		}
		if seen[s] {
			t.Fatalf("New repeated %q", s)
		}
		seen[s] = true
	}
	for _, bad := range []string{"", "acc_", "acc_bcd", "asm_bcdfghjklmnpqrstvwxz", "acc_bcdfghjklmnpqrstvwx1", "acc_bcdfghjklmnpqrstvwxzz"} {
		if Valid("acc", bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}

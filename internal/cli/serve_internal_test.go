package cli

import "testing"

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"500MB", 500e6, true},
		{"8GiB", 8 << 30, true},
		{"8 GiB", 8 << 30, true},
		{"2kB", 2000, true},
		{"8gb", 0, false},
		{"GiB", 0, false},
		{"-5MB", 0, false},
		{"99999999999TiB", 0, false},
		{"", 0, false},
	} {
		got, err := parseBytes(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

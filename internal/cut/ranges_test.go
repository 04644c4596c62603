package cut

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTimeRange(t *testing.T) {
	const s, m, h, ms = time.Second, time.Minute, time.Hour, time.Millisecond
	for _, tc := range []struct {
		in       string
		from, to time.Duration
		wantErr  string // part of the message; "" for success
	}{
		{in: "00:01:30-00:02:00", from: 90 * s, to: 120 * s},
		{in: "90s-120s", from: 90 * s, to: 120 * s},
		{in: "1:30-2:00", from: 90 * s, to: 120 * s},
		{in: " 1:30 - 2:00 ", from: 90 * s, to: 120 * s},
		{in: "90-120", from: 90 * s, to: 120 * s},
		{in: "0-0.5", from: 0, to: 500 * ms},
		{in: "1:02:03.250-1:02:04", from: h + 2*m + 3*s + 250*ms, to: h + 2*m + 4*s},
		{in: "00:00:01.123456789-2", from: s + 123456789, to: 2 * s},
		{in: "90:00-1:40:00", from: 90 * m, to: h + 40*m},
		{in: "1m30s-2m", from: 90 * s, to: 120 * s},
		{in: "1h-1h0m0.5s", from: h, to: h + 500*ms},
		{in: "500ms-1.5s", from: 500 * ms, to: 1500 * ms},
		{in: "0:00-0:01", from: 0, to: s},

		{in: "", wantErr: "empty"},
		{in: "   ", wantErr: "empty"},
		{in: "1:30", wantErr: "separated"},
		{in: "1-2-3", wantErr: "separated"},
		{in: "-5", wantErr: "start: missing"},
		{in: "5-", wantErr: "end: missing"},
		{in: "2:00-1:30", wantErr: "not after"},
		{in: "5s-5s", wantErr: "not after"},
		{in: "1:60-2:00", wantErr: "seconds"},
		{in: "1:5-2:00", wantErr: "seconds"},
		{in: "1:60:00-2:00:00", wantErr: "minutes"},
		{in: "1:2:03-2:00:00", wantErr: "minutes"},
		{in: "1:00:00:00-2:00:00:00", wantErr: "colons"},
		{in: "abc-def", wantErr: "not a time"},
		{in: "+1s-2s", wantErr: "not a time"},
		{in: "1x-2x", wantErr: "not a time"},
		{in: "1.-2", wantErr: "digits after the point"},
		{in: "1.1234567891-2", wantErr: "digits after the point"},
		{in: ":30-1:00", wantErr: "not a number"},
		{in: "1:30.-2:00", wantErr: "digits after the point"},
		{in: "99999999999999999999-99999999999999999999", wantErr: "too large"},
		{in: "1000000h-1000001h", wantErr: "too long"},
		{in: strings.Repeat("1", 2000), wantErr: "too long"},
	} {
		from, to, err := ParseTimeRange(tc.in)
		if tc.wantErr != "" {
			if !errors.Is(err, ErrInvalidRange) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTimeRange(%q) = %v, %v, %v; want ErrInvalidRange saying %q", tc.in, from, to, err, tc.wantErr)
			}
			continue
		}
		if err != nil || from != tc.from || to != tc.to {
			t.Errorf("ParseTimeRange(%q) = %v, %v, %v; want %v, %v", tc.in, from, to, err, tc.from, tc.to)
		}
	}
}

func TestFormatTimeRange(t *testing.T) {
	got := formatTimeRange(90*time.Second, 2*time.Hour+3*time.Minute+4*time.Second+5678*time.Microsecond)
	if want := "t=00:01:30.000-02:03:04.005"; got != want {
		t.Errorf("formatTimeRange = %q, want %q", got, want)
	}
}

func TestParsePages(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  string
	}{
		{in: "3-5,8", want: "3-5,8"},
		{in: "8, 3-5", want: "3-5,8"},
		{in: "1", want: "1"},
		{in: "2-2", want: "2"},
		{in: "3-4,5", want: "3-5"},
		{in: "1-10,4-6,2", want: "1-10"},
		{in: "5,4,3,1", want: "1,3-5"},
		{in: " 07 ", want: "7"},
		{in: "1,1,1", want: "1"},

		{in: "", wantErr: "no pages"},
		{in: "0", wantErr: "not a page number"},
		{in: "5-3", wantErr: "ends before"},
		{in: "1,,2", wantErr: "empty item"},
		{in: "1,", wantErr: "empty item"},
		{in: "a", wantErr: "not a page number"},
		{in: "-3", wantErr: "not a page number"},
		{in: "3-", wantErr: "not a page number"},
		{in: "1-2-3", wantErr: "not a page number"},
		{in: "z", wantErr: "not a page number"},
		{in: "r1", wantErr: "not a page number"},
		{in: "1.5", wantErr: "not a page number"},
		{in: "99999999999", wantErr: "not a page number"},
		{in: strings.Repeat("1,", 600), wantErr: "too long"},
	} {
		got, err := ParsePages(tc.in)
		if tc.wantErr != "" {
			if !errors.Is(err, ErrInvalidRange) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePages(%q) = %q, %v; want ErrInvalidRange saying %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePages(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseTimeRange(f *testing.F) {
	for _, s := range []string{"00:01:30-00:02:00", "90s-120s", "1:30-2:00", "90-120", "1m30s-2m",
		"1:02:03.250-1:02:04", "500ms-1.5s", "2:00-1:30", "1:60-2:00", "-", "1.-2", ":-:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := ParseTimeRange(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("ParseTimeRange(%q): %v does not wrap ErrInvalidRange", s, err)
			}
			return
		}
		if from < 0 || to <= from || to > maxTime {
			t.Fatalf("ParseTimeRange(%q) = %v, %v", s, from, to)
		}
		// The canonical form reads back, to the millisecond.
		f, g := from.Truncate(time.Millisecond), to.Truncate(time.Millisecond)
		if f == g {
			return
		}
		r := strings.TrimPrefix(formatTimeRange(f, g), "t=")
		from2, to2, err := ParseTimeRange(r)
		if err != nil || from2 != f || to2 != g {
			t.Fatalf("ParseTimeRange(%q) = %v, %v; formatted %q reads back as %v, %v, %v", s, from, to, r, from2, to2, err)
		}
	})
}

func FuzzParsePages(f *testing.F) {
	for _, s := range []string{"3-5,8", "8, 3-5", "1", "2-2", "5-3", "1,,2", "0", "16777216", "1-16777217"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePages(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("ParsePages(%q): %v does not wrap ErrInvalidRange", s, err)
			}
			return
		}
		// Normalized: reads back as itself, in ascending, disjoint,
		// non-adjacent spans.
		again, err := ParsePages(got)
		if err != nil || again != got {
			t.Fatalf("ParsePages(%q) = %q, which reads back as %q, %v", s, got, again, err)
		}
		spans, _ := parsePages(got)
		for i, sp := range spans {
			if sp.first < 1 || sp.last < sp.first || sp.last > maxPage || i > 0 && sp.first <= spans[i-1].last+1 {
				t.Fatalf("ParsePages(%q) = %q: spans %v", s, got, spans)
			}
		}
	})
}

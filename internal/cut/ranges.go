package cut

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxRangeLen = 1000 // longest range string accepted

// ParseTimeRange parses a time range as a person types it: a start and an
// end separated by "-", each either a clock time ("1:30", "00:01:30",
// "00:01:30.250"), a number of seconds ("90", "90.5"), or a duration with
// units ("90s", "1m30s", "1h", "500ms"). The end must come after the start.
// Errors wrap ErrInvalidRange and say what is wrong.
func ParseTimeRange(s string) (from, to time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, fmt.Errorf("%w: empty; expected a start and an end such as 1:30-2:00", ErrInvalidRange)
	}
	if len(s) > maxRangeLen {
		return 0, 0, fmt.Errorf("%w: too long", ErrInvalidRange)
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok || strings.Contains(b, "-") {
		return 0, 0, fmt.Errorf("%w: %q: expected a start and an end separated by one \"-\", such as 1:30-2:00", ErrInvalidRange, s)
	}
	if from, err = parseTime(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("%w: start: %v", ErrInvalidRange, err)
	}
	if to, err = parseTime(strings.TrimSpace(b)); err != nil {
		return 0, 0, fmt.Errorf("%w: end: %v", ErrInvalidRange, err)
	}
	if to <= from {
		return 0, 0, fmt.Errorf("%w: the end %s is not after the start %s", ErrInvalidRange, formatTime(to), formatTime(from))
	}
	return from, to, nil
}

// maxTime bounds every time parsed, far above any recording's length and
// far below time.Duration's limit.
const maxTime = 100000 * time.Hour

// parseTime parses one point in time; see ParseTimeRange.
func parseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("missing")
	}
	var d time.Duration
	var err error
	switch {
	case strings.Contains(s, ":"):
		d, err = parseClock(s)
	case strings.TrimLeft(s, "0123456789.") == "":
		d, err = parseSeconds(s)
	default:
		// Units, as time.ParseDuration reads them, but no sign.
		if s[0] < '0' || s[0] > '9' {
			if s[0] != '.' {
				return 0, fmt.Errorf("%q is not a time; use 1:30, 90 or 90s", s)
			}
		}
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a time; use 1:30, 90 or 90s", s)
		}
	}
	if err != nil {
		return 0, err
	}
	if d > maxTime {
		return 0, fmt.Errorf("%q is too long a time", s)
	}
	return d, nil
}

// parseClock parses [[h:]m:]s[.frac], where minutes and seconds after a
// colon are below 60 and written with two digits.
func parseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("%q has too many colons; use h:mm:ss", s)
	}
	sec, err := parseSeconds(parts[len(parts)-1])
	if err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	total := sec
	unit := time.Minute
	for i := len(parts) - 2; i >= 0; i-- {
		p := parts[i]
		n, err := parseDigits(p)
		if err != nil {
			return 0, fmt.Errorf("%q: %v", s, err)
		}
		if i > 0 && (n >= 60 || len(p) != 2) {
			return 0, fmt.Errorf("%q: minutes must be two digits from 00 to 59", s)
		}
		if n > int64(maxTime/unit) {
			return 0, fmt.Errorf("%q is too long a time", s)
		}
		total += time.Duration(n) * unit
		unit *= 60
	}
	if len(parts) > 1 {
		whole, _, _ := strings.Cut(parts[len(parts)-1], ".")
		if sec >= time.Minute || len(whole) != 2 {
			return 0, fmt.Errorf("%q: seconds must be two digits from 00 to 59", s)
		}
	}
	return total, nil
}

// parseSeconds parses digits with an optional fraction of up to nine
// digits, as a number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	n, err := parseDigits(whole)
	if err != nil {
		return 0, err
	}
	if n > int64(maxTime/time.Second) {
		return 0, fmt.Errorf("%q is too long a time", s)
	}
	d := time.Duration(n) * time.Second
	if hasFrac {
		if frac == "" || len(frac) > 9 || strings.TrimLeft(frac, "0123456789") != "" {
			return 0, fmt.Errorf("%q: expected up to nine digits after the point", s)
		}
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		d += time.Duration(f)
	}
	return d, nil
}

// parseDigits parses a non-empty run of ASCII digits.
func parseDigits(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n, nil
}

// formatTime formats d as HH:MM:SS.mmm, truncated to the millisecond.
func formatTime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// formatTimeRange is the canonical form of a time range, as in Result.
func formatTimeRange(from, to time.Duration) string {
	return "t=" + formatTime(from) + "-" + formatTime(to)
}

// maxPage bounds page numbers; qpdf cannot handle more pages either.
const maxPage = 1 << 24

// ParsePages parses a list of pages as a person types it: page numbers and
// ranges, counted from 1 and separated by commas, such as "3-5,8". It
// returns the list normalized: in ascending order, each page once, with
// adjacent pages joined into ranges ("8, 3-4, 5" becomes "3-5,8"). Errors
// wrap ErrInvalidRange and say what is wrong.
func ParsePages(s string) (string, error) {
	spans, err := parsePages(s)
	if err != nil {
		return "", err
	}
	return formatPages(spans), nil
}

// span is the pages first to last, inclusive.
type span struct{ first, last int }

// parsePages parses and normalizes a page list; see ParsePages.
func parsePages(s string) ([]span, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: no pages given; expected pages such as 3-5,8", ErrInvalidRange)
	}
	if len(s) > maxRangeLen {
		return nil, fmt.Errorf("%w: too long", ErrInvalidRange)
	}
	var spans []span
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("%w: %q: empty item between commas", ErrInvalidRange, s)
		}
		a, b, isRange := strings.Cut(item, "-")
		first, err := parsePage(strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = parsePage(strings.TrimSpace(b)); err != nil {
				return nil, err
			}
			if last < first {
				return nil, fmt.Errorf("%w: %q: the range ends before it starts", ErrInvalidRange, item)
			}
		}
		spans = append(spans, span{first, last})
	}
	slices.SortFunc(spans, func(x, y span) int { return x.first - y.first })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		top := &merged[len(merged)-1]
		if sp.first <= top.last+1 {
			top.last = max(top.last, sp.last)
		} else {
			merged = append(merged, sp)
		}
	}
	return merged, nil
}

func parsePage(s string) (int, error) {
	n, err := parseDigits(s)
	if err != nil || n < 1 || n > maxPage {
		return 0, fmt.Errorf("%w: %q is not a page number", ErrInvalidRange, s)
	}
	return int(n), nil
}

func formatPages(spans []span) string {
	var b strings.Builder
	for i, sp := range spans {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(sp.first))
		if sp.last != sp.first {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(sp.last))
		}
	}
	return b.String()
}

func countPages(spans []span) int {
	n := 0
	for _, sp := range spans {
		n += sp.last - sp.first + 1
	}
	return n
}

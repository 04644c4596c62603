package disrupt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DateLayout is how days are written in JSON and in Vigil's forms.
const DateLayout = time.DateOnly

// Token writes the answer as the log, the API and message catalogs do:
// "yes", "no" or "unknown" (also for a value that is not an answer).
func (a Answer) Token() string {
	switch a {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// MarshalJSON writes an answer as its Token.
func (a Answer) MarshalJSON() ([]byte, error) {
	if a != Yes && a != No && a != Unknown {
		return nil, fmt.Errorf("disrupt: %v is not an answer", a)
	}
	return []byte(`"` + a.Token() + `"`), nil
}

// UnmarshalJSON reads "yes", "no", "unknown" or "" in any case, and null
// as unknown.
func (a *Answer) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("an answer is \"yes\", \"no\" or \"unknown\"")
	}
	v, ok := ParseAnswer(s)
	if !ok {
		return fmt.Errorf("%.40q is not an answer: write \"yes\", \"no\" or \"unknown\"", s)
	}
	*a = v
	return nil
}

// ParseAnswer reads "yes", "no", "unknown" or "", in any case.
func ParseAnswer(s string) (Answer, bool) {
	a, err := parseAnswer(strings.ToLower(strings.TrimSpace(s)))
	return a, err == nil
}

// orderFields is Order without its methods, so that MarshalJSON can use
// the default encoding for everything but the days.
type orderFields Order

type orderJSON struct {
	orderFields
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// MarshalJSON writes the order with the names its field tags give, and
// Start and End as YYYY-MM-DD days in UTC (left out when not known).
func (o Order) MarshalJSON() ([]byte, error) {
	j := orderJSON{orderFields: orderFields(o)}
	if !o.Start.IsZero() {
		j.Start = o.Start.UTC().Format(DateLayout)
	}
	if !o.End.IsZero() {
		j.End = o.End.UTC().Format(DateLayout)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, strictly: a name it does
// not know is an error. Days are YYYY-MM-DD; an empty start or end means
// not known.
func (o *Order) UnmarshalJSON(b []byte) error {
	var j orderJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*o = Order(j.orderFields)
	var err error
	if o.Start, err = parseDay("start", j.Start); err != nil {
		return err
	}
	o.End, err = parseDay("end", j.End)
	return err
}

func parseDay(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %.40q is not a day; write YYYY-MM-DD", field, s)
	}
	return t, nil
}

package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Kind describes one type of event: its name and the only fields it may
// carry. Declaring the fields up front is what keeps personal data out of
// the public log: a fact not declared here is refused, and private fields
// only ever reach the log as commitments.
type Kind struct {
	// Name is the event type, such as "account.created".
	Name string
	// Facts are the keys of the public facts the event may carry.
	Facts []string
	// Private are the names of private fields; the log holds only a salted
	// commitment to each.
	Private []string
}

// Actor is who caused an event.
type Actor struct {
	// Account is the acting account's ID; empty for the system or the
	// anonymous public. It reaches the log only as a commitment.
	Account string
	// Role is the actor's role at the time: an account role, "system" or
	// "public". It is public.
	Role string
}

// System is the actor for what Vigil does by itself.
var System = Actor{Role: "system"}

// Event is one state change, as its capability describes it.
type Event struct {
	Kind  Kind
	Actor Actor
	// Subject is what the event is about, for history views, such as
	// "account:acc_...". It stays in the database.
	Subject string
	// Facts are public: identifiers of records, enumerated values, counts,
	// times, hashes. Strings must be short tokens without spaces.
	Facts map[string]any
	// Private fields are committed to, never written to the log.
	Private map[string]string
	// Time is when it happened; zero means now.
	Time time.Time
}

// Digest is a public fact that is a hash: "sha256:" and 64 hex digits,
// such as the digest of a policy pack or of a decided request.
type Digest string

// Entry is an event as the public log holds it. Its JSON encoding is the
// log entry's bytes.
type Entry struct {
	// V is the entry format version.
	V int `json:"v"`
	// Seq is the event's number in Vigil's database.
	Seq int64 `json:"seq"`
	// Type is the event's Kind name.
	Type string `json:"type"`
	// Time is when the event happened, RFC 3339 in UTC with milliseconds.
	Time string `json:"time"`
	// Role is the actor's role.
	Role string `json:"role"`
	// Facts are the public facts.
	Facts map[string]any `json:"facts,omitempty"`
	// Commit maps each private field (and "actor") to its commitment.
	Commit map[string]string `json:"commit,omitempty"`
}

// EntryVersion is the version of the entry format written today.
const EntryVersion = 1

// MaxEntrySize bounds an entry; tlog-tiles allows 65535 bytes.
const MaxEntrySize = 16 << 10

var (
	kindName   = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)
	factKey    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	factString = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/=+-]{0,127}$`)
	digitRun   = regexp.MustCompile(`[0-9]{7,}`)
	digestRE   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	roleName   = regexp.MustCompile(`^[a-z]{1,20}$`)
)

// ErrInvalidEvent means an event breaks the rules of its Kind or of the
// public log; the change that carried it must not commit.
var ErrInvalidEvent = errors.New("ledger: invalid event")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEvent, fmt.Sprintf(format, args...))
}

// validate checks the event against its Kind and the log's rules.
func (e Event) validate() error {
	k := e.Kind
	if !kindName.MatchString(k.Name) {
		return invalid("event type %q is not a dotted lower-case name", k.Name)
	}
	if !roleName.MatchString(e.Actor.Role) {
		return invalid("%s: actor role %q is not a role name", k.Name, e.Actor.Role)
	}
	for key, v := range e.Facts {
		if !slices.Contains(k.Facts, key) {
			return invalid("%s: fact %q is not declared by the event kind", k.Name, key)
		}
		if err := checkFact(v); err != nil {
			return invalid("%s: fact %q: %v", k.Name, key, err)
		}
	}
	for key := range e.Private {
		if !slices.Contains(k.Private, key) {
			return invalid("%s: private field %q is not declared by the event kind", k.Name, key)
		}
		if key == "actor" {
			return invalid("%s: private field name %q is reserved", k.Name, key)
		}
	}
	return nil
}

// checkFact allows the shapes a public fact may take. Strings must look
// like identifiers or enumerated values: no spaces (so no free text), no
// '@' (so no e-mail address), no run of seven digits (so no phone number,
// IMSI or IMEI).
func checkFact(v any) error {
	switch x := v.(type) {
	case Digest:
		if !digestRE.MatchString(string(x)) {
			return fmt.Errorf("digest %q is not sha256:<64 hex digits>", x)
		}
	case string:
		if x == "" || digestRE.MatchString(x) {
			return nil // a digest's hex digits may run long; it is no phone number
		}
		if !factString.MatchString(x) {
			return fmt.Errorf("string %q is not a short token (letters, digits, _ . : / = + -)", x)
		}
		if digitRun.MatchString(x) {
			return errors.New("string holds a run of seven or more digits")
		}
	case []string:
		if len(x) > 64 {
			return errors.New("list longer than 64")
		}
		for _, s := range x {
			if err := checkFact(s); err != nil {
				return err
			}
		}
	case []Digest:
		if len(x) > 64 {
			return errors.New("list longer than 64")
		}
		for _, d := range x {
			if err := checkFact(d); err != nil {
				return err
			}
		}
	case bool, int, int32, int64, uint32, uint64, float64:
	case time.Time:
	default:
		return fmt.Errorf("type %T is not allowed in a public fact", v)
	}
	return nil
}

// encodeFacts turns fact values into their JSON forms (times as RFC 3339).
func encodeFacts(facts map[string]any) map[string]any {
	if len(facts) == 0 {
		return nil
	}
	out := make(map[string]any, len(facts))
	for k, v := range facts {
		switch x := v.(type) {
		case time.Time:
			v = formatTime(x)
		case []string:
			if x == nil {
				v = []string{} // an empty list, never null
			}
		case []Digest:
			if x == nil {
				v = []Digest{}
			}
		}
		out[k] = v
	}
	return out
}

// entryTimeLayout is how entries write times: UTC, in milliseconds.
const entryTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(entryTimeLayout) }

// commitDomain separates Vigil's commitments from any other use of SHA-256.
const commitDomain = "vigil/commitment/v1\n"

// Commitment returns the salted commitment to a private field's value:
// hex(SHA-256(domain || field || 0 || salt || value)).
func Commitment(field string, salt []byte, value string) string {
	h := sha256.New()
	h.Write([]byte(commitDomain))
	h.Write([]byte(field))
	h.Write([]byte{0})
	h.Write(salt)
	h.Write([]byte(value))
	return hex.EncodeToString(h.Sum(nil))
}

// commit builds an entry's commitments and the openings (salts) that the
// database keeps privately.
func commit(e Event) (commits map[string]string, openings map[string]string) {
	fields := make(map[string]string, len(e.Private)+1)
	for k, v := range e.Private {
		fields[k] = v
	}
	if e.Actor.Account != "" {
		fields["actor"] = e.Actor.Account
	}
	if len(fields) == 0 {
		return nil, map[string]string{}
	}
	commits = make(map[string]string, len(fields))
	openings = make(map[string]string, len(fields))
	for k, v := range fields {
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			panic("ledger: no randomness: " + err.Error())
		}
		commits[k] = Commitment(k, salt, v)
		openings[k] = base64.StdEncoding.EncodeToString(salt)
	}
	return commits, openings
}

// Marshal encodes the entry as the bytes the log holds: compact JSON with
// keys in a fixed order.
func (en Entry) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(en); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > MaxEntrySize {
		return nil, invalid("%s: entry of %d bytes exceeds %d", en.Type, len(b), MaxEntrySize)
	}
	return b, nil
}

// ParseEntry decodes a log entry. It is strict, since an entry is outside
// input to whoever verifies the log: the entry must be exactly the bytes
// Vigil writes (canonical JSON: no unknown, repeated or re-cased keys, no
// spacing), and its fields must keep the rules the writer keeps: a known
// version, a dotted type, a role name, public facts of the allowed shapes,
// commitments that are SHA-256 hashes, and a UTC time in milliseconds.
func ParseEntry(b []byte) (Entry, error) {
	var en Entry
	if len(b) > MaxEntrySize {
		return en, fmt.Errorf("ledger: entry of %d bytes is too large", len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&en); err != nil {
		return en, fmt.Errorf("ledger: entry is not valid JSON: %w", err)
	}
	if dec.More() {
		return en, errors.New("ledger: trailing data after entry")
	}
	switch {
	case en.V != EntryVersion:
		return en, fmt.Errorf("ledger: entry version %d is not supported", en.V)
	case !kindName.MatchString(en.Type):
		return en, fmt.Errorf("ledger: entry type %q is not valid", en.Type)
	case en.Seq <= 0:
		return en, fmt.Errorf("ledger: entry sequence %d is not positive", en.Seq)
	case !roleName.MatchString(en.Role):
		return en, fmt.Errorf("ledger: entry role %q is not a role name", en.Role)
	}
	if t, err := time.Parse(entryTimeLayout, en.Time); err != nil || formatTime(t) != en.Time {
		return en, fmt.Errorf("ledger: entry time %q is not a UTC time in milliseconds", en.Time)
	}
	for k, v := range en.Facts {
		if !factKey.MatchString(k) {
			return en, fmt.Errorf("ledger: fact name %q is not valid", k)
		}
		if err := checkParsedFact(v); err != nil {
			return en, fmt.Errorf("ledger: fact %q: %w", k, err)
		}
	}
	for k, c := range en.Commit {
		if !factKey.MatchString(k) {
			return en, fmt.Errorf("ledger: commitment name %q is not valid", k)
		}
		if !commitHex.MatchString(c) {
			return en, fmt.Errorf("ledger: commitment %q is not a SHA-256 hash", k)
		}
	}
	canonical, err := en.Marshal()
	if err != nil || !bytes.Equal(canonical, b) {
		return en, errors.New("ledger: entry is not in canonical form")
	}
	return en, nil
}

var commitHex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkParsedFact applies checkFact's rules to a fact as JSON decodes it.
func checkParsedFact(v any) error {
	switch x := v.(type) {
	case json.Number:
		return nil
	case []any:
		ss := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return errors.New("a list holds something other than strings")
			}
			ss[i] = s
		}
		return checkFact(ss)
	case nil:
		return errors.New("null is not a fact")
	default:
		return checkFact(v)
	}
}

// ContentHash is the hash of an entry's bytes that the database keeps to
// check against the log.
func ContentHash(entry []byte) []byte {
	h := sha256.Sum256(entry)
	return h[:]
}

// Open reports whether value is what entry en committed to for field, given
// the openings (the salts, as JSON) that the database keeps for the event.
// It lets an authorised party prove what an event was about, and anyone
// then check that proof against the public log.
func Open(openings string, en Entry, field, value string) (bool, error) {
	var salts map[string]string
	if err := json.Unmarshal([]byte(openings), &salts); err != nil {
		return false, fmt.Errorf("ledger: openings: %w", err)
	}
	salt, err := base64.StdEncoding.DecodeString(salts[field])
	if err != nil || len(salt) == 0 {
		return false, fmt.Errorf("ledger: no opening for %q", field)
	}
	c, ok := en.Commit[field]
	if !ok {
		return false, fmt.Errorf("ledger: the entry commits to no %q", field)
	}
	return Commitment(field, salt, value) == c, nil
}

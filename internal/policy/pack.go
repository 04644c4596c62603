package policy

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"
)

// Effect is what a rule does when its condition holds.
type Effect string

// The effects, weakest first.
const (
	Warn                   Effect = "warn"
	RequireIndependentAuth Effect = "require_independent_authorization"
	RequireJudicialAuth    Effect = "require_judicial_authorization"
	Deny                   Effect = "deny"
)

var effects = []Effect{Warn, RequireIndependentAuth, RequireJudicialAuth, Deny}

// Rule is one rule of a pack.
type Rule struct {
	// ID names the rule, unique across the packs in use.
	ID string `yaml:"id" json:"id"`
	// Source is the standard and paragraph the rule comes from, such as
	// "A/HRC/44/24 para. 53(h)".
	Source string `yaml:"source" json:"source"`
	Effect Effect `yaml:"effect" json:"effect"`
	// When is a CEL condition over the request (docs/policy.md).
	When string `yaml:"when" json:"when"`
	// Message tells people what the rule means for this request.
	Message string `yaml:"message" json:"message"`
	// Absolute marks a rule that applies to every use of the technologies
	// it names (a "never" or an "always"), so that its examples need show
	// no use of the same technology that escapes it.
	Absolute bool `yaml:"absolute" json:"absolute,omitempty"`

	prog cel.Program
}

// Switch is a setting a pack declares and the operator may change; every
// change is recorded on the public log.
type Switch struct {
	Name        string `yaml:"name"`
	Default     bool   `yaml:"default"`
	Source      string `yaml:"source"`
	Description string `yaml:"description"`
}

// Urgency says whether use may start before it is authorized, and for how
// long.
type Urgency struct {
	// Allowed lets an urgent request start before authorization, for the
	// effects listed in AppliesTo.
	Allowed   bool     `yaml:"allowed" json:"allowed"`
	AppliesTo []Effect `yaml:"applies_to" json:"applies_to,omitempty"`
	// ReviewHours is how long unauthorized urgent use may run before it
	// stops by itself and what it captured is scheduled for deletion.
	ReviewHours int    `yaml:"review_hours" json:"review_hours,omitempty"`
	Source      string `yaml:"source" json:"source,omitempty"`
}

// NoticeDelay says when the public notice of a deployment may be delayed.
type NoticeDelay struct {
	// Allowed for covert targeted uses only, up to MaxDays.
	Allowed bool   `yaml:"allowed"`
	MaxDays int    `yaml:"max_days"`
	Source  string `yaml:"source"`
}

// Example is a request that ships with a pack, and the decision it must get.
type Example struct {
	Name     string          `yaml:"name"`
	Switches map[string]bool `yaml:"switches"`
	Request  yaml.Node       `yaml:"request"`
	Expect   struct {
		Outcome Outcome  `yaml:"outcome"`
		Fired   []string `yaml:"fired"`
	} `yaml:"expect"`
}

// Pack is a versioned set of rules.
type Pack struct {
	Name        string `yaml:"pack"`
	Version     string `yaml:"version"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	// Base is the pack this one sits on; empty for a base pack.
	Base string `yaml:"base"`
	// Disables names rules of the packs below that this pack switches off.
	// A deny can be switched off only by an operator's override.
	Disables []string    `yaml:"disables"`
	Switches []Switch    `yaml:"switches"`
	Urgency  *Urgency    `yaml:"urgency"`
	Notice   NoticeDelay `yaml:"notice_delay"`
	Rules    []Rule      `yaml:"rules"`
	Examples []Example   `yaml:"examples"`

	// Digest is the SHA-256 of the pack's file.
	Digest string `yaml:"-"`
	// Path is where it was read from ("builtin:NAME" for an embedded pack).
	Path string `yaml:"-"`
}

// PackError is a pack that cannot be used: Rule says which rule, if one.
type PackError struct {
	Pack string
	Rule string
	Err  error
}

func (e *PackError) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("policy pack %s: rule %s: %v", e.Pack, e.Rule, e.Err)
	}
	return fmt.Sprintf("policy pack %s: %v", e.Pack, e.Err)
}

func (e *PackError) Unwrap() error { return e.Err }

//go:embed packs/*.yaml
var builtin embed.FS

// BuiltIn lists the packs shipped with Vigil.
func BuiltIn() []string {
	names, _ := fs.Glob(builtin, "packs/*.yaml")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(path.Base(n), ".yaml")
	}
	sort.Strings(out)
	return out
}

// DefaultPack is the name of the pack every decision starts from.
const DefaultPack = "default"

// Open loads a pack by built-in name or from a file path.
func Open(nameOrPath string) (*Pack, error) {
	if !strings.ContainsAny(nameOrPath, "/\\.") {
		b, err := fs.ReadFile(builtin, "packs/"+nameOrPath+".yaml")
		if err != nil {
			return nil, fmt.Errorf("no built-in policy pack %q (they are: %s)", nameOrPath, strings.Join(BuiltIn(), ", "))
		}
		return Parse("builtin:"+nameOrPath, b)
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("policy pack: %w", err)
	}
	return Parse(nameOrPath, b)
}

var (
	ruleID   = regexp.MustCompile(`^[a-z][a-z0-9-]{2,63}$`)
	packName = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)
	version  = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
)

// Parse reads and checks a pack, compiling every rule. A bad pack is
// refused with a *PackError naming the rule and what is wrong with it.
func Parse(source string, b []byte) (*Pack, error) {
	var p Pack
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, &PackError{Pack: source, Err: fmt.Errorf("not a policy pack: %w", err)}
	}
	h := sha256.Sum256(b)
	p.Digest, p.Path = "sha256:"+hex.EncodeToString(h[:]), source
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Pack) check() error {
	fail := func(rule string, format string, args ...any) error {
		return &PackError{Pack: p.Name, Rule: rule, Err: fmt.Errorf(format, args...)}
	}
	if !packName.MatchString(p.Name) {
		return &PackError{Pack: p.Path, Err: fmt.Errorf("pack name %q is not a lower-case name", p.Name)}
	}
	if !version.MatchString(p.Version) {
		return fail("", "version %q is not MAJOR.MINOR.PATCH", p.Version)
	}
	if p.Base == "" && p.Name != DefaultPack {
		return fail("", "a pack other than %q names the pack it sits on (base)", DefaultPack)
	}
	if len(p.Rules) == 0 {
		return fail("", "a pack has at least one rule")
	}
	env, err := newEnv(p.switchNames())
	if err != nil {
		return fail("", "%v", err)
	}
	seen := map[string]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		if !ruleID.MatchString(r.ID) {
			return fail(r.ID, "a rule id is 3 to 64 lower-case letters, digits or '-'")
		}
		if seen[r.ID] {
			return fail(r.ID, "two rules have this id")
		}
		seen[r.ID] = true
		if !slices.Contains(effects, r.Effect) {
			return fail(r.ID, "effect %q is not one of %v", r.Effect, effects)
		}
		if strings.TrimSpace(r.Source) == "" {
			return fail(r.ID, "a rule cites its source (standard and paragraph)")
		}
		if strings.TrimSpace(r.Message) == "" {
			return fail(r.ID, "a rule has a message for people")
		}
		ast, iss := env.Compile(r.When)
		if iss.Err() != nil {
			return fail(r.ID, "condition does not compile: %v", iss.Err())
		}
		if ast.OutputType() != cel.BoolType {
			return fail(r.ID, "condition is %v, not a bool", ast.OutputType())
		}
		r.prog, err = program(env, ast)
		if err != nil {
			return fail(r.ID, "condition: %v", err)
		}
	}
	for _, s := range p.Switches {
		if !ruleID.MatchString(strings.ReplaceAll(s.Name, "_", "-")) || strings.TrimSpace(s.Source) == "" {
			return fail("", "switch %q needs a lower-case name and a source", s.Name)
		}
	}
	if u := p.Urgency; u != nil && u.Allowed {
		if u.ReviewHours <= 0 || u.ReviewHours > 72 {
			return fail("", "urgent use must be reviewed within 1 to 72 hours")
		}
		for _, e := range u.AppliesTo {
			if e != RequireIndependentAuth && e != RequireJudicialAuth {
				return fail("", "urgency applies to authorization effects only, not %q", e)
			}
		}
	}
	if p.Notice.Allowed && (p.Notice.MaxDays <= 0 || p.Notice.MaxDays > 365) {
		return fail("", "a notice may be delayed by 1 to 365 days")
	}
	return nil
}

func (p *Pack) switchNames() []string {
	out := make([]string, len(p.Switches))
	for i, s := range p.Switches {
		out[i] = s.Name
	}
	return out
}

// Ref names a pack in a decision.
type Ref struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Ref is the pack's reference.
func (p *Pack) Ref() Ref { return Ref{Name: p.Name, Version: p.Version, Digest: p.Digest} }

var errNoRequest = errors.New("the example has no request")

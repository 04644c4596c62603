package policy

import (
	"fmt"
	"reflect"
	"slices"
	"sort"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/checker"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// newEnv is the CEL environment every condition compiles in: the request's
// fields as typed variables, and the switches the packs declare.
func newEnv(switches []string) (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(
			reflect.TypeOf(Assembly{}), reflect.TypeOf(Technology{}), reflect.TypeOf(Suspicion{}),
			reflect.TypeOf(Window{}), reflect.TypeOf(Area{}), reflect.TypeOf(Force{}),
			ext.ParseStructTags(true),
		),
		ext.Strings(),
		cel.Variable("assembly", cel.ObjectType("policy.Assembly")),
		cel.Variable("technology", cel.ObjectType("policy.Technology")),
		cel.Variable("purpose", cel.StringType),
		cel.Variable("mode", cel.StringType),
		cel.Variable("covert", cel.BoolType),
		cel.Variable("targets", cel.ListType(cel.StringType)),
		cel.Variable("suspicion", cel.ObjectType("policy.Suspicion")),
		cel.Variable("existing_footage", cel.BoolType),
		cel.Variable("objective", cel.StringType),
		cel.Variable("legal_basis", cel.StringType),
		cel.Variable("grounds", cel.StringType),
		cel.Variable("window", cel.ObjectType("policy.Window")),
		cel.Variable("area", cel.ObjectType("policy.Area")),
		cel.Variable("retention_days", cel.IntType),
		cel.Variable("urgent", cel.BoolType),
		cel.Variable("force", cel.ObjectType("policy.Force")),
		cel.Variable("switches", cel.MapType(cel.StringType, cel.BoolType)),
	}
	return cel.NewEnv(opts...)
}

// maxRuleCost bounds a rule's worst-case cost, as CEL estimates it for the
// largest request Normalize allows; a rule over it is refused when its pack
// loads, so no request can make a decision slow.
const maxRuleCost = 100_000

// sizes tells CEL's cost estimator how large a request's parts can be.
type sizes struct{}

func (sizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	switch n.Type().Kind() {
	case types.StringKind:
		return &checker.SizeEstimate{Min: 0, Max: 4000}
	case types.ListKind:
		return &checker.SizeEstimate{Min: 0, Max: 50}
	case types.MapKind:
		return &checker.SizeEstimate{Min: 0, Max: 64}
	}
	return nil
}

func (sizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// program checks a rule's worst-case cost and plans it for evaluation,
// folding its constants.
func program(env *cel.Env, ast *cel.Ast) (cel.Program, error) {
	est, err := env.EstimateCost(ast, sizes{})
	if err != nil {
		return nil, err
	}
	if est.Max > maxRuleCost {
		return nil, fmt.Errorf("the condition may cost up to %d steps on a large request; keep it under %d", est.Max, maxRuleCost)
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

// activation resolves the condition's variables to the request's fields
// by name. The values are boxed once per decision, not once per use, and
// no map is built.
type activation struct {
	assembly, technology, suspicion, window, area, force  any
	purpose, mode, covert, targets, existingFootage       any
	objective, legalBasis, grounds, retentionDays, urgent any
	switches                                              any
}

func newActivation(r *Request, switches map[string]bool) *activation {
	return &activation{
		assembly: r.Assembly, technology: r.Technology, suspicion: r.Suspicion, window: r.Window, area: r.Area, force: r.Force,
		purpose: r.Purpose, mode: r.Mode, covert: r.Covert, targets: r.Targets, existingFootage: r.ExistingFootage,
		objective: r.Objective, legalBasis: r.LegalBasis, grounds: r.Grounds, retentionDays: r.RetentionDays, urgent: r.Urgent,
		switches: switches,
	}
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "assembly":
		return a.assembly, true
	case "technology":
		return a.technology, true
	case "purpose":
		return a.purpose, true
	case "mode":
		return a.mode, true
	case "covert":
		return a.covert, true
	case "targets":
		return a.targets, true
	case "suspicion":
		return a.suspicion, true
	case "existing_footage":
		return a.existingFootage, true
	case "objective":
		return a.objective, true
	case "legal_basis":
		return a.legalBasis, true
	case "grounds":
		return a.grounds, true
	case "window":
		return a.window, true
	case "area":
		return a.area, true
	case "retention_days":
		return a.retentionDays, true
	case "urgent":
		return a.urgent, true
	case "force":
		return a.force, true
	case "switches":
		return a.switches, true
	}
	return nil, false
}

func (*activation) Parent() interpreter.Activation { return nil }

// Outcome is what a decision comes to.
type Outcome string

// The outcomes, from most permissive to final refusal.
const (
	// Allowed: the use may go ahead as requested (it is still recorded).
	Allowed Outcome = "allowed"
	// NeedsIndependent: an independent authorizer must approve it first.
	NeedsIndependent Outcome = "independent_authorization"
	// NeedsJudicial: a judicial authority must approve it first.
	NeedsJudicial Outcome = "judicial_authorization"
	// Denied: the rules refuse it; it stops here.
	Denied Outcome = "denied"
)

func outcomeOf(e Effect) Outcome {
	switch e {
	case Deny:
		return Denied
	case RequireJudicialAuth:
		return NeedsJudicial
	case RequireIndependentAuth:
		return NeedsIndependent
	}
	return Allowed
}

var outcomes = []Outcome{Allowed, NeedsIndependent, NeedsJudicial, Denied}

// Fired is a rule that fired, as a decision records it.
type Fired struct {
	Pack    string `json:"pack"`
	Rule    string `json:"rule"`
	Source  string `json:"source"`
	Effect  Effect `json:"effect"`
	Message string `json:"message"`
}

// Decision is the policy's answer to a request.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	// Fired lists every rule that fired, in pack and rule order.
	Fired []Fired `json:"fired"`
	// Packs are the packs that decided, by version and digest.
	Packs []Ref `json:"packs"`
	// Switches are the switch settings in force.
	Switches map[string]bool `json:"switches"`
	// Overridden are deny rules the operator switched off, if any.
	Overridden []string `json:"overridden,omitempty"`
	// InputDigest is the request's Digest.
	InputDigest string `json:"input_digest"`
	// Urgency, if the request is urgent and the packs allow it for this
	// outcome, says how long use may run before it must be authorized.
	UrgentStartHours int `json:"urgent_start_hours,omitempty"`
}

// Rules returns the ids of the rules that fired.
func (d Decision) Rules() []string {
	out := make([]string, len(d.Fired))
	for i, f := range d.Fired {
		out[i] = f.Rule
	}
	return out
}

// Options configure an engine beyond its packs.
type Options struct {
	// Switches set the packs' switches; unset ones take their defaults.
	Switches map[string]bool
	// Overrides name deny rules a later pack may switch off. Vigil logs
	// every one at start.
	Overrides []string
}

// Engine decides requests with a stack of packs: the default pack first,
// then each pack that sits on the one before.
type Engine struct {
	packs    []*Pack
	rules    []*Rule
	owner    map[*Rule]string
	switches map[string]bool
	disabled map[string]bool
	overrode []string
	// refs is what every decision names; decisions share it (and
	// switches), so callers must not change a decision's Packs or
	// Switches.
	refs []Ref
}

// NewEngine stacks packs (the default pack first, each next one naming the
// one before as its base) and checks that the stack is allowed.
func NewEngine(packs []*Pack, opts Options) (*Engine, error) {
	if len(packs) == 0 || packs[0].Name != DefaultPack {
		return nil, fmt.Errorf("policy: the %q pack comes first", DefaultPack)
	}
	e := &Engine{packs: packs, owner: map[*Rule]string{}, switches: map[string]bool{}, disabled: map[string]bool{}}
	declared := map[string]bool{}
	byID := map[string]*Rule{}
	for i, p := range packs {
		if i > 0 && p.Base != packs[i-1].Name {
			return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("it sits on %q, but comes after %q", p.Base, packs[i-1].Name)}
		}
		for _, id := range p.Disables {
			r, ok := byID[id]
			if !ok {
				return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("it switches off rule %q, which no pack below it has", id)}
			}
			if r.Effect == Deny {
				if !slices.Contains(opts.Overrides, id) {
					return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("it switches off the deny rule %q of pack %s; a deny can be switched off only by starting Vigil with --policy-override %s, which is logged", id, e.owner[r], id)}
				}
				e.overrode = append(e.overrode, id)
			}
			e.disabled[id] = true
		}
		for _, s := range p.Switches {
			if declared[s.Name] {
				return nil, &PackError{Pack: p.Name, Err: fmt.Errorf("switch %q is declared twice", s.Name)}
			}
			declared[s.Name] = true
			e.switches[s.Name] = s.Default
		}
		for j := range p.Rules {
			r := &p.Rules[j]
			if _, dup := byID[r.ID]; dup {
				return nil, &PackError{Pack: p.Name, Rule: r.ID, Err: fmt.Errorf("a pack below already has a rule with this id")}
			}
			byID[r.ID] = r
			e.owner[r] = p.Name
			e.rules = append(e.rules, r)
		}
	}
	for _, id := range opts.Overrides {
		if !slices.Contains(e.overrode, id) {
			return nil, fmt.Errorf("policy: --policy-override %s: no pack switches that rule off", id)
		}
	}
	for name, v := range opts.Switches {
		if !declared[name] {
			return nil, fmt.Errorf("policy: no pack declares the switch %q", name)
		}
		e.switches[name] = v
	}
	// Every pack compiled its rules against its own switches: recompile
	// against all of them, so a rule may test a switch of a pack below.
	env, err := newEnv(keys(declared))
	if err != nil {
		return nil, err
	}
	for _, r := range e.rules {
		ast, iss := env.Compile(r.When)
		if iss.Err() != nil {
			return nil, &PackError{Pack: e.owner[r], Rule: r.ID, Err: iss.Err()}
		}
		if r.prog, err = program(env, ast); err != nil {
			return nil, &PackError{Pack: e.owner[r], Rule: r.ID, Err: err}
		}
	}
	for _, p := range packs {
		e.refs = append(e.refs, p.Ref())
	}
	return e, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Refs are the packs in use.
func (e *Engine) Refs() []Ref {
	out := make([]Ref, len(e.packs))
	for i, p := range e.packs {
		out[i] = p.Ref()
	}
	return out
}

// Switches returns the switch settings in force.
func (e *Engine) Switches() map[string]bool {
	out := make(map[string]bool, len(e.switches))
	for k, v := range e.switches {
		out[k] = v
	}
	return out
}

// Overridden returns the deny rules switched off by the operator.
func (e *Engine) Overridden() []string { return slices.Clone(e.overrode) }

// Packs returns the packs in use, default first.
func (e *Engine) Packs() []*Pack { return slices.Clone(e.packs) }

// Decide runs every rule on r and returns the decision. It errors only on
// a malformed request or a rule that cannot be evaluated; a refusal is a
// decision.
func (e *Engine) Decide(r Request) (Decision, error) {
	if err := r.Normalize(); err != nil {
		return Decision{}, err
	}
	d := Decision{
		Outcome: Allowed, Fired: []Fired{}, Packs: e.refs, Switches: e.switches,
		Overridden: e.overrode, InputDigest: r.Digest(),
	}
	act := newActivation(&r, e.switches)
	for _, rule := range e.rules {
		if e.disabled[rule.ID] {
			continue
		}
		out, _, err := rule.prog.Eval(act)
		if err != nil {
			return Decision{}, fmt.Errorf("policy: rule %s: %w", rule.ID, err)
		}
		if fired, ok := out.Value().(bool); !ok || !fired {
			continue
		}
		d.Fired = append(d.Fired, Fired{Pack: e.owner[rule], Rule: rule.ID, Source: rule.Source, Effect: rule.Effect, Message: rule.Message})
		if o := outcomeOf(rule.Effect); slices.Index(outcomes, o) > slices.Index(outcomes, d.Outcome) {
			d.Outcome = o
		}
	}
	if r.Urgent && (d.Outcome == NeedsIndependent || d.Outcome == NeedsJudicial) {
		d.UrgentStartHours = e.urgentHours(d.Outcome)
	}
	return d, nil
}

// urgentHours is how long the packs let urgent use run unauthorized for
// an outcome: the strictest pack that speaks of urgency decides, and any
// pack that forbids it forbids it.
func (e *Engine) urgentHours(o Outcome) int {
	hours := 0
	for _, p := range e.packs {
		u := p.Urgency
		if u == nil {
			continue
		}
		applies := false
		for _, eff := range u.AppliesTo {
			if outcomeOf(eff) == o {
				applies = true
			}
		}
		if !u.Allowed || !applies {
			return 0
		}
		if hours == 0 || u.ReviewHours < hours {
			hours = u.ReviewHours
		}
	}
	return hours
}

// NoticeDelayDays is the longest the packs let a covert targeted
// deployment's public notice be delayed (0: never).
func (e *Engine) NoticeDelayDays() int {
	days := 0
	for _, p := range e.packs {
		if !p.Notice.Allowed {
			return 0
		}
		if days == 0 || p.Notice.MaxDays < days {
			days = p.Notice.MaxDays
		}
	}
	return days
}

package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBuiltInPacks runs every example each built-in pack ships with.
func TestBuiltInPacks(t *testing.T) {
	for _, name := range BuiltIn() {
		t.Run(name, func(t *testing.T) {
			stack, err := Stack(name)
			if err != nil {
				t.Fatal(err)
			}
			results := RunExamples(stack)
			if len(results) < 3 {
				t.Fatalf("pack %s ships only %d examples", name, len(results))
			}
			for _, r := range results {
				if !r.OK() {
					t.Errorf("%s: want %s %v, got %s %v (err %v)", r.Name, r.Want, r.WantRan, r.Got, r.GotRan, r.Err)
				}
			}
		})
	}
}

// TestEveryRuleIsExercised: each rule of each built-in pack fires in at
// least one of that pack's examples, so no rule ships untested.
func TestEveryRuleIsExercised(t *testing.T) {
	for _, name := range BuiltIn() {
		stack, err := Stack(name)
		if err != nil {
			t.Fatal(err)
		}
		fired := map[string]bool{}
		for _, r := range RunExamples(stack) {
			for _, id := range r.GotRan {
				fired[id] = true
			}
		}
		for _, rule := range stack[len(stack)-1].Rules {
			if !fired[rule.ID] {
				t.Errorf("pack %s: rule %s fires in none of its examples", name, rule.ID)
			}
		}
	}
}

func TestBadPacksAreRefusedWithTheRule(t *testing.T) {
	base := "pack: default\nversion: 1.0.0\nrules:\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"bad CEL":          {base + "  - {id: broken-rule, source: x, effect: deny, message: m, when: 'technology.kind =='}", "broken-rule: condition does not compile"},
		"not bool":         {base + "  - {id: not-bool, source: x, effect: deny, message: m, when: 'retention_days + 1'}", "not-bool: condition is int, not a bool"},
		"unknown field":    {base + "  - {id: unknown-field, source: x, effect: deny, message: m, when: 'technology.colour == \"red\"'}", "unknown-field: condition does not compile"},
		"bad effect":       {base + "  - {id: bad-effect, source: x, effect: forbid, message: m, when: 'true'}", `bad-effect: effect "forbid" is not one of`},
		"no source":        {base + "  - {id: no-source, effect: deny, message: m, when: 'true'}", "no-source: a rule cites its source"},
		"no message":       {base + "  - {id: no-message, source: x, effect: deny, when: 'true'}", "no-message: a rule has a message"},
		"duplicate":        {base + "  - {id: twice, source: x, effect: deny, message: m, when: 'true'}\n  - {id: twice, source: x, effect: deny, message: m, when: 'true'}", "twice: two rules have this id"},
		"unknown key":      {base + "  - {id: extra, source: x, effect: deny, message: m, when: 'true', colour: red}", "field colour not found"},
		"bad version":      {"pack: default\nversion: one\nrules: []\n", `version "one" is not MAJOR.MINOR.PATCH`},
		"no base":          {"pack: mine\nversion: 1.0.0\nrules:\n  - {id: abc, source: x, effect: deny, message: m, when: 'true'}", "names the pack it sits on"},
		"too costly":       {base + "  - {id: costly, source: x, effect: deny, message: m, when: 'targets.all(a, targets.all(b, targets.all(c, grounds.contains(a + b + c))))'}", "costly: condition: the condition may cost up to"},
		"urgency too long": {base + "  - {id: abc, source: x, effect: deny, message: m, when: 'true'}\nurgency: {allowed: true, review_hours: 200, applies_to: [deny]}", "reviewed within 1 to 72 hours"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.yaml))
			var pe *PackError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want a PackError containing %q", err, tc.want)
			}
		})
	}
}

func jurisdiction(t *testing.T, yaml string) *Pack {
	t.Helper()
	p, err := Parse("j.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJurisdictionCannotLiftADeny: a pack on top may switch off a softer
// rule, but a deny only with the operator's named override.
func TestJurisdictionCannotLiftADeny(t *testing.T) {
	def, err := Open(DefaultPack)
	if err != nil {
		t.Fatal(err)
	}
	lift := jurisdiction(t, `pack: lax
version: 1.0.0
base: default
disables: [no-network-disruption]
rules:
  - {id: lax-note, source: Local Act s. 1, effect: warn, message: m, when: "true"}
`)
	_, err = NewEngine([]*Pack{def, lift}, Options{})
	if err == nil || !strings.Contains(err.Error(), "--policy-override no-network-disruption") {
		t.Fatalf("lifting a deny without override: %v", err)
	}
	e, err := NewEngine([]*Pack{def, lift}, Options{Overrides: []string{"no-network-disruption"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Overridden(); len(got) != 1 || got[0] != "no-network-disruption" {
		t.Fatalf("Overridden = %v", got)
	}
	d, err := e.Decide(shutdownRequest())
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Allowed || len(d.Overridden) != 1 {
		t.Fatalf("with the override: %+v", d)
	}
	// A softer rule may be switched off without any override.
	soften := jurisdiction(t, `pack: soft
version: 1.0.0
base: default
disables: [long-retention]
rules:
  - {id: soft-note, source: Local Act s. 2, effect: warn, message: m, when: "false"}
`)
	if _, err := NewEngine([]*Pack{def, soften}, Options{}); err != nil {
		t.Fatalf("switching off a warning: %v", err)
	}
	// An override nobody asks for is a mistake worth stopping on.
	if _, err := NewEngine([]*Pack{def}, Options{Overrides: []string{"no-network-disruption"}}); err == nil {
		t.Fatal("an override no pack uses was accepted")
	}
	// Packs stack in order.
	if _, err := NewEngine([]*Pack{soften}, Options{}); err == nil {
		t.Fatal("a stack without the default pack first was accepted")
	}
}

func shutdownRequest() Request {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return Request{
		Assembly:   Assembly{ID: "asm_bcdfghjklmnpqrstvwx", Kind: "notified"},
		Technology: Technology{Kind: "network_disruption", DisruptsNetwork: true, AssessmentCurrent: true},
		Purpose:    "public_order", Mode: "untargeted",
		Grounds: "Stop participants from coordinating the march by phone.",
		Window:  Window{Start: start, End: start.Add(8 * time.Hour)},
	}
}

func TestDecisionIsReplayable(t *testing.T) {
	stack, err := Stack(DefaultPack)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(stack, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Decide(shutdownRequest())
	b, _ := e.Decide(shutdownRequest())
	if a.InputDigest != b.InputDigest || !strings.HasPrefix(a.InputDigest, "sha256:") {
		t.Fatalf("digests %s %s", a.InputDigest, b.InputDigest)
	}
	other := shutdownRequest()
	other.Grounds += "!"
	c, _ := e.Decide(other)
	if c.InputDigest == a.InputDigest {
		t.Fatal("different requests have the same digest")
	}
	if a.Packs[0].Name != "default" || !strings.HasPrefix(a.Packs[0].Digest, "sha256:") || a.Packs[0].Version != "1.0.0" {
		t.Fatalf("packs %+v", a.Packs)
	}
	if len(a.Fired) != 1 || a.Fired[0].Source == "" || a.Fired[0].Message == "" {
		t.Fatalf("fired %+v", a.Fired)
	}
}

func TestUrgency(t *testing.T) {
	stack, _ := Stack(DefaultPack)
	e, _ := NewEngine(stack, Options{})
	r := RequestForTest()
	r.Urgent = true
	d, err := e.Decide(r)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != NeedsIndependent || d.UrgentStartHours != 24 {
		t.Fatalf("urgent recording: %s, %dh", d.Outcome, d.UrgentStartHours)
	}
	r.Urgent = false
	if d, _ := e.Decide(r); d.UrgentStartHours != 0 {
		t.Fatal("a request that is not urgent may start early")
	}
	if e.NoticeDelayDays() != 30 {
		t.Fatalf("notice delay %d", e.NoticeDelayDays())
	}
}

// RequestForTest is a drone recording on concrete indications.
func RequestForTest() Request {
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	return Request{
		Assembly:   Assembly{ID: "asm_bcdfghjklmnpqrstvwx", Kind: "notified"},
		Technology: Technology{Kind: "drone_camera", RecordsPeople: true, ProcessesImages: true, AssessmentCurrent: true, AccuracyPublished: true, DemographicErrorsPublished: true},
		Purpose:    "public_order", Mode: "untargeted",
		Suspicion:     Suspicion{ConcreteIndications: true},
		Grounds:       "A group posted plans to attack the counter-demonstration at 15:00.",
		Window:        Window{Start: start, End: start.Add(3 * time.Hour)},
		RetentionDays: 14,
	}
}

func TestRequestValidation(t *testing.T) {
	for name, mutate := range map[string]func(*Request){
		"name as target":   func(r *Request) { r.Mode = "targeted"; r.Targets = []string{"Amina Haddad"} },
		"unknown purpose":  func(r *Request) { r.Purpose = "curiosity" },
		"unknown mode":     func(r *Request) { r.Mode = "everyone" },
		"window backwards": func(r *Request) { r.Window.End = r.Window.Start.Add(-time.Hour) },
		"huge grounds":     func(r *Request) { r.Grounds = strings.Repeat("x", 5000) },
		"retention":        func(r *Request) { r.RetentionDays = -1 },
		"kind with spaces": func(r *Request) { r.Technology.Kind = "Face Finder 3000" },
	} {
		t.Run(name, func(t *testing.T) {
			r := RequestForTest()
			mutate(&r)
			if err := r.Normalize(); !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Normalize = %v", err)
			}
		})
	}
	if _, err := ParseRequest([]byte(`{"purpose":"facilitation","colour":"red"}`)); err == nil {
		t.Fatal("unknown field accepted")
	}
}

// TestEveryRuleHasANearMiss: for each rule of each built-in pack that is
// not absolute, some example of the same kind of technology does NOT fire
// it, so the examples show where the line is, not only that the rule
// exists.
func TestEveryRuleHasANearMiss(t *testing.T) {
	for _, name := range BuiltIn() {
		stack, err := Stack(name)
		if err != nil {
			t.Fatal(err)
		}
		top := stack[len(stack)-1]
		firedKinds := map[string]map[string]bool{}  // rule -> kinds it fired on
		missedKinds := map[string]map[string]bool{} // rule -> kinds it did not fire on
		for i, r := range RunExamples(stack) {
			req, err := exampleRequest(top.Examples[i])
			if err != nil {
				t.Fatal(err)
			}
			kind := req.Technology.Kind
			fired := map[string]bool{}
			for _, id := range r.GotRan {
				fired[id] = true
			}
			for _, rule := range top.Rules {
				m := missedKinds
				if fired[rule.ID] {
					m = firedKinds
				}
				if m[rule.ID] == nil {
					m[rule.ID] = map[string]bool{}
				}
				m[rule.ID][kind] = true
			}
		}
		for _, rule := range top.Rules {
			if rule.Absolute {
				continue
			}
			near := false
			for kind := range firedKinds[rule.ID] {
				if missedKinds[rule.ID][kind] {
					near = true
				}
			}
			if !near {
				t.Errorf("pack %s: rule %s has no example of the same technology that does not fire it (fired on %v)", name, rule.ID, keys(firedKinds[rule.ID]))
			}
		}
	}
}

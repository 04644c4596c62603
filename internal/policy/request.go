package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is one proposed use of one technology, as the rules see it. Its
// JSON form is what `vigil policy check` reads; docs/policy.md describes
// every field. It holds no personal data: targets are pseudonymous
// references, and grounds are the requester's words, kept with the
// request, never put on the public log.
type Request struct {
	// Assembly is the assembly the use concerns. Without one, the request
	// must give a bounded area and time window instead.
	Assembly Assembly `json:"assembly" cel:"assembly"`
	// Technology is what would be used, with the properties of its kind
	// and the state of its assessment.
	Technology Technology `json:"technology" cel:"technology"`
	// Purpose is what for: one of Purposes.
	Purpose string `json:"purpose" cel:"purpose"`
	// Mode is "targeted" (at named, pseudonymous targets) or "untargeted".
	Mode string `json:"mode" cel:"mode"`
	// Covert is true if those affected are not to be told at the time.
	Covert bool `json:"covert" cel:"covert"`
	// Targets are pseudonymous references ("subj_..."), never names.
	Targets []string `json:"targets" cel:"targets"`
	// Suspicion is what the requester asserts, and must be able to show.
	Suspicion Suspicion `json:"suspicion" cel:"suspicion"`
	// ExistingFootage is true for processing footage already captured,
	// rather than capturing or processing live.
	ExistingFootage bool `json:"existing_footage" cel:"existing_footage"`
	// Objective is the objective a jurisdiction's law lists, if any (for
	// example "search_victims" under the EU AI Act).
	Objective string `json:"objective" cel:"objective"`
	// LegalBasis names the law that allows the use.
	LegalBasis string `json:"legal_basis" cel:"legal_basis"`
	// Grounds are why it is necessary and proportionate.
	Grounds string `json:"grounds" cel:"grounds"`
	// Window is when the use would happen.
	Window Window `json:"window" cel:"window"`
	// Area is where.
	Area Area `json:"area" cel:"area"`
	// RetentionDays is how long what is captured would be kept.
	RetentionDays int `json:"retention_days" cel:"retention_days"`
	// Urgent asks to start before authorization, where the packs allow it.
	Urgent bool `json:"urgent" cel:"urgent"`
	// Force describes a unit's readiness to use a less-lethal weapon.
	Force Force `json:"force" cel:"force"`
}

// Assembly identifies the assembly a request concerns.
type Assembly struct {
	ID string `json:"id" cel:"id"`
	// Kind is "notified" or "spontaneous"; both are equally protected.
	Kind string `json:"kind" cel:"kind"`
}

// Technology is a technology as the rules see it: its kind, the
// properties that make it intrusive, and whether it has been assessed.
type Technology struct {
	ID   string `json:"id" cel:"id"`
	Kind string `json:"kind" cel:"kind"`
	// Identifies is true if it identifies or tracks individuals.
	Identifies bool `json:"identifies" cel:"identifies"`
	// Biometric is true if it processes biometric data (faces, gait,
	// voice, emotion).
	Biometric bool `json:"biometric" cel:"biometric"`
	// RealTime is true if it processes as it captures.
	RealTime bool `json:"real_time" cel:"real_time"`
	// RecordsPeople is true if it records images or sound of people.
	RecordsPeople bool `json:"records_people" cel:"records_people"`
	// ProcessesImages is true if it analyses images of people.
	ProcessesImages bool `json:"processes_images" cel:"processes_images"`
	// CapturesAllInRange is true if it cannot help capturing everyone in
	// range (an IMSI catcher).
	CapturesAllInRange bool `json:"captures_all_in_range" cel:"captures_all_in_range"`
	// AutonomousForce is true if it uses force without a person deciding
	// each use.
	AutonomousForce bool `json:"autonomous_force" cel:"autonomous_force"`
	// DisruptsNetwork is true if it blocks, slows or shuts down a network
	// or service.
	DisruptsNetwork bool `json:"disrupts_network" cel:"disrupts_network"`
	// LessLethal is true for a less-lethal weapon; Weapon says which.
	LessLethal bool   `json:"less_lethal" cel:"less_lethal"`
	Weapon     string `json:"weapon" cel:"weapon"`
	// AssessmentCurrent is true if a human-rights due diligence assessment
	// of it is in force.
	AssessmentCurrent bool `json:"assessment_current" cel:"assessment_current"`
	// AccuracyPublished and DemographicErrorsPublished are true if its
	// accuracy and its error rates across groups are published.
	AccuracyPublished          bool `json:"accuracy_published" cel:"accuracy_published"`
	DemographicErrorsPublished bool `json:"demographic_errors_published" cel:"demographic_errors_published"`
	// Registered is true if it is entered in the public register a
	// jurisdiction keeps (for example the EU database of high-risk AI).
	Registered bool `json:"registered" cel:"registered"`
}

// Suspicion is what grounds a targeted or recording use.
type Suspicion struct {
	// Reasonable: reasonable suspicion that particular individuals are
	// committing, or will commit, an offence.
	Reasonable bool `json:"reasonable" cel:"reasonable"`
	// SeriousOffence: the offence is a serious criminal offence.
	SeriousOffence bool `json:"serious_offence" cel:"serious_offence"`
	// ConcreteIndications: concrete indications that participants are
	// engaging, or will engage, in serious criminal activity.
	ConcreteIndications bool `json:"concrete_indications" cel:"concrete_indications"`
	// ImminentThreat: a specific, substantial and imminent threat to life
	// or physical safety.
	ImminentThreat bool `json:"imminent_threat" cel:"imminent_threat"`
}

// Window is a time window. Hours is computed from Start and End.
type Window struct {
	Start time.Time `json:"start" cel:"start"`
	End   time.Time `json:"end" cel:"end"`
	Hours float64   `json:"hours" cel:"hours"`
}

// Area is where a use would happen. Bounded is true if the request gives
// an area (not "the whole city"); SquareMetres is its size.
type Area struct {
	Bounded      bool    `json:"bounded" cel:"bounded"`
	SquareMetres float64 `json:"square_metres" cel:"square_metres"`
}

// Force describes a unit's readiness for a less-lethal weapon.
type Force struct {
	// UnitTrained: every officer of the unit holds a current training
	// certificate for this weapon.
	UnitTrained bool `json:"unit_trained" cel:"unit_trained"`
	// Justification says why less harmful means would not do.
	Justification string `json:"justification" cel:"justification"`
}

// Purposes are the purposes a request may state.
var Purposes = []string{
	"facilitation",     // counting, density, route, talking with organisers: identifies nobody
	"accountability",   // recording what officers do (body cameras worn openly)
	"public_order",     // managing risks at the assembly
	"investigation",    // investigating a criminal offence
	"identify_suspect", // identifying a suspect of a serious crime
	"search_victims",   // searching for victims or missing persons
	"prevent_threat",   // preventing a specific, imminent threat
}

// Modes are the modes a request may state.
var Modes = []string{"targeted", "untargeted"}

var (
	// ErrInvalidRequest means a request is malformed; the message says how.
	ErrInvalidRequest = errors.New("invalid request")

	pseudonym = regexp.MustCompile(`^[a-z]{2,8}_[a-z0-9]{4,40}$`)
	token     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Normalize checks r and fills in what is derived (the window's hours).
// It refuses what no rule should have to reason about: unknown purposes or
// modes, names where pseudonyms belong, a window that ends before it
// starts, oversized text.
func (r *Request) Normalize() error {
	r.Purpose = strings.TrimSpace(r.Purpose)
	r.Mode = strings.TrimSpace(r.Mode)
	if r.Purpose != "" && !slices.Contains(Purposes, r.Purpose) {
		return invalid("purpose %q is not one of %s", r.Purpose, strings.Join(Purposes, ", "))
	}
	if r.Mode != "" && !slices.Contains(Modes, r.Mode) {
		return invalid("mode %q is not one of %s", r.Mode, strings.Join(Modes, ", "))
	}
	for _, f := range []struct{ name, v string }{{"technology kind", r.Technology.Kind}, {"weapon", r.Technology.Weapon}, {"objective", r.Objective}, {"assembly kind", r.Assembly.Kind}} {
		if f.v != "" && !token.MatchString(f.v) {
			return invalid("%s %q is not a lower-case name", f.name, f.v)
		}
	}
	if len(r.Targets) > 50 {
		return invalid("a request names at most 50 targets; more is not targeted")
	}
	for _, t := range r.Targets {
		if !pseudonym.MatchString(t) {
			return invalid("target %q is not a pseudonymous reference such as subj_7f3k2q: never put a name here", t)
		}
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"grounds", r.Grounds, 4000}, {"legal basis", r.LegalBasis, 500}, {"force justification", r.Force.Justification, 2000}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return invalid("the %s are longer than %d characters", f.name, f.max)
		}
		if !utf8.ValidString(f.v) {
			return invalid("the %s are not valid text", f.name)
		}
	}
	if r.RetentionDays < 0 || r.RetentionDays > 3650 {
		return invalid("retention is from 0 to 3650 days")
	}
	if r.Area.SquareMetres < 0 {
		return invalid("an area cannot be negative")
	}
	r.Window.Hours = 0
	if !r.Window.Start.IsZero() || !r.Window.End.IsZero() {
		if r.Window.Start.IsZero() || r.Window.End.IsZero() || !r.Window.End.After(r.Window.Start) {
			return invalid("a time window has a start and an end after it")
		}
		r.Window.Start, r.Window.End = r.Window.Start.UTC(), r.Window.End.UTC()
		r.Window.Hours = r.Window.End.Sub(r.Window.Start).Hours()
	}
	if r.Targets == nil {
		r.Targets = []string{}
	}
	return nil
}

// ParseRequest decodes a request's JSON strictly and normalizes it.
func ParseRequest(b []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, invalid("not a request: %v", err)
	}
	if dec.More() {
		return r, invalid("trailing data after the request")
	}
	return r, r.Normalize()
}

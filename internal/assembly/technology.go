package assembly

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Properties are what make a technology intrusive, as the policy's rules
// see them.
type Properties struct {
	Identifies         bool `json:"identifies"`
	Biometric          bool `json:"biometric"`
	RealTime           bool `json:"real_time"`
	RecordsPeople      bool `json:"records_people"`
	ProcessesImages    bool `json:"processes_images"`
	CapturesAllInRange bool `json:"captures_all_in_range"`
	AutonomousForce    bool `json:"autonomous_force"`
	DisruptsNetwork    bool `json:"disrupts_network"`
	LessLethal         bool `json:"less_lethal"`
}

// or returns the properties either has: a registration may add to what
// its kind implies, never take away.
func (p Properties) or(q Properties) Properties {
	return Properties{
		Identifies: p.Identifies || q.Identifies, Biometric: p.Biometric || q.Biometric, RealTime: p.RealTime || q.RealTime,
		RecordsPeople: p.RecordsPeople || q.RecordsPeople, ProcessesImages: p.ProcessesImages || q.ProcessesImages,
		CapturesAllInRange: p.CapturesAllInRange || q.CapturesAllInRange, AutonomousForce: p.AutonomousForce || q.AutonomousForce,
		DisruptsNetwork: p.DisruptsNetwork || q.DisruptsNetwork, LessLethal: p.LessLethal || q.LessLethal,
	}
}

// Kinds are the kinds of technology Vigil knows, with the properties each
// has by its nature.
var Kinds = map[string]Properties{
	"body_camera":             {RecordsPeople: true},
	"cctv":                    {RecordsPeople: true, ProcessesImages: true},
	"drone_camera":            {RecordsPeople: true, ProcessesImages: true},
	"crowd_counting":          {},
	"facial_recognition":      {Biometric: true, Identifies: true, ProcessesImages: true},
	"emotion_recognition":     {Biometric: true, ProcessesImages: true},
	"imsi_catcher":            {CapturesAllInRange: true, Identifies: true},
	"social_media_monitoring": {Identifies: true},
	"spyware":                 {Identifies: true},
	"lawful_interception":     {Identifies: true},
	"less_lethal":             {LessLethal: true},
	"armed_drone":             {LessLethal: true, RecordsPeople: true},
	"network_disruption":      {DisruptsNetwork: true},
}

// KindNames lists the kinds, sorted.
func KindNames() []string {
	out := make([]string, 0, len(Kinds))
	for k := range Kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Weapons are the less-lethal weapon types (UN Human Rights Guidance on
// Less-Lethal Weapons in Law Enforcement, 2020).
var Weapons = []string{
	"baton", "chemical_irritant_spray", "tear_gas", "pepper_ball", "kinetic_impact_projectile",
	"conducted_energy_device", "water_cannon", "acoustic_device", "dazzling_weapon", "stun_grenade", "malodorant",
}

// Document is a published document about a technology.
type Document struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Technology is one product in the register. All of it is public: what
// technologies the authorities hold, from whom, and how accurate they are
// (A/HRC/44/24 para. 53(j)(iv)).
type Technology struct {
	ID         string
	Kind       string
	Product    string
	Supplier   string
	Version    string
	Properties Properties
	// Weapon is the less-lethal weapon type, for weapons.
	Weapon string
	// Accuracy and DemographicErrors are the published figures; empty if
	// none are published.
	Accuracy          string
	DemographicErrors string
	Documents         []Document
	// Registered is true if it is entered in a public register a
	// jurisdiction keeps (the EU database of high-risk AI systems).
	Registered bool
	CreatedBy  string
	CreatedAt  time.Time
}

// Assessment is a human-rights due diligence assessment of a technology.
type Assessment struct {
	ID           string
	TechnologyID string
	AssessedOn   time.Time
	ExpiresOn    time.Time
	Assessor     string
	// Summary is published.
	Summary   string
	CreatedBy string
	CreatedAt time.Time
}

// Covers reports whether the assessment is in force for the whole of
// [from, to).
func (a Assessment) Covers(from, to time.Time) bool {
	return !a.AssessedOn.After(from) && a.ExpiresOn.After(to)
}

// CanRegisterTechnology is who keeps the technology register.
var CanRegisterTechnology = []auth.Role{auth.Admin, auth.Commander}

// CanAssess is who records due diligence assessments.
var CanAssess = []auth.Role{auth.Admin, auth.Oversight}

var (
	evTechnologyRegistered = ledger.Kind{Name: "technology.registered",
		Facts:   []string{"technology", "kind", "weapon", "identifies", "biometric", "real_time", "records_people", "processes_images", "captures_all_in_range", "autonomous_force", "disrupts_network", "less_lethal", "accuracy_published", "demographic_errors_published", "registered"},
		Private: []string{"product", "supplier"}}
	evAssessmentRecorded = ledger.Kind{Name: "technology.assessed", Facts: []string{"technology", "assessment", "assessed_on", "expires_on"}, Private: []string{"summary", "assessor"}}
)

// NewTechnology is what it takes to register a technology.
type NewTechnology struct {
	Kind              string
	Product           string
	Supplier          string
	Version           string
	Properties        Properties
	Weapon            string
	Accuracy          string
	DemographicErrors string
	Documents         []Document
	Registered        bool
}

var versionRE = regexp.MustCompile(`^[\pL\pN][\pL\pN .+_-]{0,39}$`)

func checkText(v string, max int, key string) error {
	if utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
		return invalid(key, "max", max)
	}
	return nil
}

func (n *NewTechnology) check() error {
	n.Product, n.Supplier, n.Version = strings.TrimSpace(n.Product), strings.TrimSpace(n.Supplier), strings.TrimSpace(n.Version)
	base, ok := Kinds[n.Kind]
	if !ok {
		return invalid("technology.kind", "kinds", strings.Join(KindNames(), ", "))
	}
	n.Properties = n.Properties.or(base)
	if n.Product == "" || n.Supplier == "" {
		return invalid("technology.product_supplier")
	}
	for _, f := range []struct {
		v   string
		max int
	}{{n.Product, 100}, {n.Supplier, 100}, {n.Accuracy, 2000}, {n.DemographicErrors, 2000}} {
		if err := checkText(f.v, f.max, "technology.text_length"); err != nil {
			return err
		}
	}
	if n.Version != "" && !versionRE.MatchString(n.Version) {
		return invalid("technology.version")
	}
	if n.Properties.LessLethal != (n.Weapon != "") || (n.Weapon != "" && !slices.Contains(Weapons, n.Weapon)) {
		return invalid("technology.weapon", "weapons", strings.Join(Weapons, ", "))
	}
	if len(n.Documents) > 20 {
		return invalid("technology.documents")
	}
	for _, d := range n.Documents {
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.TrimSpace(d.Title) == "" || len(d.Title) > 200 || len(d.URL) > 2000 {
			return invalid("technology.document")
		}
	}
	return nil
}

// RegisterTechnology adds a technology to the register.
func (s *Service) RegisterTechnology(ctx context.Context, by auth.Account, n NewTechnology) (Technology, error) {
	if !by.Role.Is(CanRegisterTechnology...) {
		return Technology{}, ErrForbidden
	}
	if err := n.check(); err != nil {
		return Technology{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := Technology{
		ID: id.New("tec"), Kind: n.Kind, Product: n.Product, Supplier: n.Supplier, Version: n.Version,
		Properties: n.Properties, Weapon: n.Weapon, Accuracy: strings.TrimSpace(n.Accuracy), DemographicErrors: strings.TrimSpace(n.DemographicErrors),
		Documents: n.Documents, Registered: n.Registered, CreatedBy: by.ID, CreatedAt: now,
	}
	if t.Documents == nil {
		t.Documents = []Document{}
	}
	props, _ := json.Marshal(t.Properties)
	docs, _ := json.Marshal(t.Documents)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO technologies (id, kind, product, supplier, version, properties, weapon, accuracy, demographic_errors, documents, registered, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Kind, t.Product, t.Supplier, t.Version, string(props), t.Weapon, t.Accuracy, t.DemographicErrors, string(docs), boolInt(t.Registered), by.ID, store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("assembly: register technology: %w", err)
		}
		p := t.Properties
		_, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evTechnologyRegistered, Actor: by.Actor(), Subject: "technology:" + t.ID,
			Facts: map[string]any{"technology": t.ID, "kind": t.Kind, "weapon": t.Weapon, "identifies": p.Identifies, "biometric": p.Biometric,
				"real_time": p.RealTime, "records_people": p.RecordsPeople, "processes_images": p.ProcessesImages, "captures_all_in_range": p.CapturesAllInRange,
				"autonomous_force": p.AutonomousForce, "disrupts_network": p.DisruptsNetwork, "less_lethal": p.LessLethal,
				"accuracy_published": t.Accuracy != "", "demographic_errors_published": t.DemographicErrors != "", "registered": t.Registered},
			Private: map[string]string{"product": t.Product, "supplier": t.Supplier},
		})
		return err
	})
	return t, err
}

const technologyColumns = "id, kind, product, supplier, version, properties, weapon, accuracy, demographic_errors, documents, registered, created_by, created_at"

func scanTechnology(f func(...any) error) (Technology, error) {
	var t Technology
	var props, docs string
	var registered int
	var created int64
	if err := f(&t.ID, &t.Kind, &t.Product, &t.Supplier, &t.Version, &props, &t.Weapon, &t.Accuracy, &t.DemographicErrors, &docs, &registered, &t.CreatedBy, &created); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(props), &t.Properties); err != nil {
		return t, fmt.Errorf("assembly: technology %s properties: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(docs), &t.Documents); err != nil {
		return t, fmt.Errorf("assembly: technology %s documents: %w", t.ID, err)
	}
	t.Registered, t.CreatedAt = registered != 0, store.FromMicros(created)
	return t, nil
}

// Technology returns one technology, or an error wrapping ErrNotFound.
func (s *Service) Technology(ctx context.Context, technologyID string) (Technology, error) {
	return s.technology(ctx, s.db, technologyID)
}

func (s *Service) technology(ctx context.Context, q store.Querier, technologyID string) (Technology, error) {
	t, err := scanTechnology(q.QueryRow(ctx, "SELECT "+technologyColumns+" FROM technologies WHERE id = ?", technologyID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("technology %s: %w", technologyID, ErrNotFound)
	}
	return t, err
}

// Technologies returns the register, by kind and product.
func (s *Service) Technologies(ctx context.Context) ([]Technology, error) {
	rows, err := s.db.Query(ctx, "SELECT "+technologyColumns+" FROM technologies ORDER BY kind, product, id")
	if err != nil {
		return nil, fmt.Errorf("assembly: technologies: %w", err)
	}
	defer rows.Close()
	var out []Technology
	for rows.Next() {
		t, err := scanTechnology(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// NewAssessment is what it takes to record an assessment.
type NewAssessment struct {
	AssessedOn time.Time
	ExpiresOn  time.Time
	Assessor   string
	Summary    string
}

// RecordAssessment records a due diligence assessment of a technology.
func (s *Service) RecordAssessment(ctx context.Context, by auth.Account, technologyID string, n NewAssessment) (Assessment, error) {
	if !by.Role.Is(CanAssess...) {
		return Assessment{}, ErrForbidden
	}
	n.Assessor, n.Summary = strings.TrimSpace(n.Assessor), strings.TrimSpace(n.Summary)
	switch {
	case n.AssessedOn.IsZero() || n.ExpiresOn.IsZero() || !n.ExpiresOn.After(n.AssessedOn):
		return Assessment{}, invalid("assessment.dates")
	case n.ExpiresOn.Sub(n.AssessedOn) > 3*366*24*time.Hour:
		return Assessment{}, invalid("assessment.too_long")
	case n.AssessedOn.After(s.now().Add(24 * time.Hour)):
		return Assessment{}, invalid("assessment.future")
	case n.Assessor == "" || utf8.RuneCountInString(n.Assessor) > 200:
		return Assessment{}, invalid("assessment.assessor")
	case utf8.RuneCountInString(n.Summary) < 20 || utf8.RuneCountInString(n.Summary) > 10000:
		return Assessment{}, invalid("assessment.summary")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	a := Assessment{ID: id.New("ass"), TechnologyID: technologyID, AssessedOn: n.AssessedOn.UTC(), ExpiresOn: n.ExpiresOn.UTC(),
		Assessor: n.Assessor, Summary: n.Summary, CreatedBy: by.ID, CreatedAt: now}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := s.technology(ctx, tx, technologyID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO assessments (id, technology_id, assessed_on, expires_on, assessor, summary, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.TechnologyID, store.Micros(a.AssessedOn), store.Micros(a.ExpiresOn), a.Assessor, a.Summary, by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("assembly: record assessment: %w", err)
		}
		_, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evAssessmentRecorded, Actor: by.Actor(), Subject: "technology:" + technologyID,
			Facts:   map[string]any{"technology": technologyID, "assessment": a.ID, "assessed_on": a.AssessedOn, "expires_on": a.ExpiresOn},
			Private: map[string]string{"summary": a.Summary, "assessor": a.Assessor},
		})
		return err
	})
	return a, err
}

// Assessments returns a technology's assessments, newest first.
func (s *Service) Assessments(ctx context.Context, technologyID string) ([]Assessment, error) {
	return s.assessments(ctx, s.db, technologyID)
}

func (s *Service) assessments(ctx context.Context, q store.Querier, technologyID string) ([]Assessment, error) {
	rows, err := q.Query(ctx, "SELECT id, technology_id, assessed_on, expires_on, assessor, summary, created_by, created_at FROM assessments WHERE technology_id = ? ORDER BY assessed_on DESC, id", technologyID)
	if err != nil {
		return nil, fmt.Errorf("assembly: assessments: %w", err)
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		var a Assessment
		var on, exp, created int64
		if err := rows.Scan(&a.ID, &a.TechnologyID, &on, &exp, &a.Assessor, &a.Summary, &a.CreatedBy, &created); err != nil {
			return nil, err
		}
		a.AssessedOn, a.ExpiresOn, a.CreatedAt = store.FromMicros(on), store.FromMicros(exp), store.FromMicros(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

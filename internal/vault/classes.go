package vault

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vigil-project/vigil/internal/auth"
)

// Class is a kind of item and how long it lives. The schedule starts when
// the item is captured (or uploaded, if the capture time is unknown).
type Class struct {
	Name string
	// Days is how long items of the class are kept; 0 means the schedule
	// comes from the deployment they were captured under.
	Days int
	// Refuse, if set, refuses items of the class: they are not kept at all.
	Refuse bool
	// Uploaders are the roles that may add items of the class.
	Uploaders []auth.Role
	// NeedsDeployment: items must be captured under a deployment in force.
	NeedsDeployment bool
	// Why justifies the schedule, for the public retention page.
	Why string
}

// DefaultClasses are the retention schedules Vigil starts with. Each can be
// changed in configuration; the reasons are published.
var DefaultClasses = []Class{
	{Name: "bodycam", Days: 60, Uploaders: []auth.Role{auth.Officer, auth.Commander},
		Why: "Body-camera footage of officers' own interventions with no evidential value: 60 days, the common practice of police forces that keep such footage long enough for complaints to be made, and no longer (A/HRC/44/24 para. 12, 36)."},
	{Name: "capture", Days: 0, NeedsDeployment: true, Uploaders: []auth.Role{auth.Officer, auth.Commander},
		Why: "Captured under an authorized deployment (drone, CCTV, a targeted measure): kept exactly as long as its authorization says, then destroyed unless a case holds it (A/HRC/44/24 para. 36)."},
	{Name: "facilitation", Refuse: true, Uploaders: []auth.Role{auth.Officer, auth.Commander},
		Why: "Data used to facilitate an assembly (counting, density, routes) is not kept at all (UN toolkit for law enforcement; A/HRC/44/24 para. 36)."},
	{Name: "report", Days: 730, Uploaders: []auth.Role{auth.Reporter, auth.Flagger, auth.Moderator, auth.Monitor},
		Why: "Evidence submitted with a report of abuse by a victim, a trusted flagger or a support service: two years, long enough for most complaints and civil claims to be brought, unless a case holds it longer (CM/Rec(2026)2 para. 33, 39.5)."},
	{Name: "documentation", Days: 3650, Uploaders: []auth.Role{auth.Monitor},
		Why: "Human-rights monitors' documentation of abuses at assemblies: ten years, since accountability for abuses often comes years later (A/HRC/44/24 para. 44)."},
}

// classes finds a class by name.
type classes []Class

func (cs classes) get(name string) (Class, error) {
	for _, c := range cs {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return Class{}, invalid("vault.class", "class", name, "classes", strings.Join(names, ", "))
}

func (cs classes) check() error {
	seen := map[string]bool{}
	for _, c := range cs {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("vault: class %q is unnamed or repeated", c.Name)
		}
		seen[c.Name] = true
		if c.Days < 0 || (c.Days == 0 && !c.NeedsDeployment && !c.Refuse) {
			return fmt.Errorf("vault: class %s needs a positive number of days, a deployment, or to refuse", c.Name)
		}
		if c.Days > 36500 {
			return fmt.Errorf("vault: class %s keeps items for more than a hundred years", c.Name)
		}
		if len(c.Uploaders) == 0 {
			return fmt.Errorf("vault: class %s has no uploaders", c.Name)
		}
	}
	return nil
}

// canUpload reports whether role may add items of class c.
func (c Class) canUpload(role auth.Role) bool { return slices.Contains(c.Uploaders, role) }

// classFile is a retention schedule as a configuration file states it.
type classFile struct {
	Name            string   `json:"name"`
	Days            int      `json:"days"`
	Refuse          bool     `json:"refuse"`
	Uploaders       []string `json:"uploaders"`
	NeedsDeployment bool     `json:"needs_deployment"`
	Why             string   `json:"why"`
}

// LoadClasses reads retention schedules from JSON: a list of classes, each
// {"name", "days", "refuse", "uploaders", "needs_deployment", "why"}. They
// replace the defaults; each must say why it keeps what it keeps.
func LoadClasses(r io.Reader) ([]Class, error) {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var in []classFile
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("retention schedules: %w", err)
	}
	out := make([]Class, 0, len(in))
	for _, c := range in {
		if strings.TrimSpace(c.Why) == "" {
			return nil, fmt.Errorf("retention schedules: class %q does not say why (\"why\")", c.Name)
		}
		cl := Class{Name: c.Name, Days: c.Days, Refuse: c.Refuse, NeedsDeployment: c.NeedsDeployment, Why: c.Why}
		for _, u := range c.Uploaders {
			role, err := auth.ParseRole(u)
			if err != nil {
				return nil, fmt.Errorf("retention schedules: class %q: %w", c.Name, err)
			}
			cl.Uploaders = append(cl.Uploaders, role)
		}
		out = append(out, cl)
	}
	if err := classes(out).check(); err != nil {
		return nil, fmt.Errorf("retention schedules: %w", err)
	}
	return out, nil
}

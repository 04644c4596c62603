package assembly

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
)

// Kind says how an assembly came to be known.
type Kind string

// Kinds of assembly. A spontaneous assembly is as protected as a notified
// one (A/HRC/44/24 para. 9); the kind is recorded, not held against it.
const (
	Notified    Kind = "notified"
	Spontaneous Kind = "spontaneous"
)

// Assembly is one gathering in the register.
type Assembly struct {
	ID    string
	Title string
	Kind  Kind
	// Starts and Ends bound the time window.
	Starts, Ends time.Time
	// Area is a GeoJSON geometry: a Polygon or MultiPolygon for an area,
	// a LineString for a route. Empty if not known.
	Area         string
	ExpectedSize int
	// OrganiserContact is private: never shown outside the record, never
	// logged.
	OrganiserContact string
	CreatedBy        string
	CreatedAt        time.Time
}

// New is what it takes to register an assembly.
type New struct {
	Title            string
	Kind             Kind
	Starts, Ends     time.Time
	Area             string
	ExpectedSize     int
	OrganiserContact string
}

// ErrInvalid means a field breaks its rules; the message says how.
var ErrInvalid = errors.New("invalid")

// ErrForbidden means the account's role may not do this.
var ErrForbidden = errors.New("your role may not register assemblies")

// ErrNotFound means there is no such assembly.
var ErrNotFound = store.ErrNotFound

// MaxWindow is the longest time window one registration may cover.
const MaxWindow = 14 * 24 * time.Hour

var evRegistered = ledger.Kind{
	Name:    "assembly.registered",
	Facts:   []string{"assembly", "kind", "starts", "ends", "expected_size"},
	Private: []string{"title", "area", "organiser_contact"},
}

// CanRegister is who may put an assembly on the register: those who learn
// of one in their work.
var CanRegister = []auth.Role{auth.Officer, auth.Commander, auth.Monitor, auth.Admin}

// CanSeeContact is who may see an organiser's contact besides the account
// that recorded it: those who liaise with organisers, and oversight.
var CanSeeContact = []auth.Role{auth.Commander, auth.Oversight}

// Policy decides requests: the policy engine, as the register needs it.
type Policy interface {
	Decide(policy.Request) (policy.Decision, error)
	// NoticeDelayDays is the longest a covert deployment's notice may wait.
	NoticeDelayDays() int
}

// Training says whether every officer of a unit holds a current training
// certificate for a weapon at a time.
type Training interface {
	UnitTrained(ctx context.Context, unit, weapon string, at time.Time) (bool, error)
}

// untrained is the Training of a Vigil without a training register: no
// unit is trained, so no less-lethal weapon is allowed.
type untrained struct{}

func (untrained) UnitTrained(context.Context, string, string, time.Time) (bool, error) {
	return false, nil
}

// Options configure the service; only Policy is required.
type Options struct {
	Policy   Policy
	Training Training
	// DataContact is where people can ask about data held on them; every
	// public notice gives it.
	DataContact string
}

// CaptureShredder ends the schedule of what a deployment captured, in the
// transaction that stops the deployment, so that what urgent use gathered
// without the authorization it needed is destroyed at once (A/HRC/44/24
// para. 36). The evidence vault is one.
type CaptureShredder interface {
	EndCaptures(ctx context.Context, tx *store.Tx, deploymentID string, at time.Time) (int, error)
}

// Service keeps the register of assemblies and technologies, and the
// requests, authorizations, deployments and notices around them.
type Service struct {
	db       *store.DB
	outbox   *ledger.Outbox
	policy   Policy
	training Training
	contact  string
	captures CaptureShredder
	now      func() time.Time
}

// NewService returns the register over db.
func NewService(db *store.DB, outbox *ledger.Outbox, opts Options) *Service {
	if opts.Training == nil {
		opts.Training = untrained{}
	}
	if opts.DataContact == "" {
		opts.DataContact = "/rights"
	}
	return &Service{db: db, outbox: outbox, policy: opts.Policy, training: opts.Training, contact: opts.DataContact, now: time.Now}
}

// SetCaptureShredder names what destroys the captures of urgent use that
// is refused or lapses. Without one, only the log says they are to be
// deleted.
func (s *Service) SetCaptureShredder(c CaptureShredder) { s.captures = c }

// invalid returns an ErrInvalid whose message is the catalog's text for key.
func invalid(key string, args ...any) error { return i18n.NewError(ErrInvalid, key, args...) }

func (n *New) check() error {
	n.Title = strings.TrimSpace(n.Title)
	n.OrganiserContact = strings.TrimSpace(n.OrganiserContact)
	n.Area = strings.TrimSpace(n.Area)
	switch {
	case n.Title == "" || utf8.RuneCountInString(n.Title) > 200:
		return invalid("assembly.title_length")
	case strings.ContainsFunc(n.Title, unicode.IsControl):
		return invalid("assembly.title_control")
	case n.Kind != Notified && n.Kind != Spontaneous:
		return invalid("assembly.kind")
	case n.Starts.IsZero() || n.Ends.IsZero():
		return invalid("assembly.window_missing")
	case !n.Ends.After(n.Starts):
		return invalid("assembly.window_order")
	case n.Ends.Sub(n.Starts) > MaxWindow:
		return invalid("assembly.window_long", "days", int(MaxWindow.Hours()/24))
	case n.ExpectedSize < 0 || n.ExpectedSize > 10_000_000:
		return invalid("assembly.expected_size")
	case utf8.RuneCountInString(n.OrganiserContact) > 500:
		return invalid("assembly.contact_length")
	}
	if n.Area != "" {
		if err := CheckArea(n.Area); err != nil {
			return err
		}
	}
	return nil
}

// MaxAreaBytes bounds an area's GeoJSON.
const MaxAreaBytes = 64 << 10

// CheckArea accepts a GeoJSON geometry (RFC 7946) that describes where an
// assembly is: a Polygon or MultiPolygon (closed rings of at least four
// positions) or a LineString route, with longitudes and latitudes in range.
func CheckArea(s string) error {
	if len(s) > MaxAreaBytes {
		return invalid("assembly.area_size", "kib", MaxAreaBytes>>10)
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return invalid("assembly.area_json")
	}
	switch g.Type {
	case "LineString":
		var line [][]float64
		if err := json.Unmarshal(g.Coordinates, &line); err != nil || len(line) < 2 {
			return invalid("assembly.area_route")
		}
		return checkPositions(line)
	case "Polygon":
		var poly [][][]float64
		if err := json.Unmarshal(g.Coordinates, &poly); err != nil {
			return invalid("assembly.area_polygon")
		}
		return checkPolygon(poly)
	case "MultiPolygon":
		var multi [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &multi); err != nil || len(multi) == 0 {
			return invalid("assembly.area_multipolygon")
		}
		for _, p := range multi {
			if err := checkPolygon(p); err != nil {
				return err
			}
		}
		return nil
	}
	return invalid("assembly.area_type")
}

func checkPolygon(rings [][][]float64) error {
	if len(rings) == 0 {
		return invalid("assembly.area_polygon")
	}
	for _, ring := range rings {
		if len(ring) < 4 {
			return invalid("assembly.area_ring_short")
		}
		if err := checkPositions(ring); err != nil {
			return err
		}
		first, last := ring[0], ring[len(ring)-1]
		if first[0] != last[0] || first[1] != last[1] {
			return invalid("assembly.area_ring_open")
		}
	}
	return nil
}

func checkPositions(ps [][]float64) error {
	for _, p := range ps {
		if len(p) < 2 || len(p) > 3 {
			return invalid("assembly.area_position")
		}
		lon, lat := p[0], p[1]
		if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return invalid("assembly.area_range")
		}
	}
	return nil
}

// Register adds an assembly to the register, as account by.
func (s *Service) Register(ctx context.Context, by auth.Account, n New) (Assembly, int64, error) {
	if !by.Role.Is(CanRegister...) {
		return Assembly{}, 0, ErrForbidden
	}
	if err := n.check(); err != nil {
		return Assembly{}, 0, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	a := Assembly{
		ID: id.New("asm"), Title: n.Title, Kind: n.Kind, Starts: n.Starts.UTC().Truncate(time.Second), Ends: n.Ends.UTC().Truncate(time.Second),
		Area: n.Area, ExpectedSize: n.ExpectedSize, OrganiserContact: n.OrganiserContact, CreatedBy: by.ID, CreatedAt: now,
	}
	var event int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO assemblies (id, title, kind, starts_at, ends_at, area, expected_size, organiser_contact, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Title, string(a.Kind), store.Micros(a.Starts), store.Micros(a.Ends), a.Area, a.ExpectedSize, a.OrganiserContact, a.CreatedBy, store.Micros(now))
		if err != nil {
			return fmt.Errorf("assembly: register: %w", err)
		}
		event, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evRegistered, Actor: by.Actor(), Subject: "assembly:" + a.ID,
			Facts:   map[string]any{"assembly": a.ID, "kind": string(a.Kind), "starts": a.Starts, "ends": a.Ends, "expected_size": a.ExpectedSize},
			Private: map[string]string{"title": a.Title, "area": a.Area, "organiser_contact": a.OrganiserContact},
		})
		return err
	})
	if err != nil {
		return Assembly{}, 0, err
	}
	return a, event, nil
}

const columns = "id, title, kind, starts_at, ends_at, area, expected_size, organiser_contact, created_by, created_at"

func scan(f func(...any) error) (Assembly, error) {
	var a Assembly
	var kind string
	var starts, ends, created int64
	if err := f(&a.ID, &a.Title, &kind, &starts, &ends, &a.Area, &a.ExpectedSize, &a.OrganiserContact, &a.CreatedBy, &created); err != nil {
		return a, err
	}
	a.Kind = Kind(kind)
	a.Starts, a.Ends, a.CreatedAt = store.FromMicros(starts), store.FromMicros(ends), store.FromMicros(created)
	return a, nil
}

// Get returns one assembly, or an error wrapping ErrNotFound.
func (s *Service) Get(ctx context.Context, assemblyID string) (Assembly, error) {
	a, err := scan(s.db.QueryRow(ctx, "SELECT "+columns+" FROM assemblies WHERE id = ?", assemblyID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("assembly %s: %w", assemblyID, ErrNotFound)
	}
	return a, err
}

// List returns assemblies that end after since, soonest first, at most limit.
func (s *Service) List(ctx context.Context, since time.Time, limit int) ([]Assembly, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Query(ctx, "SELECT "+columns+" FROM assemblies WHERE ends_at >= ? ORDER BY starts_at, id LIMIT ?", store.Micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("assembly: list: %w", err)
	}
	defer rows.Close()
	var out []Assembly
	for rows.Next() {
		a, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

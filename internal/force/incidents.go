package force

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Medical says what medical help followed a use of force.
type Medical string

// Medical help (UN Basic Principles on the Use of Force, principle 5(c):
// assistance and medical aid to any injured person at the earliest
// possible moment).
const (
	MedicalGiven  Medical = "given"  // given on the spot
	MedicalCalled Medical = "called" // called for: an ambulance, a medic
	MedicalNone   Medical = "none"   // none
)

// MedicalKinds lists the values of Medical, in the order forms show them.
var MedicalKinds = []Medical{MedicalGiven, MedicalCalled, MedicalNone}

// Flag is where an incident stands with oversight.
type Flag string

// Flags. An incident reported by an officer without a valid certificate
// for the weapon is flagged open and waits in oversight's queue until
// oversight reviews it or refers it to an investigation.
const (
	FlagNone     Flag = ""         // trained use: nothing to review
	FlagOpen     Flag = "open"     // untrained use, waiting for oversight
	FlagReviewed Flag = "reviewed" // oversight reviewed it, with a note
	FlagReferred Flag = "referred" // oversight referred it to an investigation
)

// Incident is one reported use of a less-lethal weapon. A report is
// never edited: corrections and later facts are addenda, and only its
// standing with oversight (its flag) changes.
type Incident struct {
	ID string
	// OfficerID is the reporting officer, who used the weapon; Unit is
	// their unit when they reported it.
	OfficerID string
	Unit      string
	Weapon    string
	// OccurredAt is when the weapon was used; Month is its UTC month.
	OccurredAt time.Time
	Month      string
	// Point is a GeoJSON Point, Place a short description; at least one
	// is given.
	Point string
	Place string
	// AssemblyID is the assembly it happened at, if any.
	AssemblyID    string
	Circumstances string
	// WarningGiven says whether a warning was given; Warning says how, or
	// why none was.
	WarningGiven bool
	Warning      string
	// Injuries is how many people were injured, as far as known.
	Injuries          int
	InjuryDescription string
	Medical           Medical
	MedicalNote       string
	// BodyCameras are references to body-camera recordings.
	BodyCameras []string
	// Uses is how many times the weapon was used: strikes, bursts,
	// projectiles.
	Uses int
	// Trained says whether the officer held a certificate for the weapon
	// valid at OccurredAt, as the register stood when the report was
	// made; CertificateID is that certificate.
	Trained       bool
	CertificateID string
	Flag          Flag
	FlagNote      string
	FlagClosedBy  string
	FlagClosedAt  *time.Time
	// ContradictsZeroReport is set when the unit had already filed a zero
	// report for the month.
	ContradictsZeroReport bool
	CreatedAt             time.Time

	// The officer, for display.
	OfficerUsername, OfficerName string
}

// NewIncident is what an officer reports.
type NewIncident struct {
	Weapon            string
	OccurredAt        time.Time
	Point             string
	Place             string
	AssemblyID        string
	Circumstances     string
	WarningGiven      bool
	Warning           string
	Injuries          int
	InjuryDescription string
	Medical           Medical
	MedicalNote       string
	BodyCameras       []string
	Uses              int
}

// Limits on a report.
const (
	MaxBodyCameras = 50
	MaxUses        = 1000
	MaxInjuries    = 10000
	// ClockSkew is how far in the future a reported time may be, to
	// allow for a device's clock.
	ClockSkew = 5 * time.Minute
)

var bodyCameraRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/#=+-]{0,127}$`)

// ParseBodyCameras splits a list of body-camera references written one
// per line, or separated by commas or spaces.
func ParseBodyCameras(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(f) == 0 {
		return nil
	}
	return f
}

func checkBodyCameras(refs []string) ([]string, error) {
	if len(refs) > MaxBodyCameras {
		return nil, invalid("force.body_cameras_count", "max", MaxBodyCameras)
	}
	out := make([]string, 0, len(refs))
	seen := map[string]bool{}
	for _, r := range refs {
		r = strings.TrimSpace(r)
		if !bodyCameraRE.MatchString(r) {
			return nil, invalid("force.body_camera_ref")
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// CheckPoint accepts a GeoJSON Point (RFC 7946) with a longitude and a
// latitude in range, and an optional altitude.
func CheckPoint(s string) error {
	if len(s) > 1000 {
		return invalid("force.point")
	}
	var g struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(s), &g); err != nil || g.Type != "Point" || len(g.Coordinates) < 2 || len(g.Coordinates) > 3 {
		return invalid("force.point")
	}
	lon, lat := g.Coordinates[0], g.Coordinates[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return invalid("force.point")
	}
	return nil
}

// Point returns a GeoJSON Point for a longitude and latitude.
func Point(lon, lat float64) string {
	b, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{lon, lat}})
	return string(b)
}

func (n *NewIncident) check(now time.Time) error {
	n.Point = strings.TrimSpace(n.Point)
	n.AssemblyID = strings.TrimSpace(n.AssemblyID)
	switch {
	case !IsWeapon(n.Weapon):
		return invalid("force.weapon", "weapons", strings.Join(assembly.Weapons, ", "))
	case n.OccurredAt.IsZero():
		return invalid("force.time_missing")
	case n.OccurredAt.After(now.Add(ClockSkew)):
		return invalid("force.time_future")
	case n.OccurredAt.Year() < 2000:
		return invalid("force.time_missing")
	case n.Uses < 1 || n.Uses > MaxUses:
		return invalid("force.uses", "max", MaxUses)
	case n.Injuries < 0 || n.Injuries > MaxInjuries:
		return invalid("force.injuries", "max", MaxInjuries)
	}
	if n.Point != "" {
		if err := CheckPoint(n.Point); err != nil {
			return err
		}
	}
	if err := checkText(&n.Place, 0, 300, "force.place_length"); err != nil {
		return err
	}
	if n.Point == "" && n.Place == "" {
		return invalid("force.place_missing")
	}
	if err := checkText(&n.Circumstances, 20, 10000, "force.circumstances"); err != nil {
		return err
	}
	if n.WarningGiven {
		if err := checkText(&n.Warning, 0, 2000, "force.warning_length"); err != nil {
			return err
		}
	} else if err := checkText(&n.Warning, 5, 2000, "force.warning_why_not"); err != nil {
		return err
	}
	if n.Injuries > 0 {
		if err := checkText(&n.InjuryDescription, 5, 5000, "force.injury_description"); err != nil {
			return err
		}
	} else if err := checkText(&n.InjuryDescription, 0, 5000, "force.injury_description"); err != nil {
		return err
	}
	switch n.Medical {
	case MedicalGiven, MedicalCalled:
		if err := checkText(&n.MedicalNote, 0, 2000, "force.medical_note"); err != nil {
			return err
		}
	case MedicalNone:
		min := 0
		if n.Injuries > 0 {
			min = 5 // say why an injured person had no help
		}
		if err := checkText(&n.MedicalNote, min, 2000, "force.medical_none_injured"); err != nil {
			return err
		}
	default:
		return invalid("force.medical")
	}
	refs, err := checkBodyCameras(n.BodyCameras)
	if err != nil {
		return err
	}
	n.BodyCameras = refs
	return nil
}

// Report records a use of force by the reporting account, an officer or
// commander, who used the weapon. Vigil checks the reporter's training for
// the weapon at the moment of use and stores the answer; an untrained use
// is flagged for oversight. A report for a month the unit has already
// declared free of force is accepted (a report is never refused for
// that) and marked as contradicting the zero report. It returns the
// incident and the event that recorded it.
func (s *Service) Report(ctx context.Context, by auth.Account, n NewIncident) (Incident, int64, error) {
	if !by.Role.Is(CanReport...) {
		return Incident{}, 0, forbidden("force.forbidden_report")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if err := n.check(now); err != nil {
		return Incident{}, 0, err
	}
	in := Incident{
		ID: id.New("fin"), OfficerID: by.ID, Unit: strings.TrimSpace(by.Unit), Weapon: n.Weapon,
		OccurredAt: n.OccurredAt.UTC().Truncate(time.Second), Point: n.Point, Place: n.Place, AssemblyID: n.AssemblyID,
		Circumstances: n.Circumstances, WarningGiven: n.WarningGiven, Warning: n.Warning,
		Injuries: n.Injuries, InjuryDescription: n.InjuryDescription, Medical: n.Medical, MedicalNote: n.MedicalNote,
		BodyCameras: n.BodyCameras, Uses: n.Uses, CreatedAt: now, OfficerUsername: by.Username, OfficerName: by.DisplayName,
	}
	in.Month = MonthOf(in.OccurredAt)
	if in.BodyCameras == nil {
		in.BodyCameras = []string{}
	}
	refs, _ := json.Marshal(in.BodyCameras)
	unitKey := UnitKey(in.Unit)
	var event int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := lockUnit(ctx, tx, unitKey); err != nil {
			return err
		}
		if in.AssemblyID != "" {
			var one int
			err := tx.QueryRow(ctx, "SELECT 1 FROM assemblies WHERE id = ?", in.AssemblyID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return invalid("force.assembly")
			}
			if err != nil {
				return fmt.Errorf("force: report: %w", err)
			}
		}
		var err error
		if in.CertificateID, err = certificateAt(ctx, tx, by.ID, in.Weapon, in.OccurredAt); err != nil {
			return err
		}
		in.Trained = in.CertificateID != ""
		if !in.Trained {
			in.Flag = FlagOpen
		}
		var zero string
		if unitKey != "" {
			err := tx.QueryRow(ctx, "SELECT id FROM force_zero_reports WHERE unit_key = ? AND month = ?", unitKey, in.Month).Scan(&zero)
			switch {
			case err == nil:
				in.ContradictsZeroReport = true
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("force: report: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO force_incidents (id, officer_id, unit, unit_key, weapon, occurred_at, month, point, place, assembly_id,
			circumstances, warning_given, warning, injuries, injury_description, medical, medical_note, body_cameras, uses, trained, certificate_id,
			flag, contradicts_zero_report, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.OfficerID, in.Unit, unitKey, in.Weapon, store.Micros(in.OccurredAt), in.Month, in.Point, in.Place, nullable(in.AssemblyID),
			in.Circumstances, boolInt(in.WarningGiven), in.Warning, in.Injuries, in.InjuryDescription, string(in.Medical), in.MedicalNote,
			string(refs), in.Uses, boolInt(in.Trained), nullable(in.CertificateID), string(in.Flag), boolInt(in.ContradictsZeroReport),
			store.Micros(now)); err != nil {
			return fmt.Errorf("force: report: %w", err)
		}
		if zero != "" {
			if _, err := tx.Exec(ctx, "UPDATE force_zero_reports SET contradicted_by = ? WHERE id = ? AND contradicted_by IS NULL", in.ID, zero); err != nil {
				return fmt.Errorf("force: report: %w", err)
			}
		}
		event, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evIncidentReported, Actor: by.Actor(), Subject: incidentSubject(in.ID),
			Facts: map[string]any{"incident": in.ID, "weapon": in.Weapon, "month": in.Month, "assembly": in.AssemblyID,
				"uses": in.Uses, "injuries": in.Injuries, "trained": in.Trained, "warning_given": in.WarningGiven,
				"medical": string(in.Medical), "body_cameras": len(in.BodyCameras), "contradicts_zero_report": in.ContradictsZeroReport},
			Private: map[string]string{"unit": in.Unit, "occurred_at": in.OccurredAt.Format(time.RFC3339), "place": in.Place, "point": in.Point,
				"circumstances": in.Circumstances, "warning": in.Warning, "injury_description": in.InjuryDescription,
				"medical_note": in.MedicalNote, "body_camera_refs": strings.Join(in.BodyCameras, " "), "certificate": in.CertificateID},
		})
		return err
	})
	if err != nil {
		return Incident{}, 0, err
	}
	return in, event, nil
}

const incidentColumns = `i.id, i.officer_id, i.unit, i.weapon, i.occurred_at, i.month, i.point, i.place, i.assembly_id, i.circumstances,
	i.warning_given, i.warning, i.injuries, i.injury_description, i.medical, i.medical_note, i.body_cameras, i.uses, i.trained,
	i.certificate_id, i.flag, i.flag_note, i.flag_closed_by, i.flag_closed_at, i.contradicts_zero_report, i.created_at,
	a.username, a.display_name`

const incidentFrom = " FROM force_incidents i JOIN accounts a ON a.id = i.officer_id"

func scanIncident(f func(...any) error) (Incident, error) {
	var in Incident
	var occurred, created int64
	var asm, cert, closedBy sql.NullString
	var closedAt sql.NullInt64
	var warned, trained, contradicts int
	var medical, flag, refs string
	if err := f(&in.ID, &in.OfficerID, &in.Unit, &in.Weapon, &occurred, &in.Month, &in.Point, &in.Place, &asm, &in.Circumstances,
		&warned, &in.Warning, &in.Injuries, &in.InjuryDescription, &medical, &in.MedicalNote, &refs, &in.Uses, &trained,
		&cert, &flag, &in.FlagNote, &closedBy, &closedAt, &contradicts, &created, &in.OfficerUsername, &in.OfficerName); err != nil {
		return in, err
	}
	in.OccurredAt, in.CreatedAt = store.FromMicros(occurred), store.FromMicros(created)
	in.AssemblyID, in.CertificateID, in.FlagClosedBy, in.FlagClosedAt = asm.String, cert.String, closedBy.String, timePtr(closedAt)
	in.WarningGiven, in.Trained, in.ContradictsZeroReport = warned != 0, trained != 0, contradicts != 0
	in.Medical, in.Flag = Medical(medical), Flag(flag)
	if err := json.Unmarshal([]byte(refs), &in.BodyCameras); err != nil {
		return in, fmt.Errorf("force: incident %s: body cameras: %w", in.ID, err)
	}
	return in, nil
}

// canSee reports whether viewer may see an incident: their own, their
// unit's if they command it, or any if they oversee.
func canSee(viewer auth.Account, in Incident) bool {
	switch {
	case viewer.Role.Is(CanReadAll...):
		return true
	case in.OfficerID == viewer.ID && viewer.Role.Is(CanReport...):
		return true
	case viewer.Role == auth.Commander:
		return UnitKey(viewer.Unit) != "" && UnitKey(viewer.Unit) == UnitKey(in.Unit)
	}
	return false
}

func (s *Service) incident(ctx context.Context, q store.Querier, incidentID string, lock bool) (Incident, error) {
	suffix := ""
	if lock && q.Kind() == store.Postgres {
		suffix = " FOR UPDATE OF i"
	}
	in, err := scanIncident(q.QueryRow(ctx, "SELECT "+incidentColumns+incidentFrom+" WHERE i.id = ?"+suffix, incidentID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("force: incident %s: %w", incidentID, ErrNotFound)
	}
	return in, err
}

// Incident returns one incident if viewer may see it, or an error
// wrapping ErrNotFound: an incident outside one's view is not found.
func (s *Service) Incident(ctx context.Context, viewer auth.Account, incidentID string) (Incident, error) {
	if !viewer.Role.Is(CanRead...) {
		return Incident{}, forbidden("force.forbidden_read")
	}
	in, err := s.incident(ctx, s.db, incidentID, false)
	if err != nil {
		return Incident{}, err
	}
	if !canSee(viewer, in) {
		return Incident{}, fmt.Errorf("force: incident %s: %w", incidentID, ErrNotFound)
	}
	return in, nil
}

// IncidentQuery selects incidents, within what the viewer may see.
type IncidentQuery struct {
	// Mine keeps only the viewer's own reports.
	Mine bool
	// Unit keeps one unit's (oversight and admins; a commander may name
	// only their own).
	Unit string
	// Month keeps one month's, YYYY-MM.
	Month string
	// Weapon keeps one weapon type's.
	Weapon string
	// Flag keeps the incidents with this flag; FlagNone means any.
	Flag Flag
	// Untrained keeps only uses without a valid certificate.
	Untrained bool
	// AssemblyID keeps one assembly's.
	AssemblyID string
	// OldestFirst orders by when the report was made, oldest first,
	// instead of by the time of use, most recent first.
	OldestFirst bool
	// Limit is at most 500 (default 100).
	Limit int
}

// Incidents lists the incidents viewer may see that match q, the most
// recent use first: an officer sees their own, a commander their unit's,
// oversight and admins all.
func (s *Service) Incidents(ctx context.Context, viewer auth.Account, q IncidentQuery) ([]Incident, error) {
	where, args := []string{"1 = 1"}, []any{}
	switch {
	case viewer.Role.Is(CanReadAll...):
	case viewer.Role == auth.Commander:
		if q.Unit != "" && UnitKey(q.Unit) != UnitKey(viewer.Unit) {
			return nil, forbidden("force.forbidden_other_unit")
		}
		if key := UnitKey(viewer.Unit); key != "" && !q.Mine {
			where, args = append(where, "(i.unit_key = ? OR i.officer_id = ?)"), append(args, key, viewer.ID)
		} else {
			q.Mine = true
		}
		q.Unit = ""
	case viewer.Role == auth.Officer:
		if q.Unit != "" {
			return nil, forbidden("force.forbidden_other_unit")
		}
		q.Mine = true
	default:
		return nil, forbidden("force.forbidden_read")
	}
	if q.Mine {
		where, args = append(where, "i.officer_id = ?"), append(args, viewer.ID)
	}
	if q.Unit != "" {
		where, args = append(where, "i.unit_key = ?"), append(args, UnitKey(q.Unit))
	}
	if q.Month != "" {
		if _, err := ParseMonth(q.Month); err != nil {
			return nil, err
		}
		where, args = append(where, "i.month = ?"), append(args, strings.TrimSpace(q.Month))
	}
	if q.Weapon != "" {
		if !IsWeapon(q.Weapon) {
			return nil, invalid("force.weapon", "weapons", strings.Join(assembly.Weapons, ", "))
		}
		where, args = append(where, "i.weapon = ?"), append(args, q.Weapon)
	}
	switch q.Flag {
	case FlagNone:
	case FlagOpen, FlagReviewed, FlagReferred:
		where, args = append(where, "i.flag = ?"), append(args, string(q.Flag))
	default:
		return nil, invalid("force.flag")
	}
	if q.Untrained {
		where = append(where, "i.trained = 0")
	}
	if q.AssemblyID != "" {
		where, args = append(where, "i.assembly_id = ?"), append(args, q.AssemblyID)
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	order := "i.occurred_at DESC, i.id"
	if q.OldestFirst {
		order = "i.created_at, i.id"
	}
	args = append(args, q.Limit)
	rows, err := s.db.Query(ctx, "SELECT "+incidentColumns+incidentFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY "+order+" LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("force: incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Queue is oversight's queue: untrained uses not yet reviewed or
// referred, oldest first.
func (s *Service) Queue(ctx context.Context, viewer auth.Account) ([]Incident, error) {
	if !viewer.Role.Is(CanReadAll...) {
		return nil, forbidden("force.forbidden_read")
	}
	return s.Incidents(ctx, viewer, IncidentQuery{Flag: FlagOpen, OldestFirst: true, Limit: 500})
}

package force

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Addendum adds to a report: a correction, a fact learnt later, another
// body-camera recording. Reports are append-only: an addendum is the only
// way to change what a report says, and it never replaces the original.
type Addendum struct {
	ID          string
	IncidentID  string
	AuthorID    string
	AuthorRole  auth.Role
	Text        string
	BodyCameras []string
	CreatedAt   time.Time

	// The author, for display.
	AuthorUsername, AuthorName string
}

// canAmend reports whether by may add to the incident: the officer who
// reported it, or a commander of the unit it was reported in.
func canAmend(by auth.Account, in Incident) bool {
	if in.OfficerID == by.ID {
		return by.Role.Is(CanReport...)
	}
	return by.Role == auth.Commander && UnitKey(by.Unit) != "" && UnitKey(by.Unit) == UnitKey(in.Unit)
}

// CanAmend reports whether account a may add an addendum to the incident.
func CanAmend(a auth.Account, in Incident) bool { return canAmend(a, in) }

// AddAddendum adds an addendum to an incident, as the reporting officer or
// a commander of its unit.
func (s *Service) AddAddendum(ctx context.Context, by auth.Account, incidentID, text string, bodyCameras []string) (Addendum, error) {
	if err := checkText(&text, 5, 5000, "force.addendum_text"); err != nil {
		return Addendum{}, err
	}
	refs, err := checkBodyCameras(bodyCameras)
	if err != nil {
		return Addendum{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	a := Addendum{ID: id.New("fad"), IncidentID: incidentID, AuthorID: by.ID, AuthorRole: by.Role, Text: text, BodyCameras: refs,
		CreatedAt: now, AuthorUsername: by.Username, AuthorName: by.DisplayName}
	refsJSON, _ := json.Marshal(a.BodyCameras)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		in, err := s.incident(ctx, tx, incidentID, false)
		if err != nil {
			return err
		}
		if !canSee(by, in) {
			return fmt.Errorf("force: incident %s: %w", incidentID, ErrNotFound)
		}
		if !canAmend(by, in) {
			return forbidden("force.forbidden_addendum")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO force_addenda (id, incident_id, author_id, author_role, text, body_cameras, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			a.ID, a.IncidentID, a.AuthorID, string(a.AuthorRole), a.Text, string(refsJSON), store.Micros(now)); err != nil {
			return fmt.Errorf("force: addendum: %w", err)
		}
		_, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evAddendumAdded, Actor: by.Actor(), Subject: incidentSubject(in.ID),
			Facts:   map[string]any{"incident": in.ID, "addendum": a.ID, "body_cameras": len(a.BodyCameras)},
			Private: map[string]string{"text": a.Text, "body_camera_refs": strings.Join(a.BodyCameras, " ")},
		})
		return err
	})
	if err != nil {
		return Addendum{}, err
	}
	if a.BodyCameras == nil {
		a.BodyCameras = []string{}
	}
	return a, nil
}

// Addenda returns an incident's addenda, oldest first, if viewer may see
// the incident.
func (s *Service) Addenda(ctx context.Context, viewer auth.Account, incidentID string) ([]Addendum, error) {
	if _, err := s.Incident(ctx, viewer, incidentID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT d.id, d.incident_id, d.author_id, d.author_role, d.text, d.body_cameras, d.created_at, a.username, a.display_name
		FROM force_addenda d JOIN accounts a ON a.id = d.author_id WHERE d.incident_id = ? ORDER BY d.created_at, d.id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("force: addenda: %w", err)
	}
	defer rows.Close()
	var out []Addendum
	for rows.Next() {
		var a Addendum
		var role, refs string
		var created int64
		if err := rows.Scan(&a.ID, &a.IncidentID, &a.AuthorID, &role, &a.Text, &refs, &created, &a.AuthorUsername, &a.AuthorName); err != nil {
			return nil, err
		}
		a.AuthorRole, a.CreatedAt = auth.Role(role), store.FromMicros(created)
		if err := json.Unmarshal([]byte(refs), &a.BodyCameras); err != nil {
			return nil, fmt.Errorf("force: addendum %s: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

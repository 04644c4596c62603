package force

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// BodyKind is the kind of body an incident is referred to: judicial or
// non-judicial mechanisms (A/HRC/44/24 para. 53(n)).
type BodyKind string

// Kinds of investigating body.
const (
	Prosecutor          BodyKind = "prosecutor"
	PoliceComplaints    BodyKind = "police_complaints"
	DisciplinaryBoard   BodyKind = "disciplinary_board"
	CommissionOfInquiry BodyKind = "commission_of_inquiry"
	Ombudsperson        BodyKind = "ombudsperson"
	Court               BodyKind = "court"
	OtherBody           BodyKind = "other"
)

// BodyKinds lists the kinds, in the order forms show them.
var BodyKinds = []BodyKind{Prosecutor, PoliceComplaints, DisciplinaryBoard, CommissionOfInquiry, Ombudsperson, Court, OtherBody}

// ReferralStatus is where a referral stands.
type ReferralStatus string

// Referral statuses. A referral starts as referred; the body opens an
// investigation or declines it; an opened investigation is closed with
// its outcome.
const (
	Referred ReferralStatus = "referred"
	Opened   ReferralStatus = "opened"
	Declined ReferralStatus = "declined"
	Closed   ReferralStatus = "closed"
)

// ReferralStatuses lists the statuses in their order.
var ReferralStatuses = []ReferralStatus{Referred, Opened, Declined, Closed}

// next says which statuses each status may move to.
var next = map[ReferralStatus][]ReferralStatus{
	Referred: {Opened, Declined},
	Opened:   {Closed},
}

// NextStatuses lists the statuses a referral in status st may move to.
func NextStatuses(st ReferralStatus) []ReferralStatus { return next[st] }

// Referral is an incident referred by oversight to a body that
// investigates it.
type Referral struct {
	ID         string
	IncidentID string
	BodyKind   BodyKind
	// Body names the body; Reference is its case number, if known yet.
	Body, Reference string
	Reasons         string
	Status          ReferralStatus
	ReferredBy      string
	ReferredAt      time.Time
	UpdatedAt       time.Time
	Updates         []ReferralUpdate
}

// ReferralUpdate is one change of a referral's status, with a note.
type ReferralUpdate struct {
	From, To ReferralStatus
	Note     string
	By       string
	At       time.Time
}

// NewReferral is what it takes to refer an incident.
type NewReferral struct {
	BodyKind  BodyKind
	Body      string
	Reference string
	Reasons   string
}

// Refer refers an incident to an investigation. Only oversight refers. An
// incident may be referred to several bodies (a disciplinary board and a
// prosecutor, say). If the incident waited in the queue, the referral
// takes it out.
func (s *Service) Refer(ctx context.Context, by auth.Account, incidentID string, n NewReferral) (Referral, error) {
	if !by.Role.Is(CanOversee...) {
		return Referral{}, forbidden("force.forbidden_oversee")
	}
	if !slices.Contains(BodyKinds, n.BodyKind) {
		return Referral{}, invalid("force.body_kind")
	}
	if err := checkText(&n.Body, 2, 200, "force.body"); err != nil {
		return Referral{}, err
	}
	if err := checkText(&n.Reference, 0, 100, "force.reference"); err != nil {
		return Referral{}, err
	}
	if err := checkText(&n.Reasons, 20, 4000, "force.reasons"); err != nil {
		return Referral{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	r := Referral{ID: id.New("frf"), IncidentID: incidentID, BodyKind: n.BodyKind, Body: n.Body, Reference: n.Reference, Reasons: n.Reasons,
		Status: Referred, ReferredBy: by.ID, ReferredAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		in, err := s.incident(ctx, tx, incidentID, true)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO force_referrals (id, incident_id, body_kind, body, reference, reasons, status, referred_by, referred_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.IncidentID, string(r.BodyKind), r.Body, r.Reference, r.Reasons, string(r.Status), by.ID, store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("force: refer: %w", err)
		}
		if in.Flag == FlagOpen {
			if _, err := tx.Exec(ctx, "UPDATE force_incidents SET flag = ?, flag_closed_by = ?, flag_closed_at = ? WHERE id = ? AND flag = ?",
				string(FlagReferred), by.ID, store.Micros(now), in.ID, string(FlagOpen)); err != nil {
				return fmt.Errorf("force: refer: %w", err)
			}
		}
		_, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evReferred, Actor: by.Actor(), Subject: incidentSubject(in.ID),
			Facts:   map[string]any{"referral": r.ID, "incident": in.ID, "body_kind": string(r.BodyKind), "status": string(r.Status)},
			Private: map[string]string{"body": r.Body, "reference": r.Reference, "reasons": r.Reasons},
		})
		return err
	})
	if err != nil {
		return Referral{}, err
	}
	return r, nil
}

// UpdateReferral moves a referral to its next status, with a note: the
// body opened an investigation (give its reference), declined it, or
// closed it (say with what outcome). A reference given here replaces an
// empty one. Only oversight updates referrals.
func (s *Service) UpdateReferral(ctx context.Context, by auth.Account, referralID string, to ReferralStatus, reference, note string) (Referral, error) {
	if !by.Role.Is(CanOversee...) {
		return Referral{}, forbidden("force.forbidden_oversee")
	}
	if err := checkText(&note, 10, 2000, "force.referral_note"); err != nil {
		return Referral{}, err
	}
	if err := checkText(&reference, 0, 100, "force.reference"); err != nil {
		return Referral{}, err
	}
	var out Referral
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.referral(ctx, tx, referralID, true)
		if err != nil {
			return err
		}
		if !slices.Contains(next[r.Status], to) {
			return conflict("force.referral_transition", "from", string(r.Status), "to", string(to))
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if reference == "" {
			reference = r.Reference
		}
		res, err := tx.Exec(ctx, "UPDATE force_referrals SET status = ?, reference = ?, updated_at = ? WHERE id = ? AND status = ?",
			string(to), reference, store.Micros(now), r.ID, string(r.Status))
		if err != nil {
			return fmt.Errorf("force: update referral: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("force.referral_transition", "from", string(r.Status), "to", string(to))
		}
		if _, err := tx.Exec(ctx, "INSERT INTO force_referral_updates (referral_id, from_status, to_status, note, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			r.ID, string(r.Status), string(to), note, by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("force: update referral: %w", err)
		}
		if _, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evReferralUpdated, Actor: by.Actor(), Subject: incidentSubject(r.IncidentID),
			Facts:   map[string]any{"referral": r.ID, "incident": r.IncidentID, "from": string(r.Status), "to": string(to)},
			Private: map[string]string{"note": note},
		}); err != nil {
			return err
		}
		out, err = s.referral(ctx, tx, r.ID, false)
		return err
	})
	return out, err
}

const referralColumns = "id, incident_id, body_kind, body, reference, reasons, status, referred_by, referred_at, updated_at"

func scanReferral(f func(...any) error) (Referral, error) {
	var r Referral
	var kind, status string
	var referred, updated int64
	if err := f(&r.ID, &r.IncidentID, &kind, &r.Body, &r.Reference, &r.Reasons, &status, &r.ReferredBy, &referred, &updated); err != nil {
		return r, err
	}
	r.BodyKind, r.Status = BodyKind(kind), ReferralStatus(status)
	r.ReferredAt, r.UpdatedAt = store.FromMicros(referred), store.FromMicros(updated)
	return r, nil
}

func (s *Service) referral(ctx context.Context, q store.Querier, referralID string, lock bool) (Referral, error) {
	suffix := ""
	if lock {
		suffix = forUpdate(q)
	}
	r, err := scanReferral(q.QueryRow(ctx, "SELECT "+referralColumns+" FROM force_referrals WHERE id = ?"+suffix, referralID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("force: referral %s: %w", referralID, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.Updates, err = referralUpdates(ctx, q, r.ID)
	return r, err
}

func referralUpdates(ctx context.Context, q store.Querier, referralID string) ([]ReferralUpdate, error) {
	rows, err := q.Query(ctx, "SELECT from_status, to_status, note, updated_by, updated_at FROM force_referral_updates WHERE referral_id = ? ORDER BY id", referralID)
	if err != nil {
		return nil, fmt.Errorf("force: referral updates: %w", err)
	}
	defer rows.Close()
	var out []ReferralUpdate
	for rows.Next() {
		var u ReferralUpdate
		var from, to string
		var at int64
		if err := rows.Scan(&from, &to, &u.Note, &u.By, &at); err != nil {
			return nil, err
		}
		u.From, u.To, u.At = ReferralStatus(from), ReferralStatus(to), store.FromMicros(at)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Referral returns one referral with its updates. Only oversight and
// admins see referrals: an investigation's progress is not for the unit
// under investigation.
func (s *Service) Referral(ctx context.Context, viewer auth.Account, referralID string) (Referral, error) {
	if !viewer.Role.Is(CanReadAll...) {
		return Referral{}, forbidden("force.forbidden_referrals")
	}
	return s.referral(ctx, s.db, referralID, false)
}

// ReferralQuery selects referrals.
type ReferralQuery struct {
	IncidentID string
	Status     ReferralStatus
	Limit      int // default 100, at most 500
}

// Referrals lists referrals, newest first, each with its updates. Only
// oversight and admins see them.
func (s *Service) Referrals(ctx context.Context, viewer auth.Account, q ReferralQuery) ([]Referral, error) {
	if !viewer.Role.Is(CanReadAll...) {
		return nil, forbidden("force.forbidden_referrals")
	}
	where, args := []string{"1 = 1"}, []any{}
	if q.IncidentID != "" {
		where, args = append(where, "incident_id = ?"), append(args, q.IncidentID)
	}
	if q.Status != "" {
		if !slices.Contains(ReferralStatuses, q.Status) {
			return nil, invalid("force.referral_status")
		}
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	args = append(args, q.Limit)
	rows, err := s.db.Query(ctx, "SELECT "+referralColumns+" FROM force_referrals WHERE "+strings.Join(where, " AND ")+" ORDER BY referred_at DESC, id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("force: referrals: %w", err)
	}
	var out []Referral
	for rows.Next() {
		r, err := scanReferral(rows.Scan)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Updates, err = referralUpdates(ctx, s.db, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package assembly

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Deployment statuses.
const (
	Active  = "active"
	Ended   = "ended"   // reached its end
	Revoked = "revoked" // ended early by someone with the power to
	Stopped = "stopped" // urgent use refused or not authorized in time
)

// Deployment is an authorization in force: the technology in use, for a
// window, until it ends by itself or is revoked.
type Deployment struct {
	ID            string
	RequestID     string
	AssemblyID    string
	TechnologyID  string
	Starts, Ends  time.Time
	RetentionDays int
	Status        string
	// ReviewBy is set while urgent use runs unauthorized: by then it must
	// be authorized, or it stops and what it captured is deleted.
	ReviewBy  *time.Time
	EndedAt   *time.Time
	EndReason string
	CreatedAt time.Time
}

// Authorization is an authorizer's decision on a request.
type Authorization struct {
	ID        string
	RequestID string
	Approved  bool
	Reasons   string
	// Starts, Ends and RetentionDays are the scope approved: the request's,
	// or narrower.
	Starts, Ends  time.Time
	RetentionDays int
	DecidedBy     string
	// Authority is the authorizer's unit, as the public notice names it.
	Authority string
	DecidedAt time.Time
}

// needsNotice reports whether deploying t affects people enough that the
// public must be told.
func needsNotice(t Technology) bool {
	p := t.Properties
	return p.RecordsPeople || p.ProcessesImages || p.Identifies || p.Biometric || p.CapturesAllInRange || t.Kind == "crowd_counting"
}

// deploy starts a deployment for r and, where the public must be told, its
// notice, in tx.
func (s *Service) deploy(ctx context.Context, tx *store.Tx, actor ledger.Actor, r Request, t Technology, starts, ends time.Time, retention int, reviewBy time.Time, authority string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	d := Deployment{ID: id.New("dep"), RequestID: r.ID, AssemblyID: r.AssemblyID, TechnologyID: t.ID, Starts: starts, Ends: ends, RetentionDays: retention, Status: Active, CreatedAt: now}
	var review any
	facts := map[string]any{"deployment": d.ID, "request": r.ID, "assembly": r.AssemblyID, "technology": t.ID, "technology_kind": t.Kind,
		"starts": starts, "ends": ends, "retention_days": retention}
	if !reviewBy.IsZero() {
		review = store.Micros(reviewBy)
		facts["review_by"] = reviewBy
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deployments (id, request_id, assembly_id, technology_id, starts_at, ends_at, retention_days, status, review_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, r.ID, nullable(r.AssemblyID), t.ID, store.Micros(starts), store.Micros(ends), retention, Active, review, store.Micros(now)); err != nil {
		return fmt.Errorf("assembly: deploy: %w", err)
	}
	if _, err := s.outbox.Record(ctx, tx, ledger.Event{Kind: evDeploymentStarted, Actor: actor, Subject: "request:" + r.ID, Facts: facts}); err != nil {
		return err
	}
	if !needsNotice(t) {
		return nil
	}
	publishAt, delayed := now, false
	if r.NoticeDelayDays > 0 {
		publishAt, delayed = ends.Add(time.Duration(r.NoticeDelayDays)*24*time.Hour), true
	}
	n := id.New("ntc")
	var published any
	if !delayed {
		published = store.Micros(now)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notices (id, deployment_id, assembly_id, technology_kind, purpose, starts_at, ends_at, area, authority, retention_days, contact, publish_at, delay_reason, published_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n, d.ID, nullable(r.AssemblyID), t.Kind, r.Body.Purpose, store.Micros(starts), store.Micros(ends), r.Area, authority, retention, s.contact,
		store.Micros(publishAt), r.NoticeDelayReason, published, store.Micros(now)); err != nil {
		return fmt.Errorf("assembly: notice: %w", err)
	}
	_, err := s.outbox.Record(ctx, tx, ledger.Event{Kind: evNoticeCreated, Actor: actor, Subject: "request:" + r.ID,
		Facts:   map[string]any{"notice": n, "deployment": d.ID, "publish_at": publishAt, "delayed": delayed},
		Private: map[string]string{"delay_reason": r.NoticeDelayReason}})
	return err
}

// Verdict is an authorizer's decision. To narrow a request, give a
// shorter window or retention; zero values keep the request's.
type Verdict struct {
	Approve       bool
	Reasons       string
	Starts, Ends  time.Time
	RetentionDays *int
}

// Decide records an authorizer's verdict on a pending or urgent request.
// The authorizer must be independent of the requester: never the same
// account, never the same unit (auth.SeparateDuties). An approval deploys
// the request, narrowed if asked; a refusal of urgent use stops it, and
// everything captured under it is to be deleted.
func (s *Service) Decide(ctx context.Context, by auth.Account, requestID string, v Verdict) (Request, error) {
	if by.Role != auth.Authorizer {
		return Request{}, ErrForbidden
	}
	v.Reasons = strings.TrimSpace(v.Reasons)
	if utf8.RuneCountInString(v.Reasons) < 10 || utf8.RuneCountInString(v.Reasons) > 4000 {
		return Request{}, invalid("verdict.reasons")
	}
	var out Request
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.getRequest(ctx, tx, requestID, true)
		if err != nil {
			return err
		}
		if r.Status != Pending && r.Status != Urgent {
			return invalid("verdict.not_pending", "status", r.Status)
		}
		if err := auth.SeparateDuties(auth.Account{ID: r.RequestedBy, Unit: r.RequesterUnit}, by); err != nil {
			return err
		}
		starts, ends, retention := r.Body.Window.Start, r.Body.Window.End, r.Body.RetentionDays
		narrowed := false
		if !v.Starts.IsZero() || !v.Ends.IsZero() {
			if v.Starts.IsZero() {
				v.Starts = starts
			}
			if v.Ends.IsZero() {
				v.Ends = ends
			}
			if v.Starts.Before(starts) || v.Ends.After(ends) || !v.Ends.After(v.Starts) {
				return invalid("verdict.window")
			}
			narrowed = !v.Starts.Equal(starts) || !v.Ends.Equal(ends)
			starts, ends = v.Starts.UTC(), v.Ends.UTC()
		}
		if v.RetentionDays != nil {
			if *v.RetentionDays < 0 || *v.RetentionDays > retention {
				return invalid("verdict.retention", "days", retention)
			}
			narrowed = narrowed || *v.RetentionDays != retention
			retention = *v.RetentionDays
		}
		if !v.Approve && narrowed {
			return invalid("verdict.refuse_narrowed")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		authority := by.Unit
		if authority == "" {
			authority = "independent authorizer"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO authorizations (id, request_id, approved, reasons, starts_at, ends_at, retention_days, decided_by, authority, decided_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id.New("aut"), r.ID, boolInt(v.Approve), v.Reasons, store.Micros(starts), store.Micros(ends), retention, by.ID, authority, store.Micros(now)); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return invalid("verdict.not_pending", "status", "decided")
			}
			return fmt.Errorf("assembly: record decision: %w", err)
		}
		status := Refused
		if v.Approve {
			status = Approved
		}
		if _, err := tx.Exec(ctx, "UPDATE requests SET status = ?, updated_at = ? WHERE id = ?", status, store.Micros(now), r.ID); err != nil {
			return err
		}
		if _, err := s.outbox.Record(ctx, tx, ledger.Event{Kind: evRequestDecided, Actor: by.Actor(), Subject: "request:" + r.ID,
			Facts: map[string]any{"request": r.ID, "approved": v.Approve, "narrowed": narrowed, "starts": starts, "ends": ends,
				"retention_days": retention, "urgent_review": r.Status == Urgent},
			Private: map[string]string{"reasons": v.Reasons, "authority": authority}}); err != nil {
			return err
		}
		tech, err := s.technology(ctx, tx, r.TechnologyID)
		if err != nil {
			return err
		}
		switch {
		case r.Status == Pending && v.Approve:
			if err := s.deploy(ctx, tx, by.Actor(), r, tech, starts, ends, retention, time.Time{}, authority); err != nil {
				return err
			}
		case r.Status == Urgent && v.Approve:
			// Urgent use already runs: it goes on, within the approved scope.
			if _, err := tx.Exec(ctx, "UPDATE deployments SET review_by = NULL, ends_at = ?, retention_days = ? WHERE request_id = ? AND status = ?",
				store.Micros(ends), retention, r.ID, Active); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE notices SET authority = ?, ends_at = ?, retention_days = ? WHERE deployment_id IN (SELECT id FROM deployments WHERE request_id = ?)",
				authority, store.Micros(ends), retention, r.ID); err != nil {
				return err
			}
		case r.Status == Urgent && !v.Approve:
			if err := s.endDeployment(ctx, tx, by.Actor(), r.ID, Stopped, "refused", "urgent use refused by the authorizer", true); err != nil {
				return err
			}
		}
		out, err = s.getRequest(ctx, tx, r.ID, false)
		return err
	})
	return out, err
}

// endDeployment ends a request's active deployment, if it has one.
func (s *Service) endDeployment(ctx context.Context, tx *store.Tx, actor ledger.Actor, requestID, status, how, reason string, deleteCaptures bool) error {
	var depID string
	err := store.Scan(tx.QueryRow(ctx, "SELECT id FROM deployments WHERE request_id = ? AND status = ?", requestID, Active), &depID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	res, err := tx.Exec(ctx, "UPDATE deployments SET status = ?, ended_at = ?, end_reason = ?, review_by = NULL WHERE id = ? AND status = ?", status, store.Micros(now), reason, depID, Active)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // another process ended it first
	}
	if deleteCaptures && s.captures != nil {
		if _, err := s.captures.EndCaptures(ctx, tx, depID, now); err != nil {
			return fmt.Errorf("assembly: end the deployment's captures: %w", err)
		}
	}
	_, err = s.outbox.Record(ctx, tx, ledger.Event{Kind: evDeploymentEnded, Actor: actor, Subject: "request:" + requestID,
		Facts:   map[string]any{"deployment": depID, "request": requestID, "how": how, "captures_to_delete": deleteCaptures},
		Private: map[string]string{"reason": reason}})
	return err
}

// Revoke ends a deployment early, with reasons.
func (s *Service) Revoke(ctx context.Context, by auth.Account, deploymentID, reason string) error {
	if !by.Role.Is(CanRevoke...) {
		return ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 10 || utf8.RuneCountInString(reason) > 2000 {
		return invalid("revoke.reason")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		d, err := s.deployment(ctx, tx, deploymentID)
		if err != nil {
			return err
		}
		if d.Status != Active {
			return invalid("revoke.not_active")
		}
		return s.endDeployment(ctx, tx, by.Actor(), d.RequestID, Revoked, "revoked", reason, false)
	})
}

// Sweep does what time decides, as of now: it ends deployments whose
// window has passed, stops urgent use not authorized in time (what it
// captured is to be deleted), and publishes notices whose delay is over.
// Each change is its own transaction and event, and taking each row only
// if it is still in the state found makes it safe to run in several
// processes at once. It returns how many changes it made. Its cost grows
// with what is due, not with what is stored.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := store.Micros(s.now())
	n := 0
	type due struct{ id, request string }
	collect := func(q string) ([]due, error) {
		rows, err := s.db.Query(ctx, q, now)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.request); err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, rows.Err()
	}
	lapsed, err := collect("SELECT id, request_id FROM deployments WHERE status = 'active' AND review_by IS NOT NULL AND review_by <= ? ORDER BY review_by LIMIT 500")
	if err != nil {
		return n, fmt.Errorf("assembly: sweep: %w", err)
	}
	for _, d := range lapsed {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, "UPDATE requests SET status = ?, updated_at = ? WHERE id = ? AND status = ?", Lapsed, now, d.request, Urgent)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return s.endDeployment(ctx, tx, ledger.System, d.request, Stopped, "lapsed", "urgent use was not authorized in time", true)
		})
		if err != nil {
			return n, err
		}
	}
	ended, err := collect("SELECT id, request_id FROM deployments WHERE status = 'active' AND ends_at <= ? ORDER BY ends_at LIMIT 500")
	if err != nil {
		return n, fmt.Errorf("assembly: sweep: %w", err)
	}
	for _, d := range ended {
		if err := s.db.Tx(ctx, func(tx *store.Tx) error {
			n++
			return s.endDeployment(ctx, tx, ledger.System, d.request, Ended, "expired", "the authorized window ended", false)
		}); err != nil {
			return n, err
		}
	}
	notices, err := collect("SELECT id, deployment_id FROM notices WHERE published_at IS NULL AND publish_at <= ? ORDER BY publish_at LIMIT 500")
	if err != nil {
		return n, fmt.Errorf("assembly: sweep: %w", err)
	}
	for _, nt := range notices {
		if err := s.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, "UPDATE notices SET published_at = ? WHERE id = ? AND published_at IS NULL", now, nt.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			_, err = s.outbox.Record(ctx, tx, ledger.Event{Kind: evNoticePublished, Actor: ledger.System, Subject: "notice:" + nt.id,
				Facts: map[string]any{"notice": nt.id, "deployment": nt.request}})
			return err
		}); err != nil {
			return n, err
		}
	}
	return n, nil
}

const deploymentColumns = "id, request_id, assembly_id, technology_id, starts_at, ends_at, retention_days, status, review_by, ended_at, end_reason, created_at"

func scanDeployment(f func(...any) error) (Deployment, error) {
	var d Deployment
	var asm sql.NullString
	var starts, ends, created int64
	var review, ended sql.NullInt64
	if err := f(&d.ID, &d.RequestID, &asm, &d.TechnologyID, &starts, &ends, &d.RetentionDays, &d.Status, &review, &ended, &d.EndReason, &created); err != nil {
		return d, err
	}
	d.AssemblyID = asm.String
	d.Starts, d.Ends, d.CreatedAt = store.FromMicros(starts), store.FromMicros(ends), store.FromMicros(created)
	if review.Valid {
		t := store.FromMicros(review.Int64)
		d.ReviewBy = &t
	}
	if ended.Valid {
		t := store.FromMicros(ended.Int64)
		d.EndedAt = &t
	}
	return d, nil
}

func (s *Service) deployment(ctx context.Context, q store.Querier, deploymentID string) (Deployment, error) {
	d, err := scanDeployment(q.QueryRow(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE id = ?", deploymentID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("deployment %s: %w", deploymentID, ErrNotFound)
	}
	return d, err
}

// Deployment returns one deployment, or an error wrapping ErrNotFound.
func (s *Service) Deployment(ctx context.Context, deploymentID string) (Deployment, error) {
	return s.deployment(ctx, s.db, deploymentID)
}

// DeploymentInForce reports whether a deployment was in force at t (it
// had started, had not ended, and was not stopped or revoked before t),
// and how many days what it captured is kept. The evidence vault asks it
// of every capture, and of every read on the deployment's basis. An
// unknown deployment is not in force.
func (s *Service) DeploymentInForce(ctx context.Context, deploymentID string, t time.Time) (bool, int, error) {
	d, err := s.deployment(ctx, s.db, deploymentID)
	if errors.Is(err, ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	in := !t.Before(d.Starts) && t.Before(d.Ends) && (d.EndedAt == nil || t.Before(*d.EndedAt)) && d.Status != Stopped
	return in, d.RetentionDays, nil
}

// DeploymentOf returns a request's deployment, or an error wrapping
// ErrNotFound if it has none.
func (s *Service) DeploymentOf(ctx context.Context, requestID string) (Deployment, error) {
	d, err := scanDeployment(s.db.QueryRow(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE request_id = ?", requestID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("deployment of %s: %w", requestID, ErrNotFound)
	}
	return d, err
}

// ActiveDeployments lists the deployments in force, soonest ending first.
func (s *Service) ActiveDeployments(ctx context.Context) ([]Deployment, error) {
	rows, err := s.db.Query(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE status = ? ORDER BY ends_at, id LIMIT 500", Active)
	if err != nil {
		return nil, fmt.Errorf("assembly: deployments: %w", err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		d, err := scanDeployment(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AuthorizationOf returns a request's authorization, or an error wrapping
// ErrNotFound if it has none yet.
func (s *Service) AuthorizationOf(ctx context.Context, requestID string) (Authorization, error) {
	var a Authorization
	var approved, retention int
	var starts, ends, decided int64
	err := store.Scan(s.db.QueryRow(ctx, "SELECT id, request_id, approved, reasons, starts_at, ends_at, retention_days, decided_by, authority, decided_at FROM authorizations WHERE request_id = ?", requestID),
		&a.ID, &a.RequestID, &approved, &a.Reasons, &starts, &ends, &retention, &a.DecidedBy, &a.Authority, &decided)
	if err != nil {
		return a, fmt.Errorf("authorization of %s: %w", requestID, err)
	}
	a.Approved, a.RetentionDays = approved != 0, retention
	a.Starts, a.Ends, a.DecidedAt = store.FromMicros(starts), store.FromMicros(ends), store.FromMicros(decided)
	return a, nil
}

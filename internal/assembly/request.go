package assembly

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
)

// Request statuses.
const (
	// Denied: the policy refused it; nothing happens.
	Denied = "denied"
	// Allowed: it needed no authorization and is deployed.
	Allowed = "allowed"
	// Pending: it waits for an authorizer.
	Pending = "pending"
	// Urgent: it runs before authorization, until reviewed or lapsed.
	Urgent = "urgent"
	// Approved: an authorizer approved it; it is deployed.
	Approved = "approved"
	// Refused: an authorizer refused it.
	Refused = "refused"
	// Lapsed: urgent use was not authorized in time and stopped by itself.
	Lapsed = "lapsed"
)

// CanRequest is who files requests: police who plan or run an operation.
var CanRequest = []auth.Role{auth.Officer, auth.Commander}

// CanRevoke is who may end a deployment early.
var CanRevoke = []auth.Role{auth.Commander, auth.Authorizer, auth.Oversight, auth.Admin}

// Request is a request to use one technology, and what became of it.
type Request struct {
	ID           string
	AssemblyID   string
	TechnologyID string
	// Body is what the policy decided on. Its grounds, legal basis and
	// targets are private.
	Body     policy.Request
	Area     string
	Decision policy.Decision
	Status   string
	// NoticeDelayDays and NoticeDelayReason ask to delay the public
	// notice, where the packs allow it.
	NoticeDelayDays   int
	NoticeDelayReason string
	RequestedBy       string
	RequesterUnit     string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// NewRequest is what a requester fills in.
type NewRequest struct {
	AssemblyID      string
	TechnologyID    string
	Purpose         string
	Mode            string
	Covert          bool
	Targets         []string
	Suspicion       policy.Suspicion
	ExistingFootage bool
	Objective       string
	LegalBasis      string
	Grounds         string
	// Starts and Ends default to the assembly's time window.
	Starts, Ends time.Time
	// Area is a GeoJSON area or route; required without an assembly.
	Area               string
	RetentionDays      int
	Urgent             bool
	ForceJustification string
	NoticeDelayDays    int
	NoticeDelayReason  string
}

var (
	evRequestFiled = ledger.Kind{Name: "request.filed",
		Facts:   []string{"request", "assembly", "technology", "technology_kind", "purpose", "mode", "covert", "targets", "urgent", "retention_days", "starts", "ends", "outcome", "rules", "packs", "pack_digests", "input"},
		Private: []string{"grounds", "legal_basis", "target_refs", "area"}}
	evRequestDecided = ledger.Kind{Name: "request.decided",
		Facts:   []string{"request", "approved", "narrowed", "starts", "ends", "retention_days", "urgent_review"},
		Private: []string{"reasons", "authority"}}
	evDeploymentStarted = ledger.Kind{Name: "deployment.started", Facts: []string{"deployment", "request", "assembly", "technology", "technology_kind", "starts", "ends", "retention_days", "review_by"}}
	evDeploymentEnded   = ledger.Kind{Name: "deployment.ended", Facts: []string{"deployment", "request", "how", "captures_to_delete"}, Private: []string{"reason"}}
	evNoticeCreated     = ledger.Kind{Name: "notice.created", Facts: []string{"notice", "deployment", "publish_at", "delayed"}, Private: []string{"delay_reason"}}
	evNoticePublished   = ledger.Kind{Name: "notice.published", Facts: []string{"notice", "deployment"}}
)

// FileRequest files a request, has the policy decide it at once, and acts
// on the decision: a denied request stops there, with its reasons; an
// allowed one is deployed; one that needs authorization waits in the
// authorizers' queue, or, if urgent and the packs allow it, starts now and
// must be authorized in time. It returns the request and the event that
// recorded it.
func (s *Service) FileRequest(ctx context.Context, by auth.Account, n NewRequest) (Request, int64, error) {
	if !by.Role.Is(CanRequest...) {
		return Request{}, 0, ErrForbidden
	}
	if s.policy == nil {
		return Request{}, 0, errors.New("assembly: no policy engine")
	}
	n.Grounds, n.LegalBasis, n.NoticeDelayReason = strings.TrimSpace(n.Grounds), strings.TrimSpace(n.LegalBasis), strings.TrimSpace(n.NoticeDelayReason)
	tech, err := s.Technology(ctx, n.TechnologyID)
	if errors.Is(err, ErrNotFound) {
		return Request{}, 0, invalid("request.technology")
	}
	if err != nil {
		return Request{}, 0, err
	}
	body := policy.Request{
		Technology: policy.Technology{ID: tech.ID, Kind: tech.Kind, Weapon: tech.Weapon, Registered: tech.Registered,
			Identifies: tech.Properties.Identifies, Biometric: tech.Properties.Biometric, RealTime: tech.Properties.RealTime,
			RecordsPeople: tech.Properties.RecordsPeople, ProcessesImages: tech.Properties.ProcessesImages,
			CapturesAllInRange: tech.Properties.CapturesAllInRange, AutonomousForce: tech.Properties.AutonomousForce,
			DisruptsNetwork: tech.Properties.DisruptsNetwork, LessLethal: tech.Properties.LessLethal,
			AccuracyPublished: tech.Accuracy != "", DemographicErrorsPublished: tech.DemographicErrors != ""},
		Purpose: n.Purpose, Mode: n.Mode, Covert: n.Covert, Targets: n.Targets, Suspicion: n.Suspicion,
		ExistingFootage: n.ExistingFootage, Objective: n.Objective, LegalBasis: n.LegalBasis, Grounds: n.Grounds,
		RetentionDays: n.RetentionDays, Urgent: n.Urgent, Force: policy.Force{Justification: strings.TrimSpace(n.ForceJustification)},
		Window: policy.Window{Start: n.Starts, End: n.Ends},
	}
	area := strings.TrimSpace(n.Area)
	if n.AssemblyID != "" {
		a, err := s.Get(ctx, n.AssemblyID)
		if errors.Is(err, ErrNotFound) {
			return Request{}, 0, invalid("request.assembly")
		}
		if err != nil {
			return Request{}, 0, err
		}
		body.Assembly = policy.Assembly{ID: a.ID, Kind: string(a.Kind)}
		if body.Window.Start.IsZero() && body.Window.End.IsZero() {
			body.Window = policy.Window{Start: a.Starts, End: a.Ends}
		}
		if area == "" {
			area = a.Area
		}
	}
	if area != "" {
		if err := CheckArea(area); err != nil {
			return Request{}, 0, err
		}
		body.Area.Bounded = true
		if body.Area.SquareMetres, err = areaOf(area); err != nil {
			return Request{}, 0, err
		}
	}
	if err := body.Normalize(); err != nil {
		return Request{}, 0, invalid("request.malformed", "detail", strings.TrimPrefix(err.Error(), policy.ErrInvalidRequest.Error()+": "))
	}
	assessments, err := s.Assessments(ctx, tech.ID)
	if err != nil {
		return Request{}, 0, err
	}
	for _, a := range assessments {
		if body.Window.Hours > 0 && a.Covers(body.Window.Start, body.Window.End) {
			body.Technology.AssessmentCurrent = true
		}
	}
	if tech.Properties.LessLethal && by.Unit != "" && body.Window.Hours > 0 {
		// Trained for the whole window: at its start and at its end.
		atStart, err := s.training.UnitTrained(ctx, by.Unit, tech.Weapon, body.Window.Start)
		if err != nil {
			return Request{}, 0, err
		}
		atEnd, err := s.training.UnitTrained(ctx, by.Unit, tech.Weapon, body.Window.End.Add(-time.Second))
		if err != nil {
			return Request{}, 0, err
		}
		body.Force.UnitTrained = atStart && atEnd
	}
	if n.NoticeDelayDays != 0 {
		switch max := s.policy.NoticeDelayDays(); {
		case !n.Covert || max == 0:
			return Request{}, 0, invalid("request.notice_delay_not_allowed")
		case n.NoticeDelayDays < 0 || n.NoticeDelayDays > max:
			return Request{}, 0, invalid("request.notice_delay_too_long", "days", max)
		case utf8.RuneCountInString(n.NoticeDelayReason) < 20 || utf8.RuneCountInString(n.NoticeDelayReason) > 1000:
			return Request{}, 0, invalid("request.notice_delay_reason")
		}
	}
	d, err := s.policy.Decide(body)
	if err != nil {
		return Request{}, 0, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	r := Request{
		ID: id.New("req"), AssemblyID: n.AssemblyID, TechnologyID: tech.ID, Body: body, Area: area, Decision: d,
		NoticeDelayDays: n.NoticeDelayDays, NoticeDelayReason: n.NoticeDelayReason,
		RequestedBy: by.ID, RequesterUnit: by.Unit, CreatedAt: now, UpdatedAt: now,
	}
	switch {
	case d.Outcome == policy.Denied:
		r.Status = Denied
	case d.Outcome == policy.Allowed:
		r.Status = Allowed
	case d.UrgentStartHours > 0:
		r.Status = Urgent
	default:
		r.Status = Pending
	}
	bodyJSON, _ := json.Marshal(r.Body)
	decisionJSON, _ := json.Marshal(r.Decision)
	var event int64
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO requests (id, assembly_id, technology_id, body, area, outcome, decision, status, notice_delay_days, notice_delay_reason, requested_by, requester_unit, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, nullable(r.AssemblyID), r.TechnologyID, string(bodyJSON), r.Area, string(d.Outcome), string(decisionJSON), r.Status,
			r.NoticeDelayDays, r.NoticeDelayReason, r.RequestedBy, r.RequesterUnit, store.Micros(now), store.Micros(now))
		if err != nil {
			return fmt.Errorf("assembly: file request: %w", err)
		}
		packs, digests := make([]string, len(d.Packs)), make([]ledger.Digest, len(d.Packs))
		for i, p := range d.Packs {
			packs[i], digests[i] = p.Name+":"+p.Version, ledger.Digest(p.Digest)
		}
		event, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evRequestFiled, Actor: by.Actor(), Subject: "request:" + r.ID,
			Facts: map[string]any{"request": r.ID, "assembly": r.AssemblyID, "technology": tech.ID, "technology_kind": tech.Kind,
				"purpose": body.Purpose, "mode": body.Mode, "covert": body.Covert, "targets": len(body.Targets), "urgent": body.Urgent,
				"retention_days": body.RetentionDays, "starts": body.Window.Start, "ends": body.Window.End, "outcome": string(d.Outcome),
				"rules": d.Rules(), "packs": packs, "pack_digests": digests, "input": ledger.Digest(d.InputDigest)},
			Private: map[string]string{"grounds": body.Grounds, "legal_basis": body.LegalBasis, "target_refs": strings.Join(body.Targets, " "), "area": area},
		})
		if err != nil {
			return err
		}
		switch r.Status {
		case Allowed:
			return s.deploy(ctx, tx, by.Actor(), r, tech, body.Window.Start, body.Window.End, body.RetentionDays, time.Time{}, "policy")
		case Urgent:
			review := now.Add(time.Duration(d.UrgentStartHours) * time.Hour)
			return s.deploy(ctx, tx, by.Actor(), r, tech, body.Window.Start, body.Window.End, body.RetentionDays, review, "urgent, awaiting authorization")
		}
		return nil
	})
	if err != nil {
		return Request{}, 0, err
	}
	return r, event, nil
}

// areaOf is an area's size in square metres: a polygon's area, or a
// route's length times the default street width.
func areaOf(area string) (float64, error) {
	if a, err := GeodesicArea(area); err == nil {
		return a, nil
	}
	e, err := EstimateCrowd(area, EstimateOptions{})
	if err != nil {
		return 0, err
	}
	return e.AreaSquareMetres, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const requestColumns = "id, assembly_id, technology_id, body, area, decision, status, notice_delay_days, notice_delay_reason, requested_by, requester_unit, created_at, updated_at"

func scanRequest(f func(...any) error) (Request, error) {
	var r Request
	var asm sql.NullString
	var body, decision string
	var created, updated int64
	if err := f(&r.ID, &asm, &r.TechnologyID, &body, &r.Area, &decision, &r.Status, &r.NoticeDelayDays, &r.NoticeDelayReason, &r.RequestedBy, &r.RequesterUnit, &created, &updated); err != nil {
		return r, err
	}
	r.AssemblyID = asm.String
	if err := json.Unmarshal([]byte(body), &r.Body); err != nil {
		return r, fmt.Errorf("assembly: request %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(decision), &r.Decision); err != nil {
		return r, fmt.Errorf("assembly: request %s: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return r, nil
}

// GetRequest returns one request, or an error wrapping ErrNotFound.
func (s *Service) GetRequest(ctx context.Context, requestID string) (Request, error) {
	return s.getRequest(ctx, s.db, requestID, false)
}

func (s *Service) getRequest(ctx context.Context, q store.Querier, requestID string, lock bool) (Request, error) {
	suffix := ""
	if lock && q.Kind() == store.Postgres {
		suffix = " FOR UPDATE"
	}
	r, err := scanRequest(q.QueryRow(ctx, "SELECT "+requestColumns+" FROM requests WHERE id = ?"+suffix, requestID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("request %s: %w", requestID, ErrNotFound)
	}
	return r, err
}

// RequestQuery selects requests.
type RequestQuery struct {
	Status      []string // any of these statuses, if set
	RequestedBy string   // only this account's, if set
	AssemblyID  string   // only about this assembly, if set
	Limit       int      // default 100, at most 500
}

// Requests lists requests, newest first.
func (s *Service) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	where, args := []string{"1 = 1"}, []any{}
	if len(q.Status) > 0 {
		where = append(where, "status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.Status)), ", ")+")")
		for _, st := range q.Status {
			args = append(args, st)
		}
	}
	if q.RequestedBy != "" {
		where, args = append(where, "requested_by = ?"), append(args, q.RequestedBy)
	}
	if q.AssemblyID != "" {
		where, args = append(where, "assembly_id = ?"), append(args, q.AssemblyID)
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	args = append(args, q.Limit)
	rows, err := s.db.Query(ctx, "SELECT "+requestColumns+" FROM requests WHERE "+strings.Join(where, " AND ")+" ORDER BY created_at DESC, id LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("assembly: requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

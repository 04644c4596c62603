package web

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

// classJSON is a retention schedule, as published.
type classJSON struct {
	Name            string      `json:"name"`
	Days            int         `json:"days"`
	FromDeployment  bool        `json:"from_deployment"`
	Refused         bool        `json:"refused"`
	Uploaders       []auth.Role `json:"uploaders"`
	NeedsDeployment bool        `json:"needs_deployment"`
	Why             string      `json:"why"`
}

func (s *Server) apiRetention(w http.ResponseWriter, r *http.Request) error {
	var out []classJSON
	for _, c := range s.deps.Vault.Classes() {
		out = append(out, classJSON{Name: c.Name, Days: c.Days, FromDeployment: c.Days == 0 && c.NeedsDeployment, Refused: c.Refuse,
			Uploaders: c.Uploaders, NeedsDeployment: c.NeedsDeployment, Why: c.Why})
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return writeJSON(w, http.StatusOK, map[string]any{"classes": out})
}

// lookupSubmission opens a submission by case number and PIN, counting
// wrong answers against the case number and the address as wrong
// passwords are counted: with eight digits, a PIN must not be guessable.
func (s *Server) lookupSubmission(ctx context.Context, r *http.Request, number, pin string) (vault.SubmissionView, error) {
	key, addr := vault.NormalizeCaseNumber(number), clientAddr(r)
	if key == "" {
		key = "?" // malformed numbers share one count
	}
	if err := s.submissionLimits.Check(key, addr); err != nil {
		return vault.SubmissionView{}, rateLimited(err)
	}
	sv, err := s.deps.Vault.Submission(ctx, number, pin, "")
	if err != nil {
		s.submissionLimits.Fail(key, addr)
		return sv, err
	}
	return sv, nil
}

// submissionItemJSON is one submitted item as its submitter sees it: what
// it is, who read it (by role), why, and what keeps it.
type submissionItemJSON struct {
	ID          string                 `json:"id"`
	Class       string                 `json:"class"`
	MediaType   string                 `json:"media_type"`
	Size        int64                  `json:"size"`
	CapturedAt  time.Time              `json:"captured_at"`
	CreatedAt   time.Time              `json:"created_at"`
	RetainUntil time.Time              `json:"retain_until"`
	DueAt       time.Time              `json:"due_at"`
	DestroyedAt *time.Time             `json:"destroyed_at,omitempty"`
	ReceiptURL  string                 `json:"receipt_url,omitempty"`
	Segment     string                 `json:"segment,omitempty"`
	Accesses    []submissionAccessJSON `json:"accesses"`
	Holds       []submissionHoldJSON   `json:"holds"`
}

type submissionAccessJSON struct {
	Time    time.Time `json:"time"`
	Role    string    `json:"role"`
	Action  string    `json:"action"`
	Purpose string    `json:"purpose"`
	Basis   string    `json:"basis"`
}

type submissionHoldJSON struct {
	CaseKind string    `json:"case_kind"`
	Until    time.Time `json:"until"`
	Active   bool      `json:"active"`
}

// apiSubmission shows a submission to whoever has its case number and PIN:
// roles, never accounts; kinds of case, never their references.
func (s *Server) apiSubmission(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Number string `json:"number"`
		PIN    string `json:"pin"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sv, err := s.lookupSubmission(r.Context(), r, in.Number, in.PIN)
	if err != nil {
		return err
	}
	items := make([]submissionItemJSON, 0, len(sv.Items))
	for _, it := range sv.Items {
		j := submissionItemJSON{ID: it.ID, Class: it.Class, MediaType: it.MediaType, Size: it.Size, CapturedAt: it.CapturedAt, CreatedAt: it.CreatedAt,
			RetainUntil: it.RetainUntil, DueAt: it.DueAt, DestroyedAt: it.DestroyedAt, Segment: it.Segment,
			Accesses: []submissionAccessJSON{}, Holds: []submissionHoldJSON{}}
		if it.DestroyedAt != nil {
			j.ReceiptURL = receiptPath(it.ID)
		}
		for _, a := range sv.Accesses[it.ID] {
			j.Accesses = append(j.Accesses, submissionAccessJSON{Time: a.At, Role: a.Role, Action: a.Action, Purpose: a.Purpose, Basis: a.Basis.Kind})
		}
		for _, h := range sv.Holds[it.ID] {
			j.Holds = append(j.Holds, submissionHoldJSON{CaseKind: h.CaseKind, Until: h.Until, Active: h.Active})
		}
		items = append(items, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"number": sv.Number, "items": items})
}

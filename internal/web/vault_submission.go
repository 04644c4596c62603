package web

import (
	"net/http"

	"github.com/vigil-project/vigil/internal/vault"
)

type submissionFormView struct {
	Number string
	Error  string
}

// submissionForm is where someone who submitted evidence, with or without
// an account, enters their case number and PIN to see who read it.
func (s *Server) submissionForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "submission", "submission.title", submissionFormView{})
	return nil
}

type submissionView struct {
	vault.SubmissionView
}

// submissionLookup shows a submission: each item, every read of it (by
// role, with the purpose stated and the kind of basis), what holds it, and
// the receipt of what was destroyed. Nothing says who, beyond the role.
func (s *Server) submissionLookup(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	sv, err := s.lookupSubmission(r.Context(), r, f.Get("number"), f.Get("pin"))
	if err != nil {
		p := s.describe(err, viewerFrom(r.Context()).lang)
		if p.Status >= 500 {
			return err
		}
		if p.RetryAfter > 0 {
			w.Header().Set("Retry-After", itoa(p.RetryAfter))
		}
		s.render(w, r, p.Status, "submission", "submission.title", submissionFormView{Number: f.Get("number"), Error: p.Detail})
		return nil
	}
	s.render(w, r, http.StatusOK, "submission_result", "submission.result.title", submissionView{sv})
	return nil
}

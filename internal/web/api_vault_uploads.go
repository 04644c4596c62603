package web

import (
	"errors"
	"net/http"

	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

// apiUploads mounts the tus server at /api/uploads: a phone on a bad
// network sends a recording in pieces and picks up where it was cut off.
// The upload becomes an item only once its last byte is in. Answers,
// refusals included, are the protocol's: plain text, with its headers.
func (s *Server) apiUploads(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	w.Header().Set("Tus-Resumable", tus.Version)
	fail := func(status int, key string) error {
		tus.WriteError(w, &tus.Error{Status: status, Msg: s.deps.Messages.T(c.lang, key)})
		return nil
	}
	owner := ""
	if r.Method != http.MethodOptions {
		switch {
		case c.account == nil:
			w.Header().Set("WWW-Authenticate", "Bearer")
			return fail(http.StatusUnauthorized, "api.sign_in")
		case !c.account.Role.Is(itemUploaders...):
			return fail(http.StatusForbidden, "error.forbidden")
		}
		owner = c.account.ID
	}
	// An upload that adds to a submission names its case number and PIN:
	// count wrong ones as the public page does.
	var number string
	if r.Method == http.MethodPost && r.PathValue("id") == "" {
		if md, err := tus.ParseMetadata(r.Header.Get("Upload-Metadata")); err == nil && md[vault.MetaSubmission] != "" {
			number = vault.NormalizeCaseNumber(md[vault.MetaSubmission])
			if err := s.submissionLimits.Check(number, clientAddr(r)); err != nil {
				p := s.describe(rateLimited(err), c.lang)
				w.Header().Set("Retry-After", itoa(p.RetryAfter))
				tus.WriteError(w, &tus.Error{Status: p.Status, Msg: p.Detail})
				return nil
			}
		}
	}
	err := s.deps.Uploads.Serve(w, r, owner, r.PathValue("id"))
	if err == nil {
		return nil
	}
	var te *tus.Error
	if !errors.As(err, &te) || te.Status >= 500 {
		s.deps.Logger.Error("upload failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if number != "" && te != nil && te.Status >= 400 && te.Status < 500 {
		s.submissionLimits.Fail(number, clientAddr(r))
	}
	tus.WriteError(w, err)
	return nil
}

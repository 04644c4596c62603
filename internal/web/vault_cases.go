package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

type casesView struct {
	Cases       []vault.Case
	CanOpenCase bool
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) error {
	a := viewerFrom(r.Context()).account
	list, err := s.deps.Vault.Cases(r.Context(), *a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "cases", "cases.title", casesView{Cases: list, CanOpenCase: a.Role.Is(caseOpeners...)})
	return nil
}

type caseFormView struct {
	Kinds []string
	Form  url.Values
	Error string
}

// defaultCaseKind is the kind of case a role usually opens.
func defaultCaseKind(r auth.Role) string {
	switch r {
	case auth.Commander:
		return vault.Investigation
	case auth.Authorizer:
		return vault.CourtOrder
	}
	return vault.Complaint
}

func (s *Server) caseForm(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{"kind": {defaultCaseKind(viewerFrom(r.Context()).account.Role)}}
	s.render(w, r, http.StatusOK, "case_new", "cases.new.title", caseFormView{Kinds: caseKinds, Form: form})
	return nil
}

func (s *Server) openCase(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.deps.Vault.OpenCase(ctx, *viewerFrom(ctx).account, r.PostForm.Get("kind"), r.PostForm.Get("reference"))
	if err != nil {
		p, err := s.vaultFormProblem(r, err)
		if err != nil {
			return err
		}
		s.render(w, r, p.Status, "case_new", "cases.new.title", caseFormView{Kinds: caseKinds, Form: r.PostForm, Error: p.Detail})
		return nil
	}
	http.Redirect(w, r, "/cases/"+c.ID, http.StatusSeeOther)
	return nil
}

// heldItem is an item a case holds, with the hold.
type heldItem struct {
	Hold vault.Hold
	Item *vault.Item // nil if the viewer may not see it
}

type caseView struct {
	caseDetail
	Items []heldItem
	// Active are the items the case holds now: what can be exported and
	// shared.
	Active []heldItem
	Now    time.Time
	Form   url.Values
	// Error is shown with the form named by ErrorForm.
	Error, ErrorForm string
	// ShareURL is a new share's link, shown once.
	ShareURL string
}

func (s *Server) caseView(ctx context.Context, by auth.Account, caseID string, form url.Values) (caseView, error) {
	d, err := s.caseDetail(ctx, by, caseID)
	if err != nil {
		return caseView{}, err
	}
	now := time.Now()
	v := caseView{caseDetail: d, Now: now, Form: form}
	if v.Form == nil {
		v.Form = url.Values{"expires": {now.AddDate(0, 0, 30).Format("2006-01-02")}}
	}
	for _, h := range d.Holds {
		hi := heldItem{Hold: h}
		if it, err := s.deps.Vault.ItemFor(ctx, by, h.ItemID); err == nil {
			hi.Item = &it
		}
		v.Items = append(v.Items, hi)
		if h.Active(now) && hi.Item != nil && hi.Item.DestroyedAt == nil {
			v.Active = append(v.Active, hi)
		}
	}
	return v, nil
}

// casePage shows a case to its members (and to oversight): who works on
// it, what it holds and until when, what was shared with whom, and the
// forms to add members, release holds, export, share and close.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := s.caseView(ctx, *viewerFrom(ctx).account, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "case", "cases.one.title", v)
	return nil
}

// caseFormError shows the case page again with a refused form's reason.
func (s *Server) caseFormError(w http.ResponseWriter, r *http.Request, form string, err error) error {
	p, err := s.vaultFormProblem(r, err)
	if err != nil {
		return err
	}
	ctx := r.Context()
	v, verr := s.caseView(ctx, *viewerFrom(ctx).account, r.PathValue("id"), r.PostForm)
	if verr != nil {
		return verr
	}
	v.Error, v.ErrorForm = p.Detail, form
	s.render(w, r, p.Status, "case", "cases.one.title", v)
	return nil
}

func (s *Server) addCaseMember(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.addMember(ctx, *viewerFrom(ctx).account, r.PathValue("id"), r.PostForm.Get("username")); err != nil {
		return s.caseFormError(w, r, "member", err)
	}
	http.Redirect(w, r, "/cases/"+r.PathValue("id")+"?done=member", http.StatusSeeOther)
	return nil
}

func (s *Server) releaseCaseHold(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.deps.Vault.ReleaseHold(ctx, *viewerFrom(ctx).account, r.PathValue("hold"), r.PostForm.Get("reason")); err != nil {
		return s.caseFormError(w, r, "release-"+r.PathValue("hold"), err)
	}
	http.Redirect(w, r, "/cases/"+r.PathValue("id")+"?done=released", http.StatusSeeOther)
	return nil
}

// exportCase sends the case's bundle as a download.
func (s *Server) exportCase(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	if len(f["item"]) == 0 {
		return s.caseFormError(w, r, "export", httpError(http.StatusBadRequest, "cases.export.choose"))
	}
	rcpts, err := parseRecipients(strings.Split(f.Get("recipients"), "\n"))
	if err != nil {
		return s.caseFormError(w, r, "export", err)
	}
	e := vault.Export{CaseID: r.PathValue("id"), ItemIDs: f["item"], Purpose: f.Get("purpose"), Recipients: rcpts}
	err = s.streamBundle(w, r, "case-"+e.CaseID+".zip", func(ctx context.Context, w io.Writer) error {
		return s.deps.Vault.Export(ctx, *viewerFrom(ctx).account, e, w, nil)
	})
	if err != nil {
		return s.caseFormError(w, r, "export", err)
	}
	return nil
}

func (s *Server) createCaseShare(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := r.PostForm
	expires, ok := parseDay(strings.TrimSpace(f.Get("expires")))
	if !ok {
		return s.caseFormError(w, r, "share", httpError(http.StatusBadRequest, "evidence.bad_expiry"))
	}
	_, token, err := s.deps.Vault.CreateShare(ctx, *viewerFrom(ctx).account, vault.NewShare{CaseID: r.PathValue("id"), ItemIDs: f["item"],
		Recipient: f.Get("recipient"), LegalBasis: f.Get("legal_basis"), Purpose: f.Get("purpose"), Expires: expires, AgeRecipient: f.Get("age_recipient")})
	if err != nil {
		return s.caseFormError(w, r, "share", err)
	}
	v, err := s.caseView(ctx, *viewerFrom(ctx).account, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	// The link is the secret: it is shown now, once.
	v.ShareURL = shareURL(r, token)
	s.render(w, r, http.StatusCreated, "case", "cases.one.title", v)
	return nil
}

func (s *Server) revokeCaseShare(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.deps.Vault.RevokeShare(ctx, *viewerFrom(ctx).account, r.PathValue("share"), r.PostForm.Get("reason")); err != nil {
		return s.caseFormError(w, r, "revoke-"+r.PathValue("share"), err)
	}
	http.Redirect(w, r, "/cases/"+r.PathValue("id")+"?done=share_revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) closeCase(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.deps.Vault.CloseCase(ctx, *viewerFrom(ctx).account, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		return s.caseFormError(w, r, "close", err)
	}
	http.Redirect(w, r, "/cases/"+r.PathValue("id")+"?done=case_closed", http.StatusSeeOther)
	return nil
}

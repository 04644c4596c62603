package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
)

type accountView struct {
	Account auth.Account
	Tokens  []auth.Token
	Now     time.Time
	// Error is shown by the form it belongs to.
	PasswordError string
	TokenError    string
	// NewToken is a token's secret, shown once, right after creation.
	NewToken string
}

func (s *Server) accountView(r *http.Request) (accountView, error) {
	a := viewerFrom(r.Context()).account
	toks, err := s.deps.Auth.Tokens(r.Context(), a.ID)
	return accountView{Account: *a, Tokens: toks, Now: time.Now()}, err
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.accountView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "account", "account.title", v)
	return nil
}

// changePassword lets a person set a new password, keeping this session.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	next := r.PostForm.Get("new")
	if next != r.PostForm.Get("confirm") {
		return s.accountFormError(w, r, http.StatusBadRequest, "password", s.pages.cat.T(vw.lang, "account.password_mismatch"))
	}
	err := s.deps.Auth.ChangePassword(r.Context(), vw.account.ID, r.PostForm.Get("current"), next, vw.session.Hash())
	if err != nil {
		p, err := s.formProblem(r, err)
		if err != nil {
			return err
		}
		return s.accountFormError(w, r, p.Status, "password", p.Detail)
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
	return nil
}

func (s *Server) accountFormError(w http.ResponseWriter, r *http.Request, status int, form, msg string) error {
	v, err := s.accountView(r)
	if err != nil {
		return err
	}
	if form == "password" {
		v.PasswordError = msg
	} else {
		v.TokenError = msg
	}
	s.render(w, r, status, "account", "account.title", v)
	return nil
}

// createToken makes an API token and shows its secret this once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("days")))
	if err != nil || days < 1 || days > 365 {
		return s.accountFormError(w, r, http.StatusBadRequest, "token", s.pages.cat.T(vw.lang, "account.token_days"))
	}
	_, secret, err := s.deps.Auth.CreateToken(r.Context(), *vw.account, r.PostForm.Get("name"), time.Duration(days)*24*time.Hour)
	if err != nil {
		p, err := s.formProblem(r, err)
		if err != nil {
			return err
		}
		return s.accountFormError(w, r, p.Status, "token", p.Detail)
	}
	v, err := s.accountView(r)
	if err != nil {
		return err
	}
	v.NewToken = secret
	s.render(w, r, http.StatusCreated, "account", "account.title", v)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Auth.RevokeToken(r.Context(), *viewerFrom(r.Context()).account, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=token_revoked", http.StatusSeeOther)
	return nil
}

package web

import (
	"net/http"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
)

type adminAccountsView struct {
	Accounts []auth.Account
	Roles    []auth.Role
	// Form keeps what was typed when the form is shown again.
	Form  auth.NewAccount
	Error string
	// Created and Password are shown once, right after creation.
	Created  *auth.Account
	Password string
}

func (s *Server) adminAccountsView(r *http.Request) (adminAccountsView, error) {
	list, err := s.deps.Auth.List(r.Context())
	return adminAccountsView{Accounts: list, Roles: auth.Roles, Form: auth.NewAccount{Role: auth.Officer}}, err
}

func (s *Server) adminAccounts(w http.ResponseWriter, r *http.Request) error {
	v, err := s.adminAccountsView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_accounts", "admin.accounts.title", v)
	return nil
}

// adminCreateAccount creates an account with a generated password, which
// its holder must change at first sign-in.
func (s *Server) adminCreateAccount(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	f := r.PostForm
	n := auth.NewAccount{
		Username: f.Get("username"), DisplayName: f.Get("display_name"), Role: auth.Role(f.Get("role")), Unit: f.Get("unit"),
		MustChangePassword: true,
	}
	a, password, err := s.deps.Auth.Create(r.Context(), vw.account.Actor(), n)
	v, lerr := s.adminAccountsView(r)
	if lerr != nil {
		return lerr
	}
	status := http.StatusCreated
	if err != nil {
		p, err := s.formProblem(r, err)
		if err != nil {
			return err
		}
		status, v.Error, v.Form = p.Status, p.Detail, n
	} else {
		v.Created, v.Password = &a, password
	}
	s.render(w, r, status, "admin_accounts", "admin.accounts.title", v)
	return nil
}

type adminAccountView struct {
	Account  auth.Account
	Roles    []auth.Role
	Events   []ledger.Stored
	Self     bool
	Password string // a reset password, shown once
}

func (s *Server) adminAccountView(r *http.Request) (adminAccountView, error) {
	a, err := s.deps.Auth.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return adminAccountView{}, err
	}
	evs, err := ledger.List(r.Context(), s.deps.DB, ledger.Query{Subject: "account:" + a.ID, Limit: 50})
	return adminAccountView{Account: a, Roles: auth.Roles, Events: evs, Self: a.ID == viewerFrom(r.Context()).account.ID}, err
}

func (s *Server) adminAccount(w http.ResponseWriter, r *http.Request) error {
	v, err := s.adminAccountView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_account", "admin.account.title", v)
	return nil
}

func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request) error {
	actor := viewerFrom(r.Context()).account.Actor()
	if _, err := s.deps.Auth.SetRole(r.Context(), actor, r.PathValue("id"), auth.Role(r.PostForm.Get("role"))); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/accounts/"+r.PathValue("id")+"?done=role", http.StatusSeeOther)
	return nil
}

func (s *Server) adminDisable(w http.ResponseWriter, r *http.Request) error {
	return s.adminSetDisabled(w, r, true)
}

func (s *Server) adminEnable(w http.ResponseWriter, r *http.Request) error {
	return s.adminSetDisabled(w, r, false)
}

func (s *Server) adminSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	actor := viewerFrom(r.Context()).account.Actor()
	if _, err := s.deps.Auth.SetDisabled(r.Context(), actor, r.PathValue("id"), disabled); err != nil {
		return err
	}
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	http.Redirect(w, r, "/admin/accounts/"+r.PathValue("id")+"?done="+done, http.StatusSeeOther)
	return nil
}

// adminResetPassword gives an account a new generated password, shown once;
// its holder must change it at next sign-in.
func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	if r.PathValue("id") == vw.account.ID {
		return httpError(http.StatusBadRequest, "admin.account.reset_self")
	}
	pw, err := s.deps.Auth.ResetPassword(r.Context(), vw.account.Actor(), r.PathValue("id"), "")
	if err != nil {
		return err
	}
	v, err := s.adminAccountView(r)
	if err != nil {
		return err
	}
	v.Password = pw
	s.render(w, r, http.StatusOK, "admin_account", "admin.account.title", v)
	return nil
}

package web

import (
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
)

// accountJSON is an account as the API shows it.
type accountJSON struct {
	ID                 string    `json:"id"`
	Username           string    `json:"username"`
	DisplayName        string    `json:"display_name"`
	Role               auth.Role `json:"role"`
	Unit               string    `json:"unit"`
	Disabled           bool      `json:"disabled"`
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

func toAccountJSON(a auth.Account) accountJSON {
	return accountJSON{a.ID, a.Username, a.DisplayName, a.Role, a.Unit, a.Disabled, a.MustChangePassword, a.CreatedAt, a.UpdatedAt}
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, toAccountJSON(*callerFrom(r.Context()).account))
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Auth.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]accountJSON, len(list))
	for i, a := range list {
		out[i] = toAccountJSON(a)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func (s *Server) apiAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deps.Auth.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAccountJSON(a))
}

// newAccountJSON is the body of POST /api/accounts.
type newAccountJSON struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	Unit        string    `json:"unit"`
}

func (s *Server) apiCreateAccount(w http.ResponseWriter, r *http.Request) error {
	var in newAccountJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, password, err := s.deps.Auth.Create(r.Context(), callerFrom(r.Context()).account.Actor(), auth.NewAccount{
		Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, Unit: in.Unit, MustChangePassword: true,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/accounts/"+a.ID)
	return writeJSON(w, http.StatusCreated, map[string]any{"account": toAccountJSON(a), "password": password})
}

func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role auth.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.deps.Auth.SetRole(r.Context(), callerFrom(r.Context()).account.Actor(), r.PathValue("id"), in.Role)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAccountJSON(a))
}

func (s *Server) apiDisable(w http.ResponseWriter, r *http.Request) error {
	return s.apiSetDisabled(w, r, true)
}

func (s *Server) apiEnable(w http.ResponseWriter, r *http.Request) error {
	return s.apiSetDisabled(w, r, false)
}

func (s *Server) apiSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	a, err := s.deps.Auth.SetDisabled(r.Context(), callerFrom(r.Context()).account.Actor(), r.PathValue("id"), disabled)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAccountJSON(a))
}

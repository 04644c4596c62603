package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
)

// loginForm is a decoded sign-in form.
type loginForm struct {
	Username string
	Password string
	Next     string
}

// parseLogin decodes a sign-in form, refusing what no real form sends.
func parseLogin(form url.Values) (loginForm, error) {
	f := loginForm{
		Username: strings.TrimSpace(form.Get("username")),
		Password: form.Get("password"),
		Next:     safeNext(form.Get("next")),
	}
	switch {
	case f.Username == "" || f.Password == "":
		return f, httpError(http.StatusBadRequest, "login.missing")
	case len(f.Username) > 64 || !utf8.ValidString(f.Username):
		return f, auth.ErrBadCredentials
	case len(f.Password) > auth.MaxPasswordLen:
		return f, auth.ErrBadCredentials
	}
	return f, nil
}

type loginView struct {
	Username string
	Next     string
	Error    string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if viewerFrom(r.Context()).account != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "login", "login.title", loginView{Next: safeNext(r.URL.Query().Get("next"))})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	f, err := parseLogin(r.PostForm)
	if err == nil {
		var a auth.Account
		a, err = s.deps.Auth.Authenticate(r.Context(), f.Username, f.Password, clientAddr(r))
		if err == nil {
			sess, err := s.deps.Auth.StartSession(r.Context(), a)
			if err != nil {
				return err
			}
			s.setCookie(w, r, sessionCookie, sess.Token, 0)
			s.clearCookie(w, r, csrfCookie)
			s.metrics.logins.WithLabelValues("ok").Inc()
			next := f.Next
			if a.MustChangePassword {
				next = "/account#password"
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
	}
	// Show the form again with the reason, keeping the username.
	s.metrics.logins.WithLabelValues("refused").Inc()
	p := s.describe(err, viewerFrom(r.Context()).lang)
	if p.Status >= 500 {
		return err
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(p.RetryAfter))
	}
	s.render(w, r, p.Status, "login", "login.title", loginView{Username: f.Username, Next: f.Next, Error: p.Detail})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if v := viewerFrom(r.Context()); v.session != nil {
		if err := s.deps.Auth.EndSession(r.Context(), v.session.Token); err != nil {
			return err
		}
	}
	s.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/?done=signed_out", http.StatusSeeOther)
	return nil
}

package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigil-project/vigil/internal/auth"
)

const (
	sessionCookie = "vigil_session"
	csrfCookie    = "vigil_csrf"
	maxFormBytes  = 1 << 20
	// maxUploadBytes bounds a multipart form from a signed-in account: a
	// file (a 16 MiB STOP import) and the fields around it.
	maxUploadBytes = 17 << 20
)

// viewer is who is asking, as the browser side knows it.
type viewer struct {
	account *auth.Account
	session *auth.Session
	lang    string
	csrf    string // the token forms must carry
}

type viewerKey struct{}

func viewerFrom(ctx context.Context) *viewer {
	if v, ok := ctx.Value(viewerKey{}).(*viewer); ok {
		return v
	}
	return &viewer{lang: "en"}
}

// handlerFunc is a handler that returns its error for one place to show.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// browserMiddleware finds the session, sets up CSRF protection and checks
// it on every request that changes something.
func (s *Server) browserMiddleware(next http.Handler) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &viewer{lang: s.deps.Messages.Match(r.Header.Get("Accept-Language"))}
		if c, err := r.Cookie(sessionCookie); err == nil {
			sess, err := s.deps.Auth.SessionByToken(r.Context(), c.Value)
			switch {
			case err == nil:
				v.account, v.session, v.csrf = &sess.Account, &sess, sess.CSRF
			case errors.Is(err, auth.ErrNotFound):
				s.clearCookie(w, r, sessionCookie)
			default:
				s.renderError(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, v)), err)
				return
			}
		}
		if v.session == nil {
			// Before sign-in, forms carry a token that must match a cookie
			// (double submit), so another site cannot post a login.
			if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
				v.csrf = c.Value
			} else {
				v.csrf = newCSRF()
				s.setCookie(w, r, csrfCookie, v.csrf, 0)
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), viewerKey{}, v))
		if unsafeMethod(r.Method) {
			multipart := strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
			if v.session != nil && multipart && streamedForms[r.URL.Path] {
				// An evidence upload: the handler streams the body into the
				// vault, and checks the CSRF token, the form's first field,
				// before it reads the file.
				next.ServeHTTP(w, r)
				return
			}
			var err error
			if v.session != nil && multipart {
				// Only signed-in accounts upload files; the handler removes
				// what ParseMultipartForm kept.
				r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
				err = r.ParseMultipartForm(maxUploadBytes)
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				err = r.ParseForm()
			}
			if err != nil {
				s.renderError(w, r, &Error{Status: http.StatusBadRequest, Key: "error.bad_form", Err: err})
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(v.csrf)) != 1 {
				s.renderError(w, r, httpError(http.StatusForbidden, "error.csrf"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
	// And refuse cross-origin posts outright, by the browser's own word.
	return http.NewCrossOriginProtection().Handler(h)
}

// streamedForms are the paths whose multipart forms are not parsed up
// front: their handlers read the parts as they come (see readUploadForm).
var streamedForms = map[string]bool{"/vault/items": true}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func newCSRF() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setCookie sets a cookie scripts cannot read and other sites never get;
// Secure when the connection is TLS or the operator says clients use TLS.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.deps.Secure || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	s.setCookie(w, r, name, "", -1)
}

// page registers a browser route that only accounts a allows may use.
func (s *Server) page(pattern string, a access, h handlerFunc) {
	s.browser.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewerFrom(r.Context())
		if !a.public {
			if v.account == nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				s.renderError(w, r, httpError(http.StatusUnauthorized, "error.sign_in"))
				return
			}
			if len(a.roles) > 0 && !v.account.Role.Is(a.roles...) {
				s.renderError(w, r, httpError(http.StatusForbidden, "error.forbidden"))
				return
			}
			if v.account.MustChangePassword && !strings.HasPrefix(r.URL.Path, "/account") && r.URL.Path != "/logout" {
				http.Redirect(w, r, "/account#password", http.StatusSeeOther)
				return
			}
		}
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	}))
}

// formProblem decides how a refused form is answered: a mistake in what
// was sent (a 4xx such as 400, 409, 413 or 429) is shown again on the form,
// as the returned problem; anything else (not signed in, not allowed, not
// found, or Vigil's own fault) goes to the error page, as the returned
// error.
func (s *Server) formProblem(r *http.Request, err error) (problem, error) {
	p := s.describe(err, viewerFrom(r.Context()).lang)
	switch p.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return p, err
	}
	if p.Status >= 500 {
		return p, err
	}
	return p, nil
}

// renderError shows an error as a page, logging what people must not see.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	v := viewerFrom(r.Context())
	p := s.describe(err, v.lang)
	if p.Status >= 500 {
		s.deps.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if p.internal != nil {
		s.deps.Logger.Warn("request refused", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", p.internal)
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(p.RetryAfter))
	}
	s.render(w, r, p.Status, "error", "status."+itoa(p.Status), p)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/dashboard"
	}
	return next
}

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/vault"
)

// Error is an error with an HTTP status and a message for people, given as
// a catalog key. Err, if set, is logged and never shown.
type Error struct {
	Status int
	Key    string
	Args   []any
	Err    error
	// RetryAfter, if positive, tells the client when to try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := i18n.English().T(i18n.Fallback, e.Key, e.Args...)
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, msg)
}

func (e *Error) Unwrap() error { return e.Err }

func httpError(status int, key string, args ...any) *Error {
	return &Error{Status: status, Key: key, Args: args}
}

// problem is what a person is told about an error: status, a title from
// the status and a detail in their language.
type problem struct {
	Status int
	Title  string
	Detail string
	// RetryAfter, if positive, becomes a Retry-After header.
	RetryAfter int
	internal   error
}

// describe turns any error a handler returns into what the client sees.
// Known errors keep their meaning; anything else is a 500 whose detail
// stays in the server's log.
func (s *Server) describe(err error, lang string) problem {
	c := s.deps.Messages
	p := problem{Status: http.StatusInternalServerError}
	var he *Error
	var ie *i18n.Error
	var rl *auth.RateLimitError
	var ve *ledger.VerifyError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		p.Status, p.Detail, p.internal = he.Status, c.T(lang, he.Key, he.Args...), he.Err
		if he.RetryAfter > 0 {
			p.RetryAfter = int(he.RetryAfter.Seconds()) + 1
		}
	case errors.As(err, &rl):
		p.Status, p.RetryAfter = http.StatusTooManyRequests, int(rl.RetryAfter.Seconds())+1
		p.Detail = c.T(lang, "error.rate_limited", "minutes", (p.RetryAfter+59)/60)
	case errors.As(err, &mbe):
		p.Status, p.Detail = http.StatusRequestEntityTooLarge, c.T(lang, "error.too_large", "bytes", mbe.Limit)
	case errors.As(err, &ie):
		p.Status, p.Detail = http.StatusBadRequest, ie.Text(c, lang)
		switch {
		case errors.Is(err, assembly.ErrForbidden), errors.Is(err, vault.ErrForbidden):
			p.Status = http.StatusForbidden
		case errors.Is(err, vault.ErrTooLarge):
			p.Status = http.StatusRequestEntityTooLarge
		case errors.Is(err, vault.ErrShredded):
			p.Status = http.StatusGone
		}
	case errors.Is(err, auth.ErrBadCredentials):
		p.Status, p.Detail = http.StatusUnauthorized, c.T(lang, "error.bad_credentials")
	case errors.Is(err, auth.ErrDisabled):
		p.Status, p.Detail = http.StatusForbidden, c.T(lang, "error.disabled")
	case errors.Is(err, auth.ErrExists):
		p.Status, p.Detail = http.StatusConflict, c.T(lang, "error.username_taken")
	case errors.Is(err, auth.ErrLastAdmin):
		p.Status, p.Detail = http.StatusConflict, c.T(lang, "error.last_admin")
	case errors.Is(err, auth.ErrOwnRequest), errors.Is(err, auth.ErrSameUnit), errors.Is(err, auth.ErrDeciderDisabled):
		p.Status, p.Detail = http.StatusForbidden, c.T(lang, "error.separation_of_duties")
	case errors.Is(err, assembly.ErrForbidden):
		p.Status, p.Detail = http.StatusForbidden, c.T(lang, "error.forbidden")
	case errors.Is(err, ledger.ErrNotYetPublished):
		p.Status, p.RetryAfter, p.Detail = http.StatusConflict, 2, c.T(lang, "error.not_yet_published")
	case errors.Is(err, vault.ErrShredded):
		p.Status, p.Detail = http.StatusGone, c.T(lang, "evidence.destroyed")
	case errors.Is(err, vault.ErrForbidden):
		p.Status, p.Detail = http.StatusForbidden, c.T(lang, "error.forbidden")
	case errors.Is(err, vault.ErrTooLarge):
		p.Status, p.Detail = http.StatusRequestEntityTooLarge, c.T(lang, "evidence.too_large")
	case errors.Is(err, store.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, c.T(lang, "error.not_found")
	case errors.As(err, &ve):
		p.Detail, p.internal = c.T(lang, "error.internal"), err
	default:
		p.Detail, p.internal = c.T(lang, "error.internal"), err
	}
	p.Title = c.T(lang, "status."+strconv.Itoa(p.Status))
	if p.Title == "[status."+strconv.Itoa(p.Status)+"]" {
		p.Title = http.StatusText(p.Status)
	}
	return p
}

// writeProblem writes an RFC 9457 problem document.
func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(map[string]any{
		"type":     "about:blank",
		"title":    p.Title,
		"status":   p.Status,
		"detail":   p.Detail,
		"instance": r.URL.Path,
	})
}

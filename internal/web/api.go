package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vigil-project/vigil/internal/auth"
)

const maxJSONBytes = 1 << 20

type apiCaller struct {
	account *auth.Account
	lang    string
}

type apiKey struct{}

func callerFrom(ctx context.Context) *apiCaller {
	if c, ok := ctx.Value(apiKey{}).(*apiCaller); ok {
		return c
	}
	return &apiCaller{lang: "en"}
}

// apiMiddleware finds the caller from a bearer token. The API never reads
// cookies, so a browser cannot be tricked into calling it.
func (s *Server) apiMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &apiCaller{lang: s.deps.Messages.Match(r.Header.Get("Accept-Language"))}
		ctx := context.WithValue(r.Context(), apiKey{}, c)
		r = r.WithContext(ctx)
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.apiError(w, r, httpError(http.StatusUnauthorized, "api.bad_authorization"))
				return
			}
			a, err := s.deps.Auth.AccountByToken(ctx, strings.TrimSpace(token))
			if errors.Is(err, auth.ErrNotFound) {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				s.apiError(w, r, httpError(http.StatusUnauthorized, "api.bad_token"))
				return
			}
			if err != nil {
				s.apiError(w, r, err)
				return
			}
			c.account = &a
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// apiRoute registers an API route that only callers a allows may use.
func (s *Server) apiRoute(pattern string, a access, h handlerFunc) {
	s.apiRoutes = append(s.apiRoutes, pattern)
	s.api.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callerFrom(r.Context())
		if !a.public {
			if c.account == nil {
				w.Header().Set("WWW-Authenticate", "Bearer")
				s.apiError(w, r, httpError(http.StatusUnauthorized, "api.sign_in"))
				return
			}
			if len(a.roles) > 0 && !c.account.Role.Is(a.roles...) {
				s.apiError(w, r, httpError(http.StatusForbidden, "error.forbidden"))
				return
			}
		}
		if err := h(w, r); err != nil {
			s.apiError(w, r, err)
		}
	}))
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.describe(err, callerFrom(r.Context()).lang)
	if p.Status >= 500 {
		s.deps.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, r, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decodeJSON reads a JSON request body into v, strictly: the content type
// must be JSON, the body at most 1 MiB, one value, no unknown fields. Its
// errors say what was wrong in words a person can act on.
func decodeJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return httpError(http.StatusUnsupportedMediaType, "api.json_only")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBytes+1))
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Key: "api.bad_body", Err: err}
	}
	if len(body) > maxJSONBytes {
		return &http.MaxBytesError{Limit: maxJSONBytes}
	}
	return decodeJSONBytes(body, v)
}

func decodeJSONBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return httpError(http.StatusBadRequest, "api.json_trailing")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return httpError(http.StatusBadRequest, "api.json_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return httpError(http.StatusBadRequest, "api.json_truncated")
	case errors.As(err, &syn):
		return httpError(http.StatusBadRequest, "api.json_syntax", "offset", syn.Offset)
	case errors.As(err, &typ):
		return httpError(http.StatusBadRequest, "api.json_type", "field", typ.Field, "type", typ.Type.String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return httpError(http.StatusBadRequest, "api.json_unknown_field", "field", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return &Error{Status: http.StatusBadRequest, Key: "api.json_invalid", Err: fmt.Errorf("decode: %w", err)}
}

// rawJSON is a JSON value kept as it came (a GeoJSON geometry, say);
// null and absence are the empty string.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	if string(b) != "null" {
		*r = append((*r)[:0], b...)
	}
	return nil
}

func (r rawJSON) String() string { return string(r) }

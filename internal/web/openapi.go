package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes the JSON API (OpenAPI 3.1). A test fails when a
// registered route is missing from it, or it lists one that is not.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPIDoc)
	return err
}

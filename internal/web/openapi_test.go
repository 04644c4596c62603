package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/i18n"
)

// TestOpenAPIListsEveryRoute fails when an API route is registered but
// missing from openapi.json, or documented but not registered.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Messages: cat})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	merged, err := openAPIDoc()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	if err := json.Unmarshal(merged, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	registered := map[string]bool{}
	for _, r := range s.apiRoutes {
		method, path, _ := strings.Cut(r, " ")
		key := strings.ToLower(method) + " " + path
		registered[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}
	if len(s.apiRoutes) < 10 {
		t.Fatalf("only %d API routes registered", len(s.apiRoutes))
	}
}

package web

import (
	"net/http"

	"github.com/vigil-project/vigil/internal/vault"
)

type retentionView struct {
	Classes []vault.Class
}

// retentionPage publishes the retention schedules: each class of item, how
// long it is kept, who adds it, and why.
func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "retention", "retention.title", retentionView{Classes: s.deps.Vault.Classes()})
	return nil
}

package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-project/vigil/internal/ledger"
)

// apiLedger tells anyone what they need to check the log: its name, its
// public key and its latest checkpoint.
func (s *Server) apiLedger(w http.ResponseWriter, r *http.Request) error {
	st := s.logStatus(r.Context())
	return writeJSON(w, http.StatusOK, map[string]any{
		"origin":       st.Origin,
		"verifier_key": st.VerifierKey,
		"size":         st.Size,
		"root_hash":    st.RootHash,
		"checkpoint":   st.Checkpoint,
		"log_url":      baseURL(r) + "/log/",
	})
}

// apiProof returns an event's inclusion proof. It is public: an event's
// entry holds nothing private, and anyone may check it is in the log.
func (s *Server) apiProof(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return httpError(http.StatusBadRequest, "api.bad_event_id")
	}
	p, err := ledger.Prove(r.Context(), s.deps.DB, s.deps.Log, s.deps.Keys.Verifier, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiReconcile(w http.ResponseWriter, r *http.Request) error {
	rep, err := ledger.Reconcile(r.Context(), s.deps.DB, s.deps.Log, s.deps.Keys.Verifier)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

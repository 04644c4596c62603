package web

import (
	"context"
	"encoding/hex"
	"net/http"

	"github.com/vigil-project/vigil/internal/ledger"
)

// logStatus is what anyone may know about the log.
type logStatus struct {
	Origin      string
	VerifierKey string
	Size        uint64
	RootHash    string
	Checkpoint  string
	Available   bool
}

func (s *Server) logStatus(ctx context.Context) logStatus {
	st := logStatus{Origin: s.deps.Keys.Origin(), VerifierKey: s.deps.Keys.VerifierKey}
	raw, err := s.deps.Log.ReadCheckpoint(ctx)
	if err != nil {
		return st
	}
	cp, err := ledger.ParseCheckpoint(raw, s.deps.Keys.Verifier)
	if err != nil {
		s.deps.Logger.Error("the log's own checkpoint does not verify", "err", err)
		return st
	}
	st.Available, st.Size, st.RootHash, st.Checkpoint = true, cp.Size, hex.EncodeToString(cp.Hash), string(raw)
	return st
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "home", "home.title", s.logStatus(r.Context()))
	return nil
}

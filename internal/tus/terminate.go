package tus

import (
	"context"
	"fmt"
	"net/http"
)

// terminate answers DELETE on an upload: the termination extension. The
// upload's chunks and records go; an item already made from it stays.
func (s *Server) terminate(w http.ResponseWriter, r *http.Request, owner, id string) error {
	ctx := r.Context()
	if _, err := s.load(ctx, owner, id, true); err != nil {
		return err
	}
	held, err := s.lock(ctx, id)
	if err != nil {
		return err
	}
	defer held.release()
	if _, err := s.load(ctx, owner, id, true); err != nil {
		return err
	}
	if err := s.remove(context.WithoutCancel(ctx), id); err != nil {
		return internal(fmt.Errorf("tus: terminate: %w", err))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package tus

import "net/http"

// head answers HEAD on an upload: how many bytes the server holds (all of
// them acknowledged and stored), and the item once it is made.
func (s *Server) head(w http.ResponseWriter, r *http.Request, owner, id string) error {
	ctx := r.Context()
	if _, err := s.load(ctx, owner, id, false); err != nil {
		return err
	}
	// A PATCH still reading a body the client gave up on stops and keeps
	// what arrived, so that the answer is the true offset.
	held, err := s.lock(ctx, id)
	if err != nil {
		return err
	}
	defer held.release()
	u, err := s.load(ctx, owner, id, false)
	if err != nil {
		return err
	}
	setState(w.Header(), u)
	w.WriteHeader(http.StatusOK)
	return nil
}

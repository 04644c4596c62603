package witness

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"net/http"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// addCheckpoint answers POST /add-checkpoint (C2SP tlog-witness): it
// cosigns a checkpoint of a known log, signed by the log's key, that is
// consistent with the latest checkpoint it cosigned for that log, and
// records it as the latest before answering.
func (s *Server) addCheckpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refuse(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", maxRequest)
		}
		return refuse(http.StatusBadRequest, "cannot read the request body")
	}
	req, err := parseAddRequest(body)
	if err != nil {
		return refuse(http.StatusBadRequest, "%v", err)
	}

	// Whose checkpoint, and signed by it?
	origin, _, _ := bytes.Cut(req.Checkpoint, []byte("\n"))
	keys := s.logs[string(origin)]
	if len(keys) == 0 {
		return refuse(http.StatusNotFound, "this witness does not witness the log %q", origin)
	}
	n, err := note.Open(req.Checkpoint, note.VerifierList(keys...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			s.cfg.Logger.Warn("witness: refused a checkpoint not signed by its log's key", "origin", string(origin))
			return refuse(http.StatusForbidden, "no signature on the checkpoint verifies with the key of the log %q", origin)
		}
		return refuse(http.StatusBadRequest, "the checkpoint is not a signed note: %v", err)
	}
	var cp f_log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
		return refuse(http.StatusBadRequest, "the note is not a checkpoint: %v", err)
	}
	if len(cp.Hash) != sha256.Size {
		return refuse(http.StatusBadRequest, "the checkpoint's root hash has %d bytes, not %d", len(cp.Hash), sha256.Size)
	}
	if cp.Size > math.MaxInt64 {
		return refuse(http.StatusBadRequest, "the checkpoint's size %d is too large", cp.Size)
	}
	if req.OldSize > cp.Size {
		return refuse(http.StatusBadRequest, "the old size %d is larger than the checkpoint's size %d", req.OldSize, cp.Size)
	}

	// Does it extend what this witness cosigned last?
	st, err := s.states.Get(ctx, cp.Origin)
	if err != nil {
		return err
	}
	if req.OldSize != st.Size {
		return &sizeConflict{st.Size}
	}
	if cp.Size == st.Size && !bytes.Equal(cp.Hash, st.Root) {
		s.evidence("a checkpoint of the size last cosigned, with another root: the log forked", st, req)
		return refuse(http.StatusConflict, "the checkpoint has the size %d last cosigned, but another root hash", st.Size)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, st.Size, cp.Size, req.Proof, st.Root, cp.Hash); err != nil {
		s.evidence("the consistency proof does not verify", st, req)
		return refuse(http.StatusUnprocessableEntity, "the consistency proof from %d to %d entries does not verify: %v", st.Size, cp.Size, err)
	}

	// Record it as the latest, with the log's signatures only (the note
	// may carry any others), then cosign.
	logSigned, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs})
	if err != nil {
		return err
	}
	err = s.states.Advance(ctx, st, State{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Checkpoint: logSigned})
	if errors.Is(err, ErrMoved) {
		// Another request advanced the state since it was read: the old
		// size no longer matches.
		now, err := s.states.Get(ctx, cp.Origin)
		if err != nil {
			return err
		}
		return &sizeConflict{now.Size}
	}
	if err != nil {
		return err
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, s.cfg.Key.Signer)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// note.Sign wrote the text, a blank line, then the signature line.
	w.Write(signed[len(n.Text)+1:])
	return nil
}

// evidence logs a checkpoint the log signed but the witness refused to
// cosign because it does not extend what the witness cosigned before: it
// may be proof that the log misbehaved, so the log line holds the whole
// note.
func (s *Server) evidence(why string, st State, req addRequest) {
	s.cfg.Logger.Warn("witness: refused a checkpoint signed by its log: "+why,
		"origin", st.Origin, "cosigned_size", st.Size, "old_size", req.OldSize, "checkpoint", string(req.Checkpoint))
}

package witness

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// OtherSignatures lists the signatures on a checkpoint note by keys other
// than the log's, unchecked: who claims to have cosigned it. A verifier
// with no witness keys can say whose cosignatures there are, but only
// Policy.Check says whether they are genuine.
func OtherSignatures(checkpoint []byte, log note.Verifier) ([]KeyID, error) {
	_, err := note.Open(checkpoint, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, fmt.Errorf("%w: %v", ErrNotANote, err)
	}
	var out []KeyID
	for _, s := range unverified.Note.UnverifiedSigs {
		if s.Name == log.Name() && s.Hash == log.KeyHash() {
			continue
		}
		out = append(out, KeyID{s.Name, s.Hash})
	}
	return out, nil
}

package bundle

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/witness"
)

// TestCosignedCheckpoint: a checkpoint with a witness's cosignature goes
// into the bundle as it is; Verify reports it whole, for the witness's key
// to check; and the cosignature, like every byte, is covered by the
// manifests.
func TestCosignedCheckpoint(t *testing.T) {
	f := newFixture(t)
	key, _, err := witness.LoadOrCreateKey(t.TempDir(), "oversight.test/witness")
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(f.bundle.Checkpoint, "\n\n")
	cosigned, err := note.Sign(&note.Note{Text: text + "\n"}, key.Signer)
	if err != nil {
		t.Fatal(err)
	}
	cp := f.bundle.Checkpoint + string(cosigned[len(text)+2:])
	f.bundle.Checkpoint = cp
	for i := range f.bundle.Events {
		f.bundle.Events[i].Checkpoint = cp
	}
	data := f.write(t)
	rep, err := verifyBytes(data, f.verifier)
	if err != nil {
		t.Fatal(err)
	}
	if string(rep.Checkpoint) != cp {
		t.Fatalf("Report.Checkpoint is\n%s\nwant\n%s", rep.Checkpoint, cp)
	}
	p, err := witness.RequireAll(key.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(rep.Checkpoint); err != nil {
		t.Fatalf("the cosignature in the report does not verify: %v", err)
	}

	i := bytes.Index(data, []byte("— oversight.test/witness "))
	if i < 0 {
		t.Fatal("the bundle does not hold the cosignature")
	}
	data[i+len("— oversight.test/witness ")+12] ^= 1
	if _, err := verifyBytes(data, f.verifier); err == nil {
		t.Fatal("a bundle with a flipped bit in the cosignature verifies")
	}
}

package bundle

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.zip")

// TestGolden pins the bundle format: a bundle written today must still
// verify with tomorrow's code, and the same bundle must come out of Write
// byte for byte, whatever changes in archive/zip or elsewhere.
func TestGolden(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join("testdata", "golden.zip")
	data := f.write(t)
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if _, err := verifyBytes(golden, f.verifier); err != nil {
		t.Errorf("the golden bundle no longer verifies: %v", err)
	}
	if !bytes.Equal(data, golden) {
		t.Errorf("Write no longer writes the golden bundle byte for byte (%d bytes, golden %d): the canonical form changed; old bundles would no longer verify", len(data), len(golden))
	}
}

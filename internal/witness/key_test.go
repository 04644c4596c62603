package witness_test

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	f_note "github.com/transparency-dev/formats/note"

	"github.com/vigil-project/vigil/internal/witness"
)

func TestKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := witness.LoadKey(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKey of nothing: %v, want fs.ErrNotExist", err)
	}
	if _, _, err := witness.LoadOrCreateKey(dir, ""); err == nil || !strings.Contains(err.Error(), "name the witness") {
		t.Fatalf("a new key without a name: %v", err)
	}
	if _, _, err := witness.LoadOrCreateKey(dir, "has space"); err == nil {
		t.Fatal("a name with a space was taken")
	}
	k, created, err := witness.LoadOrCreateKey(dir, "oversight.test/witness")
	if err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	if k.Name() != "oversight.test/witness" {
		t.Fatalf("name %q", k.Name())
	}
	// The public key is a cosignature/v1 key: type 0x04.
	parts := strings.SplitN(k.VerifierKey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		t.Fatalf("public key %s is not an Ed25519 cosignature/v1 key", k.VerifierKey)
	}
	if _, err := f_note.NewVerifierForCosignatureV1(k.VerifierKey); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "witness.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	again, created, err := witness.LoadOrCreateKey(dir, "")
	if err != nil || created || again.VerifierKey != k.VerifierKey {
		t.Fatalf("load again: %v, created %v, key %s", err, created, again.VerifierKey)
	}
	if _, _, err := witness.LoadOrCreateKey(dir, "other.test/witness"); err == nil {
		t.Fatal("a key was renamed")
	}

	// A private key others can read is refused; so are halves that do not
	// belong together.
	if err := os.Chmod(filepath.Join(dir, "witness.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := witness.LoadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a readable key: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, "witness.key"), 0o600); err != nil {
		t.Fatal(err)
	}
	other, _, err := witness.LoadOrCreateKey(t.TempDir(), "oversight.test/witness")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "witness.pub"), []byte(other.VerifierKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := witness.LoadKey(dir); err == nil || !strings.Contains(err.Error(), "do not belong together") {
		t.Fatalf("mismatched halves: %v", err)
	}
}

func TestParseLogKeys(t *testing.T) {
	a, b := newTestLog(t, "a.test/log", "a", 1), newTestLog(t, "b.test/log", "b", 1)
	text := "# logs\n\n" + vkeyOf(t, a) + "\n  " + vkeyOf(t, b) + "  \n"
	vs, err := witness.ParseLogKeys([]byte(text))
	if err != nil || len(vs) != 2 || vs[0].Name() != "a.test/log" || vs[1].Name() != "b.test/log" {
		t.Fatalf("ParseLogKeys: %v %v", vs, err)
	}
	if _, err := witness.ParseLogKeys([]byte("# ok\nnot a key\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad line: %v", err)
	}
}

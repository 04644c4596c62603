package witness

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	f_note "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Key file names in the witness's data directory.
const (
	signerKeyFile   = "witness.key" // PRIVATE+KEY+..., mode 0600
	verifierKeyFile = "witness.pub" // name+hash+key, key type 0x04 (cosignature/v1)
)

// Key is the witness's key pair. Its name is the witness's name, such as
// "oversight.example.org/witness".
type Key struct {
	// Signer makes cosignature/v1 signatures.
	Signer note.Signer
	// Verifier checks them.
	Verifier note.Verifier
	// VerifierKey is the public key in note format, with key type 0x04:
	// what a log operator puts in the witness policy and a verifier gives
	// to `vigil verify --witness`.
	VerifierKey string
}

// Name is the witness's name.
func (k Key) Name() string { return k.Signer.Name() }

// LoadOrCreateKey reads the key pair in dir, creating it (the private half
// mode 0600) if there is none. name names a new key; for an existing key it
// must be empty or equal the key's name. created says whether a new key
// was made.
func LoadOrCreateKey(dir, name string) (k Key, created bool, err error) {
	k, err = LoadKey(dir)
	if err == nil {
		if name != "" && name != k.Name() {
			return k, false, fmt.Errorf("witness: the key in %s is named %q, not %q", dir, k.Name(), name)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if name == "" {
		return k, false, fmt.Errorf("witness: no key in %s yet: name the witness to make one, such as --name oversight.example.org/witness: %w", dir, err)
	}
	if strings.ContainsAny(name, " \t\n+") {
		return k, false, fmt.Errorf("witness: name %q may not contain spaces or '+'", name)
	}
	// An Ed25519 key; NewSignerForCosignatureV1 makes cosignature/v1
	// signatures with it, under key type 0x04.
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return k, false, fmt.Errorf("witness: generate key: %w", err)
	}
	cosigVKey, err := f_note.VKeyToCosignatureV1(vkey)
	if err != nil {
		return k, false, fmt.Errorf("witness: generate key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, false, fmt.Errorf("witness: %w", err)
	}
	// The public half first: a crash between the two writes leaves no
	// private key without its public half.
	if err := writeFileSync(filepath.Join(dir, verifierKeyFile), []byte(cosigVKey+"\n"), 0o644); err != nil {
		return k, false, err
	}
	if err := writeFileSync(filepath.Join(dir, signerKeyFile), []byte(skey+"\n"), 0o600); err != nil {
		return k, false, err
	}
	k, err = LoadKey(dir)
	return k, err == nil, err
}

// LoadKey reads the key pair in dir. It returns an error wrapping
// fs.ErrNotExist if there is none.
func LoadKey(dir string) (Key, error) {
	var k Key
	path := filepath.Join(dir, signerKeyFile)
	skey, err := os.ReadFile(path)
	if err != nil {
		return k, fmt.Errorf("witness: read key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return k, fmt.Errorf("witness: key %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	vkey, err := os.ReadFile(filepath.Join(dir, verifierKeyFile))
	if err != nil {
		return k, fmt.Errorf("witness: read public key: %w", err)
	}
	s, err := f_note.NewSignerForCosignatureV1(strings.TrimSpace(string(skey)))
	if err != nil {
		return k, fmt.Errorf("witness: key %s: %w", path, err)
	}
	k.Signer = s
	k.VerifierKey = strings.TrimSpace(string(vkey))
	if k.Verifier, err = f_note.NewVerifierForCosignatureV1(k.VerifierKey); err != nil {
		return k, fmt.Errorf("witness: public key: %w", err)
	}
	// The two halves must belong together.
	msg, err := note.Sign(&note.Note{Text: "key check\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, k.Signer)
	if err != nil {
		return k, fmt.Errorf("witness: key: %w", err)
	}
	if _, err := note.Open(msg, note.VerifierList(k.Verifier)); err != nil {
		return k, fmt.Errorf("witness: %s and %s in %s do not belong together", signerKeyFile, verifierKeyFile, dir)
	}
	return k, nil
}

// writeFileSync writes a new file and syncs it and its directory.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("witness: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("witness: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

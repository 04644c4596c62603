package ledger

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key file names inside the key directory.
const (
	signerKeyFile   = "log.key" // PRIVATE+KEY+... (mode 0600)
	verifierKeyFile = "log.pub" // name+hash+key, public
)

// Keys is the log's signed-note key pair. The key's name is the log's
// origin, the first line of every checkpoint.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key in note format ("name+hash+base64"),
	// what `vigil keys public` prints and `vigil verify --key` takes.
	VerifierKey string
}

// Origin is the log's name.
func (k Keys) Origin() string { return k.Signer.Name() }

// LoadOrCreateKeys reads the key pair in dir, creating it (signer mode 0600)
// if there is none. origin is the log's name for a new key; for an existing
// key it must be empty or equal the key's name, since a log cannot be
// renamed. created says whether a new key was made.
func LoadOrCreateKeys(dir, origin string) (k Keys, created bool, err error) {
	k, err = LoadKeys(dir)
	if err == nil {
		if origin != "" && origin != k.Origin() {
			return k, false, fmt.Errorf("ledger: the log key in %s is named %q, not %q: a log's name cannot change once it has entries", dir, k.Origin(), origin)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if origin == "" {
		return k, false, errors.New("ledger: no log name given for a new log key")
	}
	if strings.ContainsAny(origin, " \t\n+") {
		return k, false, fmt.Errorf("ledger: log name %q may not contain spaces or '+'", origin)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return k, false, fmt.Errorf("ledger: generate log key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, false, fmt.Errorf("ledger: %w", err)
	}
	// The public key first: a crash between the two writes leaves no
	// private key without its public half.
	if err := writeFileSync(filepath.Join(dir, verifierKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return k, false, err
	}
	if err := writeFileSync(filepath.Join(dir, signerKeyFile), []byte(skey+"\n"), 0o600); err != nil {
		return k, false, err
	}
	k, err = LoadKeys(dir)
	return k, err == nil, err
}

// LoadKeys reads the key pair in dir. It returns an error wrapping
// fs.ErrNotExist if there is none.
func LoadKeys(dir string) (Keys, error) {
	var k Keys
	skey, err := os.ReadFile(filepath.Join(dir, signerKeyFile))
	if err != nil {
		return k, fmt.Errorf("ledger: read log key: %w", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, signerKeyFile)); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return k, fmt.Errorf("ledger: log key %s is readable by others (mode %v): chmod 600 it", filepath.Join(dir, signerKeyFile), fi.Mode().Perm())
	}
	vkey, err := os.ReadFile(filepath.Join(dir, verifierKeyFile))
	if err != nil {
		return k, fmt.Errorf("ledger: read log public key: %w", err)
	}
	k.Signer, err = note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return k, fmt.Errorf("ledger: log key: %w", err)
	}
	k.VerifierKey = strings.TrimSpace(string(vkey))
	k.Verifier, err = note.NewVerifier(k.VerifierKey)
	if err != nil {
		return k, fmt.Errorf("ledger: log public key: %w", err)
	}
	// The two halves must belong together.
	msg, err := note.Sign(&note.Note{Text: "key check\n"}, k.Signer)
	if err != nil {
		return k, fmt.Errorf("ledger: log key: %w", err)
	}
	if _, err := note.Open(msg, note.VerifierList(k.Verifier)); err != nil {
		return k, fmt.Errorf("ledger: %s and %s do not belong together", signerKeyFile, verifierKeyFile)
	}
	return k, nil
}

// writeFileSync writes a new file and syncs it and its directory.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("ledger: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

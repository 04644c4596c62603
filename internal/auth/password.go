package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/vigil-project/vigil/internal/i18n"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams follow OWASP's password storage advice for argon2id
// (19 MiB, two passes, one lane): about 30ms a hash on a small server.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen is the shortest password accepted. Length beats
	// composition rules (NIST SP 800-63B).
	MinPasswordLen = 12
	// MaxPasswordLen bounds the work one login can cause.
	MaxPasswordLen = 256
)

// ErrWeakPassword means a new password breaks the password rules; its
// message says which.
var ErrWeakPassword = errors.New("weak password")

// CheckPassword applies the password rules to a new password.
func CheckPassword(password, username string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return i18n.NewError(ErrWeakPassword, "auth.password_short", "min", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return i18n.NewError(ErrWeakPassword, "auth.password_long", "max", MaxPasswordLen)
	case !utf8.ValidString(password):
		return i18n.NewError(ErrWeakPassword, "auth.password_not_text")
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return i18n.NewError(ErrWeakPassword, "auth.password_has_username")
	case strings.Count(password, password[:1]) == len(password):
		return i18n.NewError(ErrWeakPassword, "auth.password_repeats")
	}
	return nil
}

// HashPassword returns the PHC string of password under argon2id.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string hash.
func VerifyPassword(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("auth: unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("auth: argon2 parameters: %w", err)
	}
	if p.Memory > 1<<21 || p.Time > 16 || p.Threads == 0 || p.Time == 0 {
		return false, errors.New("auth: argon2 parameters out of range")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("auth: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("auth: key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NewPassword returns a random password: crypto/rand's 26-character
// base32 text (130 bits), lower-cased and grouped for reading out.
func NewPassword() string {
	t := strings.ToLower(rand.Text())
	var b strings.Builder
	for i := 0; i < len(t); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(t[i:min(i+4, len(t))])
	}
	return b.String()
}

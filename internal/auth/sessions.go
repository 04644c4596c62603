package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/store"
)

// Session is a signed-in browser.
type Session struct {
	// Token is the cookie value; only its hash is stored.
	Token string
	// CSRF is the token every form of this session must carry.
	CSRF      string
	Account   Account
	ExpiresAt time.Time
	hash      []byte
}

// Hash is the stored hash of the session's token.
func (s Session) Hash() []byte { return s.hash }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// StartSession signs an account in and returns its new session. Sign-ins
// are not ledger events: the log records what people do with data, not
// when staff start their shifts.
func (s *Service) StartSession(ctx context.Context, a Account) (Session, error) {
	now := s.now()
	sess := Session{Token: randomToken(), CSRF: randomToken(), Account: a, ExpiresAt: now.Add(s.cfg.SessionMax)}
	sess.hash = hashToken(sess.Token)
	_, err := s.db.Exec(ctx, "INSERT INTO sessions (token_hash, account_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		sess.hash, a.ID, sess.CSRF, store.Micros(now), store.Micros(now), store.Micros(sess.ExpiresAt))
	if err != nil {
		return Session{}, fmt.Errorf("auth: start session: %w", err)
	}
	return sess, nil
}

// SessionByToken returns the live session whose cookie value is token, or
// an error wrapping ErrNotFound if it does not exist, has expired or gone
// idle, or its account is disabled.
func (s *Service) SessionByToken(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, fmt.Errorf("auth: session: %w", ErrNotFound)
	}
	h := hashToken(token)
	var sess Session
	var lastSeen, expires int64
	row := s.db.QueryRow(ctx, "SELECT csrf, last_seen_at, expires_at, "+accountColumnsA+" FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?", h)
	a, err := scanAccount(func(dest ...any) error {
		return row.Scan(append([]any{&sess.CSRF, &lastSeen, &expires}, dest...)...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("auth: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("auth: session: %w", err)
	}
	now := s.now()
	if a.Disabled || now.After(store.FromMicros(expires)) || now.Sub(store.FromMicros(lastSeen)) > s.cfg.SessionIdle {
		_, _ = s.db.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", h)
		return Session{}, fmt.Errorf("auth: session: %w", ErrNotFound)
	}
	// Note activity at most once a minute, to spare the database a write
	// per request.
	if now.Sub(store.FromMicros(lastSeen)) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", store.Micros(now), h); err != nil {
			return Session{}, fmt.Errorf("auth: session: %w", err)
		}
	}
	sess.Token, sess.Account, sess.ExpiresAt, sess.hash = token, a, store.FromMicros(expires), h
	return sess, nil
}

// EndSession signs a browser out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", hashToken(token))
	return err
}

// PruneSessions deletes expired sessions and returns how many.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.db.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", store.Micros(now), store.Micros(now.Add(-s.cfg.SessionIdle)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

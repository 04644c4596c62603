package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// TokenPrefix starts every API token, so that a leaked one is easy to find
// in logs and code.
const TokenPrefix = "vigil_"

// MaxTokenLifetime bounds any API token.
const MaxTokenLifetime = 365 * 24 * time.Hour

// Token describes an API token; the secret itself is shown once, at
// creation, and stored only as a hash.
type Token struct {
	ID         string
	AccountID  string
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Active reports whether the token works at time now.
func (t Token) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// CreateToken makes an API token for account a, named for what it is for,
// living lifetime (0 for the default). It returns the token and its secret.
func (s *Service) CreateToken(ctx context.Context, a Account, name string, lifetime time.Duration) (Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
		return Token{}, "", invalid("auth.token_name")
	}
	if lifetime == 0 {
		lifetime = s.cfg.TokenLifetime
	}
	if lifetime < time.Minute || lifetime > MaxTokenLifetime {
		return Token{}, "", invalid("auth.token_lifetime")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := Token{ID: id.New("tok"), AccountID: a.ID, Name: name, CreatedAt: now, ExpiresAt: now.Add(lifetime)}
	secret := TokenPrefix + randomToken()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO api_tokens (id, account_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			t.ID, a.ID, t.Name, hashToken(secret), store.Micros(now), store.Micros(t.ExpiresAt)); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		_, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evTokenCreated, Actor: a.Actor(), Subject: subject(a.ID),
			Facts:   map[string]any{"expires": t.ExpiresAt},
			Private: map[string]string{"account": a.ID, "token": t.ID},
		})
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// AccountByToken returns the account an API token belongs to, or an error
// wrapping ErrNotFound if the token is unknown, revoked, expired or its
// account disabled.
func (s *Service) AccountByToken(ctx context.Context, secret string) (Account, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return Account{}, fmt.Errorf("auth: token: %w", ErrNotFound)
	}
	h := hashToken(secret)
	var tokID string
	var expires int64
	var revoked, lastUsed sql.NullInt64
	row := s.db.QueryRow(ctx, "SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, "+accountColumnsA+" FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = ?", h)
	a, err := scanAccount(func(dest ...any) error {
		return row.Scan(append([]any{&tokID, &expires, &revoked, &lastUsed}, dest...)...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("auth: token: %w", ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("auth: token: %w", err)
	}
	now := s.now()
	if revoked.Valid || !now.Before(store.FromMicros(expires)) || a.Disabled {
		return Account{}, fmt.Errorf("auth: token: %w", ErrNotFound)
	}
	if !lastUsed.Valid || now.Sub(store.FromMicros(lastUsed.Int64)) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", store.Micros(now), tokID); err != nil {
			return Account{}, fmt.Errorf("auth: token: %w", err)
		}
	}
	return a, nil
}

// Tokens lists an account's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, accountID string) ([]Token, error) {
	rows, err := s.db.Query(ctx, "SELECT id, account_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE account_id = ? ORDER BY created_at DESC", accountID)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created, expires int64
		var used, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.AccountID, &t.Name, &created, &expires, &used, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt = store.FromMicros(created), store.FromMicros(expires)
		if used.Valid {
			u := store.FromMicros(used.Int64)
			t.LastUsedAt = &u
		}
		if revoked.Valid {
			r := store.FromMicros(revoked.Int64)
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of account a's tokens (admins may revoke any).
func (s *Service) RevokeToken(ctx context.Context, a Account, tokenID string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var owner string
		var revoked sql.NullInt64
		if err := store.Scan(tx.QueryRow(ctx, "SELECT account_id, revoked_at FROM api_tokens WHERE id = ?", tokenID), &owner, &revoked); err != nil {
			return fmt.Errorf("auth: token: %w", err)
		}
		if owner != a.ID && a.Role != Admin {
			return fmt.Errorf("auth: token: %w", ErrNotFound)
		}
		if revoked.Valid {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", store.Micros(s.now()), tokenID); err != nil {
			return err
		}
		_, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evTokenRevoked, Actor: a.Actor(), Subject: subject(owner),
			Private: map[string]string{"account": owner, "token": tokenID},
		})
		return err
	})
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Config tunes auth; its zero value is what Vigil runs with.
type Config struct {
	// Params are argon2id's costs (default DefaultParams).
	Params Params
	// SessionIdle ends a browser session after this long without use
	// (default 30 minutes).
	SessionIdle time.Duration
	// SessionMax ends any browser session after this long (default 12
	// hours: one shift).
	SessionMax time.Duration
	// TokenLifetime is how long an API token works unless told otherwise
	// (default 90 days); no token lives longer than a year.
	TokenLifetime time.Duration
	// Limits are the login rate limits (default DefaultLimits).
	Limits Limits
}

// Service manages accounts, sessions and tokens.
type Service struct {
	db      *store.DB
	outbox  *ledger.Outbox
	cfg     Config
	limiter *Limiter
	now     func() time.Time
	dummy   string // a hash to check against when the account does not exist
}

// New returns the auth service over db, recording events in outbox.
func New(db *store.DB, outbox *ledger.Outbox, cfg Config) *Service {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 12 * time.Hour
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 90 * 24 * time.Hour
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	dummy, err := HashPassword(NewPassword(), cfg.Params)
	if err != nil {
		panic(err)
	}
	return &Service{db: db, outbox: outbox, cfg: cfg, limiter: NewLimiter(cfg.Limits), now: time.Now, dummy: dummy}
}

// Authenticate checks a username and password from address addr. It
// answers ErrBadCredentials without saying which was wrong, ErrDisabled
// only to someone who knows the password, and a *RateLimitError when this
// account or address has failed too often.
func (s *Service) Authenticate(ctx context.Context, username, password, addr string) (Account, error) {
	if err := s.limiter.Check(username, addr); err != nil {
		return Account{}, err
	}
	if len(password) > MaxPasswordLen {
		s.limiter.Fail(username, addr)
		return Account{}, ErrBadCredentials
	}
	a, err := s.GetByUsername(ctx, username)
	hash := s.dummy
	if err == nil {
		if err := store.Scan(s.db.QueryRow(ctx, "SELECT password_hash FROM accounts WHERE id = ?", a.ID), &hash); err != nil {
			return Account{}, fmt.Errorf("auth: %w", err)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return Account{}, err
	}
	// Hash even for an unknown account, so that timing does not tell.
	ok, verr := VerifyPassword(password, hash)
	if err != nil || verr != nil || !ok {
		s.limiter.Fail(username, addr)
		return Account{}, ErrBadCredentials
	}
	if a.Disabled {
		return Account{}, ErrDisabled
	}
	s.limiter.Succeed(username)
	return a, nil
}

package auth

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Limits bound failed logins. Within Window, an account may fail
// PerAccount times and an address PerAddress times; after that, logins are
// refused until the window passes.
type Limits struct {
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// DefaultLimits: five wrong passwords an account, fifty an address, per
// fifteen minutes.
var DefaultLimits = Limits{PerAccount: 5, PerAddress: 50, Window: 15 * time.Minute}

// RateLimitError refuses a login attempt for a while.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Limiter counts failed logins in memory. Its counts are per process.
type Limiter struct {
	lim Limits
	now func() time.Time

	mu       sync.Mutex
	failures map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// maxTracked bounds the limiter's memory; past it, expired windows are
// dropped, and if none have expired the oldest are.
const maxTracked = 100_000

// NewLimiter returns a limiter with the given limits.
func NewLimiter(l Limits) *Limiter {
	return &Limiter{lim: l, now: time.Now, failures: map[string]*window{}}
}

func accountKey(username string) string { return "u:" + strings.ToLower(strings.TrimSpace(username)) }
func addressKey(addr string) string     { return "a:" + addr }

// Check returns a *RateLimitError if the account or the address is over
// its limit.
func (l *Limiter) Check(username, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for key, limit := range map[string]int{accountKey(username): l.lim.PerAccount, addressKey(addr): l.lim.PerAddress} {
		w := l.failures[key]
		if w == nil || now.Sub(w.start) >= l.lim.Window {
			continue
		}
		if w.n >= limit {
			wait = max(wait, w.start.Add(l.lim.Window).Sub(now))
		}
	}
	if wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	return nil
}

// Fail counts a failed login against the account and the address.
func (l *Limiter) Fail(username, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.failures) >= maxTracked {
		l.prune(now)
	}
	for _, key := range []string{accountKey(username), addressKey(addr)} {
		w := l.failures[key]
		if w == nil || now.Sub(w.start) >= l.lim.Window {
			w = &window{start: now}
			l.failures[key] = w
		}
		w.n++
	}
}

// Succeed clears an account's failures after a correct password. The
// address keeps its count: one good password does not excuse guessing at
// other accounts.
func (l *Limiter) Succeed(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, accountKey(username))
}

func (l *Limiter) prune(now time.Time) {
	var oldest string
	var oldestStart time.Time
	for k, w := range l.failures {
		if now.Sub(w.start) >= l.lim.Window {
			delete(l.failures, k)
			continue
		}
		if oldest == "" || w.start.Before(oldestStart) {
			oldest, oldestStart = k, w.start
		}
	}
	if len(l.failures) >= maxTracked && oldest != "" {
		delete(l.failures, oldest)
	}
}

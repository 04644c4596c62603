package auth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// cheap keeps tests fast; the format and the code path are the same.
var cheap = Params{Memory: 1024, Time: 1, Threads: 1}

func newService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	return New(db, ledger.NewOutbox(), Config{Params: cheap, Limits: Limits{PerAccount: 3, PerAddress: 5, Window: time.Minute}})
}

func mustCreate(t *testing.T, s *Service, n NewAccount) (Account, string) {
	t.Helper()
	a, pw, err := s.Create(context.Background(), ledger.System, n)
	if err != nil {
		t.Fatalf("Create(%+v): %v", n, err)
	}
	return a, pw
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		a, pw := mustCreate(t, s, NewAccount{Username: " Officer.One ", DisplayName: "Amina Haddad", Role: Officer, Unit: "Unit 7"})
		if a.Username != "officer.one" {
			t.Errorf("username %q not normalised", a.Username)
		}
		if len(pw) < MinPasswordLen {
			t.Errorf("generated password %q is short", pw)
		}
		got, err := s.GetByUsername(ctx, "OFFICER.ONE")
		if err != nil || got.ID != a.ID || got.DisplayName != "Amina Haddad" || got.Unit != "Unit 7" || got.Role != Officer {
			t.Fatalf("GetByUsername = %+v, %v", got, err)
		}
		if _, _, err := s.Create(ctx, ledger.System, NewAccount{Username: "officer.one", Role: Officer}); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate username: %v", err)
		}
		for name, n := range map[string]NewAccount{
			"short username": {Username: "ab", Role: Officer},
			"spaces":         {Username: "a b c", Role: Officer},
			"no role":        {Username: "abc"},
			"bad role":       {Username: "abc", Role: "chief"},
			"weak password":  {Username: "abc", Role: Officer, Password: "short"},
			"control char":   {Username: "abc", Role: Officer, DisplayName: "a\x00b"},
		} {
			if _, _, err := s.Create(ctx, ledger.System, n); err == nil {
				t.Errorf("%s: Create accepted %+v", name, n)
			}
		}
		if _, err := s.GetByUsername(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown username: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("List = %v, %v", list, err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		admin, _ := mustCreate(t, s, NewAccount{Username: "boss", Role: Admin})
		a, pw := mustCreate(t, s, NewAccount{Username: "judge", Role: Authorizer})
		if got, err := s.Authenticate(ctx, "judge", pw, "10.0.0.1"); err != nil || got.ID != a.ID {
			t.Fatalf("right password: %+v, %v", got, err)
		}
		if _, err := s.Authenticate(ctx, "judge", pw+"x", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ghost", pw, "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("unknown account: %v", err)
		}
		if _, err := s.SetDisabled(ctx, admin.Actor(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "judge", pw, "10.0.0.2"); !errors.Is(err, ErrDisabled) {
			t.Fatalf("disabled account: %v", err)
		}
		if _, err := s.Authenticate(ctx, "judge", "wrong-but-long-enough", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("disabled account, wrong password: %v (must not reveal the account)", err)
		}
	})
}

func TestLoginRateLimits(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	s := newService(t, db)
	_, pw := mustCreate(t, s, NewAccount{Username: "target", Role: Officer})
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s.limiter.now = func() time.Time { return now }
	// Per account: three failures from three addresses lock the account,
	// even against the right password.
	for i, addr := range []string{"a1", "a2", "a3"} {
		if _, err := s.Authenticate(ctx, "target", "wrong password "+addr, addr); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var rl *RateLimitError
	if _, err := s.Authenticate(ctx, "target", pw, "a4"); !errors.As(err, &rl) {
		t.Fatalf("after 3 failures: %v, want a RateLimitError", err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > time.Minute {
		t.Fatalf("RetryAfter = %v", rl.RetryAfter)
	}
	now = now.Add(61 * time.Second)
	if _, err := s.Authenticate(ctx, "target", pw, "a4"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Per address: five failures over many accounts block the address.
	for i := range 5 {
		s.Authenticate(ctx, "user"+string(rune('a'+i)), "wrong password x", "bad")
	}
	if _, err := s.Authenticate(ctx, "target", pw, "bad"); !errors.As(err, &rl) {
		t.Fatalf("address over its limit: %v", err)
	}
	if _, err := s.Authenticate(ctx, "target", pw, "good"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		now := time.Now()
		s.now = func() time.Time { return now }
		a, _ := mustCreate(t, s, NewAccount{Username: "monitor", Role: Monitor})
		sess, err := s.StartSession(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var stored []byte
		db.QueryRow(ctx, "SELECT token_hash FROM sessions").Scan(&stored)
		if strings.Contains(string(stored), sess.Token) {
			t.Fatal("the session token is stored in the clear")
		}
		got, err := s.SessionByToken(ctx, sess.Token)
		if err != nil || got.Account.ID != a.ID || got.CSRF != sess.CSRF {
			t.Fatalf("SessionByToken = %+v, %v", got, err)
		}
		if _, err := s.SessionByToken(ctx, sess.Token+"x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("wrong token: %v", err)
		}
		now = now.Add(29 * time.Minute)
		if _, err := s.SessionByToken(ctx, sess.Token); err != nil {
			t.Fatalf("within the idle limit: %v", err)
		}
		now = now.Add(31 * time.Minute)
		if _, err := s.SessionByToken(ctx, sess.Token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("idle session: %v", err)
		}
		// The absolute limit holds however busy the session is.
		sess, _ = s.StartSession(ctx, a)
		for range 13 {
			now = now.Add(time.Hour - time.Second)
			s.cfg.SessionIdle = 2 * time.Hour
			s.SessionByToken(ctx, sess.Token)
		}
		if _, err := s.SessionByToken(ctx, sess.Token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session past its maximum: %v", err)
		}
		sess, _ = s.StartSession(ctx, a)
		if err := s.EndSession(ctx, sess.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByToken(ctx, sess.Token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ended session: %v", err)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		a, pw := mustCreate(t, s, NewAccount{Username: "flagger", Role: Flagger})
		mine, _ := s.StartSession(ctx, a)
		other, _ := s.StartSession(ctx, a)
		if err := s.ChangePassword(ctx, a.ID, "not it at all", "a whole new passphrase", mine.Hash()); !errors.Is(err, ErrInvalid) {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, a.ID, pw, "a whole new passphrase", mine.Hash()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByToken(ctx, mine.Token); err != nil {
			t.Fatalf("own session ended: %v", err)
		}
		if _, err := s.SessionByToken(ctx, other.Token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other session survived: %v", err)
		}
		if _, err := s.Authenticate(ctx, "flagger", "a whole new passphrase", "x"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		now := time.Now()
		s.now = func() time.Time { return now }
		a, _ := mustCreate(t, s, NewAccount{Username: "cmdr", Role: Commander})
		b, _ := mustCreate(t, s, NewAccount{Username: "other", Role: Commander})
		tok, secret, err := s.CreateToken(ctx, a, "body camera dock", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, TokenPrefix) {
			t.Fatalf("secret %q lacks the prefix", secret)
		}
		if got, err := s.AccountByToken(ctx, secret); err != nil || got.ID != a.ID {
			t.Fatalf("AccountByToken = %+v, %v", got, err)
		}
		if _, err := s.AccountByToken(ctx, secret[:len(secret)-1]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("wrong secret: %v", err)
		}
		if err := s.RevokeToken(ctx, b, tok.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account revoking: %v", err)
		}
		if err := s.RevokeToken(ctx, a, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AccountByToken(ctx, secret); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		_, secret, _ = s.CreateToken(ctx, a, "short lived", time.Minute)
		now = now.Add(2 * time.Minute)
		if _, err := s.AccountByToken(ctx, secret); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired token: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, a, "", 0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("nameless token: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, a, "forever", 10*MaxTokenLifetime); !errors.Is(err, ErrInvalid) {
			t.Fatalf("token for ten years: %v", err)
		}
		list, _ := s.Tokens(ctx, a.ID)
		if len(list) != 2 {
			t.Fatalf("Tokens = %+v", list)
		}
		for _, l := range list {
			if (l.ID == tok.ID) != (l.RevokedAt != nil) {
				t.Errorf("token %s: revoked at %v", l.Name, l.RevokedAt)
			}
		}
	})
}

func TestRolesAndLastAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		admin, pw, created, err := s.EnsureAdmin(ctx)
		if err != nil || !created || !admin.MustChangePassword || pw == "" {
			t.Fatalf("EnsureAdmin = %+v %q %v %v", admin, pw, created, err)
		}
		if _, _, again, _ := s.EnsureAdmin(ctx); again {
			t.Fatal("EnsureAdmin created a second admin")
		}
		if _, err := s.SetRole(ctx, admin.Actor(), admin.ID, Officer); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("demoting the last admin: %v", err)
		}
		if _, err := s.SetDisabled(ctx, admin.Actor(), admin.ID, true); err == nil {
			t.Fatal("an admin disabled their own account")
		}
		o, _ := mustCreate(t, s, NewAccount{Username: "zed.kowalski", DisplayName: "Zed Kowalski", Role: Officer})
		sess, _ := s.StartSession(ctx, o)
		o, err = s.SetRole(ctx, admin.Actor(), o.ID, Commander)
		if err != nil || o.Role != Commander {
			t.Fatalf("SetRole = %+v, %v", o, err)
		}
		if _, err := s.SessionByToken(ctx, sess.Token); !errors.Is(err, ErrNotFound) {
			t.Fatal("a session survived a change of role")
		}
		if _, err := s.SetRole(ctx, admin.Actor(), o.ID, "chief"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown role: %v", err)
		}
		// Every change is an event; none carries the username.
		evs, err := ledger.List(ctx, db, ledger.Query{Subject: "account:" + o.ID})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events = %d, %v", len(evs), err)
		}
		for _, e := range evs {
			if strings.Contains(strings.ToLower(string(e.Entry)), "kowalski") {
				t.Errorf("entry holds the username: %s", e.Entry)
			}
		}
		if evs[0].Type != "account.role_changed" || !strings.Contains(string(evs[0].Entry), `"to":"commander"`) {
			t.Fatalf("latest event %s: %s", evs[0].Type, evs[0].Entry)
		}
	})
}

func TestSeparateDuties(t *testing.T) {
	asker := Account{ID: "acc_a", Unit: "Public Order Unit 3"}
	for name, tc := range map[string]struct {
		decider Account
		want    error
	}{
		"independent":       {Account{ID: "acc_b", Unit: "District Court"}, nil},
		"no unit":           {Account{ID: "acc_b"}, nil},
		"self":              {Account{ID: "acc_a", Unit: "District Court"}, ErrOwnRequest},
		"same unit":         {Account{ID: "acc_b", Unit: "public order  unit 3"}, ErrSameUnit},
		"disabled":          {Account{ID: "acc_b", Disabled: true}, ErrDeciderDisabled},
		"anonymous decider": {Account{}, ErrOwnRequest},
	} {
		t.Run(name, func(t *testing.T) {
			if err := SeparateDuties(asker, tc.decider); !errors.Is(err, tc.want) {
				t.Fatalf("SeparateDuties = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if ok, err := VerifyPassword("correct horse battery staple", h); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword("correct horse battery stapler", h); ok {
		t.Fatal("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=1024,t=1,p=0$AA$AA"} {
		if _, err := VerifyPassword("x", bad); err == nil {
			t.Errorf("VerifyPassword accepted hash %q", bad)
		}
	}
}

package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Account is a person's or an organisation's way into Vigil.
type Account struct {
	ID       string
	Username string
	// DisplayName is how pages greet the account; private.
	DisplayName string
	Role        Role
	// Unit is the organisational unit (a police unit, a court), used by
	// the separation-of-duties rule; private.
	Unit               string
	MustChangePassword bool
	Disabled           bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Errors auth returns; check them with errors.Is.
var (
	// ErrBadCredentials: wrong username or password. Which one is never said.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrDisabled: the account exists, the password is right, but it is disabled.
	ErrDisabled = errors.New("this account is disabled")
	// ErrInvalid: a field does not meet its rules; the message says how.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: no such account, session or token.
	ErrNotFound = store.ErrNotFound
	// ErrExists: the username is taken.
	ErrExists = errors.New("that username is taken")
	// ErrLastAdmin: the change would leave no enabled admin.
	ErrLastAdmin = errors.New("this is the last enabled admin account")
)

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	unitRE     = regexp.MustCompile(`^[\pL\pN][\pL\pN ._/-]{0,63}$`)
)

// invalid returns an ErrInvalid whose message is the catalog's text for key.
func invalid(key string, args ...any) error { return i18n.NewError(ErrInvalid, key, args...) }

// NewAccount is what it takes to create an account.
type NewAccount struct {
	Username    string
	DisplayName string
	Role        Role
	Unit        string
	// Password, if empty, is generated and returned by Create.
	Password string
	// MustChangePassword makes the person choose a new password at first
	// login; set it whenever someone other than them chose this one.
	MustChangePassword bool
}

func (n *NewAccount) normalise() error {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	n.Unit = strings.TrimSpace(n.Unit)
	if !usernameRE.MatchString(n.Username) {
		return invalid("auth.username_format")
	}
	if err := checkDisplayName(n.DisplayName); err != nil {
		return err
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return err
	}
	if n.Unit != "" && !unitRE.MatchString(n.Unit) {
		return invalid("auth.unit_format")
	}
	return nil
}

func checkDisplayName(s string) error {
	if utf8.RuneCountInString(s) > 100 {
		return invalid("auth.display_name_length")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid("auth.display_name_control")
		}
	}
	return nil
}

// Create adds an account, recording account.created by actor. It returns
// the account and its password (the one given, or a generated one).
func (s *Service) Create(ctx context.Context, actor ledger.Actor, n NewAccount) (Account, string, error) {
	if err := n.normalise(); err != nil {
		return Account{}, "", err
	}
	password := n.Password
	if password == "" {
		password = NewPassword()
	} else if err := CheckPassword(password, n.Username); err != nil {
		return Account{}, "", err
	}
	hash, err := HashPassword(password, s.cfg.Params)
	if err != nil {
		return Account{}, "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	a := Account{
		ID: id.New("acc"), Username: n.Username, DisplayName: n.DisplayName, Role: n.Role, Unit: n.Unit,
		MustChangePassword: n.MustChangePassword, CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO accounts (id, username, display_name, role, unit, password_hash, must_change_password, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			a.ID, a.Username, a.DisplayName, string(a.Role), a.Unit, hash, boolInt(a.MustChangePassword), store.Micros(now), store.Micros(now))
		if errors.Is(err, store.ErrConflict) {
			return ErrExists
		}
		if err != nil {
			return fmt.Errorf("auth: create account: %w", err)
		}
		_, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evAccountCreated, Actor: actor, Subject: subject(a.ID),
			Facts:   map[string]any{"role": string(a.Role)},
			Private: map[string]string{"account": a.ID, "username": a.Username, "display_name": a.DisplayName, "unit": a.Unit},
		})
		return err
	})
	if err != nil {
		return Account{}, "", err
	}
	return a, password, nil
}

// EnsureAdmin creates the first admin account ("admin", with a generated
// password that must be changed at first login) if there are no accounts
// at all. created says whether it did; the password is shown only then.
func (s *Service) EnsureAdmin(ctx context.Context) (a Account, password string, created bool, err error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n); err != nil {
		return a, "", false, fmt.Errorf("auth: count accounts: %w", err)
	}
	if n > 0 {
		return a, "", false, nil
	}
	a, password, err = s.Create(ctx, ledger.System, NewAccount{Username: "admin", DisplayName: "Administrator", Role: Admin, MustChangePassword: true})
	if errors.Is(err, ErrExists) { // another process won the race
		return a, "", false, nil
	}
	return a, password, err == nil, err
}

const (
	accountColumns  = "id, username, display_name, role, unit, must_change_password, disabled, created_at, updated_at"
	accountColumnsA = "a.id, a.username, a.display_name, a.role, a.unit, a.must_change_password, a.disabled, a.created_at, a.updated_at"
)

func scanAccount(scan func(...any) error) (Account, error) {
	var a Account
	var role string
	var mustChange, disabled int
	var created, updated int64
	if err := scan(&a.ID, &a.Username, &a.DisplayName, &role, &a.Unit, &mustChange, &disabled, &created, &updated); err != nil {
		return a, err
	}
	a.Role, a.MustChangePassword, a.Disabled = Role(role), mustChange != 0, disabled != 0
	a.CreatedAt, a.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return a, nil
}

// Get returns the account with the given ID, or an error wrapping
// ErrNotFound.
func (s *Service) Get(ctx context.Context, accountID string) (Account, error) {
	return s.getBy(ctx, s.db, "id", accountID)
}

// GetByUsername returns the account with the given username, or an error
// wrapping ErrNotFound.
func (s *Service) GetByUsername(ctx context.Context, username string) (Account, error) {
	return s.getBy(ctx, s.db, "username", strings.ToLower(strings.TrimSpace(username)))
}

func (s *Service) getBy(ctx context.Context, q store.Querier, col, v string) (Account, error) {
	a, err := scanAccount(q.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE "+col+" = ?", v).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("auth: account: %w", ErrNotFound)
	}
	return a, err
}

// List returns every account, by username.
func (s *Service) List(ctx context.Context) ([]Account, error) {
	rows, err := s.db.Query(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("auth: list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountByRole returns how many enabled accounts hold each role.
func (s *Service) CountByRole(ctx context.Context) (map[Role]int, error) {
	rows, err := s.db.Query(ctx, "SELECT role, COUNT(*) FROM accounts WHERE disabled = 0 GROUP BY role")
	if err != nil {
		return nil, fmt.Errorf("auth: count accounts: %w", err)
	}
	defer rows.Close()
	out := map[Role]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[Role(r)] = n
	}
	return out, rows.Err()
}

// update changes one account in a transaction: f gets the account as it is
// now (locked against concurrent change on PostgreSQL) and returns the
// event to record, or nil to change nothing.
func (s *Service) update(ctx context.Context, accountID string, f func(tx *store.Tx, a Account) (*ledger.Event, error)) (Account, error) {
	var out Account
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		lock := ""
		if tx.Kind() == store.Postgres {
			lock = " FOR UPDATE"
		}
		a, err := scanAccount(tx.QueryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id = ?"+lock, accountID).Scan)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("auth: account: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		ev, err := f(tx, a)
		if err != nil || ev == nil {
			out = a
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET updated_at = ? WHERE id = ?", store.Micros(s.now()), accountID); err != nil {
			return err
		}
		ev.Subject = subject(accountID)
		if ev.Private == nil {
			ev.Private = map[string]string{}
		}
		ev.Private["account"] = accountID
		if _, err := s.outbox.Record(ctx, tx, *ev); err != nil {
			return err
		}
		out, err = s.getBy(ctx, tx, "id", accountID)
		return err
	})
	return out, err
}

// enabledAdmins counts the enabled admins other than accountID.
func enabledAdminsBesides(ctx context.Context, tx *store.Tx, accountID string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM accounts WHERE role = ? AND disabled = 0 AND id <> ?", string(Admin), accountID).Scan(&n)
	return n, err
}

// SetRole changes an account's role. The last enabled admin keeps theirs.
func (s *Service) SetRole(ctx context.Context, actor ledger.Actor, accountID string, role Role) (Account, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Account{}, err
	}
	return s.update(ctx, accountID, func(tx *store.Tx, a Account) (*ledger.Event, error) {
		if a.Role == role {
			return nil, nil
		}
		if a.Role == Admin && !a.Disabled {
			if n, err := enabledAdminsBesides(ctx, tx, a.ID); err != nil {
				return nil, err
			} else if n == 0 {
				return nil, ErrLastAdmin
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET role = ? WHERE id = ?", string(role), a.ID); err != nil {
			return nil, err
		}
		// A new role is a new set of powers: sign the account out everywhere.
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = ?", a.ID); err != nil {
			return nil, err
		}
		return &ledger.Event{Kind: evRoleChanged, Actor: actor, Facts: map[string]any{"from": string(a.Role), "to": string(role)}}, nil
	})
}

// SetUnit changes an account's unit.
func (s *Service) SetUnit(ctx context.Context, actor ledger.Actor, accountID, unit string) (Account, error) {
	unit = strings.TrimSpace(unit)
	if unit != "" && !unitRE.MatchString(unit) {
		return Account{}, invalid("auth.unit_format")
	}
	return s.update(ctx, accountID, func(tx *store.Tx, a Account) (*ledger.Event, error) {
		if a.Unit == unit {
			return nil, nil
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET unit = ? WHERE id = ?", unit, a.ID); err != nil {
			return nil, err
		}
		return &ledger.Event{Kind: evUnitChanged, Actor: actor, Private: map[string]string{"unit": unit}}, nil
	})
}

// SetDisabled disables or re-enables an account. Disabling signs it out
// everywhere and revokes nothing else: its tokens stop working while it is
// disabled. Nobody disables themselves, and the last admin stays.
func (s *Service) SetDisabled(ctx context.Context, actor ledger.Actor, accountID string, disabled bool) (Account, error) {
	if disabled && actor.Account == accountID {
		return Account{}, invalid("auth.disable_self")
	}
	return s.update(ctx, accountID, func(tx *store.Tx, a Account) (*ledger.Event, error) {
		if a.Disabled == disabled {
			return nil, nil
		}
		if disabled && a.Role == Admin {
			if n, err := enabledAdminsBesides(ctx, tx, a.ID); err != nil {
				return nil, err
			} else if n == 0 {
				return nil, ErrLastAdmin
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE accounts SET disabled = ? WHERE id = ?", boolInt(disabled), a.ID); err != nil {
			return nil, err
		}
		kind := evEnabled
		if disabled {
			kind = evDisabled
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = ?", a.ID); err != nil {
				return nil, err
			}
		}
		return &ledger.Event{Kind: kind, Actor: actor, Facts: map[string]any{"role": string(a.Role)}}, nil
	})
}

// ChangePassword lets a person replace their own password, proving they
// know the current one. Their other sessions end.
func (s *Service) ChangePassword(ctx context.Context, accountID, current, next string, keepSession []byte) error {
	var hash string
	if err := store.Scan(s.db.QueryRow(ctx, "SELECT password_hash FROM accounts WHERE id = ?", accountID), &hash); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if ok, err := VerifyPassword(current, hash); err != nil || !ok {
		return invalid("auth.current_password_wrong")
	}
	if current == next {
		return invalid("auth.password_same")
	}
	return s.setPassword(ctx, Actor{}, accountID, next, false, keepSession)
}

// ResetPassword sets a new password chosen by an admin (actor), who must
// not be the account itself; the person must change it at next login. An
// empty password is generated. It returns the password.
func (s *Service) ResetPassword(ctx context.Context, actor ledger.Actor, accountID, password string) (string, error) {
	if password == "" {
		password = NewPassword()
	}
	return password, s.setPassword(ctx, actor, accountID, password, true, nil)
}

// Actor is a ledger actor; the zero Actor means "the account itself".
type Actor = ledger.Actor

func (s *Service) setPassword(ctx context.Context, actor ledger.Actor, accountID, password string, byAdmin bool, keepSession []byte) error {
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, a.Username); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Params)
	if err != nil {
		return err
	}
	if actor.Role == "" {
		actor = a.Actor()
	}
	_, err = s.update(ctx, accountID, func(tx *store.Tx, a Account) (*ledger.Event, error) {
		if _, err := tx.Exec(ctx, "UPDATE accounts SET password_hash = ?, must_change_password = ? WHERE id = ?", hash, boolInt(byAdmin), a.ID); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?", a.ID, nonNil(keepSession)); err != nil {
			return nil, err
		}
		return &ledger.Event{Kind: evPasswordSet, Actor: actor, Facts: map[string]any{"by_admin": byAdmin}}, nil
	})
	return err
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

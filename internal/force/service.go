package force

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Errors force returns; check them with errors.Is. Most come wrapped in
// an *i18n.Error whose message says, in the reader's language, what was
// wrong.
var (
	// ErrInvalid means a field breaks its rules.
	ErrInvalid = errors.New("invalid")
	// ErrForbidden means the account may not do this (its role, or its
	// unit).
	ErrForbidden = errors.New("not allowed")
	// ErrConflict means the record's state refuses the change: a zero
	// report for a month with incidents, a second zero report, a flag
	// already dealt with.
	ErrConflict = errors.New("conflict")
	// ErrNotFound means there is no such record, or none the account may
	// see: a report outside one's view is not found, so that its
	// existence is not disclosed.
	ErrNotFound = store.ErrNotFound
)

// Who may do what.
var (
	// CanReport is who reports uses of force: those who carry weapons.
	CanReport = []auth.Role{auth.Officer, auth.Commander}
	// CanRecordCertificates is who keeps the training register: a
	// commander for the members of their own unit, an admin for anyone.
	CanRecordCertificates = []auth.Role{auth.Commander, auth.Admin}
	// CanReadAll is who sees every report, certificate and zero report.
	CanReadAll = []auth.Role{auth.Oversight, auth.Admin}
	// CanRead is who sees any report at all: officers their own,
	// commanders their unit's, CanReadAll everything.
	CanRead = []auth.Role{auth.Officer, auth.Commander, auth.Oversight, auth.Admin}
	// CanOversee is who reviews flagged uses and refers incidents to
	// investigations: the independent oversight body.
	CanOversee = []auth.Role{auth.Oversight}
	// CanFileZero is who files a unit's monthly zero report.
	CanFileZero = []auth.Role{auth.Commander}
	// CanSeeExactStats is who sees statistics without small-cell
	// suppression.
	CanSeeExactStats = []auth.Role{auth.Oversight}
	// carriers are the roles that carry weapons and so need training.
	carriers = []auth.Role{auth.Officer, auth.Commander}
)

// Service keeps the training register and the use-of-force record.
type Service struct {
	db     *store.DB
	outbox *ledger.Outbox
	now    func() time.Time
}

// NewService returns the service over db, recording events in outbox.
func NewService(db *store.DB, outbox *ledger.Outbox) *Service {
	return &Service{db: db, outbox: outbox, now: time.Now}
}

// The service is what the assembly register asks about training.
var _ assembly.Training = (*Service)(nil)

func invalid(key string, args ...any) error   { return i18n.NewError(ErrInvalid, key, args...) }
func forbidden(key string, args ...any) error { return i18n.NewError(ErrForbidden, key, args...) }
func conflict(key string, args ...any) error  { return i18n.NewError(ErrConflict, key, args...) }

// IsWeapon reports whether w is one of assembly.Weapons.
func IsWeapon(w string) bool { return slices.Contains(assembly.Weapons, w) }

// UnitKey is how units are compared: without regard to case or spacing,
// as auth.SeparateDuties compares them. The empty unit has the empty key.
func UnitKey(unit string) string { return strings.ToLower(strings.Join(strings.Fields(unit), "")) }

// checkText trims v and checks its length in characters and that it holds
// no control characters but line breaks and tabs.
func checkText(v *string, min, max int, key string) error {
	*v = strings.TrimSpace(*v)
	n := utf8.RuneCountInString(*v)
	if n < min || n > max || strings.ContainsFunc(*v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) {
		return invalid(key, "min", min, "max", max)
	}
	return nil
}

// monthLayout is how months are written.
const monthLayout = "2006-01"

// MonthOf is the UTC calendar month of t, as YYYY-MM.
func MonthOf(t time.Time) string { return t.UTC().Format(monthLayout) }

// ParseMonth reads a YYYY-MM month, returning its first instant in UTC.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse(monthLayout, strings.TrimSpace(s))
	if err != nil || t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, invalid("force.month_format")
	}
	return t, nil
}

// member is an account as force needs it.
type member struct {
	ID, Username, DisplayName string
	Role                      auth.Role
	Unit                      string
	Disabled                  bool
}

// memberOf reads one account, or an error wrapping ErrNotFound.
func memberOf(ctx context.Context, q store.Querier, accountID string) (member, error) {
	var m member
	var role string
	var disabled int
	err := q.QueryRow(ctx, "SELECT id, username, display_name, role, unit, disabled FROM accounts WHERE id = ?", accountID).
		Scan(&m.ID, &m.Username, &m.DisplayName, &role, &m.Unit, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("force: account %s: %w", accountID, ErrNotFound)
	}
	m.Role, m.Disabled = auth.Role(role), disabled != 0
	return m, err
}

// lockUnit serialises, on PostgreSQL, the transactions that add incidents
// or zero reports for one unit, so that a zero report and an incident for
// the same month cannot both slip in unseen by each other. SQLite runs
// one writer at a time anyway.
func lockUnit(ctx context.Context, tx *store.Tx, unitKey string) error {
	if tx.Kind() != store.Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("vigil/force/unit\x00" + unitKey))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("force: lock unit: %w", err)
	}
	return nil
}

// forUpdate is the row-locking suffix for reads that precede a change.
func forUpdate(q store.Querier) string {
	if q.Kind() == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.FromMicros(v.Int64)
	return &t
}

// placeholders returns "?, ?, ?" for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

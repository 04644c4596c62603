package force

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Certificate is an officer's training certificate for one weapon type
// (A/HRC/44/24 paras. 46 and 53(m): training on each type of device).
type Certificate struct {
	ID string
	// AccountID is the holder: an officer's or commander's account.
	AccountID string
	Weapon    string
	// IssuedOn is when it starts to hold; ExpiresOn is the first instant
	// at which it no longer does.
	IssuedOn, ExpiresOn time.Time
	// Issuer is who trained and certified the holder; Reference is the
	// certificate's own number, if it has one. Both private.
	Issuer, Reference string
	RecordedBy        string
	RecordedAt        time.Time
	// RevokedAt is set once the certificate is revoked; it holds no longer
	// from then on.
	RevokedAt    *time.Time
	RevokedBy    string
	RevokeReason string

	// The holder as they are now, for display.
	HolderUsername, HolderName, HolderUnit string
	HolderRole                             auth.Role
}

// ValidAt reports whether the certificate holds at t: issued, not expired
// and not (yet) revoked.
func (c Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.IssuedOn) && t.Before(c.ExpiresOn) && (c.RevokedAt == nil || t.Before(*c.RevokedAt))
}

// NewCertificate is what it takes to record a certificate.
type NewCertificate struct {
	AccountID           string
	Weapon              string
	IssuedOn, ExpiresOn time.Time
	Issuer              string
	Reference           string
}

// MaxCertificateYears is the longest a certificate may hold: training on
// a weapon is refreshed at least this often.
const MaxCertificateYears = 5

// RecordCertificate adds a certificate to the register. A commander
// records certificates for the members of their own unit, an admin for
// anyone; nobody records their own. The holder must be an enabled officer
// or commander.
func (s *Service) RecordCertificate(ctx context.Context, by auth.Account, n NewCertificate) (Certificate, error) {
	if !by.Role.Is(CanRecordCertificates...) {
		return Certificate{}, forbidden("force.forbidden_certificates")
	}
	n.AccountID = strings.TrimSpace(n.AccountID)
	switch {
	case !IsWeapon(n.Weapon):
		return Certificate{}, invalid("force.weapon", "weapons", strings.Join(assembly.Weapons, ", "))
	case n.IssuedOn.IsZero() || n.ExpiresOn.IsZero() || !n.ExpiresOn.After(n.IssuedOn):
		return Certificate{}, invalid("force.certificate_dates")
	case n.ExpiresOn.After(n.IssuedOn.AddDate(MaxCertificateYears, 0, 1)):
		return Certificate{}, invalid("force.certificate_too_long", "years", MaxCertificateYears)
	case n.IssuedOn.After(s.now().Add(24 * time.Hour)):
		return Certificate{}, invalid("force.certificate_future")
	}
	if err := checkText(&n.Issuer, 2, 200, "force.certificate_issuer"); err != nil {
		return Certificate{}, err
	}
	if err := checkText(&n.Reference, 0, 100, "force.certificate_reference"); err != nil {
		return Certificate{}, err
	}
	if n.AccountID == by.ID {
		return Certificate{}, forbidden("force.certificate_self")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c := Certificate{
		ID: id.New("fce"), AccountID: n.AccountID, Weapon: n.Weapon, IssuedOn: n.IssuedOn.UTC(), ExpiresOn: n.ExpiresOn.UTC(),
		Issuer: n.Issuer, Reference: n.Reference, RecordedBy: by.ID, RecordedAt: now,
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		holder, err := memberOf(ctx, tx, n.AccountID)
		if errors.Is(err, ErrNotFound) {
			return invalid("force.certificate_holder")
		}
		if err != nil {
			return err
		}
		if !holder.Role.Is(carriers...) || holder.Disabled {
			return invalid("force.certificate_holder")
		}
		if by.Role == auth.Commander && (UnitKey(by.Unit) == "" || UnitKey(holder.Unit) != UnitKey(by.Unit)) {
			return forbidden("force.certificate_other_unit")
		}
		c.HolderUsername, c.HolderName, c.HolderUnit, c.HolderRole = holder.Username, holder.DisplayName, holder.Unit, holder.Role
		if _, err := tx.Exec(ctx, `INSERT INTO force_certificates (id, account_id, weapon, issued_on, expires_on, issuer, reference, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.AccountID, c.Weapon, store.Micros(c.IssuedOn), store.Micros(c.ExpiresOn), c.Issuer, c.Reference, by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("force: record certificate: %w", err)
		}
		_, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evCertificateRecorded, Actor: by.Actor(), Subject: certificateSubject(c.ID),
			Facts:   map[string]any{"certificate": c.ID, "weapon": c.Weapon, "issued_on": c.IssuedOn, "expires_on": c.ExpiresOn},
			Private: map[string]string{"holder": c.AccountID, "unit": holder.Unit, "issuer": c.Issuer, "reference": c.Reference},
		})
		return err
	})
	if err != nil {
		return Certificate{}, err
	}
	return c, nil
}

// RevokeCertificate ends a certificate from now on, with a reason: the
// holder failed a refresher, the certificate was recorded in error. Uses
// of force already reported keep the training status they were reported
// with. The same people who record certificates revoke them.
func (s *Service) RevokeCertificate(ctx context.Context, by auth.Account, certificateID, reason string) (Certificate, error) {
	if !by.Role.Is(CanRecordCertificates...) {
		return Certificate{}, forbidden("force.forbidden_certificates")
	}
	if err := checkText(&reason, 10, 1000, "force.revoke_reason"); err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.certificate(ctx, tx, certificateID, true)
		if err != nil {
			return err
		}
		if by.Role == auth.Commander && (UnitKey(by.Unit) == "" || UnitKey(c.HolderUnit) != UnitKey(by.Unit)) {
			return forbidden("force.certificate_other_unit")
		}
		if c.RevokedAt != nil {
			return conflict("force.certificate_revoked")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, "UPDATE force_certificates SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
			store.Micros(now), by.ID, reason, c.ID); err != nil {
			return fmt.Errorf("force: revoke certificate: %w", err)
		}
		if _, err := s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evCertificateRevoked, Actor: by.Actor(), Subject: certificateSubject(c.ID),
			Facts:   map[string]any{"certificate": c.ID, "weapon": c.Weapon},
			Private: map[string]string{"holder": c.AccountID, "reason": reason},
		}); err != nil {
			return err
		}
		c.RevokedAt, c.RevokedBy, c.RevokeReason = &now, by.ID, reason
		out = c
		return nil
	})
	return out, err
}

const certificateColumns = `c.id, c.account_id, c.weapon, c.issued_on, c.expires_on, c.issuer, c.reference, c.recorded_by, c.recorded_at,
	c.revoked_at, c.revoked_by, c.revoke_reason, a.username, a.display_name, a.unit, a.role`

func scanCertificate(f func(...any) error) (Certificate, error) {
	var c Certificate
	var issued, expires, recorded int64
	var revoked sql.NullInt64
	var revokedBy sql.NullString
	var role string
	if err := f(&c.ID, &c.AccountID, &c.Weapon, &issued, &expires, &c.Issuer, &c.Reference, &c.RecordedBy, &recorded,
		&revoked, &revokedBy, &c.RevokeReason, &c.HolderUsername, &c.HolderName, &c.HolderUnit, &role); err != nil {
		return c, err
	}
	c.IssuedOn, c.ExpiresOn, c.RecordedAt = store.FromMicros(issued), store.FromMicros(expires), store.FromMicros(recorded)
	c.RevokedAt, c.RevokedBy, c.HolderRole = timePtr(revoked), revokedBy.String, auth.Role(role)
	return c, nil
}

func (s *Service) certificate(ctx context.Context, q store.Querier, certificateID string, lock bool) (Certificate, error) {
	suffix := ""
	if lock && q.Kind() == store.Postgres {
		suffix = " FOR UPDATE OF c"
	}
	c, err := scanCertificate(q.QueryRow(ctx, "SELECT "+certificateColumns+" FROM force_certificates c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?"+suffix, certificateID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("force: certificate %s: %w", certificateID, ErrNotFound)
	}
	return c, err
}

// CertificateQuery selects certificates.
type CertificateQuery struct {
	// AccountID limits the list to one holder's certificates.
	AccountID string
	// Unit limits the list to the current members of one unit.
	Unit string
	// Weapon limits the list to one weapon type.
	Weapon string
	// CurrentAt, if set, keeps only certificates valid at that time.
	CurrentAt time.Time
}

// Certificates lists certificates, by holder and weapon, newest first. An
// officer sees their own; a commander their unit's members' (and their
// own); oversight and admins everyone's.
func (s *Service) Certificates(ctx context.Context, viewer auth.Account, q CertificateQuery) ([]Certificate, error) {
	where, args := []string{"1 = 1"}, []any{}
	switch {
	case viewer.Role.Is(CanReadAll...):
	case viewer.Role == auth.Commander:
		if q.Unit != "" && UnitKey(q.Unit) != UnitKey(viewer.Unit) {
			return nil, forbidden("force.forbidden_other_unit")
		}
		if q.Unit == "" {
			q.Unit = viewer.Unit
		}
		if UnitKey(q.Unit) == "" {
			where, args = append(where, "c.account_id = ?"), append(args, viewer.ID)
		}
	case viewer.Role == auth.Officer:
		if q.AccountID != "" && q.AccountID != viewer.ID {
			return nil, forbidden("force.forbidden_others_certificates")
		}
		q.AccountID = viewer.ID
	default:
		return nil, forbidden("force.forbidden_read")
	}
	if q.AccountID != "" {
		where, args = append(where, "c.account_id = ?"), append(args, q.AccountID)
	}
	if UnitKey(q.Unit) != "" {
		// Units compare without regard to case or spacing, which SQL does
		// not do alike on every engine: find the members here.
		members, err := s.unitAccounts(ctx, q.Unit)
		if err != nil {
			return nil, err
		}
		if viewer.Role == auth.Commander {
			members = append(members, viewer.ID) // and their own, whatever their unit
		}
		where = append(where, "c.account_id IN ("+placeholders(len(members))+")")
		for _, id := range members {
			args = append(args, id)
		}
	}
	if q.Weapon != "" {
		where, args = append(where, "c.weapon = ?"), append(args, q.Weapon)
	}
	if !q.CurrentAt.IsZero() {
		at := store.Micros(q.CurrentAt)
		where, args = append(where, "c.issued_on <= ? AND c.expires_on > ? AND (c.revoked_at IS NULL OR c.revoked_at > ?)"), append(args, at, at, at)
	}
	rows, err := s.db.Query(ctx, "SELECT "+certificateColumns+" FROM force_certificates c JOIN accounts a ON a.id = c.account_id WHERE "+
		strings.Join(where, " AND ")+" ORDER BY a.username, c.weapon, c.expires_on DESC, c.id", args...)
	if err != nil {
		return nil, fmt.Errorf("force: certificates: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scanCertificate(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// unitAccounts lists the IDs of every account, enabled or not, whose unit
// compares equal to unit.
func (s *Service) unitAccounts(ctx context.Context, unit string) ([]string, error) {
	rows, err := s.db.Query(ctx, "SELECT id, unit FROM accounts WHERE unit <> ''")
	if err != nil {
		return nil, fmt.Errorf("force: unit accounts: %w", err)
	}
	defer rows.Close()
	key := UnitKey(unit)
	out := []string{""} // never an empty IN list
	for rows.Next() {
		var id, u string
		if err := rows.Scan(&id, &u); err != nil {
			return nil, err
		}
		if UnitKey(u) == key {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// Certificate returns one certificate if viewer may see it, or an error
// wrapping ErrNotFound.
func (s *Service) Certificate(ctx context.Context, viewer auth.Account, certificateID string) (Certificate, error) {
	c, err := s.certificate(ctx, s.db, certificateID, false)
	if err != nil {
		return c, err
	}
	switch {
	case viewer.Role.Is(CanReadAll...), c.AccountID == viewer.ID,
		viewer.Role == auth.Commander && UnitKey(viewer.Unit) != "" && UnitKey(viewer.Unit) == UnitKey(c.HolderUnit):
		return c, nil
	}
	return Certificate{}, fmt.Errorf("force: certificate %s: %w", certificateID, ErrNotFound)
}

// certificateAt returns the ID of a certificate that the account holds for
// weapon at t (the one that holds longest), or "" if it holds none.
func certificateAt(ctx context.Context, q store.Querier, accountID, weapon string, t time.Time) (string, error) {
	at := store.Micros(t)
	var certID string
	err := q.QueryRow(ctx, `SELECT id FROM force_certificates WHERE account_id = ? AND weapon = ? AND issued_on <= ? AND expires_on > ?
		AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY expires_on DESC, id LIMIT 1`, accountID, weapon, at, at, at).Scan(&certID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("force: training check: %w", err)
	}
	return certID, nil
}

// OfficerTrained reports whether the account held a certificate for weapon
// that was valid at t.
func (s *Service) OfficerTrained(ctx context.Context, accountID, weapon string, at time.Time) (bool, error) {
	if !IsWeapon(weapon) {
		return false, nil
	}
	certID, err := certificateAt(ctx, s.db, accountID, weapon, at)
	return certID != "", err
}

// Member is a unit's member and whether they hold a certificate for a
// weapon at a time.
type Member struct {
	AccountID, Username, DisplayName string
	Role                             auth.Role
	Unit                             string
	// CertificateID is the certificate that holds, or "" if none does.
	CertificateID string
}

// Trained reports whether the member holds a valid certificate.
func (m Member) Trained() bool { return m.CertificateID != "" }

// UnitTraining is how a unit stands for one weapon at one time.
type UnitTraining struct {
	Unit    string
	Weapon  string
	At      time.Time
	Members []Member
}

// Trained is the unit rule: a unit is trained for a weapon at a time when
// it has at least one member (an enabled officer or commander account of
// that unit) and every member holds a certificate for that weapon valid
// at that time. One untrained member makes the whole unit untrained,
// since a unit deployed with a weapon cannot promise which of its members
// will use it (A/HRC/44/24 para. 53(m)). Disabled accounts are not
// members.
func (u UnitTraining) Trained() bool {
	if len(u.Members) == 0 {
		return false
	}
	for _, m := range u.Members {
		if !m.Trained() {
			return false
		}
	}
	return true
}

// Untrained lists the members without a valid certificate.
func (u UnitTraining) Untrained() []Member {
	var out []Member
	for _, m := range u.Members {
		if !m.Trained() {
			out = append(out, m)
		}
	}
	return out
}

// UnitTrainingFor returns how unit stands for weapon at t: its members,
// each with the certificate that holds, if any.
func (s *Service) UnitTrainingFor(ctx context.Context, unit, weapon string, at time.Time) (UnitTraining, error) {
	u := UnitTraining{Unit: strings.TrimSpace(unit), Weapon: weapon, At: at}
	key := UnitKey(unit)
	if key == "" || !IsWeapon(weapon) {
		return u, nil
	}
	t := store.Micros(at)
	rows, err := s.db.Query(ctx, `SELECT a.id, a.username, a.display_name, a.role, a.unit,
		(SELECT c.id FROM force_certificates c WHERE c.account_id = a.id AND c.weapon = ? AND c.issued_on <= ? AND c.expires_on > ?
			AND (c.revoked_at IS NULL OR c.revoked_at > ?) ORDER BY c.expires_on DESC, c.id LIMIT 1)
		FROM accounts a WHERE a.disabled = 0 AND a.role IN (?, ?) AND a.unit <> '' ORDER BY a.username`,
		weapon, t, t, t, string(auth.Officer), string(auth.Commander))
	if err != nil {
		return u, fmt.Errorf("force: unit training: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		var role string
		var cert sql.NullString
		if err := rows.Scan(&m.AccountID, &m.Username, &m.DisplayName, &role, &m.Unit, &cert); err != nil {
			return u, err
		}
		if UnitKey(m.Unit) != key {
			continue
		}
		m.Role, m.CertificateID = auth.Role(role), cert.String
		u.Members = append(u.Members, m)
	}
	return u, rows.Err()
}

// UnitTrained implements assembly.Training with the unit rule of
// UnitTraining.Trained: true only if the unit has at least one enabled
// officer or commander and every one of them holds a certificate for
// weapon valid at at. An unknown weapon or an empty unit is never trained.
func (s *Service) UnitTrained(ctx context.Context, unit, weapon string, at time.Time) (bool, error) {
	u, err := s.UnitTrainingFor(ctx, unit, weapon, at)
	if err != nil {
		return false, err
	}
	return u.Trained(), nil
}

// Readiness is how many of a unit's members are trained for one weapon.
type Readiness struct {
	Weapon           string
	Members, Trained int
}

// UnitReadiness returns, for every weapon type, how many of the unit's
// members hold a valid certificate at t.
func (s *Service) UnitReadiness(ctx context.Context, unit string, at time.Time) ([]Readiness, error) {
	out := make([]Readiness, 0, len(assembly.Weapons))
	for _, w := range assembly.Weapons {
		u, err := s.UnitTrainingFor(ctx, unit, w, at)
		if err != nil {
			return nil, err
		}
		r := Readiness{Weapon: w, Members: len(u.Members)}
		for _, m := range u.Members {
			if m.Trained() {
				r.Trained++
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Members returns the enabled officers and commanders of a unit, or of
// every unit if unit is empty, by username: those a certificate may be
// recorded for.
func (s *Service) Members(ctx context.Context, unit string) ([]Member, error) {
	rows, err := s.db.Query(ctx, "SELECT id, username, display_name, role, unit FROM accounts WHERE disabled = 0 AND role IN (?, ?) ORDER BY username",
		string(auth.Officer), string(auth.Commander))
	if err != nil {
		return nil, fmt.Errorf("force: members: %w", err)
	}
	defer rows.Close()
	key := UnitKey(unit)
	var out []Member
	for rows.Next() {
		var m Member
		var role string
		if err := rows.Scan(&m.AccountID, &m.Username, &m.DisplayName, &role, &m.Unit); err != nil {
			return nil, err
		}
		if key != "" && UnitKey(m.Unit) != key {
			continue
		}
		m.Role = auth.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

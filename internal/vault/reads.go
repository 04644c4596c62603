package vault

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
)

// Oversight's register of reads: every read of every item's content, who
// read it, when, for what purpose and on what basis. Each item's custody
// record shows its own reads to those who may see the item; the register
// shows them all, to oversight alone, since it names the readers.

// RecipientRole is the role a read by a share's recipient is recorded
// under: the recipient is an outside authority with no account.
const RecipientRole = "recipient"

// readerRoles are the roles a read may be recorded under.
func readerRoles() []string {
	out := make([]string, 0, len(auth.Roles)+1)
	for _, r := range auth.Roles {
		out = append(out, string(r))
	}
	return append(out, RecipientRole)
}

var basisKinds = []string{BasisDeployment, BasisCase, BasisSubmitter, BasisShare}

// ReadFilter selects reads in the register. Zero fields select all.
type ReadFilter struct {
	// Before pages: only reads whose ID is below it (the ID of the last
	// read of the previous page).
	Before int64
	// Role is the role the read was recorded under: an account's role, or
	// RecipientRole.
	Role      string
	Action    string
	BasisKind string
	ItemID    string
	AccountID string
	// From and To bound the time of the read: from From, inclusive, to
	// To, exclusive.
	From, To time.Time
	// Limit is how many reads to return: 100 if zero, at most 500.
	Limit int
}

// Check returns ErrInvalid, with a message that names the value, for a
// role, action or basis kind that no read can have, or a period that ends
// before it starts.
func (f ReadFilter) Check() error {
	if f.Role != "" && !slices.Contains(readerRoles(), f.Role) {
		return invalid("vault.read_role", "role", f.Role, "roles", strings.Join(readerRoles(), ", "))
	}
	if f.Action != "" && !slices.Contains(actions, f.Action) {
		return invalid("vault.action", "action", f.Action)
	}
	if f.BasisKind != "" && !slices.Contains(basisKinds, f.BasisKind) {
		return invalid("vault.read_basis", "basis", f.BasisKind)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return invalid("vault.read_period")
	}
	return nil
}

// MaxReads bounds one page of the register.
const MaxReads = 500

// Reads lists the reads f selects, newest first, with the reader's
// username and display name, and, for a read on a case's basis, the
// case's reference. Only oversight may: anyone else gets ErrForbidden. A
// filter Check refuses gets ErrInvalid.
func (v *Vault) Reads(ctx context.Context, by auth.Account, f ReadFilter) ([]AccessRecord, error) {
	if by.Role != auth.Oversight {
		return nil, forbidden("vault.reads_role")
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.Before > 0 {
		add("a.id < ?", f.Before)
	}
	if f.Role != "" {
		add("a.role = ?", f.Role)
	}
	if f.Action != "" {
		add("a.action = ?", f.Action)
	}
	if f.BasisKind != "" {
		add("a.basis_kind = ?", f.BasisKind)
	}
	if f.ItemID != "" {
		add("a.item_id = ?", f.ItemID)
	}
	if f.AccountID != "" {
		add("a.account_id = ?", f.AccountID)
	}
	if !f.From.IsZero() {
		add("a.at >= ?", store.Micros(f.From))
	}
	if !f.To.IsZero() {
		add("a.at < ?", store.Micros(f.To))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, MaxReads)
	query := `SELECT a.id, a.item_id, a.account_id, a.role, a.action, a.purpose, a.basis_kind, a.basis_id, a.at,
		u.username, u.display_name, c.reference
		FROM vault_accesses a
		LEFT JOIN accounts u ON u.id = a.account_id
		LEFT JOIN vault_cases c ON a.basis_kind = 'case' AND c.id = a.basis_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY a.id DESC LIMIT ?"
	rows, err := v.db.Query(ctx, query, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("vault: reads: %w", err)
	}
	defer rows.Close()
	var out []AccessRecord
	for rows.Next() {
		var a AccessRecord
		var account, username, name, reference sql.NullString
		var at int64
		if err := rows.Scan(&a.ID, &a.ItemID, &account, &a.Role, &a.Action, &a.Purpose, &a.Basis.Kind, &a.Basis.Ref, &at,
			&username, &name, &reference); err != nil {
			return nil, fmt.Errorf("vault: reads: %w", err)
		}
		a.AccountID, a.At = account.String, store.FromMicros(at)
		a.Username, a.DisplayName, a.CaseReference = username.String, name.String, reference.String
		out = append(out, a)
	}
	return out, rows.Err()
}

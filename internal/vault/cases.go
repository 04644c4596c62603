package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// A case is the lawful reason to keep items past their schedule and to
// read them: an investigation, a complaint, a court order. It holds named
// items until a date; its members are the people who work on it.

// Case kinds, and who opens each.
const (
	Investigation = "investigation" // police, under a commander
	Complaint     = "complaint"     // oversight, a support service or a monitor, for a victim
	CourtOrder    = "court_order"   // an independent authorizer
)

var caseOpeners = map[string][]auth.Role{
	Investigation: {auth.Commander},
	Complaint:     {auth.Oversight, auth.Moderator, auth.Monitor},
	CourtOrder:    {auth.Authorizer},
}

// MaxHold is the longest one hold may last; it can be renewed, each time
// on the record.
const MaxHold = 5 * 365 * 24 * time.Hour

// Case is a case as the vault holds it.
type Case struct {
	ID   string
	Kind string
	// Reference is the case's outside reference (a file number, a court
	// order's number). It is private.
	Reference string
	OpenedBy  string
	OpenedAt  time.Time
	ClosedAt  *time.Time
}

// Hold keeps an item past its schedule while its case needs it.
type Hold struct {
	ID         string
	CaseID     string
	ItemID     string
	Until      time.Time
	Reason     string
	PlacedBy   string
	PlacedAt   time.Time
	ReleasedAt *time.Time
}

// Active reports whether the hold still keeps its item at t.
func (h Hold) Active(t time.Time) bool { return h.ReleasedAt == nil && h.Until.After(t) }

// Member is a person working on a case.
type Member struct {
	AccountID string
	AddedBy   string
	AddedAt   time.Time
}

// OpenCase opens a case; its opener is its first member.
func (v *Vault) OpenCase(ctx context.Context, by auth.Account, kind, reference string) (Case, error) {
	roles, ok := caseOpeners[kind]
	if !ok {
		return Case{}, invalid("vault.case_kind", "kind", kind)
	}
	if !by.Role.Is(roles...) {
		return Case{}, forbidden("vault.case_open_role", "kind", kind)
	}
	reference = strings.TrimSpace(reference)
	if n := utf8.RuneCountInString(reference); n < 2 || n > 200 || strings.ContainsAny(reference, "\r\n") {
		return Case{}, invalid("vault.case_reference")
	}
	now := v.now().UTC().Truncate(time.Microsecond)
	c := Case{ID: id.New("case"), Kind: kind, Reference: reference, OpenedBy: by.ID, OpenedAt: now}
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO vault_cases (id, kind, reference, opened_by, opened_at) VALUES (?, ?, ?, ?, ?)",
			c.ID, c.Kind, c.Reference, c.OpenedBy, store.Micros(now)); err != nil {
			return fmt.Errorf("vault: open case: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO vault_case_members (case_id, account_id, added_by, added_at) VALUES (?, ?, ?, ?)",
			c.ID, by.ID, by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("vault: open case: %w", err)
		}
		_, err := v.outbox.Record(ctx, tx, ledger.Event{Kind: evCaseOpen, Actor: by.Actor(), Subject: "case:" + c.ID,
			Facts: map[string]any{"case": c.ID, "kind": c.Kind}, Private: map[string]string{"reference": c.Reference}})
		return err
	})
	return c, err
}

func scanCase(f func(...any) error) (Case, error) {
	var c Case
	var opened int64
	var closed sql.NullInt64
	if err := f(&c.ID, &c.Kind, &c.Reference, &c.OpenedBy, &opened, &closed); err != nil {
		return c, err
	}
	c.OpenedAt = store.FromMicros(opened)
	if closed.Valid {
		t := store.FromMicros(closed.Int64)
		c.ClosedAt = &t
	}
	return c, nil
}

const caseColumns = "id, kind, reference, opened_by, opened_at, closed_at"

func (v *Vault) getCase(ctx context.Context, q store.Querier, caseID string) (Case, error) {
	c, err := scanCase(q.QueryRow(ctx, "SELECT "+caseColumns+" FROM vault_cases WHERE id = ?", caseID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %s: %w", caseID, ErrNotFound)
	}
	return c, err
}

func (v *Vault) isMember(ctx context.Context, q store.Querier, caseID, accountID string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM vault_case_members WHERE case_id = ? AND account_id = ?", caseID, accountID).Scan(&n)
	return n > 0, err
}

// memberCase returns the case if by works on it (oversight sees every
// case), or ErrNotFound: whether a case exists is not told to outsiders.
func (v *Vault) memberCase(ctx context.Context, q store.Querier, by auth.Account, caseID string, needOpen bool) (Case, error) {
	c, err := v.getCase(ctx, q, caseID)
	if err != nil {
		return c, err
	}
	member, err := v.isMember(ctx, q, caseID, by.ID)
	if err != nil {
		return c, err
	}
	if !member {
		if by.Role == auth.Oversight && !needOpen {
			return c, nil
		}
		return Case{}, fmt.Errorf("case %s: %w", caseID, ErrNotFound)
	}
	if needOpen && c.ClosedAt != nil {
		return c, invalid("vault.case_closed")
	}
	return c, nil
}

// Case returns a case that by works on (or any, for oversight).
func (v *Vault) Case(ctx context.Context, by auth.Account, caseID string) (Case, error) {
	return v.memberCase(ctx, v.db, by, caseID, false)
}

// Cases lists the cases by works on, newest first; oversight sees all.
func (v *Vault) Cases(ctx context.Context, by auth.Account) ([]Case, error) {
	q := "SELECT " + caseColumns + " FROM vault_cases WHERE id IN (SELECT case_id FROM vault_case_members WHERE account_id = ?) ORDER BY opened_at DESC LIMIT 500"
	args := []any{by.ID}
	if by.Role == auth.Oversight {
		q, args = "SELECT "+caseColumns+" FROM vault_cases ORDER BY opened_at DESC LIMIT 500", nil
	}
	rows, err := v.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("vault: cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Members lists a case's members.
func (v *Vault) Members(ctx context.Context, by auth.Account, caseID string) ([]Member, error) {
	if _, err := v.memberCase(ctx, v.db, by, caseID, false); err != nil {
		return nil, err
	}
	rows, err := v.db.Query(ctx, "SELECT account_id, added_by, added_at FROM vault_case_members WHERE case_id = ? ORDER BY added_at, account_id", caseID)
	if err != nil {
		return nil, fmt.Errorf("vault: members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var at int64
		if err := rows.Scan(&m.AccountID, &m.AddedBy, &at); err != nil {
			return nil, err
		}
		m.AddedAt = store.FromMicros(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddMember adds an account to a case. Only members add members, and an
// administrator never joins one: administering Vigil is not a reason to
// read evidence.
func (v *Vault) AddMember(ctx context.Context, by auth.Account, caseID string, member auth.Account) error {
	if member.Role == auth.Admin || member.Disabled {
		return forbidden("vault.member_role")
	}
	return v.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := v.memberCase(ctx, tx, by, caseID, true)
		if err != nil {
			return err
		}
		if ok, err := v.isMember(ctx, tx, caseID, by.ID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("case %s: %w", caseID, ErrNotFound))
		}
		if ok, err := v.isMember(ctx, tx, caseID, member.ID); err != nil {
			return err
		} else if ok {
			return invalid("vault.member_already")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO vault_case_members (case_id, account_id, added_by, added_at) VALUES (?, ?, ?, ?)",
			c.ID, member.ID, by.ID, store.Micros(v.now())); err != nil {
			return fmt.Errorf("vault: add member: %w", err)
		}
		_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evCaseMember, Actor: by.Actor(), Subject: "case:" + c.ID,
			Facts: map[string]any{"case": c.ID, "role": string(member.Role)}, Private: map[string]string{"member": member.ID}})
		return err
	})
}

// CloseCase closes a case and releases every hold it has: its items go
// back to their schedules.
func (v *Vault) CloseCase(ctx context.Context, by auth.Account, caseID, reason string) error {
	if err := checkPurpose(&reason); err != nil {
		return invalid("vault.reason")
	}
	return v.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := v.memberCase(ctx, tx, by, caseID, true)
		if err != nil {
			return err
		}
		if ok, err := v.isMember(ctx, tx, caseID, by.ID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("case %s: %w", caseID, ErrNotFound))
		}
		holds, err := v.holds(ctx, tx, "case_id = ? AND released_at IS NULL", c.ID)
		if err != nil {
			return err
		}
		for _, h := range holds {
			if err := v.release(ctx, tx, by, h, reason); err != nil {
				return err
			}
		}
		now := v.now()
		if _, err := tx.Exec(ctx, "UPDATE vault_cases SET closed_at = ? WHERE id = ?", store.Micros(now), c.ID); err != nil {
			return fmt.Errorf("vault: close case: %w", err)
		}
		_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evCaseClosed, Actor: by.Actor(), Subject: "case:" + c.ID,
			Facts: map[string]any{"case": c.ID, "released": len(holds)}, Private: map[string]string{"reason": reason}})
		return err
	})
}

// canHold reports whether by may ask that an item be kept: oversight and
// authorizers for any item; the police for what the police captured; a
// person for what they submitted (or helped submit); anyone for an item a case of theirs
// already holds.
func (v *Vault) canHold(ctx context.Context, q store.Querier, by auth.Account, it Item) (bool, error) {
	switch {
	case by.Role.Is(auth.Oversight, auth.Authorizer):
		return true, nil
	case by.Role.Is(auth.Officer, auth.Commander) && it.UploaderRole.Is(auth.Officer, auth.Commander):
		return true, nil
	case it.UploadedBy == by.ID:
		return true, nil
	}
	if ok, err := inSubmission(ctx, q, by.ID, it.SubmissionID); err != nil || ok {
		return ok, err
	}
	return v.heldForMember(ctx, q, by.ID, it.ID, "")
}

// heldForMember reports whether an open case by is a member of actively
// holds the item (the case named, if caseID is set).
func (v *Vault) heldForMember(ctx context.Context, q store.Querier, accountID, itemID, caseID string) (bool, error) {
	query := `SELECT COUNT(*) FROM vault_holds h JOIN vault_cases c ON c.id = h.case_id JOIN vault_case_members m ON m.case_id = h.case_id
		WHERE h.item_id = ? AND m.account_id = ? AND h.released_at IS NULL AND h.until_at > ? AND c.closed_at IS NULL`
	args := []any{itemID, accountID, store.Micros(v.now())}
	if caseID != "" {
		query += " AND h.case_id = ?"
		args = append(args, caseID)
	}
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("vault: holds: %w", err)
	}
	return n > 0, nil
}

// PlaceHold keeps an item for a case until a date, with a reason. A
// second hold by the same case replaces the first.
func (v *Vault) PlaceHold(ctx context.Context, by auth.Account, caseID, itemID string, until time.Time, reason string) (Hold, error) {
	if err := checkPurpose(&reason); err != nil {
		return Hold{}, invalid("vault.reason")
	}
	now := v.now().UTC().Truncate(time.Microsecond)
	until = until.UTC().Truncate(time.Microsecond)
	if !until.After(now) {
		return Hold{}, invalid("vault.hold_past")
	}
	if until.After(now.Add(MaxHold)) {
		return Hold{}, invalid("vault.hold_too_long", "years", int(MaxHold.Hours()/24/365))
	}
	var h Hold
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		h, err = v.placeHold(ctx, tx, by, caseID, itemID, until, reason, now)
		return err
	})
	return h, err
}

func (v *Vault) placeHold(ctx context.Context, tx *store.Tx, by auth.Account, caseID, itemID string, until time.Time, reason string, now time.Time) (Hold, error) {
	c, err := v.memberCase(ctx, tx, by, caseID, true)
	if err != nil {
		return Hold{}, err
	}
	if ok, err := v.isMember(ctx, tx, c.ID, by.ID); err != nil || !ok {
		return Hold{}, errors.Join(err, fmt.Errorf("case %s: %w", caseID, ErrNotFound))
	}
	it, err := v.lockItem(ctx, tx, itemID)
	if err != nil {
		return Hold{}, err
	}
	if it.DestroyedAt != nil {
		return Hold{}, ErrShredded
	}
	if ok, err := v.canHold(ctx, tx, by, it); err != nil {
		return Hold{}, err
	} else if !ok {
		return Hold{}, forbidden("vault.hold_role")
	}
	// One active hold per case and item: a new one replaces it.
	prior, err := v.holds(ctx, tx, "case_id = ? AND item_id = ? AND released_at IS NULL", c.ID, it.ID)
	if err != nil {
		return Hold{}, err
	}
	for _, p := range prior {
		if _, err := tx.Exec(ctx, "UPDATE vault_holds SET released_at = ?, released_by = ? WHERE id = ?", store.Micros(now), by.ID, p.ID); err != nil {
			return Hold{}, fmt.Errorf("vault: hold: %w", err)
		}
	}
	h := Hold{ID: id.New("hold"), CaseID: c.ID, ItemID: it.ID, Until: until, Reason: reason, PlacedBy: by.ID, PlacedAt: now}
	if _, err := tx.Exec(ctx, "INSERT INTO vault_holds (id, case_id, item_id, until_at, reason, placed_by, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		h.ID, h.CaseID, h.ItemID, store.Micros(h.Until), h.Reason, h.PlacedBy, store.Micros(now)); err != nil {
		return Hold{}, fmt.Errorf("vault: hold: %w", err)
	}
	if err := v.reschedule(ctx, tx, it.ID); err != nil {
		return Hold{}, err
	}
	_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evHeld, Actor: by.Actor(), Subject: "item:" + it.ID,
		Facts:   map[string]any{"item": it.ID, "case": c.ID, "hold": h.ID, "until": h.Until, "replaces": len(prior) > 0},
		Private: map[string]string{"reason": reason}})
	return h, err
}

// ReleaseHold ends a hold early: its item goes back to its schedule, and
// is destroyed at the next sweep if that has passed and nothing else holds
// it.
func (v *Vault) ReleaseHold(ctx context.Context, by auth.Account, holdID, reason string) error {
	if err := checkPurpose(&reason); err != nil {
		return invalid("vault.reason")
	}
	return v.db.Tx(ctx, func(tx *store.Tx) error {
		hs, err := v.holds(ctx, tx, "id = ?", holdID)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			return fmt.Errorf("hold %s: %w", holdID, ErrNotFound)
		}
		h := hs[0]
		if _, err := v.memberCase(ctx, tx, by, h.CaseID, true); err != nil {
			return err
		}
		if ok, err := v.isMember(ctx, tx, h.CaseID, by.ID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("hold %s: %w", holdID, ErrNotFound))
		}
		if h.ReleasedAt != nil {
			return invalid("vault.hold_released")
		}
		return v.release(ctx, tx, by, h, reason)
	})
}

func (v *Vault) release(ctx context.Context, tx *store.Tx, by auth.Account, h Hold, reason string) error {
	if _, err := tx.Exec(ctx, "UPDATE vault_holds SET released_at = ?, released_by = ? WHERE id = ?", store.Micros(v.now()), by.ID, h.ID); err != nil {
		return fmt.Errorf("vault: release: %w", err)
	}
	if err := v.reschedule(ctx, tx, h.ItemID); err != nil {
		return err
	}
	_, err := v.outbox.Record(ctx, tx, ledger.Event{Kind: evReleased, Actor: by.Actor(), Subject: "item:" + h.ItemID,
		Facts: map[string]any{"item": h.ItemID, "case": h.CaseID, "hold": h.ID}, Private: map[string]string{"reason": reason}})
	return err
}

// reschedule sets when the sweep destroys an item: the end of its
// schedule, or of the longest hold on it.
func (v *Vault) reschedule(ctx context.Context, tx *store.Tx, itemID string) error {
	_, err := tx.Exec(ctx, `UPDATE vault_items SET due_at = (SELECT MAX(t) FROM (
		SELECT retain_until AS t FROM vault_items WHERE id = ?
		UNION ALL SELECT until_at AS t FROM vault_holds WHERE item_id = ? AND released_at IS NULL) AS candidates)
		WHERE id = ?`, itemID, itemID, itemID)
	if err != nil {
		return fmt.Errorf("vault: reschedule: %w", err)
	}
	return nil
}

const holdColumns = "id, case_id, item_id, until_at, reason, placed_by, placed_at, released_at"

func (v *Vault) holds(ctx context.Context, q store.Querier, where string, args ...any) ([]Hold, error) {
	rows, err := q.Query(ctx, "SELECT "+holdColumns+" FROM vault_holds WHERE "+where+" ORDER BY placed_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("vault: holds: %w", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var until, placed int64
		var released sql.NullInt64
		if err := rows.Scan(&h.ID, &h.CaseID, &h.ItemID, &until, &h.Reason, &h.PlacedBy, &placed, &released); err != nil {
			return nil, err
		}
		h.Until, h.PlacedAt = store.FromMicros(until), store.FromMicros(placed)
		if released.Valid {
			t := store.FromMicros(released.Int64)
			h.ReleasedAt = &t
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// CaseHolds lists a case's holds, released ones included.
func (v *Vault) CaseHolds(ctx context.Context, by auth.Account, caseID string) ([]Hold, error) {
	if _, err := v.memberCase(ctx, v.db, by, caseID, false); err != nil {
		return nil, err
	}
	return v.holds(ctx, v.db, "case_id = ?", caseID)
}

// ItemHolds lists an item's holds, for its custody page.
func (v *Vault) ItemHolds(ctx context.Context, itemID string) ([]Hold, error) {
	return v.holds(ctx, v.db, "item_id = ?", itemID)
}

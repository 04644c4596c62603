package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// A share hands a case's items to an outside authority, often in another
// country (CM/Rec(2026)2 para. 30): it records who receives them, on what
// legal basis, for what purpose and until when; it can be revoked; and
// every download is on the log. The recipient needs no account: a secret
// link, and ideally an age key of theirs that the originals are encrypted
// to.

// MaxShareDays bounds how long a share stays open.
const MaxShareDays = 90

// NewShare asks for a share.
type NewShare struct {
	CaseID string
	// ItemIDs are the items shared; the case must hold each.
	ItemIDs    []string
	Recipient  string // the receiving authority
	LegalBasis string // the instrument: a treaty, a European Investigation Order, a court order
	Purpose    string
	Expires    time.Time
	// AgeRecipient is the recipient's age public key ("age1..."); empty
	// sends the originals unencrypted inside the bundle.
	AgeRecipient string
}

// Share is a share as recorded.
type Share struct {
	ID           string
	CaseID       string
	ItemIDs      []string
	Recipient    string
	LegalBasis   string
	Purpose      string
	AgeRecipient string
	Expires      time.Time
	CreatedBy    string
	CreatedAt    time.Time
	RevokedAt    *time.Time
}

// Open reports whether the share can still be downloaded at t.
func (s Share) Open(t time.Time) bool { return s.RevokedAt == nil && t.Before(s.Expires) }

func checkText(s *string, min, max int, key string) error {
	*s = strings.TrimSpace(*s)
	if n := utf8.RuneCountInString(*s); n < min || n > max || strings.ContainsAny(*s, "\r\n") {
		return invalid(key, "min", min, "max", max)
	}
	return nil
}

// CreateShare records a share and returns it with its secret token, shown
// once: the link is the token.
func (v *Vault) CreateShare(ctx context.Context, by auth.Account, ns NewShare) (Share, string, error) {
	if err := checkText(&ns.Recipient, 2, 200, "vault.share_recipient"); err != nil {
		return Share{}, "", err
	}
	if err := checkText(&ns.LegalBasis, 2, 300, "vault.share_basis"); err != nil {
		return Share{}, "", err
	}
	if err := checkPurpose(&ns.Purpose); err != nil {
		return Share{}, "", err
	}
	ns.AgeRecipient = strings.TrimSpace(ns.AgeRecipient)
	if ns.AgeRecipient != "" {
		if _, err := age.ParseX25519Recipient(ns.AgeRecipient); err != nil {
			return Share{}, "", invalid("vault.share_age_key")
		}
	}
	now := v.now().UTC().Truncate(time.Microsecond)
	ns.Expires = ns.Expires.UTC().Truncate(time.Microsecond)
	if !ns.Expires.After(now) || ns.Expires.After(now.Add(MaxShareDays*24*time.Hour)) {
		return Share{}, "", invalid("vault.share_expiry", "days", MaxShareDays)
	}
	if len(ns.ItemIDs) == 0 || len(ns.ItemIDs) > MaxExportItems {
		return Share{}, "", invalid("vault.share_items", "max", MaxExportItems)
	}
	var raw [32]byte
	rand.Read(raw[:])
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(token))
	sh := Share{ID: id.New("shr"), CaseID: ns.CaseID, Recipient: ns.Recipient, LegalBasis: ns.LegalBasis, Purpose: ns.Purpose,
		AgeRecipient: ns.AgeRecipient, Expires: ns.Expires, CreatedBy: by.ID, CreatedAt: now}
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := v.memberCase(ctx, tx, by, ns.CaseID, true)
		if err != nil {
			return err
		}
		if ok, err := v.isMember(ctx, tx, c.ID, by.ID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("case %s: %w", c.ID, ErrNotFound))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vault_shares (id, case_id, recipient, legal_basis, purpose, age_recipient, token_hash, expires_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sh.ID, c.ID, sh.Recipient, sh.LegalBasis, sh.Purpose, sh.AgeRecipient, sum[:],
			store.Micros(sh.Expires), by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("vault: share: %w", err)
		}
		seen := map[string]bool{}
		for _, itemID := range ns.ItemIDs {
			if seen[itemID] {
				continue
			}
			seen[itemID] = true
			it, err := v.get(ctx, tx, itemID)
			if err != nil {
				return err
			}
			if it.DestroyedAt != nil {
				return fmt.Errorf("item %s: %w", itemID, ErrShredded)
			}
			a := Access{Action: ActionShare, Purpose: sh.Purpose, Basis: Basis{Kind: BasisCase, Ref: c.ID}}
			if err := v.authorize(ctx, tx, by, it, a); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO vault_share_items (share_id, item_id) VALUES (?, ?)", sh.ID, it.ID); err != nil {
				return fmt.Errorf("vault: share: %w", err)
			}
			sh.ItemIDs = append(sh.ItemIDs, it.ID)
		}
		_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evShared, Actor: by.Actor(), Subject: "case:" + c.ID,
			Facts:   map[string]any{"share": sh.ID, "case": c.ID, "items": len(sh.ItemIDs), "expires": sh.Expires, "encrypted": sh.AgeRecipient != ""},
			Private: map[string]string{"recipient": sh.Recipient, "legal_basis": sh.LegalBasis, "purpose": sh.Purpose}})
		return err
	})
	if err != nil {
		return Share{}, "", err
	}
	return sh, token, nil
}

const shareColumns = "id, case_id, recipient, legal_basis, purpose, age_recipient, expires_at, created_by, created_at, revoked_at"

func (v *Vault) shares(ctx context.Context, q store.Querier, where string, args ...any) ([]Share, error) {
	rows, err := q.Query(ctx, "SELECT "+shareColumns+" FROM vault_shares WHERE "+where+" ORDER BY created_at DESC, id", args...)
	if err != nil {
		return nil, fmt.Errorf("vault: shares: %w", err)
	}
	var out []Share
	for rows.Next() {
		var s Share
		var expires, created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&s.ID, &s.CaseID, &s.Recipient, &s.LegalBasis, &s.Purpose, &s.AgeRecipient, &expires, &s.CreatedBy, &created, &revoked); err != nil {
			rows.Close()
			return nil, err
		}
		s.Expires, s.CreatedAt = store.FromMicros(expires), store.FromMicros(created)
		if revoked.Valid {
			t := store.FromMicros(revoked.Int64)
			s.RevokedAt = &t
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		r, err := q.Query(ctx, "SELECT item_id FROM vault_share_items WHERE share_id = ? ORDER BY item_id", out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("vault: shares: %w", err)
		}
		for r.Next() {
			var id string
			if err := r.Scan(&id); err != nil {
				r.Close()
				return nil, err
			}
			out[i].ItemIDs = append(out[i].ItemIDs, id)
		}
		r.Close()
	}
	return out, nil
}

// Shares lists a case's shares.
func (v *Vault) Shares(ctx context.Context, by auth.Account, caseID string) ([]Share, error) {
	if _, err := v.memberCase(ctx, v.db, by, caseID, false); err != nil {
		return nil, err
	}
	return v.shares(ctx, v.db, "case_id = ?", caseID)
}

// RevokeShare closes a share: its link stops working at once.
func (v *Vault) RevokeShare(ctx context.Context, by auth.Account, shareID, reason string) error {
	if err := checkPurpose(&reason); err != nil {
		return invalid("vault.reason")
	}
	return v.db.Tx(ctx, func(tx *store.Tx) error {
		ss, err := v.shares(ctx, tx, "id = ?", shareID)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return fmt.Errorf("share %s: %w", shareID, ErrNotFound)
		}
		s := ss[0]
		if _, err := v.memberCase(ctx, tx, by, s.CaseID, false); err != nil {
			return err
		}
		if ok, err := v.isMember(ctx, tx, s.CaseID, by.ID); err != nil || !ok {
			if by.Role != auth.Oversight { // oversight can stop any share
				return errors.Join(err, fmt.Errorf("share %s: %w", shareID, ErrNotFound))
			}
		}
		if s.RevokedAt != nil {
			return invalid("vault.share_revoked")
		}
		if _, err := tx.Exec(ctx, "UPDATE vault_shares SET revoked_at = ?, revoked_by = ? WHERE id = ?", store.Micros(v.now()), by.ID, s.ID); err != nil {
			return fmt.Errorf("vault: revoke share: %w", err)
		}
		_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evShareGone, Actor: by.Actor(), Subject: "case:" + s.CaseID,
			Facts: map[string]any{"share": s.ID, "case": s.CaseID}, Private: map[string]string{"reason": reason}})
		return err
	})
}

// errShareClosed is the one answer for a wrong, expired or revoked link.
func errShareClosed() error { return forbidden("vault.share_closed") }

// ShareByToken returns the share a link opens, if it is still open.
func (v *Vault) ShareByToken(ctx context.Context, token string) (Share, error) {
	return v.shareByToken(ctx, v.db, token)
}

func (v *Vault) shareByToken(ctx context.Context, q store.Querier, token string) (Share, error) {
	if len(token) != 43 {
		return Share{}, errShareClosed()
	}
	sum := sha256.Sum256([]byte(token))
	ss, err := v.shares(ctx, q, "token_hash = ?", sum[:])
	if err != nil {
		return Share{}, err
	}
	if len(ss) == 0 || !ss[0].Open(v.now()) {
		return Share{}, errShareClosed()
	}
	return ss[0], nil
}

// DownloadShare writes a share's bundle to w, encrypted to the
// recipient's age key if the share has one. Every download, and the read
// of every item in it, is recorded and logged before a byte is written.
// Items the case no longer holds, or that were destroyed, are left out.
func (v *Vault) DownloadShare(ctx context.Context, token string, w io.Writer, progress func(done, total int64)) error {
	var sh Share
	var items []Item
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if sh, err = v.shareByToken(ctx, tx, token); err != nil {
			return err
		}
		for _, itemID := range sh.ItemIDs {
			it, err := v.get(ctx, tx, itemID)
			if err != nil {
				return err
			}
			var held int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM vault_holds WHERE case_id = ? AND item_id = ? AND released_at IS NULL AND until_at > ?",
				sh.CaseID, it.ID, store.Micros(v.now())).Scan(&held); err != nil {
				return fmt.Errorf("vault: share: %w", err)
			}
			if it.DestroyedAt != nil || held == 0 {
				continue
			}
			a := Access{Action: ActionDownload, Purpose: sh.Purpose, Basis: Basis{Kind: BasisShare, Ref: sh.ID}}
			if _, err := v.recordAccess(ctx, tx, ledger.Actor{Role: RecipientRole}, it.ID, a); err != nil {
				return err
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			return invalid("vault.share_nothing_left")
		}
		_, err = v.outbox.Record(ctx, tx, ledger.Event{Kind: evShareGot, Actor: ledger.Actor{Role: RecipientRole}, Subject: "case:" + sh.CaseID,
			Facts: map[string]any{"share": sh.ID, "case": sh.CaseID, "items": len(items)}})
		return err
	})
	if err != nil {
		return err
	}
	var recipients []age.Recipient
	if sh.AgeRecipient != "" {
		r, err := age.ParseX25519Recipient(sh.AgeRecipient)
		if err != nil {
			return fmt.Errorf("vault: share %s: %w", sh.ID, err)
		}
		recipients = append(recipients, r)
	}
	info := map[string]string{"Vigil-Case": sh.CaseID, "Vigil-Share": sh.ID}
	return v.writeBundle(ctx, sh.CaseID, items, info, recipients, w, progress)
}

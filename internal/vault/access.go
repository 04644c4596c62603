package vault

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Every read of an item's content states a purpose and a basis, and lands
// on the public log before a byte is read: the basis is a deployment in
// force the item was captured under, or a case that holds the item, or,
// for a person's own submission, that it is theirs.

// Basis kinds.
const (
	BasisDeployment = "deployment" // a deployment in force captured it
	BasisCase       = "case"       // a case the reader works on holds it
	BasisSubmitter  = "submitter"  // the reader submitted it
	BasisShare      = "share"      // a share given to an outside authority
)

// Actions on content.
const (
	ActionView     = "view"
	ActionDownload = "download"
	ActionExport   = "export"
	ActionDerive   = "derive"
	ActionShare    = "share"
)

var actions = []string{ActionView, ActionDownload, ActionExport, ActionDerive, ActionShare}

// Basis is why a read is lawful.
type Basis struct {
	Kind string `json:"kind"`
	// Ref is the deployment's or the case's ID; empty for submitter.
	Ref string `json:"ref,omitempty"`
}

// Access is a read as asked for.
type Access struct {
	Action  string
	Purpose string
	Basis   Basis
}

// AccessRecord is a read as recorded.
type AccessRecord struct {
	ID        int64
	ItemID    string
	AccountID string // empty for a share's recipient
	Role      string
	Action    string
	Purpose   string
	Basis     Basis
	At        time.Time
	// Username and DisplayName name the reader, and CaseReference is the
	// reference of the case a read was based on: oversight's register
	// (Reads) fills them in; elsewhere they are empty, since the custody
	// record shows readers by role.
	Username, DisplayName, CaseReference string
}

// authorize checks a read's basis for by.
func (v *Vault) authorize(ctx context.Context, q store.Querier, by auth.Account, it Item, a Access) error {
	if !slices.Contains(actions, a.Action) {
		return invalid("vault.action", "action", a.Action)
	}
	if by.Role == auth.Admin {
		return forbidden("vault.admin_no_content")
	}
	switch a.Basis.Kind {
	case BasisDeployment:
		if !by.Role.Is(auth.Officer, auth.Commander) {
			return forbidden("vault.basis_deployment_role")
		}
		if it.DeploymentID == "" || it.DeploymentID != a.Basis.Ref {
			return forbidden("vault.basis_deployment_other")
		}
		if v.cfg.Deployments == nil {
			return errors.New("vault: no deployments to check against")
		}
		active, _, err := v.cfg.Deployments.DeploymentInForce(ctx, it.DeploymentID, v.now())
		if err != nil {
			return err
		}
		if !active {
			return forbidden("vault.deployment_not_in_force")
		}
		return nil
	case BasisCase:
		ok, err := v.heldForMember(ctx, q, by.ID, it.ID, a.Basis.Ref)
		if err != nil {
			return err
		}
		if !ok {
			return forbidden("vault.basis_case")
		}
		return nil
	case BasisSubmitter:
		if it.SubmissionID == "" {
			return forbidden("vault.basis_submitter")
		}
		ok, err := inSubmission(ctx, q, by.ID, it.SubmissionID)
		if err != nil {
			return err
		}
		if !ok {
			return forbidden("vault.basis_submitter")
		}
		return nil
	}
	return invalid("vault.basis", "basis", a.Basis.Kind)
}

// recordAccess writes the access and its event in tx.
func (v *Vault) recordAccess(ctx context.Context, tx *store.Tx, actor ledger.Actor, itemID string, a Access) (int64, error) {
	var accessID int64
	if err := tx.QueryRow(ctx, `INSERT INTO vault_accesses (item_id, account_id, role, action, purpose, basis_kind, basis_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, itemID, nullable(actor.Account), actor.Role, a.Action, a.Purpose, a.Basis.Kind, a.Basis.Ref,
		store.Micros(v.now())).Scan(&accessID); err != nil {
		return 0, fmt.Errorf("vault: record access: %w", err)
	}
	facts := map[string]any{"item": itemID, "action": a.Action, "basis": a.Basis.Kind}
	if a.Basis.Ref != "" {
		facts["basis_ref"] = a.Basis.Ref
	}
	_, err := v.outbox.Record(ctx, tx, ledger.Event{Kind: evAccessed, Actor: actor, Subject: "item:" + itemID, Facts: facts,
		Private: map[string]string{"purpose": a.Purpose}})
	return accessID, err
}

// Authorize checks and records a read of an item's content, and returns a
// grant that opens it for by, for a while, as often as a player needs
// (seeking in a video reads the content many times; it is one access).
func (v *Vault) Authorize(ctx context.Context, by auth.Account, itemID string, a Access) (Grant, error) {
	if err := checkPurpose(&a.Purpose); err != nil {
		return Grant{}, err
	}
	var it Item
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if it, err = v.get(ctx, tx, itemID); err != nil {
			return err
		}
		if ok, err := v.canSee(ctx, tx, by, it); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("item %s: %w", itemID, ErrNotFound)
		}
		if it.DestroyedAt != nil {
			return ErrShredded
		}
		if err := v.authorize(ctx, tx, by, it, a); err != nil {
			return err
		}
		_, err = v.recordAccess(ctx, tx, by.Actor(), it.ID, a)
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	return v.grants.issue(by.ID, it, a.Action, v.now()), nil
}

// Grant lets one account open one item's content until it expires.
type Grant struct {
	Token   string
	ItemID  string
	Action  string
	Expires time.Time
}

// GrantTTL is how long a grant opens its item.
const GrantTTL = 15 * time.Minute

type grants struct {
	mu sync.Mutex
	m  map[string]grant
}

type grant struct {
	account string
	Grant
}

func (g *grants) issue(account string, it Item, action string, now time.Time) Grant {
	var b [24]byte
	rand.Read(b[:])
	gr := Grant{Token: base64.RawURLEncoding.EncodeToString(b[:]), ItemID: it.ID, Action: action, Expires: now.Add(GrantTTL)}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]grant{}
	}
	for k, old := range g.m {
		if now.After(old.Expires) {
			delete(g.m, k)
		}
	}
	g.m[gr.Token] = grant{account, gr}
	return gr
}

func (g *grants) check(token, account, itemID string, now time.Time) (Grant, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr, ok := g.m[token]
	if !ok || gr.account != account || gr.ItemID != itemID || now.After(gr.Expires) {
		return Grant{}, false
	}
	return gr.Grant, true
}

// revokeItem drops every grant on an item (it is being destroyed).
func (g *grants) revokeItem(itemID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, gr := range g.m {
		if gr.ItemID == itemID {
			delete(g.m, k)
		}
	}
}

// Content is an item's decrypted content, as a grant opens it.
type Content struct {
	Item    Item
	Capture Capture
	// ProofMode is the check of the ProofMode bundle it came in, if any.
	ProofMode *ProofModeCheck
	io.ReadCloser
}

// Open opens an item's content with a grant Authorize gave account. It
// returns ErrForbidden for a missing, expired or someone else's grant.
func (v *Vault) Open(ctx context.Context, account, itemID, token string) (*Content, error) {
	if _, ok := v.grants.check(token, account, itemID, v.now()); !ok {
		return nil, forbidden("vault.grant")
	}
	return v.openContent(ctx, itemID)
}

// openContent decrypts an item, with no check: callers have authorized
// and recorded the read.
func (v *Vault) openContent(ctx context.Context, itemID string) (*Content, error) {
	it, err := v.get(ctx, v.db, itemID)
	if err != nil {
		return nil, err
	}
	var wrapped, meta, pm []byte
	var blobKey string
	if err := v.db.QueryRow(ctx, "SELECT wrapped_key, metadata, proofmode, blob_key FROM vault_items WHERE id = ?", itemID).Scan(&wrapped, &meta, &pm, &blobKey); err != nil {
		return nil, fmt.Errorf("vault: open %s: %w", itemID, err)
	}
	if it.DestroyedAt != nil || wrapped == nil {
		return nil, ErrShredded
	}
	key, err := unwrapItemKey(v.cfg.KEK, it.ID, wrapped)
	if err != nil {
		return nil, err
	}
	sa, err := key.streaming()
	if err != nil {
		return nil, err
	}
	var c Capture
	if err := unseal(sa, metadataAD(it.ID), meta, &c); err != nil {
		return nil, fmt.Errorf("vault: open %s: capture metadata: %w", itemID, err)
	}
	var check *ProofModeCheck
	if pm != nil {
		check = new(ProofModeCheck)
		if err := unseal(sa, proofmodeAD(it.ID), pm, check); err != nil {
			return nil, fmt.Errorf("vault: open %s: proofmode check: %w", itemID, err)
		}
	}
	blob, err := v.cfg.Blobs.Get(ctx, blobKey)
	if err != nil {
		return nil, fmt.Errorf("vault: open %s: %w", itemID, err)
	}
	dec, err := sa.NewDecryptingReader(blob, contentAD(it.ID))
	if err != nil {
		blob.Close()
		return nil, fmt.Errorf("vault: open %s: %w", itemID, err)
	}
	return &Content{Item: it, Capture: c, ProofMode: check, ReadCloser: readCloser{dec, blob}}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// canSee reports whether by may see that an item exists and its custody
// record (not its content): oversight sees everything; the police see what
// the police captured; people see what they submitted; and everyone sees
// what a case of theirs holds or held.
func (v *Vault) canSee(ctx context.Context, q store.Querier, by auth.Account, it Item) (bool, error) {
	switch {
	case by.Role == auth.Oversight:
		return true, nil
	case by.Role.Is(auth.Officer, auth.Commander) && it.UploaderRole.Is(auth.Officer, auth.Commander):
		return true, nil
	case it.UploadedBy == by.ID:
		return true, nil
	}
	if ok, err := inSubmission(ctx, q, by.ID, it.SubmissionID); err != nil || ok {
		return ok, err
	}
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM vault_holds h JOIN vault_case_members m ON m.case_id = h.case_id WHERE h.item_id = ? AND m.account_id = ?",
		it.ID, by.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("vault: %w", err)
	}
	return n > 0, nil
}

// ItemFor returns an item's record if by may see it, and ErrNotFound
// otherwise: whether an item exists is not told to those who may not see
// it.
func (v *Vault) ItemFor(ctx context.Context, by auth.Account, itemID string) (Item, error) {
	it, err := v.get(ctx, v.db, itemID)
	if err != nil {
		return it, err
	}
	ok, err := v.canSee(ctx, v.db, by, it)
	if err != nil {
		return Item{}, err
	}
	if !ok {
		return Item{}, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	return it, nil
}

// Accesses lists every read of an item, oldest first, for those who may
// see the item. Oversight sees every read of everything; a submitter sees
// every read of what they submitted.
func (v *Vault) Accesses(ctx context.Context, by auth.Account, itemID string) ([]AccessRecord, error) {
	if _, err := v.ItemFor(ctx, by, itemID); err != nil {
		return nil, err
	}
	return v.accesses(ctx, itemID)
}

func (v *Vault) accesses(ctx context.Context, itemID string) ([]AccessRecord, error) {
	rows, err := v.db.Query(ctx, `SELECT id, item_id, account_id, role, action, purpose, basis_kind, basis_id, at
		FROM vault_accesses WHERE item_id = ? ORDER BY id LIMIT 10000`, itemID)
	if err != nil {
		return nil, fmt.Errorf("vault: accesses: %w", err)
	}
	defer rows.Close()
	var out []AccessRecord
	for rows.Next() {
		var a AccessRecord
		var account sql.NullString
		var at int64
		if err := rows.Scan(&a.ID, &a.ItemID, &account, &a.Role, &a.Action, &a.Purpose, &a.Basis.Kind, &a.Basis.Ref, &at); err != nil {
			return nil, err
		}
		a.AccountID, a.At = account.String, store.FromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Filter selects items in a listing.
type Filter struct {
	// Before pages: only items created before this one's ID's time.
	Before time.Time
	Class  string
	// Live leaves out destroyed items.
	Live  bool
	Limit int
}

// Items lists the items by may see, newest first.
func (v *Vault) Items(ctx context.Context, by auth.Account, f Filter) ([]Item, error) {
	where, args := "1 = 1", []any{}
	switch {
	case by.Role == auth.Oversight:
	case by.Role.Is(auth.Officer, auth.Commander):
		where = `(uploader_role IN ('officer', 'commander') OR id IN (SELECT h.item_id FROM vault_holds h JOIN vault_case_members m ON m.case_id = h.case_id WHERE m.account_id = ?))`
		args = append(args, by.ID)
	default:
		where = `(uploaded_by = ? OR submission_id IN (SELECT id FROM vault_submissions WHERE created_by = ?)
			OR submission_id IN (SELECT submission_id FROM vault_items WHERE uploaded_by = ?)
			OR id IN (SELECT h.item_id FROM vault_holds h JOIN vault_case_members m ON m.case_id = h.case_id WHERE m.account_id = ?))`
		args = append(args, by.ID, by.ID, by.ID, by.ID)
	}
	if !f.Before.IsZero() {
		where += " AND created_at < ?"
		args = append(args, store.Micros(f.Before))
	}
	if f.Class != "" {
		where += " AND class = ?"
		args = append(args, f.Class)
	}
	if f.Live {
		where += " AND destroyed_at IS NULL"
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	return v.items(ctx, v.db, "SELECT "+itemColumns+" FROM vault_items WHERE "+where+" ORDER BY created_at DESC, id LIMIT ?", args...)
}

func (v *Vault) items(ctx context.Context, q store.Querier, query string, args ...any) ([]Item, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("vault: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// SubmissionView is what a submitter sees through their case number and
// PIN: their items, who read them (by role, with the purpose and basis
// stated), what holds them, and the receipts of what was destroyed.
type SubmissionView struct {
	Number   string
	Items    []Item
	Accesses map[string][]AccessRecord
	Holds    map[string][]HoldView
}

// HoldView is a hold as a submitter sees it: which kind of case keeps
// their item, and until when; not the case's reference.
type HoldView struct {
	CaseKind string
	Until    time.Time
	Active   bool
}

// Submission opens a submission by case number and PIN (or for the
// account that made it). A wrong number or PIN gets one answer,
// ErrForbidden, whichever was wrong.
func (v *Vault) Submission(ctx context.Context, number, pin, accountID string) (SubmissionView, error) {
	num, err := v.checkSubmission(ctx, v.db, number, pin, accountID)
	if err != nil {
		return SubmissionView{}, err
	}
	items, err := v.items(ctx, v.db, "SELECT "+itemColumns+" FROM vault_items WHERE submission_id = ? ORDER BY created_at, id LIMIT 1000", num)
	if err != nil {
		return SubmissionView{}, err
	}
	sv := SubmissionView{Number: num, Items: items, Accesses: map[string][]AccessRecord{}, Holds: map[string][]HoldView{}}
	now := v.now()
	for _, it := range items {
		acc, err := v.accesses(ctx, it.ID)
		if err != nil {
			return sv, err
		}
		for i := range acc {
			acc[i].AccountID = "" // people see roles, not accounts
		}
		sv.Accesses[it.ID] = acc
		rows, err := v.db.Query(ctx, "SELECT c.kind, h.until_at, h.released_at FROM vault_holds h JOIN vault_cases c ON c.id = h.case_id WHERE h.item_id = ? ORDER BY h.placed_at", it.ID)
		if err != nil {
			return sv, fmt.Errorf("vault: holds: %w", err)
		}
		for rows.Next() {
			var hv HoldView
			var until int64
			var released sql.NullInt64
			if err := rows.Scan(&hv.CaseKind, &until, &released); err != nil {
				rows.Close()
				return sv, err
			}
			hv.Until = store.FromMicros(until)
			hv.Active = !released.Valid && hv.Until.After(now)
			sv.Holds[it.ID] = append(sv.Holds[it.ID], hv)
		}
		rows.Close()
	}
	return sv, nil
}

package web

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/vault"
)

// How the API shows the vault's records. An item's capture metadata (file
// name, place, device) is never shown: it is read only with the content,
// under a grant.

type itemJSON struct {
	ID        string `json:"id"`
	Class     string `json:"class"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	// SHA256 is the content's hash, while the item lives; Commitment is
	// what the public log holds.
	SHA256           string     `json:"sha256,omitempty"`
	Commitment       string     `json:"commitment"`
	Deployment       string     `json:"deployment,omitempty"`
	Submitted        bool       `json:"submitted"`
	Parent           string     `json:"parent,omitempty"`
	ParentCommitment string     `json:"parent_commitment,omitempty"`
	Segment          string     `json:"segment,omitempty"`
	UploaderRole     auth.Role  `json:"uploader_role"`
	CapturedAt       time.Time  `json:"captured_at"`
	RetainUntil      time.Time  `json:"retain_until"`
	DueAt            time.Time  `json:"due_at"`
	CreatedAt        time.Time  `json:"created_at"`
	DestroyedAt      *time.Time `json:"destroyed_at,omitempty"`
	ReceiptURL       string     `json:"receipt_url,omitempty"`
	ProofMode        bool       `json:"proofmode"`
	Holds            []holdJSON `json:"holds,omitempty"`
}

func toItemJSON(it vault.Item) itemJSON {
	out := itemJSON{ID: it.ID, Class: it.Class, MediaType: it.MediaType, Size: it.Size, Commitment: it.Commitment, Deployment: it.DeploymentID,
		Submitted: it.SubmissionID != "", Parent: it.ParentID, ParentCommitment: it.ParentCommitment, Segment: it.Segment, UploaderRole: it.UploaderRole,
		CapturedAt: it.CapturedAt, RetainUntil: it.RetainUntil, DueAt: it.DueAt, CreatedAt: it.CreatedAt, DestroyedAt: it.DestroyedAt, ProofMode: it.ProofMode}
	if it.DestroyedAt == nil && it.SHA256 != nil {
		out.SHA256 = hex.EncodeToString(it.SHA256)
	}
	if it.DestroyedAt != nil {
		out.ReceiptURL = receiptPath(it.ID)
	}
	return out
}

func receiptPath(itemID string) string { return "/api/items/" + itemID + "/receipt" }

type holdJSON struct {
	ID     string    `json:"id"`
	Case   string    `json:"case"`
	Item   string    `json:"item"`
	Until  time.Time `json:"until"`
	Active bool      `json:"active"`
	// Reason is shown to the case's members only.
	Reason     string     `json:"reason,omitempty"`
	PlacedAt   time.Time  `json:"placed_at"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

func toHoldJSON(h vault.Hold, now time.Time, withReason bool) holdJSON {
	out := holdJSON{ID: h.ID, Case: h.CaseID, Item: h.ItemID, Until: h.Until, Active: h.Active(now), PlacedAt: h.PlacedAt, ReleasedAt: h.ReleasedAt}
	if withReason {
		out.Reason = h.Reason
	}
	return out
}

type accessJSON struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
	// Account is shown to oversight only; everyone else sees the role.
	Account string      `json:"account,omitempty"`
	Role    string      `json:"role"`
	Action  string      `json:"action"`
	Purpose string      `json:"purpose"`
	Basis   vault.Basis `json:"basis"`
}

func toAccessJSON(a vault.AccessRecord, withAccount bool) accessJSON {
	out := accessJSON{ID: a.ID, Time: a.At, Role: a.Role, Action: a.Action, Purpose: a.Purpose, Basis: a.Basis}
	if withAccount {
		out.Account = a.AccountID
	}
	return out
}

// eventJSON is a custody event: what the public log holds of it, and the
// entry itself, byte for byte, to check against the log.
type eventJSON struct {
	ID       int64          `json:"id"`
	Type     string         `json:"type"`
	Time     time.Time      `json:"time"`
	Role     string         `json:"role"`
	Facts    map[string]any `json:"facts"`
	LogIndex *int64         `json:"log_index"`
	Entry    string         `json:"entry"`
	ProofURL string         `json:"proof_url"`
}

func toEventJSON(e ledger.Stored) eventJSON {
	out := eventJSON{ID: e.ID, Type: e.Type, Time: e.Time, Role: e.ActorRole, LogIndex: e.LogIndex, Entry: string(e.Entry),
		ProofURL: "/api/events/" + strconv.FormatInt(e.ID, 10) + "/proof", Facts: map[string]any{}}
	if en, err := ledger.ParseEntry(e.Entry); err == nil && en.Facts != nil {
		out.Facts = en.Facts
	}
	return out
}

type caseJSON struct {
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	Reference string       `json:"reference"`
	OpenedAt  time.Time    `json:"opened_at"`
	ClosedAt  *time.Time   `json:"closed_at,omitempty"`
	Members   []memberJSON `json:"members,omitempty"`
	Holds     []holdJSON   `json:"holds,omitempty"`
	Shares    []shareJSON  `json:"shares,omitempty"`
}

func toCaseJSON(c vault.Case) caseJSON {
	return caseJSON{ID: c.ID, Kind: c.Kind, Reference: c.Reference, OpenedAt: c.OpenedAt, ClosedAt: c.ClosedAt}
}

type memberJSON struct {
	Account     string    `json:"account"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	AddedAt     time.Time `json:"added_at"`
}

type shareJSON struct {
	ID           string     `json:"id"`
	Case         string     `json:"case"`
	Items        []string   `json:"items"`
	Recipient    string     `json:"recipient"`
	LegalBasis   string     `json:"legal_basis"`
	Purpose      string     `json:"purpose"`
	AgeRecipient string     `json:"age_recipient,omitempty"`
	Expires      time.Time  `json:"expires"`
	CreatedAt    time.Time  `json:"created_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Open         bool       `json:"open"`
}

func toShareJSON(sh vault.Share, now time.Time) shareJSON {
	return shareJSON{ID: sh.ID, Case: sh.CaseID, Items: sh.ItemIDs, Recipient: sh.Recipient, LegalBasis: sh.LegalBasis, Purpose: sh.Purpose,
		AgeRecipient: sh.AgeRecipient, Expires: sh.Expires, CreatedAt: sh.CreatedAt, RevokedAt: sh.RevokedAt, Open: sh.Open(now)}
}

type receiptJSON struct {
	Submission string `json:"submission"`
	PIN        string `json:"pin"`
}

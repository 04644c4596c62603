package vault

import "github.com/vigil-project/vigil/internal/ledger"

// The custody events. Public facts are identifiers, classes, actions,
// basis kinds, times and commitments; purposes, reasons, references,
// recipients, file names, places and contents are private, and reach the
// log only as commitments.
var (
	evIngested   = ledger.Kind{Name: "item.ingested", Facts: []string{"item", "class", "media", "deployment", "derived_from", "segment", "content", "retain_until", "submitted", "proofmode"}, Private: []string{"purpose"}}
	evAccessed   = ledger.Kind{Name: "item.accessed", Facts: []string{"item", "action", "basis", "basis_ref"}, Private: []string{"purpose"}}
	evDestroyed  = ledger.Kind{Name: "item.destroyed", Facts: []string{"item", "class", "content", "retain_until", "held_until", "destroyed_at", "receipt"}}
	evCaseOpen   = ledger.Kind{Name: "case.opened", Facts: []string{"case", "kind"}, Private: []string{"reference"}}
	evCaseMember = ledger.Kind{Name: "case.member_added", Facts: []string{"case", "role"}, Private: []string{"member"}}
	evCaseClosed = ledger.Kind{Name: "case.closed", Facts: []string{"case", "released"}, Private: []string{"reason"}}
	evHeld       = ledger.Kind{Name: "item.held", Facts: []string{"item", "case", "hold", "until", "replaces"}, Private: []string{"reason"}}
	evReleased   = ledger.Kind{Name: "item.released", Facts: []string{"item", "case", "hold"}, Private: []string{"reason"}}
	evShared     = ledger.Kind{Name: "share.created", Facts: []string{"share", "case", "items", "expires", "encrypted"}, Private: []string{"recipient", "legal_basis", "purpose"}}
	evShareGone  = ledger.Kind{Name: "share.revoked", Facts: []string{"share", "case"}, Private: []string{"reason"}}
	evShareGot   = ledger.Kind{Name: "share.downloaded", Facts: []string{"share", "case", "items"}}
)

package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/vault"
)

// The evidence vault's pages and API. The vault decides every question of
// who may do what with an item; the routes' roles only keep out those who
// never could.

// evidenceRoles work with evidence: every role but the administrator's
// (administering Vigil is no reason to read evidence).
var evidenceRoles = []auth.Role{auth.Reporter, auth.Flagger, auth.Monitor, auth.Officer, auth.Commander, auth.Authorizer, auth.Moderator, auth.Oversight}

// itemUploaders add items; which classes each may add is the vault's
// retention schedule.
var itemUploaders = []auth.Role{auth.Reporter, auth.Flagger, auth.Monitor, auth.Officer, auth.Commander, auth.Moderator}

// submitters make submissions: their items can be followed by case number
// and PIN.
var submitters = []auth.Role{auth.Reporter, auth.Flagger, auth.Monitor, auth.Moderator}

// caseOpeners open a case of some kind (the vault says which kind).
var caseOpeners = []auth.Role{auth.Commander, auth.Oversight, auth.Moderator, auth.Monitor, auth.Authorizer}

// Case kinds, custody events, actions and bases, whose labels come from
// the catalog by value.
var (
	caseKinds         = []string{vault.Investigation, vault.Complaint, vault.CourtOrder}
	custodyEventTypes = []string{"item.ingested", "item.accessed", "item.held", "item.released", "item.destroyed",
		"case.opened", "case.member_added", "case.closed", "share.created", "share.revoked", "share.downloaded"}
	accessActions = []string{vault.ActionView, vault.ActionDownload, vault.ActionExport, vault.ActionDerive, vault.ActionShare}
	basisKinds    = []string{vault.BasisDeployment, vault.BasisCase, vault.BasisSubmitter, vault.BasisShare}
)

// Limits on guessing: a case number's PIN is eight digits, so wrong
// answers are counted per case number and per address, as wrong passwords
// are. Share links are long secrets; wrong ones are counted per address,
// and downloads per link, so that one link cannot be made to build bundles
// without end.
var (
	submissionLimits = auth.Limits{PerAccount: 5, PerAddress: 20, Window: 15 * time.Minute}
	shareLimits      = auth.Limits{PerAccount: 20, PerAddress: 30, Window: 15 * time.Minute}
)

// rateLimited is the answer once a limit is reached.
func rateLimited(err error) error {
	var rl *auth.RateLimitError
	if !errors.As(err, &rl) {
		return err
	}
	return &Error{Status: http.StatusTooManyRequests, Key: "evidence.rate_limited", Args: []any{"minutes", int(rl.RetryAfter.Minutes()) + 1},
		RetryAfter: rl.RetryAfter}
}

func (s *Server) vaultRoutes() {
	// Public: the retention schedules, a submitter's view by case number
	// and PIN, and the landing page of a share.
	s.vaultPage("GET /retention", public, s.retentionPage)
	s.vaultPage("GET /submission", public, s.submissionForm)
	s.vaultPage("POST /submission", public, s.submissionLookup)
	s.vaultPage("GET /shares/{token}", public, s.sharePage)
	s.vaultPage("POST /shares/{token}/download", public, s.shareDownload)
	s.vaultPage("GET /shares/{token}/bundle.zip", public, s.shareDownload)

	// Items.
	s.vaultPage("GET /vault", roles(evidenceRoles...), s.itemsPage)
	s.vaultPage("GET /vault/new", roles(itemUploaders...), s.uploadForm)
	s.vaultPage("POST /vault/items", roles(itemUploaders...), s.uploadItem)
	s.vaultPage("GET /vault/items/{id}", roles(evidenceRoles...), s.itemPage)
	s.vaultPage("POST /vault/items/{id}/open", roles(evidenceRoles...), s.openItem)
	s.vaultPage("GET /vault/items/{id}/view", roles(evidenceRoles...), s.viewItem)
	s.vaultPage("GET /vault/items/{id}/content", roles(evidenceRoles...), s.itemContent)
	s.vaultPage("POST /vault/items/{id}/hold", roles(evidenceRoles...), s.holdItem)
	s.vaultPage("POST /vault/items/{id}/segments", roles(evidenceRoles...), s.cutSegment)

	// Cases.
	s.vaultPage("GET /cases", roles(evidenceRoles...), s.casesPage)
	s.vaultPage("GET /cases/new", roles(caseOpeners...), s.caseForm)
	s.vaultPage("POST /cases", roles(caseOpeners...), s.openCase)
	s.vaultPage("GET /cases/{id}", roles(evidenceRoles...), s.casePage)
	s.vaultPage("POST /cases/{id}/members", roles(evidenceRoles...), s.addCaseMember)
	s.vaultPage("POST /cases/{id}/holds/{hold}/release", roles(evidenceRoles...), s.releaseCaseHold)
	s.vaultPage("POST /cases/{id}/export", roles(evidenceRoles...), s.exportCase)
	s.vaultPage("POST /cases/{id}/shares", roles(evidenceRoles...), s.createCaseShare)
	s.vaultPage("POST /cases/{id}/shares/{share}/revoke", roles(evidenceRoles...), s.revokeCaseShare)
	s.vaultPage("POST /cases/{id}/close", roles(evidenceRoles...), s.closeCase)

	// Oversight's register of every read.
	s.vaultPage("GET /oversight/reads", roles(auth.Oversight), s.readsPage)

	// The API.
	s.vaultAPI("GET /api/retention", public, s.apiRetention)
	s.vaultAPI("POST /api/submission", public, s.apiSubmission)
	s.vaultAPI("POST /api/submissions", roles(submitters...), s.apiNewSubmission)
	s.vaultAPI("POST /api/items", roles(itemUploaders...), s.apiUploadItem)
	s.vaultAPI("GET /api/items", roles(evidenceRoles...), s.apiItems)
	s.vaultAPI("GET /api/items/{id}", roles(evidenceRoles...), s.apiItem)
	s.vaultAPI("GET /api/items/{id}/custody", roles(evidenceRoles...), s.apiCustody)
	s.vaultAPI("POST /api/items/{id}/access", roles(evidenceRoles...), s.apiAccess)
	s.vaultAPI("GET /api/items/{id}/content", roles(evidenceRoles...), s.apiContent)
	s.vaultAPI("POST /api/items/{id}/segments", roles(evidenceRoles...), s.apiSegment)
	s.vaultAPI("GET /api/items/{id}/receipt", public, s.apiReceipt)
	s.vaultAPI("POST /api/cases", roles(caseOpeners...), s.apiOpenCase)
	s.vaultAPI("GET /api/cases", roles(evidenceRoles...), s.apiCases)
	s.vaultAPI("GET /api/cases/{id}", roles(evidenceRoles...), s.apiCase)
	s.vaultAPI("POST /api/cases/{id}/members", roles(evidenceRoles...), s.apiAddMember)
	s.vaultAPI("POST /api/cases/{id}/holds", roles(evidenceRoles...), s.apiPlaceHold)
	s.vaultAPI("POST /api/cases/{id}/close", roles(evidenceRoles...), s.apiCloseCase)
	s.vaultAPI("POST /api/cases/{id}/export", roles(evidenceRoles...), s.apiExport)
	s.vaultAPI("POST /api/cases/{id}/shares", roles(evidenceRoles...), s.apiCreateShare)
	s.vaultAPI("POST /api/holds/{id}/release", roles(evidenceRoles...), s.apiReleaseHold)
	s.vaultAPI("POST /api/shares/{id}/revoke", roles(evidenceRoles...), s.apiRevokeShare)
	s.vaultAPI("GET /api/reads", roles(auth.Oversight), s.apiReads)
	// Resumable uploads (tus 1.0): the protocol answers its own errors, in
	// plain text with its headers, so these routes check the caller
	// themselves.
	s.vaultAPI("OPTIONS /api/uploads", public, s.apiUploads)
	s.vaultAPI("POST /api/uploads", public, s.apiUploads)
	s.vaultAPI("HEAD /api/uploads/{id}", public, s.apiUploads)
	s.vaultAPI("PATCH /api/uploads/{id}", public, s.apiUploads)
	s.vaultAPI("DELETE /api/uploads/{id}", public, s.apiUploads)
}

// vaultPage registers a browser route that needs the vault.
func (s *Server) vaultPage(pattern string, a access, h handlerFunc) {
	s.page(pattern, a, s.needVault(h))
}

// vaultAPI registers an API route that needs the vault.
func (s *Server) vaultAPI(pattern string, a access, h handlerFunc) {
	s.apiRoute(pattern, a, s.needVault(h))
}

func (s *Server) needVault(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.deps.Vault == nil || s.deps.Uploads == nil {
			return httpError(http.StatusServiceUnavailable, "evidence.unavailable")
		}
		return h(w, r)
	}
}

// itemEvents lists the custody events about an item, oldest first.
func (s *Server) itemEvents(ctx context.Context, subject string) ([]ledger.Stored, error) {
	var out []ledger.Stored
	var before int64
	for len(out) < 10000 {
		page, err := ledger.List(ctx, s.deps.DB, ledger.Query{Subject: subject, Before: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// memberCases are the open cases by works on: those it may hold items
// for and read them under.
func (s *Server) memberCases(ctx context.Context, by auth.Account) ([]vault.Case, error) {
	all, err := s.deps.Vault.Cases(ctx, by)
	if err != nil {
		return nil, err
	}
	var out []vault.Case
	for _, c := range all {
		if c.ClosedAt != nil {
			continue
		}
		if by.Role == auth.Oversight {
			// Oversight sees every case but works only on its own.
			ms, err := s.deps.Vault.Members(ctx, by, c.ID)
			if err != nil {
				return nil, err
			}
			if !hasMember(ms, by.ID) {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func hasMember(ms []vault.Member, accountID string) bool {
	for _, m := range ms {
		if m.AccountID == accountID {
			return true
		}
	}
	return false
}

// parseDay reads a date from a form or JSON ("2026-12-31", or a full
// RFC 3339 time); a bare date means the end of that day, UTC.
func parseDay(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, false
	}
	return t.Add(24*time.Hour - time.Second), true
}

package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

func (s *Server) apiOpenCase(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Kind      string `json:"kind"`
		Reference string `json:"reference"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.deps.Vault.OpenCase(r.Context(), *callerFrom(r.Context()).account, in.Kind, in.Reference)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/cases/"+c.ID)
	return writeJSON(w, http.StatusCreated, toCaseJSON(c))
}

func (s *Server) apiCases(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Vault.Cases(r.Context(), *callerFrom(r.Context()).account)
	if err != nil {
		return err
	}
	out := make([]caseJSON, len(list))
	for i, c := range list {
		out[i] = toCaseJSON(c)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"cases": out})
}

// caseDetail is a case with its members, holds and shares, as its members
// (and oversight) see it.
type caseDetail struct {
	Case    vault.Case
	Members []caseMember
	Holds   []vault.Hold
	Shares  []vault.Share
	// Member: the viewer works on the case (oversight may only look).
	Member bool
}

type caseMember struct {
	vault.Member
	Account auth.Account
}

func (s *Server) caseDetail(ctx context.Context, by auth.Account, caseID string) (caseDetail, error) {
	v := s.deps.Vault
	var d caseDetail
	var err error
	if d.Case, err = v.Case(ctx, by, caseID); err != nil {
		return d, err
	}
	ms, err := v.Members(ctx, by, caseID)
	if err != nil {
		return d, err
	}
	for _, m := range ms {
		a, err := s.deps.Auth.Get(ctx, m.AccountID)
		if err != nil {
			return d, err
		}
		d.Members = append(d.Members, caseMember{Member: m, Account: a})
	}
	d.Member = hasMember(ms, by.ID)
	if d.Holds, err = v.CaseHolds(ctx, by, caseID); err != nil {
		return d, err
	}
	d.Shares, err = v.Shares(ctx, by, caseID)
	return d, err
}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request) error {
	d, err := s.caseDetail(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := toCaseJSON(d.Case)
	out.Members, out.Holds, out.Shares = []memberJSON{}, []holdJSON{}, []shareJSON{}
	for _, m := range d.Members {
		out.Members = append(out.Members, memberJSON{Account: m.AccountID, Username: m.Account.Username, DisplayName: m.Account.DisplayName, Role: m.Account.Role, AddedAt: m.AddedAt})
	}
	now := time.Now()
	for _, h := range d.Holds {
		out.Holds = append(out.Holds, toHoldJSON(h, now, true))
	}
	for _, sh := range d.Shares {
		out.Shares = append(out.Shares, toShareJSON(sh, now))
	}
	return writeJSON(w, http.StatusOK, out)
}

// addMember adds the account with this username to a case. Only those who
// see the case learn whether a username exists.
func (s *Server) addMember(ctx context.Context, by auth.Account, caseID, username string) error {
	if _, err := s.deps.Vault.Case(ctx, by, caseID); err != nil {
		return err
	}
	m, err := s.deps.Auth.GetByUsername(ctx, strings.TrimSpace(username))
	if errors.Is(err, auth.ErrNotFound) {
		return httpError(http.StatusBadRequest, "cases.no_such_account")
	}
	if err != nil {
		return err
	}
	return s.deps.Vault.AddMember(ctx, by, caseID, m)
}

func (s *Server) apiAddMember(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.addMember(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Username); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiPlaceHold(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Item   string    `json:"item"`
		Until  time.Time `json:"until"`
		Reason string    `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.deps.Vault.PlaceHold(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Item, in.Until, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toHoldJSON(h, time.Now(), true))
}

// reasonBody is the body of the routes that end something.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiReleaseHold(w http.ResponseWriter, r *http.Request) error {
	var in reasonBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.deps.Vault.ReleaseHold(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiCloseCase(w http.ResponseWriter, r *http.Request) error {
	var in reasonBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.deps.Vault.CloseCase(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseRecipients reads age public keys, one by one, refusing a bad one
// by its position.
func parseRecipients(keys []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		rc, err := age.ParseX25519Recipient(k)
		if err != nil {
			return nil, httpError(http.StatusBadRequest, "evidence.bad_recipient", "n", i+1)
		}
		out = append(out, rc)
	}
	return out, nil
}

// apiExport streams a case's items as a BagIt bundle that `vigil verify`
// checks offline. The bundle waits for the log to publish the custody
// events (up to vault.ProofWait) before its first byte.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Items      []string `json:"items"`
		Purpose    string   `json:"purpose"`
		Recipients []string `json:"recipients"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rcpts, err := parseRecipients(in.Recipients)
	if err != nil {
		return err
	}
	return s.export(w, r, *callerFrom(r.Context()).account, vault.Export{CaseID: r.PathValue("id"), ItemIDs: in.Items, Purpose: in.Purpose, Recipients: rcpts})
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, by auth.Account, e vault.Export) error {
	return s.streamBundle(w, r, "case-"+e.CaseID+".zip", func(ctx context.Context, w io.Writer) error {
		return s.deps.Vault.Export(ctx, by, e, w, nil)
	})
}

// newShareJSON is the body of POST /api/cases/{id}/shares.
type newShareJSON struct {
	Items        []string  `json:"items"`
	Recipient    string    `json:"recipient"`
	LegalBasis   string    `json:"legal_basis"`
	Purpose      string    `json:"purpose"`
	Expires      time.Time `json:"expires"`
	AgeRecipient string    `json:"age_recipient"`
}

func (s *Server) apiCreateShare(w http.ResponseWriter, r *http.Request) error {
	var in newShareJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sh, token, err := s.deps.Vault.CreateShare(r.Context(), *callerFrom(r.Context()).account, vault.NewShare{CaseID: r.PathValue("id"), ItemIDs: in.Items,
		Recipient: in.Recipient, LegalBasis: in.LegalBasis, Purpose: in.Purpose, Expires: in.Expires, AgeRecipient: in.AgeRecipient})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"share": toShareJSON(sh, time.Now()), "token": token, "url": shareURL(r, token)})
}

// shareURL is the link a recipient follows: the share's landing page.
func shareURL(r *http.Request, token string) string { return baseURL(r) + "/shares/" + token }

func (s *Server) apiRevokeShare(w http.ResponseWriter, r *http.Request) error {
	var in reasonBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.deps.Vault.RevokeShare(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

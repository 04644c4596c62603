package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

// apiUploadItem adds an item in one request: the body is the file, its
// Content-Type the item's type, and the Vigil-Metadata header describes
// it as tus's Upload-Metadata would. The body streams into the vault, so a
// recording of gigabytes needs no more memory than a photo. For a new
// submission the answer carries its case number and PIN, this once.
func (s *Server) apiUploadItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by := *callerFrom(ctx).account
	md, err := tus.ParseMetadata(r.Header.Get("Vigil-Metadata"))
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Key: "evidence.bad_metadata", Args: []any{"detail", err.Error()}}
	}
	md[vault.MetaMediaType] = r.Header.Get("Content-Type")
	n, err := vault.NewItemFromMetadata(md)
	if err != nil {
		return err
	}
	if err := s.checkNewItem(r, by, n); err != nil {
		return err
	}
	max := s.deps.Vault.MaxSize()
	if r.ContentLength > max {
		return &http.MaxBytesError{Limit: max}
	}
	body := newIdleReader(w, http.MaxBytesReader(w, r.Body, max+1))
	it, rcpt, err := s.deps.Vault.Ingest(ctx, by, n, body)
	body.done()
	if err != nil {
		return err
	}
	out := map[string]any{"item": toItemJSON(it)}
	if rcpt != nil {
		out["submission"] = receiptJSON{Submission: rcpt.Submission, PIN: rcpt.PIN}
	}
	w.Header().Set("Location", vault.UploadLocation(it.ID))
	return writeJSON(w, http.StatusCreated, out)
}

// checkNewItem checks an item's description before its bytes are read. A
// case number and PIN to add to are guessed at no faster here than on the
// public page.
func (s *Server) checkNewItem(r *http.Request, by auth.Account, n vault.NewItem) error {
	if n.Submission == "" {
		return s.deps.Vault.CheckNew(r.Context(), by, n)
	}
	number, addr := vault.NormalizeCaseNumber(n.Submission), clientAddr(r)
	if err := s.submissionLimits.Check(number, addr); err != nil {
		return rateLimited(err)
	}
	err := s.deps.Vault.CheckNew(r.Context(), by, n)
	if err != nil {
		s.submissionLimits.Fail(number, addr)
	}
	return err
}

func (s *Server) apiNewSubmission(w http.ResponseWriter, r *http.Request) error {
	rcpt, err := s.deps.Vault.NewSubmission(r.Context(), *callerFrom(r.Context()).account)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, receiptJSON{Submission: rcpt.Submission, PIN: rcpt.PIN})
}

// apiItems lists the items the caller may see, newest first. ?before= (a
// time, RFC 3339) pages: pass the created_at of the last item.
func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := vault.Filter{Class: q.Get("class"), Live: q.Get("live") == "true" || q.Get("live") == "1"}
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return httpError(http.StatusBadRequest, "evidence.bad_before")
		}
		f.Before = t
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return httpError(http.StatusBadRequest, "evidence.bad_limit", "max", 500)
		}
		f.Limit = n
	}
	list, err := s.deps.Vault.Items(r.Context(), *callerFrom(r.Context()).account, f)
	if err != nil {
		return err
	}
	out := make([]itemJSON, len(list))
	for i, it := range list {
		out[i] = toItemJSON(it)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// apiItem shows one item, with its holds.
func (s *Server) apiItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by := *callerFrom(ctx).account
	it, err := s.deps.Vault.ItemFor(ctx, by, r.PathValue("id"))
	if err != nil {
		return err
	}
	holds, err := s.deps.Vault.ItemHolds(ctx, it.ID)
	if err != nil {
		return err
	}
	mine, err := s.memberCases(ctx, by)
	if err != nil {
		return err
	}
	out := toItemJSON(it)
	now := time.Now()
	for _, h := range holds {
		out.Holds = append(out.Holds, toHoldJSON(h, now, caseIn(mine, h.CaseID)))
	}
	return writeJSON(w, http.StatusOK, out)
}

func caseIn(cs []vault.Case, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// apiCustody is an item's custody record: every event about it, as the
// log holds it, and every read with its stated purpose.
func (s *Server) apiCustody(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by := *callerFrom(ctx).account
	acc, err := s.deps.Vault.Accesses(ctx, by, r.PathValue("id"))
	if err != nil {
		return err
	}
	events, err := s.itemEvents(ctx, "item:"+r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Events   []eventJSON  `json:"events"`
		Accesses []accessJSON `json:"accesses"`
	}{Events: make([]eventJSON, len(events)), Accesses: make([]accessJSON, len(acc))}
	for i, e := range events {
		out.Events[i] = toEventJSON(e)
	}
	for i, a := range acc {
		out.Accesses[i] = toAccessJSON(a, by.Role == auth.Oversight)
	}
	return writeJSON(w, http.StatusOK, out)
}

// accessRequest is the body of POST /api/items/{id}/access.
type accessRequest struct {
	Action  string      `json:"action"`
	Purpose string      `json:"purpose"`
	Basis   vault.Basis `json:"basis"`
}

// apiAccess records a read, with its purpose and basis, and gives a grant
// that opens the content for a while.
func (s *Server) apiAccess(w http.ResponseWriter, r *http.Request) error {
	var in accessRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Action == "" {
		in.Action = vault.ActionView
	}
	ctx := r.Context()
	g, err := s.deps.Vault.Authorize(ctx, *callerFrom(ctx).account, r.PathValue("id"), vault.Access{Action: in.Action, Purpose: in.Purpose, Basis: in.Basis})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"grant": g.Token, "expires": g.Expires,
		"content_url": "/api/items/" + g.ItemID + "/content?grant=" + url.QueryEscape(g.Token),
	})
}

func (s *Server) apiContent(w http.ResponseWriter, r *http.Request) error {
	return s.serveContent(w, r, callerFrom(r.Context()).account.ID, r.PathValue("id"), r.URL.Query().Get("grant"))
}

// segmentRequest is the body of POST /api/items/{id}/segments.
type segmentRequest struct {
	Case      string    `json:"case"`
	Range     string    `json:"range"`
	Purpose   string    `json:"purpose"`
	HoldUntil time.Time `json:"hold_until"`
}

func (s *Server) apiSegment(w http.ResponseWriter, r *http.Request) error {
	var in segmentRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	it, err := s.deps.Vault.Derive(ctx, *callerFrom(ctx).account, r.PathValue("id"), vault.Segment{CaseID: in.Case, Range: in.Range, Purpose: in.Purpose, HoldUntil: in.HoldUntil})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/items/"+it.ID)
	return writeJSON(w, http.StatusCreated, toItemJSON(it))
}

// apiReceipt is a destroyed item's signed deletion receipt: public, since
// it holds nothing personal, and checkable with the log's key.
func (s *Server) apiReceipt(w http.ResponseWriter, r *http.Request) error {
	rcpt, err := s.deps.Vault.Receipt(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write([]byte(rcpt))
	return err
}

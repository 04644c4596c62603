package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

// Oversight's register of reads: every read of every item, who read it,
// when, why and on what basis, with filters and pages of the newest
// first. The page and the API take the same query; both are oversight's
// alone, and the vault checks that again.

// readsPageSize is how many reads a page of the register shows.
const readsPageSize = 100

// readerRoles are the roles the register's form offers: every role that
// reads (administrators never do), and a share's recipient.
var readerRoles = []string{string(auth.Reporter), string(auth.Flagger), string(auth.Monitor), string(auth.Officer), string(auth.Commander),
	string(auth.Authorizer), string(auth.Moderator), string(auth.Oversight), vault.RecipientRole}

// readFilter reads the register's query: role, action, basis, item,
// account (an account's ID) or username, from and to (a date, or an
// RFC 3339 time; from is inclusive, to exclusive, and a date as to
// includes that day), before (the ID of the last read of the previous
// page) and limit. What the vault knows, roles, actions and bases, it
// checks itself.
func (s *Server) readFilter(ctx context.Context, q url.Values) (vault.ReadFilter, error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	f := vault.ReadFilter{Role: get("role"), Action: get("action"), BasisKind: get("basis"), ItemID: get("item"), AccountID: get("account"), Limit: readsPageSize}
	if u := get("username"); u != "" {
		a, err := s.deps.Auth.GetByUsername(ctx, u)
		if errors.Is(err, auth.ErrNotFound) {
			return f, httpError(http.StatusBadRequest, "cases.no_such_account")
		}
		if err != nil {
			return f, err
		}
		if f.AccountID != "" && f.AccountID != a.ID {
			return f, httpError(http.StatusBadRequest, "reads.bad_reader")
		}
		f.AccountID = a.ID
	}
	if v := get("from"); v != "" {
		t, ok := parseFrom(v)
		if !ok {
			return f, httpError(http.StatusBadRequest, "reads.bad_from", "value", v)
		}
		f.From = t
	}
	if v := get("to"); v != "" {
		t, ok := parseTo(v)
		if !ok {
			return f, httpError(http.StatusBadRequest, "reads.bad_to", "value", v)
		}
		f.To = t
	}
	if v := get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, httpError(http.StatusBadRequest, "reads.bad_before")
		}
		f.Before = n
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > vault.MaxReads {
			return f, httpError(http.StatusBadRequest, "evidence.bad_limit", "max", vault.MaxReads)
		}
		f.Limit = n
	}
	return f, f.Check()
}

// parseFrom reads the start of a period: a date is its first moment, UTC.
func parseFrom(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// parseTo reads the end of a period, exclusive: a date includes its whole
// day, UTC.
func parseTo(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	return t.AddDate(0, 0, 1), err == nil
}

// reads returns a page of the register, and the query of the next page if
// there are older reads that match.
func (s *Server) reads(ctx context.Context, by auth.Account, f vault.ReadFilter, q url.Values) ([]vault.AccessRecord, url.Values, error) {
	list, err := s.deps.Vault.Reads(ctx, by, f)
	if err != nil || len(list) < f.Limit {
		return list, nil, err
	}
	last := list[len(list)-1].ID
	f.Before, f.Limit = last, 1
	more, err := s.deps.Vault.Reads(ctx, by, f)
	if err != nil || len(more) == 0 {
		return list, nil, err
	}
	next := readQuery(q)
	next.Set("before", strconv.FormatInt(last, 10))
	return list, next, nil
}

// readParams are the register's query parameters but before.
var readParams = []string{"role", "action", "basis", "item", "account", "username", "from", "to", "limit"}

// readQuery is the query of the first page with q's filters.
func readQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range readParams {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

type readsView struct {
	Reads []vault.AccessRecord
	// Form is the query as given, to show in the form again.
	Form                  url.Values
	Roles, Actions, Bases []string
	// Older links to the next page; Paged says this is not the first, and
	// Newest links to the first with the same filters.
	Older, Newest string
	Paged         bool
	Error         string
	Filtered      bool
}

// readsPage is the register as a page: a form of filters (a GET, so a
// filtered view is a link), the reads, and a link to older ones. A filter
// that makes no sense is shown on the form, with a 400.
func (s *Server) readsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by := *viewerFrom(ctx).account
	q := r.URL.Query()
	v := readsView{Form: q, Roles: readerRoles, Actions: accessActions, Bases: basisKinds, Paged: q.Get("before") != ""}
	first := readQuery(q)
	v.Newest = "/oversight/reads"
	if len(first) > 0 {
		v.Newest += "?" + first.Encode()
	}
	first.Del("limit")
	v.Filtered = len(first) > 0
	status := http.StatusOK
	f, err := s.readFilter(ctx, q)
	if err == nil {
		var next url.Values
		v.Reads, next, err = s.reads(ctx, by, f, q)
		if next != nil {
			v.Older = "/oversight/reads?" + next.Encode()
		}
	}
	if err != nil {
		p, err := s.formProblem(r, err)
		if err != nil {
			return err
		}
		status, v.Error, v.Reads = p.Status, p.Detail, nil
	}
	s.render(w, r, status, "reads", "reads.title", v)
	return nil
}

type readJSON struct {
	ID          int64       `json:"id"`
	Time        time.Time   `json:"time"`
	Item        string      `json:"item"`
	Account     string      `json:"account,omitempty"`
	Username    string      `json:"username,omitempty"`
	DisplayName string      `json:"display_name,omitempty"`
	Role        string      `json:"role"`
	Action      string      `json:"action"`
	Purpose     string      `json:"purpose"`
	Basis       vault.Basis `json:"basis"`
	// CaseReference is the reference of the case a read was based on.
	CaseReference string `json:"case_reference,omitempty"`
}

func toReadJSON(a vault.AccessRecord) readJSON {
	return readJSON{ID: a.ID, Time: a.At, Item: a.ItemID, Account: a.AccountID, Username: a.Username, DisplayName: a.DisplayName, Role: a.Role,
		Action: a.Action, Purpose: a.Purpose, Basis: a.Basis, CaseReference: a.CaseReference}
}

// apiReads is the register as JSON: the same query as the page; next, if
// present, is the path of the next page.
func (s *Server) apiReads(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f, err := s.readFilter(ctx, q)
	if err != nil {
		return err
	}
	list, next, err := s.reads(ctx, *callerFrom(ctx).account, f, q)
	if err != nil {
		return err
	}
	reads := make([]readJSON, len(list))
	for i, a := range list {
		reads[i] = toReadJSON(a)
	}
	out := map[string]any{"reads": reads}
	if next != nil {
		out["next"] = "/api/reads?" + next.Encode()
	}
	return writeJSON(w, http.StatusOK, out)
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/vault"
)

type itemRow struct {
	vault.Item
	// Held: a hold keeps the item now; Extended: past its schedule.
	Held, Extended bool
}

type itemsView struct {
	Items       []itemRow
	CanUpload   bool
	CanOpenCase bool
	Now         time.Time
}

// itemsPage lists the items the viewer may see, newest first, with where
// each stands on its schedule.
func (s *Server) itemsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := viewerFrom(ctx).account
	list, err := s.deps.Vault.Items(ctx, *a, vault.Filter{Limit: 200})
	if err != nil {
		return err
	}
	now := time.Now()
	v := itemsView{CanUpload: a.Role.Is(itemUploaders...), CanOpenCase: a.Role.Is(caseOpeners...), Now: now}
	for _, it := range list {
		row := itemRow{Item: it, Extended: it.DueAt.After(it.RetainUntil)}
		if it.DestroyedAt == nil {
			hs, err := s.deps.Vault.ItemHolds(ctx, it.ID)
			if err != nil {
				return err
			}
			for _, h := range hs {
				row.Held = row.Held || h.Active(now)
			}
		}
		v.Items = append(v.Items, row)
	}
	s.render(w, r, http.StatusOK, "vault_items", "evidence.list.title", v)
	return nil
}

// timelineEvent is one line of an item's custody timeline.
type timelineEvent struct {
	ledger.Stored
	Action, Basis, BasisRef, Case, Until, DerivedFrom, Segment string
}

func toTimeline(events []ledger.Stored) []timelineEvent {
	out := make([]timelineEvent, len(events))
	for i, e := range events {
		t := timelineEvent{Stored: e}
		if en, err := ledger.ParseEntry(e.Entry); err == nil {
			str := func(k string) string { s, _ := en.Facts[k].(string); return s }
			t.Action, t.Basis, t.BasisRef, t.Case = str("action"), str("basis"), str("basis_ref"), str("case")
			t.Until, t.DerivedFrom, t.Segment = str("until"), str("derived_from"), str("segment")
		}
		out[i] = t
	}
	return out
}

// basisOption is a basis the viewer may give for reading an item.
type basisOption struct {
	Value string // "deployment:dep_…", "case:case_…", "submitter"
	Kind  string
	Ref   string
}

type itemView struct {
	Item     vault.Item
	Holds    []vault.Hold
	Timeline []timelineEvent
	Accesses []vault.AccessRecord
	// ShowAccounts: oversight sees which account read, not only the role.
	ShowAccounts bool
	Bases        []basisOption
	// MyCases are the open cases the viewer works on; HoldingCases those
	// of them that hold the item now (the basis for reading and cutting).
	MyCases      []vault.Case
	HoldingCases []vault.Case
	CanSegment   bool
	// CaseRefs are the references of the viewer's cases, by ID.
	CaseRefs map[string]string
	// Held: a hold keeps the item now; Extended: past its schedule.
	Held, Extended bool
	Now            time.Time
	Form           url.Values
	// Error is shown with the form named by ErrorForm.
	Error, ErrorForm string
}

func (s *Server) itemView(r *http.Request, form url.Values) (itemView, error) {
	ctx := r.Context()
	by := *viewerFrom(ctx).account
	v := s.deps.Vault
	it, err := v.ItemFor(ctx, by, r.PathValue("id"))
	if err != nil {
		return itemView{}, err
	}
	now := time.Now()
	iv := itemView{Item: it, ShowAccounts: by.Role == auth.Oversight, Now: now, Form: form}
	if iv.Form == nil {
		iv.Form = url.Values{"action": {vault.ActionView}, "until": {now.AddDate(1, 0, 0).Format("2006-01-02")}}
	}
	if iv.Holds, err = v.ItemHolds(ctx, it.ID); err != nil {
		return iv, err
	}
	events, err := s.itemEvents(ctx, "item:"+it.ID)
	if err != nil {
		return iv, err
	}
	iv.Timeline = toTimeline(events)
	if iv.Accesses, err = v.Accesses(ctx, by, it.ID); err != nil {
		return iv, err
	}
	if iv.MyCases, err = s.memberCases(ctx, by); err != nil {
		return iv, err
	}
	iv.Extended = it.DueAt.After(it.RetainUntil)
	for _, h := range iv.Holds {
		iv.Held = iv.Held || h.Active(now)
	}
	iv.CaseRefs = map[string]string{}
	for _, c := range iv.MyCases {
		iv.CaseRefs[c.ID] = c.Reference
		for _, h := range iv.Holds {
			if h.CaseID == c.ID && h.Active(now) {
				iv.HoldingCases = append(iv.HoldingCases, c)
				break
			}
		}
	}
	if it.DeploymentID != "" && by.Role.Is(auth.Officer, auth.Commander) {
		iv.Bases = append(iv.Bases, basisOption{Value: "deployment:" + it.DeploymentID, Kind: vault.BasisDeployment, Ref: it.DeploymentID})
	}
	for _, c := range iv.HoldingCases {
		iv.Bases = append(iv.Bases, basisOption{Value: "case:" + c.ID, Kind: vault.BasisCase, Ref: c.Reference})
	}
	if it.SubmissionID != "" && by.Role.Is(submitters...) {
		iv.Bases = append(iv.Bases, basisOption{Value: vault.BasisSubmitter, Kind: vault.BasisSubmitter})
	}
	major, _, _ := strings.Cut(it.MediaType, "/")
	iv.CanSegment = it.DestroyedAt == nil && len(iv.HoldingCases) > 0 && (major == "video" || major == "audio" || it.MediaType == "application/pdf")
	return iv, nil
}

// itemPage is an item's custody timeline: what it is, where it stands on
// its schedule, every event about it as the log holds it, and every read
// with its purpose; with the forms to read it, hold it and cut a segment.
func (s *Server) itemPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.itemView(r, nil)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "vault_item", "evidence.item.title", v)
	return nil
}

// itemFormError shows the item page again with a refused form's reason.
func (s *Server) itemFormError(w http.ResponseWriter, r *http.Request, form string, err error) error {
	p, err := s.vaultFormProblem(r, err)
	if err != nil {
		return err
	}
	v, verr := s.itemView(r, r.PostForm)
	if verr != nil {
		return verr
	}
	v.Error, v.ErrorForm = p.Detail, form
	s.render(w, r, p.Status, "vault_item", "evidence.item.title", v)
	return nil
}

// vaultFormProblem is formProblem for the vault's forms: a refusal the
// vault explains (a basis that does not hold, a role that may not) is
// shown on the form too, where the person can choose otherwise.
func (s *Server) vaultFormProblem(r *http.Request, err error) (problem, error) {
	p := s.describe(err, viewerFrom(r.Context()).lang)
	if p.Status == http.StatusForbidden && errors.Is(err, vault.ErrForbidden) {
		return p, nil
	}
	return s.formProblem(r, err)
}

// parseBasis reads a basis option's value.
func parseBasis(v string) vault.Basis {
	kind, ref, _ := strings.Cut(v, ":")
	return vault.Basis{Kind: kind, Ref: ref}
}

// openItem records a read with its purpose and basis, and sends the
// viewer to the content.
func (s *Server) openItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := r.PostForm
	action := vault.ActionView
	if f.Get("action") == vault.ActionDownload {
		action = vault.ActionDownload
	}
	g, err := s.deps.Vault.Authorize(ctx, *viewerFrom(ctx).account, r.PathValue("id"),
		vault.Access{Action: action, Purpose: f.Get("purpose"), Basis: parseBasis(f.Get("basis"))})
	if err != nil {
		return s.itemFormError(w, r, "open", err)
	}
	http.Redirect(w, r, "/vault/items/"+g.ItemID+"/view?grant="+url.QueryEscape(g.Token), http.StatusSeeOther)
	return nil
}

type viewItemView struct {
	Item    vault.Item
	Grant   vault.Grant
	URL     string
	Kind    string // "video", "audio", "image" or "" (download only)
	Expires time.Time
}

// viewItem shows content a grant opened: pictures and recordings in the
// page, anything else as a download.
func (s *Server) viewItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by := *viewerFrom(ctx).account
	token := r.URL.Query().Get("grant")
	g, err := s.deps.Vault.CheckGrant(by.ID, r.PathValue("id"), token)
	if err != nil {
		return err
	}
	it, err := s.deps.Vault.ItemFor(ctx, by, g.ItemID)
	if err != nil {
		return err
	}
	v := viewItemView{Item: it, Grant: g, URL: "/vault/items/" + it.ID + "/content?grant=" + url.QueryEscape(token), Expires: g.Expires}
	if g.Action == vault.ActionView && inline(it.MediaType) {
		v.Kind, _, _ = strings.Cut(it.MediaType, "/")
	}
	s.render(w, r, http.StatusOK, "vault_view", "evidence.view.title", v)
	return nil
}

func (s *Server) itemContent(w http.ResponseWriter, r *http.Request) error {
	return s.serveContent(w, r, viewerFrom(r.Context()).account.ID, r.PathValue("id"), r.URL.Query().Get("grant"))
}

// holdItem keeps the item for one of the viewer's cases until a date.
func (s *Server) holdItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := r.PostForm
	until, ok := parseDay(strings.TrimSpace(f.Get("until")))
	if !ok {
		return s.itemFormError(w, r, "hold", httpError(http.StatusBadRequest, "evidence.bad_until"))
	}
	_, err := s.deps.Vault.PlaceHold(ctx, *viewerFrom(ctx).account, f.Get("case"), r.PathValue("id"), until, f.Get("reason"))
	if err != nil {
		return s.itemFormError(w, r, "hold", err)
	}
	http.Redirect(w, r, "/vault/items/"+r.PathValue("id")+"?done=held", http.StatusSeeOther)
	return nil
}

// cutSegment cuts the minutes or pages a case needs into a new item that
// the case holds.
func (s *Server) cutSegment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := r.PostForm
	it, err := s.deps.Vault.Derive(ctx, *viewerFrom(ctx).account, r.PathValue("id"),
		vault.Segment{CaseID: f.Get("case"), Range: strings.TrimSpace(f.Get("range")), Purpose: f.Get("purpose")})
	if err != nil {
		return s.itemFormError(w, r, "segment", err)
	}
	http.Redirect(w, r, "/vault/items/"+it.ID+"?done=segment", http.StatusSeeOther)
	return nil
}

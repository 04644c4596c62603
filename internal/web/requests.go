package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
)

// requestReaders see requests: those who file them, decide them, or
// oversee.
var requestReaders = []auth.Role{auth.Officer, auth.Commander, auth.Authorizer, auth.Oversight, auth.Admin}

// canSeeRequest: the requester, commanders of the requester's unit,
// authorizers, oversight and admins. Others are told there is nothing
// there, so that a request's existence does not leak.
func canSeeRequest(a *auth.Account, r assembly.Request) bool {
	switch {
	case a.ID == r.RequestedBy, a.Role.Is(auth.Authorizer, auth.Oversight, auth.Admin):
		return true
	case a.Role == auth.Commander && a.Unit != "" && strings.EqualFold(a.Unit, r.RequesterUnit):
		return true
	}
	return false
}

// listRequests returns the requests an account works with: an authorizer's
// queue, everything for oversight and admins, one's own otherwise.
func (s *Server) listRequests(r *http.Request, a *auth.Account) ([]assembly.Request, string, error) {
	switch {
	case a.Role == auth.Authorizer:
		list, err := s.deps.Assemblies.Requests(r.Context(), assembly.RequestQuery{Status: []string{assembly.Urgent, assembly.Pending}})
		return list, "requests.queue", err
	case a.Role.Is(auth.Oversight, auth.Admin):
		list, err := s.deps.Assemblies.Requests(r.Context(), assembly.RequestQuery{Limit: 200})
		return list, "requests.all", err
	}
	list, err := s.deps.Assemblies.Requests(r.Context(), assembly.RequestQuery{RequestedBy: a.ID})
	return list, "requests.mine", err
}

type requestsView struct {
	Requests   []assembly.Request
	Heading    string
	CanRequest bool
}

func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request) error {
	a := viewerFrom(r.Context()).account
	list, heading, err := s.listRequests(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "requests", "requests.title", requestsView{Requests: list, Heading: heading, CanRequest: a.Role.Is(assembly.CanRequest...)})
	return nil
}

type requestFormView struct {
	Assemblies   []assembly.Assembly
	Technologies []assembly.Technology
	Purposes     []string
	Form         url.Values
	Error        string
	// Decision is a refusal to show with the form (the request is
	// recorded; the form lets the requester file a better one).
	Decision *assembly.Request
}

func (s *Server) requestFormView(r *http.Request, form url.Values) (requestFormView, error) {
	asms, err := s.deps.Assemblies.List(r.Context(), time.Now().Add(-24*time.Hour), 200)
	if err != nil {
		return requestFormView{}, err
	}
	techs, err := s.deps.Assemblies.Technologies(r.Context())
	if err != nil {
		return requestFormView{}, err
	}
	if form == nil {
		form = url.Values{"mode": {"untargeted"}, "retention_days": {"0"}}
		if id := r.URL.Query().Get("assembly"); id != "" {
			form.Set("assembly", id)
		}
	}
	return requestFormView{Assemblies: asms, Technologies: techs, Purposes: policy.Purposes, Form: form}, nil
}

func (s *Server) requestForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.requestFormView(r, nil)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "request_new", "requests.new.title", v)
	return nil
}

// parseRequestForm reads the request form. Times are UTC; targets come one
// per line.
func parseRequestForm(f url.Values) (assembly.NewRequest, error) {
	n := assembly.NewRequest{
		AssemblyID: f.Get("assembly"), TechnologyID: f.Get("technology"), Purpose: f.Get("purpose"), Mode: f.Get("mode"),
		Covert: f.Get("covert") == "on", ExistingFootage: f.Get("existing_footage") == "on", Objective: strings.TrimSpace(f.Get("objective")),
		LegalBasis: f.Get("legal_basis"), Grounds: f.Get("grounds"), Area: f.Get("area"), Urgent: f.Get("urgent") == "on",
		ForceJustification: f.Get("force_justification"), NoticeDelayReason: f.Get("notice_delay_reason"),
		Suspicion: policy.Suspicion{Reasonable: f.Get("reasonable") == "on", SeriousOffence: f.Get("serious_offence") == "on",
			ConcreteIndications: f.Get("concrete_indications") == "on", ImminentThreat: f.Get("imminent_threat") == "on"},
	}
	for _, line := range strings.Split(f.Get("targets"), "\n") {
		if t := strings.TrimSpace(line); t != "" {
			n.Targets = append(n.Targets, t)
		}
	}
	var err error
	for _, t := range []struct {
		field string
		dst   *time.Time
	}{{"starts", &n.Starts}, {"ends", &n.Ends}} {
		if v := strings.TrimSpace(f.Get(t.field)); v != "" {
			if *t.dst, err = time.Parse(formTimeLayout, v); err != nil {
				return n, httpError(http.StatusBadRequest, "assemblies.bad_time", "field", t.field)
			}
		}
	}
	for _, num := range []struct {
		field string
		dst   *int
	}{{"retention_days", &n.RetentionDays}, {"notice_delay_days", &n.NoticeDelayDays}} {
		if v := strings.TrimSpace(f.Get(num.field)); v != "" {
			if *num.dst, err = strconv.Atoi(v); err != nil {
				return n, httpError(http.StatusBadRequest, "requests.bad_number", "field", num.field)
			}
		}
	}
	return n, nil
}

func (s *Server) fileRequest(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	n, err := parseRequestForm(r.PostForm)
	if err == nil {
		var req assembly.Request
		req, _, err = s.deps.Assemblies.FileRequest(r.Context(), *vw.account, n)
		if err == nil {
			http.Redirect(w, r, "/requests/"+req.ID, http.StatusSeeOther)
			return nil
		}
	}
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	v, verr := s.requestFormView(r, r.PostForm)
	if verr != nil {
		return verr
	}
	v.Error = p.Detail
	s.render(w, r, p.Status, "request_new", "requests.new.title", v)
	return nil
}

type requestView struct {
	Request       assembly.Request
	Assembly      *assembly.Assembly
	Technology    assembly.Technology
	Authorization *assembly.Authorization
	Deployment    *assembly.Deployment
	Notice        *assembly.Notice
	NoticeAt      time.Time
	Events        []ledger.Stored
	CanDecide     bool
	// CannotDecide says why an authorizer may not decide this one.
	CannotDecide string
	CanRevoke    bool
	Form         url.Values
	Error        string
}

func (s *Server) requestView(r *http.Request) (requestView, error) {
	ctx := r.Context()
	vw := viewerFrom(ctx)
	req, err := s.deps.Assemblies.GetRequest(ctx, r.PathValue("id"))
	if err != nil {
		return requestView{}, err
	}
	if !canSeeRequest(vw.account, req) {
		return requestView{}, httpError(http.StatusNotFound, "error.not_found")
	}
	v := requestView{Request: req, Form: url.Values{}}
	if req.AssemblyID != "" {
		a, err := s.deps.Assemblies.Get(ctx, req.AssemblyID)
		if err != nil {
			return v, err
		}
		v.Assembly = &a
	}
	if v.Technology, err = s.deps.Assemblies.Technology(ctx, req.TechnologyID); err != nil {
		return v, err
	}
	if a, err := s.deps.Assemblies.AuthorizationOf(ctx, req.ID); err == nil {
		v.Authorization = &a
	} else if !errors.Is(err, assembly.ErrNotFound) {
		return v, err
	}
	if d, err := s.deps.Assemblies.DeploymentOf(ctx, req.ID); err == nil {
		v.Deployment = &d
		v.CanRevoke = d.Status == assembly.Active && vw.account.Role.Is(assembly.CanRevoke...)
		if n, at, err := s.deps.Assemblies.NoticeOf(ctx, d.ID); err == nil {
			v.Notice, v.NoticeAt = &n, at
		} else if !errors.Is(err, assembly.ErrNotFound) {
			return v, err
		}
	} else if !errors.Is(err, assembly.ErrNotFound) {
		return v, err
	}
	if v.Events, err = ledger.List(ctx, s.deps.DB, ledger.Query{Subject: "request:" + req.ID}); err != nil {
		return v, err
	}
	if vw.account.Role == auth.Authorizer && (req.Status == assembly.Pending || req.Status == assembly.Urgent) {
		if err := auth.SeparateDuties(auth.Account{ID: req.RequestedBy, Unit: req.RequesterUnit}, *vw.account); err != nil {
			v.CannotDecide = s.describe(err, vw.lang).Detail
		} else {
			v.CanDecide = true
		}
	}
	return v, nil
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.requestView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "request", "requests.one.title", v)
	return nil
}

// parseVerdict reads the decision form: approve or refuse, reasons, and
// an optional narrower window and retention.
func parseVerdict(f url.Values) (assembly.Verdict, error) {
	v := assembly.Verdict{Approve: f.Get("verdict") == "approve", Reasons: f.Get("reasons")}
	if d := f.Get("verdict"); d != "approve" && d != "refuse" {
		return v, httpError(http.StatusBadRequest, "requests.choose_verdict")
	}
	var err error
	for _, t := range []struct {
		field string
		dst   *time.Time
	}{{"starts", &v.Starts}, {"ends", &v.Ends}} {
		if s := strings.TrimSpace(f.Get(t.field)); s != "" {
			if *t.dst, err = time.Parse(formTimeLayout, s); err != nil {
				return v, httpError(http.StatusBadRequest, "assemblies.bad_time", "field", t.field)
			}
		}
	}
	if s := strings.TrimSpace(f.Get("retention_days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return v, httpError(http.StatusBadRequest, "requests.bad_number", "field", "retention_days")
		}
		v.RetentionDays = &n
	}
	return v, nil
}

func (s *Server) decideRequest(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	verdict, err := parseVerdict(r.PostForm)
	if err == nil {
		_, err = s.deps.Assemblies.Decide(r.Context(), *vw.account, r.PathValue("id"), verdict)
		if err == nil {
			http.Redirect(w, r, "/requests/"+r.PathValue("id")+"?done=decided", http.StatusSeeOther)
			return nil
		}
	}
	return s.requestFormError(w, r, err)
}

func (s *Server) requestFormError(w http.ResponseWriter, r *http.Request, err error) error {
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	v, verr := s.requestView(r)
	if verr != nil {
		return verr
	}
	v.Form, v.Error = r.PostForm, p.Detail
	s.render(w, r, p.Status, "request", "requests.one.title", v)
	return nil
}

func (s *Server) revokeDeployment(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	d, err := s.deps.Assemblies.Deployment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.deps.Assemblies.Revoke(r.Context(), *vw.account, d.ID, r.PostForm.Get("reason")); err != nil {
		r.SetPathValue("id", d.RequestID)
		return s.requestFormError(w, r, err)
	}
	http.Redirect(w, r, "/requests/"+d.RequestID+"?done=revoked", http.StatusSeeOther)
	return nil
}

type deploymentsView struct {
	Deployments []deploymentRow
}

type deploymentRow struct {
	assembly.Deployment
	TechnologyKind string
	Product        string
}

func (s *Server) deploymentsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.ActiveDeployments(r.Context())
	if err != nil {
		return err
	}
	v := deploymentsView{}
	for _, d := range list {
		t, err := s.deps.Assemblies.Technology(r.Context(), d.TechnologyID)
		if err != nil {
			return err
		}
		v.Deployments = append(v.Deployments, deploymentRow{Deployment: d, TechnologyKind: t.Kind, Product: t.Product})
	}
	s.render(w, r, http.StatusOK, "deployments", "deployments.title", v)
	return nil
}

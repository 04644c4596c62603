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
	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/ledger"
)

// forceReportsView is the list of reports the viewer may see.
type forceReportsView struct {
	Reports []force.Incident
	// Scope says whose reports these are: "mine", "unit" or "all".
	Scope       string
	Filter      url.Values
	Weapons     []weaponOption
	CanReport   bool
	ShowOfficer bool
	// CanFilterUnit: oversight and admins may pick a unit.
	CanFilterUnit bool
	Error         string
}

// forceQuery reads the filters of a report list from the URL.
func forceQuery(q url.Values) force.IncidentQuery {
	return force.IncidentQuery{
		Mine: q.Get("mine") == "1", Unit: strings.TrimSpace(q.Get("unit")), Month: strings.TrimSpace(q.Get("month")),
		Weapon: q.Get("weapon"), Flag: force.Flag(q.Get("flag")), Untrained: q.Get("untrained") == "1",
		AssemblyID: strings.TrimSpace(q.Get("assembly")),
	}
}

func (s *Server) forceReportsPage(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	a := *vw.account
	q := forceQuery(r.URL.Query())
	v := forceReportsView{
		Filter: r.URL.Query(), Weapons: forceWeapons(), CanReport: a.Role.Is(force.CanReport...),
		CanFilterUnit: a.Role.Is(force.CanReadAll...),
	}
	switch {
	case a.Role.Is(force.CanReadAll...):
		v.Scope, v.ShowOfficer = "all", true
	case a.Role == auth.Commander && !q.Mine && force.UnitKey(a.Unit) != "":
		v.Scope, v.ShowOfficer = "unit", true
	default:
		v.Scope = "mine"
	}
	list, err := s.deps.Force.Incidents(r.Context(), a, q)
	status := http.StatusOK
	if err != nil {
		var ok bool
		if status, v.Error, ok = s.forceProblem(err, vw.lang); !ok {
			return err
		}
	}
	v.Reports = list
	s.render(w, r, status, "force_reports", "force.reports.title", v)
	return nil
}

// forceReportFormView is the report form, with what was typed when it is
// shown again.
type forceReportFormView struct {
	Form       url.Values
	Weapons    []weaponOption
	Assemblies []assembly.Assembly
	Medical    []force.Medical
	Error      string
}

func (s *Server) forceReportFormView(r *http.Request, form url.Values) (forceReportFormView, error) {
	// Assemblies of the last fortnight and those under way.
	list, err := s.deps.Assemblies.List(r.Context(), time.Now().Add(-14*24*time.Hour), 200)
	if err != nil {
		return forceReportFormView{}, err
	}
	return forceReportFormView{Form: form, Weapons: forceWeapons(), Assemblies: list, Medical: force.MedicalKinds}, nil
}

func (s *Server) forceReportForm(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{"uses": {"1"}, "injuries": {"0"}}
	if asm := r.URL.Query().Get("assembly"); asm != "" {
		form.Set("assembly", asm)
	}
	v, err := s.forceReportFormView(r, form)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "force_report_new", "force.new.title", v)
	return nil
}

// parseForceReportForm decodes the report form. Times are in UTC, as the
// form says; a place on the map is given as latitude and longitude.
func parseForceReportForm(f url.Values) (force.NewIncident, error) {
	n := force.NewIncident{
		Weapon: f.Get("weapon"), Place: f.Get("place"), AssemblyID: f.Get("assembly"),
		Circumstances: f.Get("circumstances"), Warning: f.Get("warning"), InjuryDescription: f.Get("injury_description"),
		Medical: force.Medical(f.Get("medical")), MedicalNote: f.Get("medical_note"),
		BodyCameras: force.ParseBodyCameras(f.Get("body_cameras")),
	}
	var err error
	if n.OccurredAt, err = time.Parse(formTimeLayout, strings.TrimSpace(f.Get("occurred_at"))); err != nil {
		return n, httpError(http.StatusBadRequest, "force.form.bad_time")
	}
	switch f.Get("warning_given") {
	case "yes":
		n.WarningGiven = true
	case "no":
	default:
		return n, httpError(http.StatusBadRequest, "force.form.warning_choice")
	}
	if n.Uses, err = formInt(f, "uses", 0); err != nil {
		return n, err
	}
	if n.Injuries, err = formInt(f, "injuries", 0); err != nil {
		return n, err
	}
	lat, lon := strings.TrimSpace(f.Get("latitude")), strings.TrimSpace(f.Get("longitude"))
	if lat != "" || lon != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lon, 64)
		if err1 != nil || err2 != nil {
			return n, httpError(http.StatusBadRequest, "force.form.bad_point")
		}
		n.Point = force.Point(lo, la)
	}
	return n, nil
}

func (s *Server) forceFileReport(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	n, err := parseForceReportForm(r.PostForm)
	if err == nil {
		var in force.Incident
		in, _, err = s.deps.Force.Report(r.Context(), *vw.account, n)
		if err == nil {
			redirectDone(w, r, "/force/reports/"+in.ID, "filed", "")
			return nil
		}
	}
	status, detail, ok := s.forceProblem(err, vw.lang)
	if !ok {
		return err
	}
	v, verr := s.forceReportFormView(r, r.PostForm)
	if verr != nil {
		return verr
	}
	v.Error = detail
	s.render(w, r, status, "force_report_new", "force.new.title", v)
	return nil
}

// forceReferralView is a referral with the statuses it may move to.
type forceReferralView struct {
	force.Referral
	Next []force.ReferralStatus
}

// forceReportView is one report, what was added to it, and what oversight
// did with it.
type forceReportView struct {
	Incident force.Incident
	// AssemblyTitle names the assembly, if there is one.
	AssemblyTitle string
	Addenda       []force.Addendum
	Referrals     []forceReferralView
	Events        []ledger.Stored
	CanAmend      bool
	CanOversee    bool
	// SeeReferrals: oversight and admins see referrals.
	SeeReferrals bool
	BodyKinds    []force.BodyKind
	Done         string
	// Error is shown at the form named by ErrorAt: "addendum", "review",
	// "refer" or a referral's ID; Form keeps what was typed there.
	Error, ErrorAt string
	Form           url.Values
}

func (s *Server) forceReportView(r *http.Request, incidentID string) (forceReportView, error) {
	ctx := r.Context()
	a := *viewerFrom(ctx).account
	in, err := s.deps.Force.Incident(ctx, a, incidentID)
	if err != nil {
		return forceReportView{}, err
	}
	v := forceReportView{Incident: in, CanAmend: force.CanAmend(a, in), CanOversee: a.Role.Is(force.CanOversee...),
		SeeReferrals: a.Role.Is(force.CanReadAll...), BodyKinds: force.BodyKinds, Form: url.Values{}}
	if in.AssemblyID != "" {
		if asm, err := s.deps.Assemblies.Get(ctx, in.AssemblyID); err == nil {
			v.AssemblyTitle = asm.Title
		} else if !errors.Is(err, assembly.ErrNotFound) {
			return v, err
		}
	}
	if v.Addenda, err = s.deps.Force.Addenda(ctx, a, in.ID); err != nil {
		return v, err
	}
	if v.SeeReferrals {
		refs, err := s.deps.Force.Referrals(ctx, a, force.ReferralQuery{IncidentID: in.ID})
		if err != nil {
			return v, err
		}
		for _, ref := range refs {
			v.Referrals = append(v.Referrals, forceReferralView{Referral: ref, Next: force.NextStatuses(ref.Status)})
		}
	}
	if v.Events, err = ledger.List(ctx, s.deps.DB, ledger.Query{Subject: force.IncidentSubject(in.ID)}); err != nil {
		return v, err
	}
	return v, nil
}

func (s *Server) forceReportPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.forceReportView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Done = forceDoneKey(r)
	s.render(w, r, http.StatusOK, "force_report", "force.report.title", v)
	return nil
}

// forceReportAgain shows a report again with a form's error, or returns
// the error if it is the server's.
func (s *Server) forceReportAgain(w http.ResponseWriter, r *http.Request, incidentID, at string, err error) error {
	status, detail, ok := s.forceProblem(err, viewerFrom(r.Context()).lang)
	if !ok {
		return err
	}
	v, verr := s.forceReportView(r, incidentID)
	if verr != nil {
		return verr
	}
	v.Error, v.ErrorAt, v.Form = detail, at, r.PostForm
	s.render(w, r, status, "force_report", "force.report.title", v)
	return nil
}

func (s *Server) forceAddAddendum(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := s.deps.Force.AddAddendum(r.Context(), *viewerFrom(r.Context()).account, id, r.PostForm.Get("text"), force.ParseBodyCameras(r.PostForm.Get("body_cameras")))
	if err != nil {
		if errors.Is(err, force.ErrNotFound) {
			return err
		}
		return s.forceReportAgain(w, r, id, "addendum", err)
	}
	redirectDone(w, r, "/force/reports/"+id, "addendum", "addenda")
	return nil
}

package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
)

// technologyRow is a technology with its assessment state now.
type technologyRow struct {
	assembly.Technology
	Current *assembly.Assessment
}

type technologiesView struct {
	Technologies []technologyRow
	CanRegister  bool
}

// technologiesPage is the public register of technologies: what the
// authorities hold, from whom, how accurate it is, whether it is assessed
// (A/HRC/44/24 para. 53(j)(iv)).
func (s *Server) technologiesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.Technologies(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	v := technologiesView{}
	for _, t := range list {
		row := technologyRow{Technology: t}
		as, err := s.deps.Assemblies.Assessments(r.Context(), t.ID)
		if err != nil {
			return err
		}
		for i := range as {
			if as[i].Covers(now, now) {
				row.Current = &as[i]
				break
			}
		}
		v.Technologies = append(v.Technologies, row)
	}
	if a := viewerFrom(r.Context()).account; a != nil {
		v.CanRegister = a.Role.Is(assembly.CanRegisterTechnology...)
	}
	s.render(w, r, http.StatusOK, "technologies", "technologies.title", v)
	return nil
}

type technologyView struct {
	Technology  assembly.Technology
	Assessments []assembly.Assessment
	Now         time.Time
	CanAssess   bool
	Form        url.Values
	Error       string
	Events      []ledger.Stored
}

func (s *Server) technologyView(r *http.Request) (technologyView, error) {
	t, err := s.deps.Assemblies.Technology(r.Context(), r.PathValue("id"))
	if err != nil {
		return technologyView{}, err
	}
	as, err := s.deps.Assemblies.Assessments(r.Context(), t.ID)
	if err != nil {
		return technologyView{}, err
	}
	v := technologyView{Technology: t, Assessments: as, Now: time.Now(), Form: url.Values{}}
	if a := viewerFrom(r.Context()).account; a != nil {
		v.CanAssess = a.Role.Is(assembly.CanAssess...)
		if a.Role.Is(auth.Oversight, auth.Admin) {
			if v.Events, err = ledger.List(r.Context(), s.deps.DB, ledger.Query{Subject: "technology:" + t.ID}); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

func (s *Server) technologyPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.technologyView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "technology", "technologies.one.title", v)
	return nil
}

type technologyFormView struct {
	Kinds   []string
	Weapons []string
	Form    url.Values
	Error   string
}

func (s *Server) technologyForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "technology_new", "technologies.new.title", technologyFormView{Kinds: assembly.KindNames(), Weapons: assembly.Weapons, Form: url.Values{}})
	return nil
}

// parseTechnologyForm reads the registration form. Documents come one per
// line as "title | https://address".
func parseTechnologyForm(f url.Values) assembly.NewTechnology {
	n := assembly.NewTechnology{
		Kind: f.Get("kind"), Product: f.Get("product"), Supplier: f.Get("supplier"), Version: f.Get("version"),
		Weapon: f.Get("weapon"), Accuracy: f.Get("accuracy"), DemographicErrors: f.Get("demographic_errors"),
		Registered: f.Get("registered") == "on",
		Properties: assembly.Properties{RealTime: f.Get("real_time") == "on", Identifies: f.Get("identifies") == "on",
			RecordsPeople: f.Get("records_people") == "on", ProcessesImages: f.Get("processes_images") == "on",
			AutonomousForce: f.Get("autonomous_force") == "on"},
	}
	for _, line := range strings.Split(f.Get("documents"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		title, addr, _ := strings.Cut(line, "|")
		n.Documents = append(n.Documents, assembly.Document{Title: strings.TrimSpace(title), URL: strings.TrimSpace(addr)})
	}
	return n
}

func (s *Server) registerTechnology(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	t, err := s.deps.Assemblies.RegisterTechnology(r.Context(), *vw.account, parseTechnologyForm(r.PostForm))
	if err == nil {
		http.Redirect(w, r, "/technologies/"+t.ID, http.StatusSeeOther)
		return nil
	}
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	s.render(w, r, p.Status, "technology_new", "technologies.new.title", technologyFormView{Kinds: assembly.KindNames(), Weapons: assembly.Weapons, Form: r.PostForm, Error: p.Detail})
	return nil
}

const formDateLayout = "2006-01-02"

func (s *Server) recordAssessment(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	f := r.PostForm
	n := assembly.NewAssessment{Assessor: f.Get("assessor"), Summary: f.Get("summary")}
	var err error
	if n.AssessedOn, err = time.Parse(formDateLayout, f.Get("assessed_on")); err == nil {
		n.ExpiresOn, err = time.Parse(formDateLayout, f.Get("expires_on"))
	}
	if err != nil {
		err = httpError(http.StatusBadRequest, "technologies.bad_date")
	} else {
		_, err = s.deps.Assemblies.RecordAssessment(r.Context(), *vw.account, r.PathValue("id"), n)
	}
	if err == nil {
		http.Redirect(w, r, "/technologies/"+r.PathValue("id")+"?done=assessed", http.StatusSeeOther)
		return nil
	}
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	v, verr := s.technologyView(r)
	if verr != nil {
		return verr
	}
	v.Form, v.Error = f, p.Detail
	s.render(w, r, p.Status, "technology", "technologies.one.title", v)
	return nil
}

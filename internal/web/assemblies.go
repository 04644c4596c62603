package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/ledger"
)

type assembliesView struct {
	Assemblies  []assembly.Assembly
	CanRegister bool
}

func (s *Server) assembliesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.List(r.Context(), time.Now().Add(-30*24*time.Hour), 200)
	if err != nil {
		return err
	}
	a := viewerFrom(r.Context()).account
	s.render(w, r, http.StatusOK, "assemblies", "assemblies.title", assembliesView{Assemblies: list, CanRegister: a.Role.Is(assembly.CanRegister...)})
	return nil
}

// assemblyFormView keeps what was typed, as typed, when the form is shown
// again with an error.
type assemblyFormView struct {
	Form  url.Values
	Error string
}

func (s *Server) assemblyForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "assembly_new", "assemblies.new.title", assemblyFormView{Form: url.Values{"kind": {"notified"}}})
	return nil
}

// formTimeLayout is what an <input type="datetime-local"> sends.
const formTimeLayout = "2006-01-02T15:04"

// parseAssemblyForm decodes the registration form. Times are in UTC, as
// the form says.
func parseAssemblyForm(f url.Values) (assembly.New, error) {
	n := assembly.New{
		Title: f.Get("title"), Kind: assembly.Kind(f.Get("kind")), Area: f.Get("area"),
		OrganiserContact: f.Get("organiser_contact"),
	}
	var err error
	if n.Starts, err = time.Parse(formTimeLayout, strings.TrimSpace(f.Get("starts"))); err != nil {
		return n, httpError(http.StatusBadRequest, "assemblies.bad_time", "field", "starts")
	}
	if n.Ends, err = time.Parse(formTimeLayout, strings.TrimSpace(f.Get("ends"))); err != nil {
		return n, httpError(http.StatusBadRequest, "assemblies.bad_time", "field", "ends")
	}
	if size := strings.TrimSpace(f.Get("expected_size")); size != "" {
		if n.ExpectedSize, err = strconv.Atoi(size); err != nil {
			return n, httpError(http.StatusBadRequest, "assemblies.bad_size")
		}
	}
	return n, nil
}

func (s *Server) registerAssembly(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	n, err := parseAssemblyForm(r.PostForm)
	if err == nil {
		var a assembly.Assembly
		a, _, err = s.deps.Assemblies.Register(r.Context(), *vw.account, n)
		if err == nil {
			http.Redirect(w, r, "/assemblies/"+a.ID, http.StatusSeeOther)
			return nil
		}
	}
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	s.render(w, r, p.Status, "assembly_new", "assemblies.new.title", assemblyFormView{Form: r.PostForm, Error: p.Detail})
	return nil
}

type assemblyView struct {
	Assembly assembly.Assembly
	Events   []ledger.Stored
	// ShowContact: only those who may act on it see the organiser's contact.
	ShowContact bool
	// Estimate is the crowd estimate from the area, if there is one.
	Estimate *assembly.Estimate
	// Requests are the requests about it this viewer may see.
	Requests   []assembly.Request
	CanRequest bool
}

func (s *Server) assemblyPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deps.Assemblies.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	evs, err := ledger.List(r.Context(), s.deps.DB, ledger.Query{Subject: "assembly:" + a.ID})
	if err != nil {
		return err
	}
	viewer := viewerFrom(r.Context()).account
	v := assemblyView{
		Assembly: a, Events: evs,
		ShowContact: viewer.Role.Is(assembly.CanSeeContact...) || viewer.ID == a.CreatedBy,
		CanRequest:  viewer.Role.Is(assembly.CanRequest...),
	}
	if a.Area != "" {
		if e, err := assembly.EstimateCrowd(a.Area, assembly.EstimateOptions{}); err == nil {
			v.Estimate = &e
		}
	}
	if viewer.Role.Is(requestReaders...) {
		reqs, err := s.deps.Assemblies.Requests(r.Context(), assembly.RequestQuery{AssemblyID: a.ID})
		if err != nil {
			return err
		}
		for _, req := range reqs {
			if canSeeRequest(viewer, req) {
				v.Requests = append(v.Requests, req)
			}
		}
	}
	s.render(w, r, http.StatusOK, "assembly", "assemblies.one.title", v)
	return nil
}
